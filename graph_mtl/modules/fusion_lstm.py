"""
The fusion LSTM of the paper (eqs. 9-11): a task's LSTM that also reads an aggregated message r_t.

    i_t, f_t, o_t = sigmoid(W_{i,f,o} x_t + U_{i,f,o} h_{t-1} + b_{i,f,o})          (theta^(k))
    c~_t = tanh(W_g x_t + U_g h_{t-1} + b_g);  c_t = f_t * c_{t-1} + i_t * c~_t     (theta^(k))
    g_t = sigmoid(W_r r_t + W_c c_t + b_r)                                          (theta^(s))
    h_t = o_t * tanh(c_t + g_t * (W_f r_t))                                         (theta^(s))

The equations run in `MessagePassingLayer` (graph_mtl/modules/message_passing_layer.py: the
fused recurrence of fast_recurrence.py, or the autograd loop); this module holds their weights.
The gate weights (W, U, b) are the task's own LSTM weights, held by a `torch.nn.LSTM` so that the
same parameters also run as a plain LSTM (cuDNN / oneDNN kernel) when the task is a message
source for another task. Only W_f, W_r, W_c (and the gate bias b_r) belong to this module; they
are shared by every task of a layer and direction.

The cell state c_t is not changed by the message: only the output h_t is, so with r_t = 0 (or
g_t = 0) the fusion LSTM is exactly the plain LSTM.

The paper has no bias in g_t; `b_r` (the bias of `gate_message`) is an addition that starts at 0
under the usual initialisers and lets the gate be switched off in tests.
"""
from typing import Optional, Tuple

import torch


LstmWeights = Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]


def lstm_weights(lstm: torch.nn.LSTM, layer: int = 0, suffix: str = "") -> LstmWeights:
    """`(weight_ih, weight_hh, bias_ih, bias_hh)` of one layer/direction of a `torch.nn.LSTM`."""
    name = f"l{layer}{suffix}"
    return (
        getattr(lstm, f"weight_ih_{name}"),
        getattr(lstm, f"weight_hh_{name}"),
        getattr(lstm, f"bias_ih_{name}", None),
        getattr(lstm, f"bias_hh_{name}", None),
    )


class FusionWeights(torch.nn.Module):
    """
    The shared part (theta^(s)) of the fusion LSTM: W_f, W_r, W_c and the gate bias.

    # Parameters

    hidden_dim : `int`
        Size of h_t and c_t of the task LSTMs.
    message_dim : `int`
        Size of the aggregated message r_t.

    # Attributes

    `fusion` (W_f, `message_dim -> hidden_dim`, no bias), `gate_message` (W_r with bias b_r),
    `gate_cell` (W_c, no bias).
    """

    def __init__(self, hidden_dim: int, message_dim: int) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.message_dim = message_dim
        self.fusion = torch.nn.Linear(message_dim, hidden_dim, bias=False)
        self.gate_message = torch.nn.Linear(message_dim, hidden_dim, bias=True)
        self.gate_cell = torch.nn.Linear(hidden_dim, hidden_dim, bias=False)
        torch.nn.init.zeros_(self.gate_message.bias)

    def message_weight(self) -> torch.Tensor:
        """`[W_f; W_r]`, `(2 * hidden_dim, message_dim)`: both products with r_t in one matmul."""
        return torch.cat([self.fusion.weight, self.gate_message.weight], dim=0)
