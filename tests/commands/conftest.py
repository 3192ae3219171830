import pytest
import torch

from tests.predictors.tiny_models import tiny_model


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models on a shared 2-core machine: torch's thread pool makes them ~20x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def dc_archive(tmp_path_factory):
    return tiny_model(tmp_path_factory, "dc_mtl")


@pytest.fixture(scope="session")
def ic_archive(tmp_path_factory):
    return tiny_model(tmp_path_factory, "ic_mtl")
