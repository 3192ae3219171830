"""
Multi-task data loading for graph-mtl.

* `graph_mtl_multitask` (`GraphMtlMultiTaskDataLoader`): per-task readers composed with
  allennlp's `multitask` dataset reader; task sampling; homogeneous or mixed batches; exact
  `len()`; epoch tracking; seeded determinism with any `num_workers`.
* Task samplers registered with allennlp's `MultiTaskEpochSampler`: `temperature`,
  `annealed`, `fixed` (next to allennlp's `uniform`, `proportional`, `weighted`).
* Trainer callback `task_sampler_epoch`: tells samplers the epoch count, the epoch, and calls
  `update_from_epoch_metrics` (allennlp never does).
* On import, allennlp's own `multitask` loader gets its `len()` fixed (#5693).

Per-task loss weights lambda_k (eq. 14) belong to the model: `MultiTaskModel`'s
`loss_weights`.
"""
from graph_mtl.data.data_loaders import allennlp_fixes
from graph_mtl.data.data_loaders.task_samplers import (
    AnnealedSampler,
    FixedWeightsSampler,
    TemperatureSampler,
)
from graph_mtl.data.data_loaders.multitask_loader import GraphMtlMultiTaskDataLoader
from graph_mtl.data.data_loaders.epoch_callback import TaskSamplerEpochCallback

allennlp_fixes.apply()

__all__ = [
    "AnnealedSampler",
    "FixedWeightsSampler",
    "TemperatureSampler",
    "GraphMtlMultiTaskDataLoader",
    "TaskSamplerEpochCallback",
]
