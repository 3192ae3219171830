"""
A fix, applied on import, for allennlp's own `multitask` data loader (for configs that keep
using it instead of `graph_mtl_multitask`):

* allennlp issue #5693: with `instances_per_epoch`, `MultiTaskDataLoader.__len__` counts
  batches as if *every* task contributed `instances_per_epoch` instances, overcounting by the
  number of tasks (allennlp 2.10.1, data/data_loaders/multitask_data_loader.py:165). The
  fixed `__len__` counts the instances the epoch really takes from each task (the sampler's
  proportions, floored as `_get_instances_for_epoch` does).

The fix checks that the bug is present before changing anything.
"""
import math
from typing import Dict

from allennlp.data.data_loaders.multitask_data_loader import MultiTaskDataLoader

applied: Dict[str, bool] = {}


def _fixed_len(self: MultiTaskDataLoader) -> int:
    if self._instances_per_epoch is None:
        return self.scheduler.count_batches(
            {dataset: len(loader) for dataset, loader in self._loaders.items()}
        )
    proportions = self.sampler.get_task_proportions(self._loaders)
    total = sum(proportions.values())
    counts = {
        key: math.floor(proportion * self._instances_per_epoch / total)
        for key, proportion in proportions.items()
    }
    return self.scheduler.count_batches(counts)


def fix_multitask_len() -> bool:
    """Replaces `MultiTaskDataLoader.__len__` when it has the #5693 overcount."""
    import inspect

    current = MultiTaskDataLoader.__len__
    if getattr(current, "_graph_mtl_fixed", False):
        return False
    source = inspect.getsource(current)
    if "self._instances_per_epoch for dataset in self._loaders.keys()" not in source:
        return False  # a fixed allennlp
    _fixed_len._graph_mtl_fixed = True  # type: ignore[attr-defined]
    MultiTaskDataLoader.__len__ = _fixed_len  # type: ignore[assignment]
    return True


def apply() -> Dict[str, bool]:
    if "fix_multitask_len" not in applied:
        applied["fix_multitask_len"] = fix_multitask_len()
    return dict(applied)
