import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "fixtures"

# The allennlp command line looks for `.allennlp_plugins` in the working directory.
os.chdir(REPO_ROOT)

import graph_mtl  # noqa: E402,F401  (registers every component before any test runs)


@pytest.fixture
def fixtures_root() -> Path:
    return FIXTURES


def venv_bin(name: str) -> str:
    """Path of a console script next to the running interpreter (the project's venv)."""
    return str(Path(sys.executable).parent / name)
