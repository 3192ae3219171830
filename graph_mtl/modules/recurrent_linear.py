"""
`RecurrentLinear`: `add + x @ W^T` inside a Python loop over time, with the gradient of W
computed once, as one large matrix multiply over all steps, instead of one small product (and
one accumulation) per step.

This is what fused RNN kernels (cuDNN, oneDNN) do for their recurrent weights. Autograd would
compute dW_t = g_t^T x_t at every step (inner dimension = batch size, a poor shape for a matrix
multiply, on CPU especially) and add it into dW. Here each step's backward only stores (x_t, g_t)
and returns the gradient of x_t; an identity node placed on W before the loop runs after all the
steps' backwards (autograd's dependency order guarantees it) and computes
dW = [g_1; ...; g_T]^T [x_1; ...; x_T] in one product.

Outside autograd (no_grad, or W not requiring a gradient) it is a plain `addmm`.
"""
from typing import List, Optional

import torch


class _Store:
    """The (x_t, g_t) pairs of one loop; cleared when the gradient of W is computed."""

    __slots__ = ("inputs", "grads")

    def __init__(self) -> None:
        self.inputs: List[torch.Tensor] = []
        self.grads: List[torch.Tensor] = []


class _CollectWeightGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, weight: torch.Tensor, store: _Store) -> torch.Tensor:
        ctx.store = store
        return weight.view_as(weight)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor):
        store = ctx.store
        if store.grads:
            total = torch.cat(store.grads).t().mm(torch.cat(store.inputs))
            grad = total if grad is None else grad + total
            store.grads.clear()
            store.inputs.clear()
        return grad, None


class _RecurrentLinearStep(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs, weight, add, store):
        ctx.store = store
        ctx.add_is_bias = add is not None and add.dim() == 1
        ctx.save_for_backward(inputs, weight)
        if add is None:
            return inputs.mm(weight.t())
        return torch.addmm(add, inputs, weight.t())

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        inputs, weight = ctx.saved_tensors
        grad_inputs = grad.mm(weight) if ctx.needs_input_grad[0] else None
        if ctx.needs_input_grad[1]:
            ctx.store.inputs.append(inputs)
            ctx.store.grads.append(grad)
        grad_add = None
        if ctx.needs_input_grad[2]:
            grad_add = grad.sum(0) if ctx.add_is_bias else grad
        return grad_inputs, None, grad_add, None


class RecurrentLinear:
    """
    Wrap a weight `(out, in)` before a loop; call `linear(x, add)` at every step.

    # Parameters

    weight : `torch.Tensor`, `(out_features, in_features)`.
    """

    def __init__(self, weight: torch.Tensor) -> None:
        self.deferred = torch.is_grad_enabled() and weight.requires_grad
        if self.deferred:
            self._store = _Store()
            self.weight = _CollectWeightGrad.apply(weight, self._store)
        else:
            self.weight = weight
            self._weight_t = weight.t()

    def linear(self, inputs: torch.Tensor, add: Optional[torch.Tensor] = None) -> torch.Tensor:
        """`add + inputs @ weight^T`; `add` is `(batch, out)`, `(out,)` or `None`."""
        if self.deferred:
            return _RecurrentLinearStep.apply(inputs, self.weight, add, self._store)
        if add is None:
            return inputs.mm(self._weight_t)
        return torch.addmm(add, inputs, self._weight_t)
