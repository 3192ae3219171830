import pytest
import torch
from allennlp.common.checks import ConfigurationError

from graph_mtl.modules.task_batching import bool_mask, check_task_names, task_indices

TASKS = ["books", "dvd", "music"]


def test_check_task_names():
    check_task_names(TASKS, "enc")
    with pytest.raises(ConfigurationError, match="enc needs at least one task"):
        check_task_names([], "enc")
    with pytest.raises(ConfigurationError, match="enc needs distinct task names"):
        check_task_names(["a", "b", "a"], "enc")


def test_task_indices():
    assert task_indices(["dvd", "books", "dvd"], TASKS, 3, "enc") == [1, 0, 1]
    assert task_indices("music", TASKS, 2, "enc") == [2, 2]  # one name for the whole batch
    assert task_indices(None, ["only"], 3, "enc") == [0, 0, 0]  # a single task may be omitted
    with pytest.raises(ValueError, match="enc needs the task of each instance"):
        task_indices(None, TASKS, 2, "enc")
    with pytest.raises(ValueError, match="enc got 1 task names for a batch of 2"):
        task_indices(["dvd"], TASKS, 2, "enc")
    with pytest.raises(ValueError, match=r"enc: unknown task\(s\) \['a', 'z'\]"):
        task_indices(["z", "dvd", "a"], TASKS, 3, "enc")


def test_bool_mask():
    inputs = torch.zeros(2, 3, 4)
    assert bool_mask(inputs, None).dtype == torch.bool and bool(bool_mask(inputs, None).all())
    assert bool_mask(inputs, None).shape == (2, 3)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert bool_mask(inputs, mask).tolist() == mask.bool().tolist()
