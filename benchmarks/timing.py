"""What the benchmark scripts share: timing one step, with CUDA synchronised around it."""
from typing import Callable

import torch


def time_step(step: Callable[[], None], device: torch.device, clock: Callable[[], float]) -> float:
    """Seconds `clock` counts over one call of `step` (the device's queue drained before and after)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = clock()
    step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return clock() - start
