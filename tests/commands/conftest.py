import pytest


@pytest.fixture(autouse=True, scope="module")
def _every_module_one_torch_thread(one_torch_thread):
    """Every test module here runs with one torch thread (`one_torch_thread`, tests/conftest.py)."""
