"""benchmarks/grouped_lstm.py: the grouped (bmm) LSTMs compute what K nn.LSTMs compute, forward
and gradients, and the script runs on a tiny case."""
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from benchmarks import grouped_lstm  # noqa: E402


def test_grouped_equals_separate_forward_and_gradients():
    torch.manual_seed(3)
    lstms, weights = grouped_lstm.build(3, 5, torch.device("cpu"), torch.float64)
    inputs = torch.randn(2, 6, 5, dtype=torch.float64, requires_grad=True)
    loss_weights = torch.randn(3, 2, 6, 5, dtype=torch.float64)
    separate = grouped_lstm.separate(lstms, inputs)
    grouped = grouped_lstm.grouped(weights, inputs)
    assert torch.allclose(separate, grouped, atol=1e-12)
    grad_separate = torch.autograd.grad((separate * loss_weights).sum(), [inputs] + [lstms[1].weight_hh_l0])
    grad_grouped = torch.autograd.grad((grouped * loss_weights).sum(), [inputs, weights[1]])
    assert torch.allclose(grad_separate[0], grad_grouped[0], atol=1e-12)
    # weights[1] holds W_hh transposed per LSTM
    assert torch.allclose(grad_separate[1], grad_grouped[1][1].t(), atol=1e-12)


def test_script_runs(capsys):
    assert grouped_lstm.main(["--k", "2", "--t", "3", "--batch", "2", "--hidden", "4", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "2 x nn.LSTM" in out and "grouped / separate" in out
