"""
Task samplers: how often each task is drawn. Registered with allennlp's
`MultiTaskEpochSampler` registry next to its `uniform`, `proportional` and `weighted`:

| name | p_k (n_k = instances of task k) |
| --- | --- |
| `uniform` (allennlp) | 1 / K |
| `proportional` (allennlp) | n_k / sum_j n_j |
| `temperature` | n_k^(1/T) / sum_j n_j^(1/T) |
| `annealed` | n_k^alpha_e / sum_j n_j^alpha_e, alpha_e = 1 - (1 - min_alpha) * e / (E - 1) |
| `weighted` (allennlp) | w_k / sum_j w_j |
| `fixed` | w_k / sum_j w_j: allennlp's `weighted`, its weights checked (every task, >= 0) |

`annealed` is Stickland & Murray (2019): proportional in the first epoch (e = 0), moving
towards uniform; with their min_alpha = 0.2 (their 1 - 0.8 (e-1)/(E-1)), min_alpha = 0 ends
exactly uniform. Samplers that depend on the epoch implement `set_epoch(epoch)`;
`graph_mtl_multitask` calls it before every epoch, and the `task_sampler_epoch` trainer
callback does it for allennlp's own `multitask` loader (which never tells its sampler).

Per-task loss weights lambda_k (eq. 14 of the paper) are not a data matter: they are the
model's `loss_weights` (allennlp `MultiTaskModel`), applied to each task's loss.
"""
from typing import Any, Dict, Mapping, Optional

from allennlp.common.checks import ConfigurationError
from allennlp.data.data_loaders.data_loader import DataLoader
from allennlp.data.data_loaders.multitask_epoch_sampler import MultiTaskEpochSampler, WeightedSampler


def task_sizes(data_loaders: Mapping[str, Any]) -> Dict[str, int]:
    """Number of instances per task (`len()` of each loader, which must know it)."""
    try:
        sizes = {task: len(loader) for task, loader in data_loaders.items()}
    except TypeError:
        raise ValueError("this task sampler needs data loaders with a length (no lazy loading)")
    empty = [task for task, size in sizes.items() if size <= 0]
    if empty:
        raise ValueError(f"tasks without instances cannot be sampled by size: {empty}")
    return sizes


def _positive_total(weights: Mapping[str, float]) -> float:
    total = sum(weights.values())
    if total <= 0:
        raise ConfigurationError(f"task weights must not all be 0: {dict(weights)}")
    return total


def _normalize(weights: Dict[str, float]) -> Dict[str, float]:
    total = _positive_total(weights)
    return {task: weight / total for task, weight in weights.items()}


@MultiTaskEpochSampler.register("temperature")
class TemperatureSampler(MultiTaskEpochSampler):
    """
    Temperature-scaled sampling: p_k proportional to n_k^(1/T). T = 1 is proportional,
    T -> infinity uniform; T < 1 favours large tasks further.

    Registered as a `MultiTaskEpochSampler` with name "temperature".

    # Parameters

    temperature : `float`, optional (default = `2.0`)
        T, greater than 0.
    """

    def __init__(self, temperature: float = 2.0) -> None:
        if temperature <= 0:
            raise ConfigurationError(f"temperature must be > 0, got {temperature}")
        self.temperature = temperature

    def get_task_proportions(self, data_loaders: Mapping[str, DataLoader]) -> Dict[str, float]:
        sizes = task_sizes(data_loaders)
        return _normalize({task: size ** (1.0 / self.temperature) for task, size in sizes.items()})

    def update_from_epoch_metrics(self, epoch_metrics: Dict[str, Any]) -> None:
        pass


@MultiTaskEpochSampler.register("annealed")
class AnnealedSampler(MultiTaskEpochSampler):
    """
    Annealed sampling (Stickland & Murray 2019): p_k proportional to n_k^alpha with
    alpha = 1 - (1 - min_alpha) * e / (E - 1) in epoch e = 0 .. E-1, so the first epoch is
    proportional and the last has alpha = min_alpha (0.2 in the paper; 0 is uniform).
    Epochs after E - 1 keep min_alpha.

    The sampler must be told the epoch: `graph_mtl_multitask` calls `set_epoch` before each
    epoch; with allennlp's `multitask` loader add the `task_sampler_epoch` trainer callback.

    Registered as a `MultiTaskEpochSampler` with name "annealed".

    # Parameters

    num_epochs : `int`, optional (default = `None`)
        E, normally the trainer's `num_epochs`. If not given, the `task_sampler_epoch`
        callback sets it from the trainer; without either, epochs after the first raise
        `ConfigurationError`.
    min_alpha : `float`, optional (default = `0.2`)
        alpha in the last epoch, in [0, 1].
    """

    def __init__(self, num_epochs: Optional[int] = None, min_alpha: float = 0.2) -> None:
        if num_epochs is not None and num_epochs < 1:
            raise ConfigurationError(f"num_epochs must be at least 1, got {num_epochs}")
        if not 0.0 <= min_alpha <= 1.0:
            raise ConfigurationError(f"min_alpha must be in [0, 1], got {min_alpha}")
        self.num_epochs = num_epochs
        self.min_alpha = min_alpha
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def set_num_epochs(self, num_epochs: int) -> None:
        if self.num_epochs is None:
            self.num_epochs = num_epochs

    def alpha(self, epoch: Optional[int] = None) -> float:
        epoch = self.epoch if epoch is None else epoch
        if epoch <= 0:
            return 1.0
        if self.num_epochs is None:
            raise ConfigurationError(
                "the annealed task sampler needs num_epochs (set it, or add the "
                '"task_sampler_epoch" trainer callback to take it from the trainer)'
            )
        if self.num_epochs <= 1:
            return self.min_alpha
        progress = min(epoch, self.num_epochs - 1) / (self.num_epochs - 1)
        return 1.0 - (1.0 - self.min_alpha) * progress

    def get_task_proportions(self, data_loaders: Mapping[str, DataLoader]) -> Dict[str, float]:
        sizes = task_sizes(data_loaders)
        alpha = self.alpha()
        return _normalize({task: float(size) ** alpha for task, size in sizes.items()})

    def update_from_epoch_metrics(self, epoch_metrics: Dict[str, Any]) -> None:
        # The epoch comes from set_epoch; metrics are not used.
        pass


@MultiTaskEpochSampler.register("fixed")
class FixedWeightsSampler(WeightedSampler):
    """
    allennlp's `weighted` sampler (p_k = w_k / sum_j w_j) with its weights checked: every task
    must have one (a missing or unknown task raises `ConfigurationError`, where `weighted`
    raises a `KeyError` or ignores the name), no weight may be negative, and they must not all
    be 0. A weight of 0 leaves the task out of training batches.

    Registered as a `MultiTaskEpochSampler` with name "fixed".

    # Parameters

    weights : `Dict[str, float]`
        One non-negative weight per task.
    """

    def __init__(self, weights: Dict[str, float]) -> None:
        negative = {task: weight for task, weight in weights.items() if weight < 0}
        if negative:
            raise ConfigurationError(f"task weights must be >= 0: {negative}")
        super().__init__(dict(weights))

    def get_task_proportions(self, data_loaders: Mapping[str, DataLoader]) -> Dict[str, float]:
        tasks = set(data_loaders)
        missing = sorted(tasks - set(self.weights))
        unknown = sorted(set(self.weights) - tasks)
        if missing or unknown:
            raise ConfigurationError(
                f"fixed task weights must name exactly the tasks {sorted(tasks)}; missing "
                f"{missing}, unknown {unknown}"
            )
        _positive_total(self.weights)
        return super().get_task_proportions(data_loaders)

    def update_from_epoch_metrics(self, epoch_metrics: Dict[str, Any]) -> None:
        pass
