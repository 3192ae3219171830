"""
The training progress bar of a many-task model fits a terminal line (issue 15 point 5): AllenNLP
writes every metric into the tqdm description, 16 FDU-MTL tasks made it ~575 characters. With
many tasks the per-task metrics are shown as one range per metric (their averages are shown
as they are); the metrics files and the log keep every value.
"""
import json
import os
import re
import subprocess
from pathlib import Path

from allennlp.training import util as training_util

from tests.conftest import REPO_ROOT, venv_bin
from tests.plugins.test_training import fixture_overrides

FDU_MTL = ["apparel", "baby", "books", "camera_photo", "dvd", "electronics", "health_personal_care",
           "imdb", "kitchen_housewares", "magazines", "MR", "music", "software", "sports_outdoors",
           "toys_games", "video"]
WIDTH = 160


def test_many_task_metrics_become_ranges_in_the_description():
    from graph_mtl.training.progress import note_task_metrics

    task_metrics = {task: {"accuracy": 0.5 + i / 100} for i, task in enumerate(FDU_MTL)}
    note_task_metrics(task_metrics)
    metrics = {f"{task}_accuracy": m["accuracy"] for task, m in task_metrics.items()}
    metrics.update({"average_accuracy": 0.575, "average_error": 0.425, "batch_loss": 0.69, "loss": 0.7})
    description = training_util.description_from_metrics(metrics)
    assert len(description) <= WIDTH, description
    assert "average_accuracy: 0.5750" in description and "loss: 0.7000" in description
    assert "accuracy (16 tasks): 0.5000-0.6500" in description
    assert "books_accuracy" not in description

    few = {"books_accuracy": 0.5, "dvd_accuracy": 0.6, "loss": 0.7}  # short: unchanged
    note_task_metrics({"books": {"accuracy": 0.5}, "dvd": {"accuracy": 0.6}})
    assert training_util.description_from_metrics(few) == "books_accuracy: 0.5000, dvd_accuracy: 0.6000, loss: 0.7000 ||"


def descriptions(stderr: str):
    """The tqdm descriptions AllenNLP printed (`metric: value, ... ||`)."""
    for segment in re.split(r"[\r\n]", stderr):
        if " ||" in segment and "loss" in segment:
            yield segment.split(" ||")[0].split(" - INFO - ")[-1].split(" - ")[-1]


def test_sixteen_task_training_progress_line_fits_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setenv("FDU_MTL_DIR", "/unused")
    config = REPO_ROOT / "training_configs" / "plugins" / "flat_classification.jsonnet"
    overrides = fixture_overrides(config)
    run = tmp_path / "run"
    result = subprocess.run(
        [venv_bin("allennlp"), "train", str(config), "-s", str(run), "-o", json.dumps(overrides)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, FDU_MTL_DIR="/unused", OMP_NUM_THREADS="1"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    shown = list(descriptions(result.stderr))
    assert shown, result.stderr[-3000:]
    widest = max(shown, key=len)
    assert len(widest) <= WIDTH, (len(widest), widest)
    # Which descriptions tqdm prints depends on timing: the first batches (few tasks seen, a
    # line that fits as it is) may be the widest one printed, so look for the ranges anywhere.
    assert any("tasks): " in description for description in shown)
    assert any("accuracy (16 tasks): " in description for description in shown)  # validation
    # nothing is lost where it is kept: every task's accuracy is in the metrics file
    metrics = json.loads((run / "metrics.json").read_text())
    assert all(f"validation_{task}_accuracy" in metrics for task in FDU_MTL)
