"""The fusion LSTM (eqs. 9-11) as `MessagePassingLayer` runs it (the aggregator's hand-written
steps and `AutogradSteps`), against the equations written out with explicit tensors, one instance
and one step at a time."""
import pytest
import torch

from graph_mtl.modules.aggregators import MeanAggregator
from graph_mtl.modules.fusion_lstm import FusionWeights, lstm_weights
from graph_mtl.modules.message_passing_layer import Group, MessagePassingLayer
from graph_mtl.modules.topologies import Topology
from tests.modules.helpers import use_step_versions

INPUT_DIM, HIDDEN_DIM, BATCH, STEPS = 3, 4, 2, 3


class _AReadsB(Topology):
    """Task a reads task b (r_t = h_t^(b), the mean of one source); b reads nothing."""

    def sources(self, target, tasks):
        return ["b"] if target == "a" else []

    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        return MeanAggregator()


def _setup(steps: str, seed: int = 0):
    torch.manual_seed(seed)
    layer = use_step_versions(MessagePassingLayer(["a", "b"], _AReadsB(), INPUT_DIM, HIDDEN_DIM).double(), steps)
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.uniform_(-0.5, 0.5)
    inputs = torch.randn(BATCH, STEPS, INPUT_DIM, dtype=torch.float64)
    mask = torch.ones(BATCH, STEPS, dtype=torch.bool)
    return layer, inputs, mask


def _task_a(layer, inputs, mask):
    output, _ = layer(inputs, mask, [Group("a", 0, BATCH, STEPS)])
    return output


def _sigmoid(z):
    return 1 / (1 + torch.exp(-z))


def _expected(layer, inputs):
    """Eqs. 9-11 from h_0 = c_0 = 0, matrix-vector products, r_t = h_t^(b) (b's plain LSTM)."""
    H = HIDDEN_DIM
    W_ih, W_hh, b_ih, b_hh = (w.detach() for w in lstm_weights(layer.nodes["a"]))
    W_f = layer.fusion.fusion.weight.detach()
    W_r = layer.fusion.gate_message.weight.detach()
    b_r = layer.fusion.gate_message.bias.detach()
    W_c = layer.fusion.gate_cell.weight.detach()
    messages = layer.nodes["b"](inputs)[0].detach()
    expected = torch.empty(BATCH, STEPS, H, dtype=torch.float64)
    for n in range(BATCH):
        h = torch.zeros(H, dtype=torch.float64)
        c = torch.zeros(H, dtype=torch.float64)
        for t in range(STEPS):
            z = W_ih @ inputs[n, t] + W_hh @ h + b_ih + b_hh
            i, f, o = _sigmoid(z[0:H]), _sigmoid(z[H : 2 * H]), _sigmoid(z[3 * H : 4 * H])
            c = f * c + i * torch.tanh(z[2 * H : 3 * H])  # eq. 10 (the standard LSTM cell)
            r = messages[n, t]
            g = _sigmoid(W_r @ r + W_c @ c + b_r)  # eq. 11, the fusion gate
            h = o * torch.tanh(c + g * (W_f @ r))  # eq. 9
            expected[n, t] = h
    return expected


@pytest.mark.parametrize("steps", ["fused", "autograd"])
def test_the_layer_computes_the_fusion_equations(steps):
    layer, inputs, mask = _setup(steps)
    assert torch.allclose(_task_a(layer, inputs, mask), _expected(layer, inputs), atol=1e-12)


@pytest.mark.parametrize("steps", ["fused", "autograd"])
def test_closed_gate_or_zero_message_is_the_plain_lstm(steps):
    layer, inputs, mask = _setup(steps, seed=1)
    plain = layer.nodes["a"](inputs)[0]
    assert not torch.allclose(_task_a(layer, inputs, mask), plain)  # the message matters...
    with torch.no_grad():  # ... until g_t -> 0 (a large negative gate bias; r_t itself is not 0)
        layer.fusion.gate_message.bias.fill_(-1e4)
    assert torch.allclose(_task_a(layer, inputs, mask), plain, atol=1e-12)
    with torch.no_grad():  # or r_t = 0 (task b's LSTM outputs 0), whatever the gate
        layer.fusion.gate_message.bias.fill_(0.3)
        layer.nodes["b"].weight_ih_l0.zero_()
        layer.nodes["b"].weight_hh_l0.zero_()
        layer.nodes["b"].bias_ih_l0.fill_(-1e4)  # o_t = 0, so h_t^(b) = 0
    assert torch.allclose(_task_a(layer, inputs, mask), plain, atol=1e-12)


def test_fusion_weights_shapes_and_the_stacked_message_parameters():
    weights = FusionWeights(HIDDEN_DIM, 5)
    assert weights.fusion.weight.shape == (HIDDEN_DIM, 5) and weights.fusion.bias is None
    assert weights.gate_cell.weight.shape == (HIDDEN_DIM, HIDDEN_DIM) and weights.gate_cell.bias is None
    assert torch.equal(weights.gate_message.bias, torch.zeros(HIDDEN_DIM))  # b_r starts closed-neutral
    with torch.no_grad():
        weights.gate_message.bias.uniform_()
    stacked, bias = weights.message_parameters()
    assert torch.equal(stacked, torch.cat([weights.fusion.weight, weights.gate_message.weight]))
    # [0; b_r]: no bias on W_f r_t (eq. 11), b_r on the gate's W_r r_t (eq. 10)
    assert torch.equal(bias, torch.cat([torch.zeros(HIDDEN_DIM), weights.gate_message.bias]))
