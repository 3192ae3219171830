"""RecurrentLinear: one weight-gradient product over all steps equals per-step autograd."""
import torch

from graph_mtl.modules.recurrent_linear import RecurrentLinear


def _loop(weight, bias, h0, xs, deferred):
    linear = RecurrentLinear(weight) if deferred else None
    h = h0
    outs = []
    for t, x in enumerate(xs):
        if deferred:
            pre = linear.linear(h, x if t % 2 else bias)
        else:
            pre = torch.addmm(x if t % 2 else bias, h, weight.t())
        h = torch.tanh(pre)
        outs.append(h)
    return torch.stack(outs).pow(2).sum() + h.sum()


def test_gradients_equal_plain_autograd():
    torch.manual_seed(0)
    weight = torch.randn(5, 5, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(5, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    xs = torch.randn(6, 3, 5, dtype=torch.float64, requires_grad=True)
    params = [weight, bias, h0, xs]
    expected = torch.autograd.grad(_loop(weight, bias, h0, xs, False), params)
    got = torch.autograd.grad(_loop(weight, bias, h0, xs, True), params)
    for a, b in zip(expected, got):
        assert torch.allclose(a, b, atol=1e-12)
    # .backward() accumulation, twice (the store is emptied after each backward)
    for _ in range(2):
        _loop(weight, bias, h0, xs, True).backward()
    assert torch.allclose(weight.grad, 2 * expected[0], atol=1e-12)
    # gradient with respect to the inputs only
    (grad_h0,) = torch.autograd.grad(_loop(weight, bias, h0, xs, True), [h0])
    assert torch.allclose(grad_h0, expected[2], atol=1e-12)


def test_no_grad_is_a_plain_product():
    weight = torch.randn(4, 3)
    x = torch.randn(2, 3)
    with torch.no_grad():
        linear = RecurrentLinear(weight.requires_grad_())
        assert not linear.deferred
        assert torch.allclose(linear.linear(x), x @ weight.t())
