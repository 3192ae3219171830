import pytest
from allennlp.common import Params

from graph_mtl.training import TaskAverage, aggregate_task_metrics, default_task_averages

TASK_METRICS = {
    "chunk": {"accuracy": 0.9, "f1-measure-overall": 0.8},
    "ner": {"accuracy": 0.95, "f1-measure-overall": 0.6},
    "pos": {"accuracy": 0.97},
}


def test_default_averages():
    result = aggregate_task_metrics(TASK_METRICS, default_task_averages())
    assert result["average_accuracy"] == pytest.approx((0.9 + 0.95 + 0.97) / 3)
    assert result["average_error"] == pytest.approx(1 - (0.9 + 0.95 + 0.97) / 3)
    assert result["average_f1"] == pytest.approx(0.7)


def test_per_task_metric_names_and_task_subsets():
    score = TaskAverage.from_params(
        Params({"metric": {"chunk": "f1-measure-overall", "ner": "f1-measure-overall", "pos": "accuracy"}})
    )
    assert score(TASK_METRICS) == pytest.approx((0.8 + 0.6 + 0.97) / 3)
    assert TaskAverage("accuracy", tasks=["pos"])(TASK_METRICS) == pytest.approx(0.97)
    assert TaskAverage("nothing")(TASK_METRICS) is None
    assert aggregate_task_metrics(TASK_METRICS, {"x": TaskAverage("nothing")}) == {}
