"""
Multi-task data loading for graph-mtl.

* `graph_mtl_multitask` (`GraphMtlMultiTaskDataLoader`): per-task readers composed with
  allennlp's `multitask` dataset reader; task sampling; homogeneous or mixed batches; exact
  `len()`; epoch tracking; seeded determinism with any `num_workers`.
* Task samplers registered with allennlp's `MultiTaskEpochSampler`: `temperature`,
  `annealed`, `fixed` (allennlp's `weighted` with its weights checked), next to allennlp's
  `uniform`, `proportional`, `weighted`.
* Trainer callback `task_sampler_epoch`: tells samplers the epoch count, the epoch, and calls
  `update_from_epoch_metrics` (allennlp never does).

allennlp's own `multitask` loader is left as it is: with `instances_per_epoch` its `len()`
overcounts (allennlp issue #5693: it counts `instances_per_epoch` instances for every task,
not for all tasks together), which misleads the trainer's progress bar and any learning-rate
schedule sized by `len()`. Use `graph_mtl_multitask`, whose `len()` is the next epoch's
batch count.

Per-task loss weights lambda_k (eq. 14) belong to the model: `MultiTaskModel`'s
`loss_weights`.
"""
from graph_mtl.data.data_loaders.task_samplers import (
    AnnealedSampler,
    FixedWeightsSampler,
    TemperatureSampler,
)
from graph_mtl.data.data_loaders.multitask_loader import GraphMtlMultiTaskDataLoader
from graph_mtl.data.data_loaders.epoch_callback import TaskSamplerEpochCallback

__all__ = [
    "AnnealedSampler",
    "FixedWeightsSampler",
    "TemperatureSampler",
    "GraphMtlMultiTaskDataLoader",
    "TaskSamplerEpochCallback",
]
