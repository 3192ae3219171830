"""
A trainer callback used only by the end-to-end tests to simulate a hard crash mid-training:
on the first run it kills its own process (SIGKILL, no clean-up) at the first batch of epoch
`crash_epoch`, after the previous epoch's checkpoint was written. A marker file makes the
recovered run (`allennlp train --recover`, same config) go through.
"""
import os
import signal
from pathlib import Path
from typing import Any, Dict, List

from allennlp.training.callbacks.callback import TrainerCallback


@TrainerCallback.register("test_crash_once")
class CrashOnceCallback(TrainerCallback):
    def __init__(self, serialization_dir: str, crash_epoch: int = 1) -> None:
        super().__init__(serialization_dir)
        self.crash_epoch = crash_epoch
        self.marker = Path(serialization_dir) / "crashed-once"

    def on_batch(
        self,
        trainer: Any,
        batch_inputs: List[Dict[str, Any]],
        batch_outputs: List[Dict[str, Any]],
        batch_metrics: Dict[str, Any],
        epoch: int,
        batch_number: int,
        is_training: bool,
        is_primary: bool = True,
        batch_grad_norm: Any = None,
        **kwargs: Any,
    ) -> None:
        if epoch == self.crash_epoch and not self.marker.exists():
            self.marker.write_text(f"killed at epoch {epoch}, batch {batch_number}\n")
            os.kill(os.getpid(), signal.SIGKILL)
