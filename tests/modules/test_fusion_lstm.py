"""The fusion LSTM cell (eqs. 9-11) against the equations written out with explicit tensors."""
import torch

from graph_mtl.modules.fusion_lstm import FusionLSTMCell, lstm_weights


def _setup(seed=0, input_dim=3, hidden_dim=4, message_dim=5, batch=2):
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(input_dim, hidden_dim, batch_first=True).double()
    cell = FusionLSTMCell(hidden_dim, message_dim).double()
    for parameter in cell.parameters():
        torch.nn.init.uniform_(parameter, -0.5, 0.5)
    x = torch.randn(batch, input_dim, dtype=torch.float64)
    h = torch.randn(batch, hidden_dim, dtype=torch.float64)
    c = torch.randn(batch, hidden_dim, dtype=torch.float64)
    r = torch.randn(batch, message_dim, dtype=torch.float64)
    return lstm, cell, x, h, c, r


def test_one_fusion_step_matches_the_equations():
    lstm, cell, x, h, c, r = _setup()
    H = 4
    W_ih = lstm.weight_ih_l0.detach()
    W_hh = lstm.weight_hh_l0.detach()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    W_f = cell.fusion.weight.detach()
    W_r = cell.gate_message.weight.detach()
    b_r = cell.gate_message.bias.detach()
    W_c = cell.gate_cell.weight.detach()

    expected_h = torch.empty_like(h)
    expected_c = torch.empty_like(c)
    for n in range(x.size(0)):  # one instance at a time, matrix-vector products
        z = W_ih @ x[n] + W_hh @ h[n] + b
        i = 1 / (1 + torch.exp(-z[0:H]))
        f = 1 / (1 + torch.exp(-z[H : 2 * H]))
        c_tilde = torch.tanh(z[2 * H : 3 * H])
        o = 1 / (1 + torch.exp(-z[3 * H : 4 * H]))
        c_t = f * c[n] + i * c_tilde  # eq. 10 (standard LSTM cell)
        g = 1 / (1 + torch.exp(-(W_r @ r[n] + W_c @ c_t + b_r)))  # eq. 11 fusion gate
        expected_h[n] = o * torch.tanh(c_t + g * (W_f @ r[n]))  # eq. 9
        expected_c[n] = c_t

    new_h, new_c = cell(x, (h, c), r, lstm_weights(lstm))
    assert torch.allclose(new_c, expected_c, atol=1e-12)
    assert torch.allclose(new_h, expected_h, atol=1e-12)


def test_closed_fusion_gate_is_a_plain_lstm_step():
    lstm, cell, x, h, c, r = _setup(seed=1)
    reference = torch.nn.LSTMCell(3, 4).double()
    with torch.no_grad():
        reference.weight_ih.copy_(lstm.weight_ih_l0)
        reference.weight_hh.copy_(lstm.weight_hh_l0)
        reference.bias_ih.copy_(lstm.bias_ih_l0)
        reference.bias_hh.copy_(lstm.bias_hh_l0)
    expected_h, expected_c = reference(x, (h, c))

    # g_t -> 0 with a large negative gate bias (the message itself is not zero).
    with torch.no_grad():
        cell.gate_message.bias.fill_(-1e4)
    new_h, new_c = cell(x, (h, c), r, lstm_weights(lstm))
    assert torch.allclose(new_c, expected_c, atol=1e-12)
    assert torch.allclose(new_h, expected_h, atol=1e-12)

    # r_t = 0: W_f r_t = 0 whatever the gate.
    with torch.no_grad():
        cell.gate_message.bias.fill_(0.3)
    new_h, new_c = cell(x, (h, c), torch.zeros_like(r), lstm_weights(lstm))
    assert torch.allclose(new_h, expected_h, atol=1e-12)
    # and no message at all
    new_h, new_c = cell(x, (h, c), None, lstm_weights(lstm))
    assert torch.allclose(new_h, expected_h, atol=1e-12)
    assert torch.allclose(new_c, expected_c, atol=1e-12)


def test_message_changes_the_output_not_the_cell():
    lstm, cell, x, h, c, r = _setup(seed=2)
    h0, c0 = cell(x, (h, c), None, lstm_weights(lstm))
    h1, c1 = cell(x, (h, c), r, lstm_weights(lstm))
    assert torch.equal(c0, c1)
    assert not torch.allclose(h0, h1)
