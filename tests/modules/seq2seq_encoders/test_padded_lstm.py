"""`padded_lstm` equals allennlp's packed `lstm` encoder with the same weights: outputs and the
gradients of the inputs and of every weight, uni- and bidirectional, 1 and 2 layers, with
garbage on padding and an empty row."""
import pytest
import torch
from allennlp.common import Params
from allennlp.modules.seq2seq_encoders import PytorchSeq2SeqWrapper, Seq2SeqEncoder

from graph_mtl.modules.seq2seq_encoders import PaddedLstmSeq2SeqEncoder
from tests.modules.helpers import random_inputs

LENGTHS = [6, 2, 5, 0, 3]


def copy_weights(packed: torch.nn.LSTM, padded: PaddedLstmSeq2SeqEncoder) -> None:
    with torch.no_grad():
        if padded._module is not None:
            padded._module.load_state_dict(packed.state_dict())
            return
        for layer, (left, right) in enumerate(zip(padded._forward_layers, padded._backward_layers)):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(left, f"{name}_l0").copy_(getattr(packed, f"{name}_l{layer}"))
                getattr(right, f"{name}_l0").copy_(getattr(packed, f"{name}_l{layer}_reverse"))


def gradients(module: torch.nn.Module):
    return {name: p.grad.clone() for name, p in module.named_parameters()}


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_equals_allennlps_packed_lstm(bidirectional, num_layers):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(4, 3, num_layers, batch_first=True, bidirectional=bidirectional).double()
    packed = PytorchSeq2SeqWrapper(lstm)
    padded = PaddedLstmSeq2SeqEncoder(4, 3, num_layers, bidirectional=bidirectional).double()
    copy_weights(lstm, padded)
    inputs, mask = random_inputs(LENGTHS, seq_len=8)  # padding (and two all-padding steps) hold noise
    weights = torch.randn(5, 8, padded.get_output_dim(), dtype=torch.float64)
    results = []
    for encoder in (packed, padded):
        x = inputs.clone().requires_grad_(True)
        output = encoder(x, mask)
        (output * weights).sum().backward()
        results.append((output.detach(), x.grad))
    assert padded.get_output_dim() == packed.get_output_dim()
    assert torch.allclose(results[0][0], results[1][0], atol=1e-12)
    assert torch.allclose(results[0][1], results[1][1], atol=1e-12)
    assert torch.all(results[1][0][~mask] == 0)
    reference = gradients(lstm)
    ours = {}
    if padded._module is not None:
        ours = {name: g for name, g in gradients(padded._module).items()}
    else:
        for layer in range(num_layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                ours[f"{name}_l{layer}"] = padded._forward_layers[layer].get_parameter(f"{name}_l0").grad
                ours[f"{name}_l{layer}_reverse"] = padded._backward_layers[layer].get_parameter(f"{name}_l0").grad
    assert set(ours) == set(reference)
    for name, gradient in reference.items():
        assert torch.allclose(gradient, ours[name], atol=1e-12), name


def test_registered_and_checks_masks():
    encoder = Seq2SeqEncoder.from_params(
        Params({"type": "padded_lstm", "input_size": 4, "hidden_size": 3, "bidirectional": True, "num_layers": 2,
                "dropout": 0.2})
    )
    assert isinstance(encoder, PaddedLstmSeq2SeqEncoder)
    assert encoder.get_input_dim() == 4 and encoder.get_output_dim() == 6 and encoder.is_bidirectional()
    inputs = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="left-aligned"):
        encoder(inputs, torch.tensor([[False, True, True], [True, True, True]]))
    assert encoder(inputs, None).shape == (2, 3, 6)
