import os
import sys
from pathlib import Path

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

torch.set_num_threads(1)


@pytest.fixture
def fixtures_root() -> Path:
    return FIXTURES


def venv_bin(name: str) -> str:
    """Path of a console script next to the running interpreter (the project's venv)."""
    return str(Path(sys.executable).parent / name)
