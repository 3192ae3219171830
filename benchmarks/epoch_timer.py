"""
`epoch_timer`: an AllenNLP trainer callback that records, for every training batch, the wall and
CPU (process) time since the previous batch, the batch's padded length and its task, and writes
them with the epoch totals to `<serialization_dir>/epoch_timer.json`. Used by
benchmarks/epoch_time.py (`--include-package benchmarks.epoch_timer`).
"""
import os
import time
from typing import Any, Dict, List

import torch
from allennlp.training.callbacks.callback import TrainerCallback

from benchmarks.atomic import atomic_write_json


def _first_token_tensor(value: Any):
    if isinstance(value, torch.Tensor):
        return value if value.dim() == 2 else None
    if isinstance(value, dict):
        for key in ("tokens", *value.keys()):
            if key in value:
                found = _first_token_tensor(value[key])
                if found is not None:
                    return found
    return None


@TrainerCallback.register("epoch_timer")
class EpochTimer(TrainerCallback):
    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self.batches: List[Dict[str, Any]] = []
        self.epochs: List[Dict[str, Any]] = []

    def _now(self):
        return time.perf_counter(), time.process_time()

    def on_start(self, trainer, is_primary: bool = True, **kwargs) -> None:
        super().on_start(trainer, is_primary, **kwargs)
        self._epoch_start = self._last = self._now()

    def on_batch(self, trainer, batch_inputs, batch_outputs, batch_metrics, epoch, batch_number,
                 is_training, is_primary=True, batch_grad_norm=None, **kwargs) -> None:
        if not is_training:
            return
        now = self._now()
        tokens = _first_token_tensor(batch_inputs[0]) if batch_inputs else None
        task = batch_inputs[0].get("task") if batch_inputs and isinstance(batch_inputs[0], dict) else None
        if isinstance(task, (list, tuple)) and task:
            task = task[0]
        self.batches.append({
            "epoch": epoch,
            "batch": batch_number,
            "wall": now[0] - self._last[0],
            "cpu": now[1] - self._last[1],
            "batch_size": int(tokens.size(0)) if tokens is not None else None,
            "padded_length": int(tokens.size(1)) if tokens is not None else None,
            "tokens": int((tokens != 0).sum()) if tokens is not None else None,
            "task": task if isinstance(task, str) else None,
        })
        self._last = now

    def on_epoch(self, trainer, metrics, epoch, is_primary=True, **kwargs) -> None:
        now = self._now()
        self.epochs.append({
            "epoch": epoch,
            "wall": now[0] - self._epoch_start[0],
            "cpu": now[1] - self._epoch_start[1],
            "batches": sum(1 for b in self.batches if b["epoch"] == epoch),
        })
        atomic_write_json(os.path.join(self.serialization_dir, "epoch_timer.json"),
                          {"epochs": self.epochs, "batches": self.batches,
                           "torch_threads": torch.get_num_threads()}, indent=1)
        self._epoch_start = self._last = self._now()
