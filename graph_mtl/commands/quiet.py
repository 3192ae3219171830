"""
`allennlp predict --silent` without the log. AllenNLP's `--silent` only stops printing the
predictions; loading the archive still logs every parameter of the config, every parameter
left at its initialisation and the vocabulary at INFO (250 lines for a four-task model, the
same before each prediction run). Under `--silent`, graph-mtl sets the root logger to WARNING
before the archive is loaded, so warnings and errors are still shown and nothing else is;
`ALLENNLP_LOG_LEVEL` or `ALLENNLP_DEBUG`, when set, are respected.
"""
import logging
import os
from typing import Any


def quiet_if_silent(args: Any) -> bool:
    """For `allennlp predict` (`args` its parsed arguments): under `--silent`, log only
    warnings and errors from now on. Returns whether the level was raised."""
    if not getattr(args, "silent", False):
        return False
    if os.environ.get("ALLENNLP_DEBUG") or os.environ.get("ALLENNLP_LOG_LEVEL"):
        return False
    root = logging.getLogger()
    if root.level >= logging.WARNING:
        return False
    root.setLevel(logging.WARNING)
    return True
