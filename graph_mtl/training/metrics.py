"""
Aggregate metrics over the tasks of a multi-task model, usable as a trainer's
`validation_metric`.

`MultiTaskModel.get_metrics` reports each head's metrics as `<task>_<metric>` (for example
`books_accuracy`, `ner_f1-measure-overall`). The `graph_mtl` model adds one entry per
`TaskAverage` it is configured with, named by the average's key, e.g. `average_accuracy`, so a
trainer can use `"validation_metric": "+average_accuracy"` (Table 1) or
`"+average_f1-measure-overall"` (Table 4).
"""
from typing import Dict, List, Optional, Union

from allennlp.common import FromParams


class TaskAverage(FromParams):
    """
    The mean of one metric over the tasks (heads) that report it.

    # Parameters

    metric : `Union[str, Dict[str, str]]`
        The head-level metric name, e.g. `"accuracy"` or `"f1-measure-overall"`; or one name
        per task, e.g. `{"chunk": "f1-measure-overall", "ner": "f1-measure-overall",
        "pos": "accuracy"}` (the paper's Table 4 scores), which also restricts the tasks.
    tasks : `List[str]`, optional (default = `None`)
        Average over these tasks only; by default over every task whose head reports `metric`
        in this call (a head that was not called since the last reset reports nothing).
    complement : `bool`, optional (default = `False`)
        Report `1 - mean` instead (an error rate, as in the paper's tables).
    """

    def __init__(
        self,
        metric: Union[str, Dict[str, str]],
        tasks: Optional[List[str]] = None,
        complement: bool = False,
    ) -> None:
        self.metric = metric
        self.tasks = tasks
        if isinstance(metric, dict) and tasks is None:
            self.tasks = list(metric)
        self.complement = complement

    def metric_of(self, task: str) -> Optional[str]:
        if isinstance(self.metric, dict):
            return self.metric.get(task)
        return self.metric

    def __call__(self, task_metrics: Dict[str, Dict[str, float]]) -> Optional[float]:
        """
        `task_metrics` is `{task: {metric: value}}`; returns `None` when no task reports the
        metric (the average is then left out of the model's metrics).
        """
        values = []
        for task, metrics in task_metrics.items():
            name = self.metric_of(task)
            if name in metrics and (self.tasks is None or task in self.tasks):
                values.append(float(metrics[name]))
        if not values:
            return None
        mean = sum(values) / len(values)
        return 1.0 - mean if self.complement else mean


def default_task_averages() -> Dict[str, TaskAverage]:
    """`average_accuracy`, `average_error` and `average_f1` (over span-F1 heads)."""
    return {
        "average_accuracy": TaskAverage("accuracy"),
        "average_error": TaskAverage("accuracy", complement=True),
        "average_f1": TaskAverage("f1-measure-overall"),
    }


def aggregate_task_metrics(
    task_metrics: Dict[str, Dict[str, float]], averages: Dict[str, TaskAverage]
) -> Dict[str, float]:
    """Evaluates every average; averages that no task reports are left out."""
    aggregated = {}
    for name, average in averages.items():
        value = average(task_metrics)
        if value is not None:
            aggregated[name] = value
    return aggregated
