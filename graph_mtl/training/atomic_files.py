"""
The files `allennlp train` writes at the end of a run, written atomically: `model.tar.gz` and
`metrics.json` (and every `metrics_epoch_N.json`) go to `<name>.partial` first and are renamed
into place, so a kill while they are written leaves the previous file (or none), never a
truncated archive or half a JSON file. `--recover` then writes them again.

`use_in_allennlp()` (called when graph_mtl is imported) points the names `allennlp train` calls
(`allennlp.commands.train.archive_model`, `allennlp.common.util.dump_metrics`) at the atomic
versions below.
"""
import json
import logging
import os
from typing import Any, Dict, Optional

logger = logging.getLogger(__name__)


def atomic_write_text(path: str, text: str) -> None:
    # Not graph_mtl.common.atomic's (random temporary names): a kill leaves `<name>.partial`,
    # which the write of `--recover` overwrites, so no orphan stays (tests/training/test_crash_recovery.py).
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def completed_metrics(file_path: str, metrics: Dict[str, Any]) -> Dict[str, Any]:
    """The final `metrics.json` of a run that trained no epoch in this process (`--recover` of
    a finished run: AllenNLP then writes only the best-epoch keys, 7 of ~20) completed with the
    keys of the run's last `metrics_epoch_N.json`, which is what the original metrics.json held."""
    if os.path.basename(file_path) != "metrics.json" or "epoch" in metrics:
        return metrics
    directory = os.path.dirname(file_path) or "."
    epochs = []
    for name in os.listdir(directory):
        stem = name[len("metrics_epoch_"):-len(".json")] if name.startswith("metrics_epoch_") and name.endswith(".json") else ""
        if stem.isdigit():
            epochs.append(int(stem))
    if not epochs:
        return metrics
    last = os.path.join(directory, f"metrics_epoch_{max(epochs)}.json")
    with open(last, encoding="utf-8") as handle:
        completed = dict(json.load(handle))
    completed.update(metrics)
    logger.info("%s: this run trained no epoch (--recover of a finished run); the other metrics are "
                "those of %s", file_path, last)
    return completed


def dump_metrics(file_path: Optional[str], metrics: Dict[str, Any], log: bool = False) -> None:
    """`allennlp.common.util.dump_metrics`, writing the file atomically (and completing the
    final metrics.json of a recovered finished run, see `completed_metrics`)."""
    if file_path:
        metrics = completed_metrics(file_path, metrics)
    text = json.dumps(metrics, indent=2)
    if file_path:
        atomic_write_text(file_path, text)
    if log:
        logging.getLogger("allennlp.common.util").info("Metrics: %s", text)


def atomic_archive_model(original: Any) -> Any:
    def archive_model(serialization_dir: str, weights: str = "best.th", archive_path: Optional[str] = None,
                      include_in_archive: Optional[Any] = None) -> str:
        if archive_path is not None and os.path.isdir(archive_path):
            final = os.path.join(archive_path, "model.tar.gz")
        else:
            final = archive_path or os.path.join(serialization_dir, "model.tar.gz")
        partial = final + ".partial"
        original(serialization_dir, weights=weights, archive_path=partial, include_in_archive=include_in_archive)
        os.replace(partial, final)
        return final

    archive_model.graph_mtl_atomic = True  # type: ignore[attr-defined]
    return archive_model


def use_in_allennlp() -> None:
    import allennlp.commands.train as train
    import allennlp.common.util as common_util

    if not getattr(train.archive_model, "graph_mtl_atomic", False):
        train.archive_model = atomic_archive_model(train.archive_model)
    common_util.dump_metrics = dump_metrics
