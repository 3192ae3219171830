"""
Disk space of finished training runs.

A serialization directory keeps, besides its archive, the checkpoints that `allennlp train
--recover` reads: `model_state_e<epoch>[_b<batch>].th` and `training_state_e<epoch>[...].th`
(the latter with the optimizer's moments, twice the model's size), two of the most recent epochs
and the best one (`graph_mtl.training.checkpointer`). Once a run has its `model.tar.gz` and
`metrics.json` nothing reads them: a Table 4 DC-MTL run leaves about 0.8 GB of them, a whole
table tens of GB. `prune_checkpoints` removes them from a finished run; `best.th` (the best
epoch's weights, a hard link to one of them), the archive, the metrics, the logs and the
vocabulary stay.

Standard library only, so that `scripts/reproduce.py` can load this file without importing
graph_mtl (see `graph_mtl.common.atomic`).
"""
import re
from pathlib import Path
from typing import Union

EPOCH_CHECKPOINT = re.compile(r"^(model_state|training_state)_e\d+(_b\d+)?\.th$")


def is_finished(serialization_dir: Union[str, Path]) -> bool:
    directory = Path(serialization_dir)
    return (directory / "model.tar.gz").is_file() and (directory / "metrics.json").is_file()


def prune_checkpoints(serialization_dir: Union[str, Path]) -> int:
    """
    Removes the per-epoch checkpoints of a finished run (one with `model.tar.gz` and
    `metrics.json`; an unfinished run is left alone, it needs them for `--recover`) and returns
    the bytes this frees (files with another hard link, such as the one `best.th` shares, free
    nothing).
    """
    directory = Path(serialization_dir)
    if not is_finished(directory):
        return 0
    freed = 0
    for path in directory.iterdir():
        if EPOCH_CHECKPOINT.match(path.name) and path.is_file():
            status = path.stat()
            path.unlink()
            if status.st_nlink == 1:
                freed += status.st_size
    return freed


def megabytes(size: int) -> str:
    return f"{size / 2**20:.0f} MB" if size < 2**30 else f"{size / 2**30:.1f} GB"


__all__ = ["EPOCH_CHECKPOINT", "is_finished", "prune_checkpoints", "megabytes"]
