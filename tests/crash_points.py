"""
Test-only kill points for `allennlp train` (import with `--include-package tests.crash_points`):
the environment variable GRAPH_MTL_TEST_KILL names where the process kills itself (SIGKILL, no
clean-up), once (a marker file next to the run makes the `--recover` run go through):

* `checkpoint:<N>`: while writing the checkpoint after epoch N-1 (its model state is written to
  `<name>.partial`, not yet renamed into place);
* `best:<N>`: after the trainer removed best.th and before it links the checkpoint of epoch N-1;
* `archive`: after model.tar.gz was written to `model.tar.gz.partial`, before the rename;
* `metrics`: the same for metrics.json.
"""
import os
import signal
from pathlib import Path

POINT = os.environ.get("GRAPH_MTL_TEST_KILL", "")
MARKER = os.environ.get("GRAPH_MTL_TEST_KILL_MARKER", "")


def _kill() -> None:
    if MARKER and not Path(MARKER).exists():
        Path(MARKER).write_text(POINT + "\n")
        os.kill(os.getpid(), signal.SIGKILL)


if POINT.startswith("checkpoint:"):
    import graph_mtl.training.checkpointer as checkpointer

    _save = checkpointer.torch.save
    epoch = POINT.split(":", 1)[1]

    class _KillingTorch:  # the module's `torch`, with a save that dies after writing
        def __getattr__(self, name):
            return getattr(checkpointer_torch, name)

        @staticmethod
        def save(state, handle, *args, **kwargs):
            _save(state, handle, *args, **kwargs)
            name = getattr(handle, "name", "")
            if f"model_state_e{epoch}_b0.th.partial" in str(name):
                handle.flush()
                _kill()

    checkpointer_torch = checkpointer.torch
    checkpointer.torch = _KillingTorch()

elif POINT.startswith("best:"):
    import allennlp.training.gradient_descent_trainer as trainer

    _link = trainer.hardlink_or_copy
    epoch = POINT.split(":", 1)[1]

    def hardlink_or_copy(source, destination):
        if f"model_state_e{epoch}_b0.th" in str(source):
            _kill()
        return _link(source, destination)

    trainer.hardlink_or_copy = hardlink_or_copy

elif POINT in ("archive", "metrics"):
    _replace = os.replace
    target = "model.tar.gz" if POINT == "archive" else "metrics.json"

    def replace(source, destination, *args, **kwargs):
        if str(destination).endswith(target):
            _kill()
        return _replace(source, destination, *args, **kwargs)

    os.replace = replace
