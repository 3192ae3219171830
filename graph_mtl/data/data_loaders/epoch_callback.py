"""
A trainer callback that keeps task samplers informed between epochs, which allennlp never
does (`update_from_epoch_metrics` is never called, and samplers are never told the epoch).
"""
import logging
from typing import Any, Dict, Optional

from allennlp.training.callbacks.callback import TrainerCallback

logger = logging.getLogger(__name__)


@TrainerCallback.register("task_sampler_epoch")
class TaskSamplerEpochCallback(TrainerCallback):
    """
    Informs the training data loader's task sampler between epochs:

    * at the start of training, gives samplers that want it (`set_num_epochs`, e.g.
      `annealed`) the trainer's number of epochs;
    * after every epoch, calls the sampler's `update_from_epoch_metrics(metrics)` (samplers
      without it are skipped) and, for loaders that do not track epochs themselves (allennlp's
      `multitask`), the sampler's `set_epoch(epoch + 1)`. `graph_mtl_multitask` tracks its
      epochs and tells its sampler itself.

    Registered as a `TrainerCallback` with name "task_sampler_epoch"; use it in the trainer's
    `callbacks: [{"type": "task_sampler_epoch"}]`.

    # Parameters

    serialization_dir : `str`
        Given by the trainer.
    """

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)

    @staticmethod
    def _sampler(trainer: Any) -> Optional[Any]:
        loader = getattr(trainer, "data_loader", None)
        return getattr(loader, "sampler", None)

    def on_start(self, trainer: Any, is_primary: bool = True, **kwargs: Any) -> None:
        sampler = self._sampler(trainer)
        if sampler is None:
            return
        num_epochs = getattr(trainer, "_num_epochs", None)
        if num_epochs is not None and hasattr(sampler, "set_num_epochs"):
            sampler.set_num_epochs(num_epochs)
        loader = trainer.data_loader
        if not hasattr(loader, "set_epoch") and hasattr(sampler, "set_epoch"):
            sampler.set_epoch(getattr(trainer, "_epochs_completed", 0))

    def on_epoch(
        self,
        trainer: Any,
        metrics: Dict[str, Any],
        epoch: int,
        is_primary: bool = True,
        **kwargs: Any,
    ) -> None:
        sampler = self._sampler(trainer)
        if sampler is None:
            return
        try:
            sampler.update_from_epoch_metrics(metrics)
        except NotImplementedError:
            pass
        loader = trainer.data_loader
        if not hasattr(loader, "set_epoch") and hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch + 1)
