import pytest
import torch
from allennlp.common.checks import ConfigurationError

from graph_mtl.modules.task_batching import bool_mask, check_task_names, encode_by_task, task_indices

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


def test_encode_by_task_runs_each_task_on_its_rows_only():
    calls = {}

    def encoder(name, offset):
        def encode(inputs, mask):
            calls[name] = (inputs[:, 0, 0].tolist(), mask.sum(dim=1).tolist())
            return inputs[..., :2] + offset

        return encode

    encoders = {"books": encoder("books", 10.0), "dvd": encoder("dvd", 20.0), "music": encoder("music", 30.0)}
    inputs = torch.arange(4.0).view(4, 1, 1).expand(4, 3, 3).clone()
    mask = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 1, 0]], dtype=torch.bool)
    outputs = torch.full((4, 3, 2), -1.0)
    result = encode_by_task(encoders, TASKS, [1, 0, 1, 1], inputs, mask, outputs)
    assert calls == {"books": ([1.0], [2]), "dvd": ([0.0, 2.0, 3.0], [3, 1, 2])}  # no music rows
    assert result[:, 0, 0].tolist() == [20.0, 11.0, 22.0, 23.0]
    assert bool((outputs == -1.0).all())  # not modified in place
