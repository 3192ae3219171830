"""
Denormal (subnormal) floats on the CPU: flushed to zero in every graph-mtl process.

Backpropagating through a long sequence, an LSTM's gradients shrink step by step until they fall
below float32's smallest normal number (1.2e-38). x86 CPUs compute with such numbers in a slow
microcode path, and in the backward pass of a sentence that only its last state feeds (the
paper's `pooling: "last"`) most of the steps are such numbers: on this project's 2-core machine
one backward pass of the paper's task LSTM (hidden 200, batch 8, 300 tokens) took 629 ms with
denormals and 43 ms flushed (benchmarks/results/SUMMARY.md, "Denormals"). GPUs flush them by
default; a value below 1.2e-38 contributes nothing measurable to a parameter update.

`flush_denormals()` sets the CPU's flush-to-zero and denormals-are-zero modes
(`torch.set_flush_denormal(True)`). The mode belongs to a thread and a new thread inherits it
from the thread that starts it, so it must be set before torch starts its pool of intra-op
threads (the first parallel operation): importing `graph_mtl` does it, and every `allennlp`
command imports graph_mtl before it runs any tensor operation. If the pool was started earlier
(a program that computed with torch before importing graph_mtl), the pool's threads keep
computing denormals; this is detected and logged as a warning, since only a new process fixes it.

`GRAPH_MTL_FLUSH_DENORMALS=0` in the environment leaves the CPU's default (denormals computed).
"""
import logging
import os

logger = logging.getLogger(__name__)

ENVIRONMENT_VARIABLE = "GRAPH_MTL_FLUSH_DENORMALS"


def denormals_flushed_everywhere() -> bool:
    """Whether an elementwise operation large enough to run on every thread of torch's intra-op
    pool turns denormal inputs into zeros on all of them (the inputs are made from bit patterns,
    so no flushing happens before the operation itself). Runs at every import of graph_mtl, so it
    is sized to the pool: torch splits an elementwise operation into chunks of at least 2^15
    elements, one per thread; 2^16 per thread reaches every one of them."""
    import torch

    # the smallest positive denormal (bit pattern 1)
    denormals = torch.ones(torch.get_num_threads() << 16, dtype=torch.int32).view(torch.float32)
    return bool((denormals * 2.0).eq(0).all())


def flush_denormals() -> bool:
    """
    Flushes denormals to zero on this thread and on threads started from now on, unless
    `GRAPH_MTL_FLUSH_DENORMALS=0`. Returns whether they are flushed on every thread of torch's
    pool afterwards (`False` with the variable at 0, on a CPU without the modes, or when the pool
    was started before this call: the last case is logged as a warning).
    """
    import torch

    if os.environ.get(ENVIRONMENT_VARIABLE, "1").strip() == "0":
        return False
    if not torch.set_flush_denormal(True):
        logger.info("this CPU cannot flush denormals to zero: they are computed")
        return False
    if not denormals_flushed_everywhere():
        logger.warning(
            "torch's CPU threads were started before graph_mtl was imported: they keep computing "
            "denormal floats, which can make long-sequence backward passes several times slower. "
            "Import graph_mtl before the first tensor operation (every `allennlp` command does).",
        )
        return False
    return True
