import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.modules import Seq2SeqEncoder

from graph_mtl.modules.seq2seq_encoders.mt_cnn import MultiTaskCnnEncoder

TASKS = ["books", "dvd"]


def make(**kwargs) -> MultiTaskCnnEncoder:
    torch.manual_seed(0)
    return MultiTaskCnnEncoder(TASKS, input_dim=4, hidden_dim=5, **kwargs)


def test_from_params_and_errors():
    encoder = Seq2SeqEncoder.from_params(
        Params({"type": "mt_cnn", "tasks": TASKS, "input_dim": 4, "hidden_dim": 5, "activation": "relu"})
    )
    assert encoder.get_output_dim() == 5
    with pytest.raises(ConfigurationError):
        make(window_size=4)


def test_window_and_padding():
    encoder = make(window_size=3, num_layers=1).eval()
    torch.manual_seed(1)
    inputs = torch.randn(1, 7, 4)
    mask = torch.ones(1, 7, dtype=torch.bool)
    output = encoder(inputs, mask, ["books"])
    changed = inputs.clone()
    changed[0, 6] += 1.0
    other = encoder(changed, mask, ["books"])
    # Position t sees t-1..t+1 only.
    assert torch.allclose(output[0, :5], other[0, :5])
    assert not torch.allclose(output[0, 5:], other[0, 5:])
    # Padding (with garbage in it) changes nothing and is zero in the output.
    padded_inputs = torch.cat([inputs, torch.randn(1, 3, 4)], dim=1)
    padded_mask = torch.cat([mask, torch.zeros(1, 3, dtype=torch.bool)], dim=1)
    padded = encoder(padded_inputs, padded_mask, ["books"])
    assert torch.allclose(padded[0, :7], output[0], atol=1e-6)
    assert torch.all(padded[0, 7:] == 0)


@pytest.mark.parametrize("shared_layers", [0, 1])
def test_task_specific_layers_and_mixed_batches(shared_layers):
    encoder = make(num_layers=2, shared_layers=shared_layers).eval()
    torch.manual_seed(2)
    inputs = torch.randn(3, 5, 4)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[2, 3:] = False
    tasks = ["dvd", "books", "dvd"]
    mixed = encoder(inputs, mask, tasks)
    for row, task in enumerate(tasks):
        alone = encoder(inputs[row : row + 1], mask[row : row + 1], [task])
        assert torch.allclose(mixed[row], alone[0], atol=1e-6)
    as_books = encoder(inputs[:1], mask[:1], ["books"])
    assert not torch.allclose(as_books[0], mixed[0])
    # Only the instance's own task's convolutions (and the shared ones) get gradients.
    encoder(inputs[:1], mask[:1], ["books"]).sum().backward()
    assert all(p.grad is None for p in encoder.private["dvd"].parameters())
    assert all(p.grad is not None for p in encoder.private["books"].parameters())
    if shared_layers:
        assert all(p.grad is not None for p in encoder.shared.parameters())
