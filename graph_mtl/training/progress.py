"""
A progress bar that fits a terminal line with many tasks. AllenNLP writes every metric of the
model into the tqdm description of the training and validation bars
(`allennlp.training.util.description_from_metrics`); a `graph_mtl` model reports each task's
metrics, so 16 FDU-MTL tasks made the line ~575 characters, wrapped on every update.

When the description would be longer than `MAX_WIDTH` characters, the per-task metrics
(`<task>_<metric>`, as the `graph_mtl` model reports them through `note_task_metrics`) are
shown as one range per metric, `accuracy (16 tasks): 0.6100-0.9300`, and everything else
(the task averages such as `average_accuracy`, `loss`, `batch_loss`) as AllenNLP shows it. Only
the bar changes: the metrics given to callbacks, the log and the metrics files keep every
task's value. A shorter description is left as AllenNLP writes it.

`use_in_allennlp()` (called when graph_mtl is imported) replaces
`allennlp.training.util.description_from_metrics`, which the trainer looks up when it runs.
"""
from typing import Any, Dict, List, Mapping, Tuple

MAX_WIDTH = 160
"""Longest description written as AllenNLP does (tqdm adds about 50 characters)."""

_task_metric_keys: Dict[str, str] = {}  # "<task>_<metric>" -> "<metric>"


def note_task_metrics(task_metrics: Mapping[str, Mapping[str, Any]]) -> None:
    """Called by the `graph_mtl` model with `{task: {metric: value}}`: which keys of its
    metrics are per-task."""
    for task, metrics in task_metrics.items():
        for metric in metrics:
            _task_metric_keys[f"{task}_{metric}"] = metric


def compact_description(metrics: Mapping[str, float]) -> str:
    """The description for `metrics`: AllenNLP's, or with per-task metrics as ranges."""
    shown = [(name, value) for name, value in metrics.items() if not name.startswith("_")]
    full = ", ".join("%s: %.4f" % (name, value) for name, value in shown) + " ||"
    if len(full) <= MAX_WIDTH:
        return full
    per_metric: Dict[str, List[float]] = {}
    others: List[Tuple[str, float]] = []
    for name, value in shown:
        metric = _task_metric_keys.get(name)
        if metric is None or not isinstance(value, (int, float)):
            others.append((name, value))
        else:
            per_metric.setdefault(metric, []).append(float(value))
    if not per_metric:
        return full
    parts = ["%s: %.4f" % (name, value) for name, value in others]
    parts += [
        "%s (%d tasks): %.4f-%.4f" % (metric, len(values), min(values), max(values))
        for metric, values in per_metric.items()
    ]
    return ", ".join(parts) + " ||"


def use_in_allennlp() -> None:
    """The trainer's progress bars use `compact_description`. Idempotent."""
    from allennlp.training import util as training_util

    original = training_util.description_from_metrics
    if getattr(original, "graph_mtl", False):
        return

    def description_from_metrics(metrics: Dict[str, float]) -> str:
        hidden = {name: 0.0 for name in metrics if name.startswith("_")}
        if hidden:
            original(hidden)  # AllenNLP's one-time warning that these are not shown
        return compact_description(metrics)

    description_from_metrics.graph_mtl = True  # type: ignore[attr-defined]
    description_from_metrics.__doc__ = compact_description.__doc__
    training_util.description_from_metrics = description_from_metrics
