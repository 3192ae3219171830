import logging
import os
import sys
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "fixtures"

# The test models are tiny: torch's default thread pool costs more in synchronisation than it
# saves (measured ~20x slower training on a loaded 2-core machine). Subprocesses inherit this.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

# The allennlp command line looks for `.allennlp_plugins` in the working directory.
os.chdir(REPO_ROOT)

import torch  # noqa: E402

import graph_mtl  # noqa: E402,F401  (registers every component before any test runs)
from tests.predictors.tiny_models import tiny_model  # noqa: E402

torch.set_num_threads(1)


def logger_states() -> Dict[str, Tuple[int, bool, bool]]:
    """(level, disabled, propagate) of the root logger and of every logger named so far; a name
    that only has children yet (`allennlp` before anything asks for it) is a logger with the
    defaults to come."""
    states = {"": (logging.root.level, logging.root.disabled, logging.root.propagate)}
    for name, item in logging.Logger.manager.loggerDict.items():
        if isinstance(item, logging.Logger):
            states[name] = (item.level, item.disabled, item.propagate)
        else:  # logging.PlaceHolder
            states[name] = (logging.NOTSET, False, True)
    return states


@pytest.fixture(autouse=True)
def logging_left_as_found():
    """Every test leaves the loggers' levels as it found them. A script's `main()` run in-process
    sets levels for the command it is (scripts/train_vectors.py quiets `allennlp`); left behind,
    that changed what later tests on the same worker saw (a forked `allennlp` logged nothing at
    INFO: CI of stop 32). Loggers first named in a test keep their state; pytest's handlers are its
    own."""
    before = logger_states()
    disabled = logging.root.manager.disable
    yield
    for name, (level, off, propagate) in before.items():
        item = logging.root if not name else logging.Logger.manager.loggerDict.get(name)
        if not isinstance(item, logging.Logger):  # still only a parent's name: defaults
            continue
        if (item.level, item.disabled, item.propagate) != (level, off, propagate):
            item.setLevel(level)
            item.disabled, item.propagate = off, propagate
    logging.disable(disabled)


@pytest.fixture
def fixtures_root() -> Path:
    return FIXTURES


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models on a shared 2-core machine: torch's thread pool makes them ~20x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def dc_archive(tmp_path_factory) -> Path:
    """The tiny DC-MTL model of tests/predictors/tiny_models.py, trained once per session."""
    return tiny_model(tmp_path_factory, "dc_mtl")


@pytest.fixture(scope="session")
def ic_archive(tmp_path_factory) -> Path:
    """The tiny IC-MTL model of tests/predictors/tiny_models.py, trained once per session."""
    return tiny_model(tmp_path_factory, "ic_mtl")


def venv_bin(name: str) -> str:
    """Path of a console script next to the running interpreter (the project's venv)."""
    return str(Path(sys.executable).parent / name)


def failing_replace_onto(monkeypatch, name: str) -> None:
    """Makes `os.replace` onto a file called `name` fail, as a kill just before the rename would
    (atomic writes: the previous file must survive, no temporary may stay)."""
    replace = os.replace

    def failing_replace(source, destination):
        if os.path.basename(destination) == name:
            raise OSError(f"cannot rename onto {name}")
        return replace(source, destination)

    monkeypatch.setattr(os, "replace", failing_replace)


def failing_processes(polls_left: Dict[str, int], name_of: Callable[[List[str]], str]) -> type:
    """A stand-in for `subprocess.Popen`: the process of `name_of(command)` ends with exit code 1
    at its `polls_left[name]`-th `poll()`, so a test decides which of several ends first."""

    class FailingProcess:
        def __init__(self, command: List[str], **kwargs) -> None:
            self.name = name_of(command)
            self.returncode = None

        def poll(self):
            polls_left[self.name] -= 1
            if polls_left[self.name] <= 0:
                self.returncode = 1
            return self.returncode

    return FailingProcess
