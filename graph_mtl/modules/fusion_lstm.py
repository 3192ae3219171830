"""
The fusion LSTM of the paper (eqs. 9-11): a task's LSTM that also reads an aggregated message r_t.

    i_t, f_t, o_t = sigmoid(W_{i,f,o} x_t + U_{i,f,o} h_{t-1} + b_{i,f,o})          (theta^(k))
    c~_t = tanh(W_g x_t + U_g h_{t-1} + b_g);  c_t = f_t * c_{t-1} + i_t * c~_t     (theta^(k))
    g_t = sigmoid(W_r r_t + W_c c_t + b_r)                                          (theta^(s))
    h_t = o_t * tanh(c_t + g_t * (W_f r_t))                                         (theta^(s))

The gate weights (W, U, b) are the task's own LSTM weights, held by a `torch.nn.LSTM` so that the
same parameters also run as a plain LSTM (cuDNN / oneDNN kernel) when the task is a message
source for another task. Only W_f, W_r, W_c (and the gate bias b_r) belong to this module; they
are shared by every task of a layer and direction.

The cell state c_t is not changed by the message: only the output h_t is, so with r_t = 0 (or
g_t = 0) the fusion LSTM is exactly the plain LSTM.

The paper has no bias in g_t; `b_r` (the bias of `gate_message`) is an addition: 0 when built
(the training configs' uniform initializer draws it like every other parameter); tests use it
to switch the gate off.

## The recurrence

`fusion_recurrence` runs the fusion LSTM of one task group as one `torch.autograd.Function` with
a hand-written backward pass (BPTT). It is the only recurrence: r_t comes from the target's
aggregator through an `AggregatorSteps` object, which computes r_t from h_{t-1} in the forward
loop and, in the reverse loop, turns d r_t into d h_{t-1} and the gradients of what it read. An
aggregator's `fast_steps` gives hand-written steps (the built-in ones do); otherwise
`AutogradSteps` differentiates its `step` by autograd one step at a time (each step's graph
recorded in the forward loop, or, with the aggregator's `recompute_steps`, run again in the
backward loop as activation checkpointing does).

* forward: a loop writing into preallocated time-major `(seq_len, batch, ...)` buffers (step t is
  a contiguous block; most results go straight into their buffer with `out=`);
* backward: the factors of the chain rule that do not depend on the incoming gradient
  (o (1 - tanh(y)^2), g i (1 - i), ...) are computed for all steps at once, then one reverse loop
  multiplies them by the running gradients (about a dozen operations per step, plus the
  aggregator's); the weight gradients (U, W_c, [W_f; W_r], b_r) are one matmul each over all
  steps after the loop.

What autograd differentiates outside the Function, once per sentence: the input-to-hidden
products of all steps (one matmul, by the caller) and whatever the aggregator prepares (its
`AggregatorSteps.tensors`). The tests compare the hand-written steps, `AutogradSteps` and the
step-by-step reference of tests/modules/reference.py in float64, forward and gradients.
"""
from typing import Any, List, Optional, Sequence, Tuple

import torch
from torch.utils import _pytree as pytree

LstmWeights = Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def lstm_weights(lstm: torch.nn.LSTM) -> LstmWeights:
    """`(weight_ih, weight_hh, bias_ih, bias_hh)` of a one-layer `torch.nn.LSTM` (with biases: the
    node LSTMs are built with them)."""
    return lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0


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
        self.hidden_dim, self.message_dim = hidden_dim, message_dim
        self.fusion = torch.nn.Linear(message_dim, hidden_dim, bias=False)
        self.gate_message = torch.nn.Linear(message_dim, hidden_dim, bias=True)
        self.gate_cell = torch.nn.Linear(hidden_dim, hidden_dim, bias=False)
        torch.nn.init.zeros_(self.gate_message.bias)

    def message_parameters(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """`[W_f; W_r]` `(2 * hidden_dim, message_dim)` and `[0; b_r]` `(2 * hidden_dim,)`: both
        products with r_t in one matmul."""
        bias = self.gate_message.bias
        return (torch.cat([self.fusion.weight, self.gate_message.weight], dim=0),
                torch.cat([bias.new_zeros(self.hidden_dim), bias]))


class AggregatorSteps:
    """
    The per-step work of a target's aggregator inside `fusion_recurrence`.

    `tensors` are the differentiable inputs it reads (prepared once per sentence under autograd:
    keys, messages, weights); the recurrence passes them through its `torch.autograd.Function` and
    hands back their gradients from `gradients`. In the forward loop `forward(t, hidden)` gets
    h_{t-1} and returns `(r_t, weights or None)`; in the reverse loop `backward(t, hidden,
    grad_message, grad_weights)` gets h_{t-1} again, d r_t and the gradient of step t's weights
    (`None` unless a loss reads them, such as the encoder's `attention_entropy`) and returns
    d h_{t-1} (or `None` when r_t does not depend on it). Both run without autograd.
    """

    tensors: Sequence[torch.Tensor] = ()

    def forward(self, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        raise NotImplementedError

    def backward(self, timestep: int, hidden: torch.Tensor, grad_message: torch.Tensor,
                 grad_weights: Optional[torch.Tensor] = None) -> Optional[torch.Tensor]:
        raise NotImplementedError

    def gradients(self, hiddens: torch.Tensor, grad_messages: torch.Tensor) -> List[Optional[torch.Tensor]]:
        """After the reverse loop: the gradients of `tensors`, given h_{t-1} and d r_t of every
        step, `(seq_len, batch, ...)` each."""
        raise NotImplementedError


class AutogradSteps(AggregatorSteps):
    """
    Any aggregator through its `prepare` / `step`, differentiated by autograd one step at a time:
    `step` runs on detached copies of h_{t-1}, of the tensors of `prepared` (in nested tuples,
    lists, dicts) and of the aggregator's parameters (in their places for the call, through
    `torch.func.functional_call` and the aggregator's `forward`, which is its `step`), whose
    gradients the recurrence hands back as its own.

    By default each step's small graph is recorded in the forward loop and differentiated in the
    backward loop. With the aggregator's `recompute_steps = True` the forward loop runs `step`
    without autograd and the backward loop runs it again under autograd (as activation
    checkpointing does): memory per step instead of per sentence, for steps whose intermediate
    tensors are large (attention over every position), at the price of a second forward. A
    recomputed r_t that differs from the forward one (randomness inside `step`) is a
    `RuntimeError`. In inference (no gradient needed) nothing is recorded.
    """

    def __init__(self, aggregator: torch.nn.Module, prepared: Any) -> None:
        self.aggregator = aggregator
        self.prepared = prepared
        leaves, self.spec = pytree.tree_flatten(prepared)
        self.positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, torch.Tensor)]
        # the trainable parameters (each once, by its first name), put in place by functional_call
        named = [(name, parameter) for name, parameter in aggregator.named_parameters() if parameter.requires_grad]
        self.names = [name for name, _ in named]
        self.tensors = [leaves[i] for i in self.positions] + [parameter for _, parameter in named]
        # r_t may depend on h_{t-1} (which needs a gradient) even when nothing it reads does
        self.record = torch.is_grad_enabled()
        self.recompute = bool(getattr(aggregator, "recompute_steps", False))
        self.leaves: Optional[List[torch.Tensor]] = None
        self.prepared_leaves: Any = None
        # per step: (r_t, weights, h_{t-1} leaf) with their graph, or r_t alone to check a recomputation
        self.steps: List[Any] = []

    def _run_step(self, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor], torch.Tensor]:
        """`step` under autograd on the leaves; returns `(r_t, weights, h_{t-1} leaf)`."""
        if self.leaves is None:  # detached copies whose .grad sums over the steps
            self.leaves = [tensor.detach().requires_grad_(tensor.requires_grad) for tensor in self.tensors]
            prepared = pytree.tree_leaves(self.prepared)
            for i, leaf in zip(self.positions, self.leaves):
                prepared[i] = leaf
            self.prepared_leaves = pytree.tree_unflatten(prepared, self.spec)
        parameters = dict(zip(self.names, self.leaves[len(self.positions):]))
        with torch.enable_grad():
            # a copy: the recurrence writes h_t into the buffer h_{t-1} is a view of
            hidden = hidden.detach().clone().requires_grad_()
            message, weights = torch.func.functional_call(
                self.aggregator, parameters, (self.prepared_leaves, timestep, hidden))
        return message, weights, hidden

    def forward(self, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        if self.record and not self.recompute:
            message, weights, hidden_leaf = self._run_step(timestep, hidden)
            self.steps.append((message, weights, hidden_leaf))
            return message.detach(), None if weights is None else weights.detach()
        message, weights = self.aggregator.step(self.prepared, timestep, hidden)
        if self.record:  # to check the recomputation
            self.steps.append(message)
        return message, weights

    def backward(self, timestep: int, hidden: torch.Tensor, grad_message: torch.Tensor,
                 grad_weights: Optional[torch.Tensor] = None) -> Optional[torch.Tensor]:
        if self.recompute:
            message, weights, hidden = self._run_step(timestep, hidden)
            if not torch.allclose(message.detach(), self.steps[timestep], rtol=1e-4, atol=1e-6):
                raise RuntimeError(
                    f"aggregator {type(self.aggregator).__name__}: step({timestep}) gave another r_t "
                    "when recomputed for the backward pass; with recompute_steps, step() must be a "
                    "deterministic function of its arguments (apply dropout in prepare())"
                )
        else:
            message, weights, hidden = self.steps[timestep]
            hidden.grad = None
        outputs, grads = [message], [grad_message]
        if grad_weights is not None and weights is not None:
            outputs.append(weights)
            grads.append(grad_weights)
        pairs = [(output, grad) for output, grad in zip(outputs, grads) if output.requires_grad]
        if not pairs:
            return None
        # retain_graph: a second backward pass through the recurrence (retain_graph=True outside)
        # needs the step's graph again; it is freed with the recurrence's own graph
        torch.autograd.backward([output for output, _ in pairs], [grad for _, grad in pairs],
                                retain_graph=not self.recompute)
        return hidden.grad

    def gradients(self, hiddens: torch.Tensor, grad_messages: torch.Tensor) -> List[Optional[torch.Tensor]]:
        if self.leaves is None:
            return [None] * len(self.tensors)
        grads = [leaf.grad for leaf in self.leaves]
        for leaf in self.leaves:  # a second backward pass starts from zero
            leaf.grad = None
        return grads


class _FusionRecurrence(torch.autograd.Function):
    """
    Inputs: `steps` (the aggregator's `AggregatorSteps`, not differentiable), input_gates
    `(B, T, 4H)` (W x_t + b for every step), weight_hh `(4H, H)`, message_weight `(2H, M)`
    ([W_f; W_r]), message_bias `(2H,)` ([0; b_r]), weight_c `(H, H)`, then `steps.tensors`.
    Returns `(hidden (B, T, H), weights)`: the aggregator's weights stacked over the steps,
    `(B, T, entries)` (differentiable: a loss may read them), or an empty tensor when it returns
    none.
    """

    @staticmethod
    def forward(ctx, steps, input_gates, weight_hh, message_weight, message_bias, weight_c, *tensors):
        batch, seq_len, four_h = input_gates.shape
        hidden_dim = four_h // 4
        new = lambda *shape: input_gates.new_empty(shape)  # noqa: E731
        gates_in = input_gates.transpose(0, 1)  # (T, B, 4H), a view
        hiddens = input_gates.new_zeros(seq_len + 1, batch, hidden_dim)  # h_0 = 0, then h_1 .. h_T
        cells = input_gates.new_zeros(seq_len + 1, batch, hidden_dim)  # c_0 = 0, ...
        acts = new(seq_len, batch, four_h)  # sigmoid(i, f, o) and tanh(g)
        gates_fused = new(seq_len, batch, hidden_dim)  # g_t (fusion gate)
        projected_messages = new(seq_len, batch, 2 * hidden_dim)  # [W_f r_t; W_r r_t + b_r]
        tanh_y = new(seq_len, batch, hidden_dim)
        messages = new(seq_len, batch, message_weight.size(1))  # r_t
        weight_hh_t, message_weight_t, weight_c_t = weight_hh.t(), message_weight.t(), weight_c.t()
        all_weights = []
        for t in range(seq_len):
            h, c = hiddens[t], cells[t]
            gates = torch.addmm(gates_in[t], h, weight_hh_t)
            act = acts[t]
            torch.sigmoid(gates, out=act)
            cell_gate = act[:, 2 * hidden_dim : 3 * hidden_dim]
            torch.tanh(gates[:, 2 * hidden_dim : 3 * hidden_dim], out=cell_gate)
            c = torch.addcmul(act[:, hidden_dim : 2 * hidden_dim] * c, act[:, :hidden_dim], cell_gate,
                              out=cells[t + 1])
            message, weights = steps.forward(t, h)
            messages[t].copy_(message)
            if weights is not None:
                all_weights.append(weights)
            projected = torch.addmm(message_bias, message, message_weight_t, out=projected_messages[t])
            gate = torch.addmm(projected[:, hidden_dim:], c, weight_c_t, out=gates_fused[t]).sigmoid_()
            y = torch.addcmul(c, gate, projected[:, :hidden_dim], out=tanh_y[t]).tanh_()
            torch.mul(act[:, 3 * hidden_dim :], y, out=hiddens[t + 1])
        ctx.steps = steps
        ctx.set_materialize_grads(False)  # an output no loss reads gets None, not zeros
        ctx.save_for_backward(weight_hh, message_weight, weight_c, hiddens, cells, acts, gates_fused,
                              projected_messages, tanh_y, messages)
        if all_weights:
            weights_out = torch.stack(all_weights, dim=1)
        else:
            weights_out = input_gates.new_zeros(0)
            ctx.mark_non_differentiable(weights_out)
        return hiddens[1:].transpose(0, 1).contiguous(), weights_out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_hiddens, grad_weights):
        steps = ctx.steps
        (weight_hh, message_weight, weight_c, hiddens, cells, acts, gates_fused, projected_messages,
         tanh_y, messages) = ctx.saved_tensors
        seq_len, batch, four_h = acts.shape
        hidden_dim = four_h // 4
        if grad_hiddens is None:
            grad_hiddens = acts.new_zeros(acts.size(1), acts.size(0), acts.size(2) // 4)
        grad_hiddens = grad_hiddens.transpose(0, 1)  # (T, B, H), a view
        new = lambda *shape: acts.new_empty(shape)  # noqa: E731

        # Factors of the chain rule that do not depend on the incoming gradient, all steps.
        in_gate, forget_gate, cell_gate, out_gate = acts.split(hidden_dim, dim=-1)
        gate = gates_fused
        factor_y = out_gate * (1 - tanh_y * tanh_y)  # dh/dy
        factor_out = tanh_y * out_gate * (1 - out_gate)  # dh/d(pre-activation of o)
        # d[W_f r; W_r r + W_c c + b_r] = dy * [g; W_f r * g (1 - g)]
        factor_projected = torch.stack(
            [gate, projected_messages[..., :hidden_dim] * gate * (1 - gate)], dim=2
        )  # (T, B, 2, H)
        # d(pre-activations of i, f, g) = dc * [g i (1 - i); c_{t-1} f (1 - f); i (1 - g^2)]
        factor_cell = torch.stack(
            [cell_gate * in_gate * (1 - in_gate), cells[:-1] * forget_gate * (1 - forget_gate),
             in_gate * (1 - cell_gate * cell_gate)],
            dim=2,
        )  # (T, B, 3, H)

        grad_gates = new(seq_len, batch, four_h)  # d(pre-activations of the gates)
        grad_projected = new(seq_len, batch, 2 * hidden_dim)
        grad_messages = new(seq_len, batch, messages.size(-1))  # d r_t
        grad_h = acts.new_zeros(batch, hidden_dim)
        grad_c = acts.new_zeros(batch, hidden_dim)
        for t in range(seq_len - 1, -1, -1):
            grad_h.add_(grad_hiddens[t])
            grad_y = grad_h * factor_y[t]
            grad_proj = grad_projected[t]
            torch.mul(grad_y.unsqueeze(1), factor_projected[t], out=grad_proj.view(batch, 2, hidden_dim))
            grad_c = torch.addmm(grad_c.add_(grad_y), grad_proj[:, hidden_dim:], weight_c)
            grad_r = torch.mm(grad_proj, message_weight, out=grad_messages[t])
            grad_gate = grad_gates[t]
            torch.mul(grad_c.unsqueeze(1), factor_cell[t],
                      out=grad_gate[:, : 3 * hidden_dim].view(batch, 3, hidden_dim))
            torch.mul(grad_h, factor_out[t], out=grad_gate[:, 3 * hidden_dim :])
            grad_c.mul_(forget_gate[t])
            grad_h = torch.mm(grad_gate, weight_hh)
            grad_from_message = steps.backward(
                t, hiddens[t], grad_r, None if grad_weights is None else grad_weights[:, t]
            )
            if grad_from_message is not None:
                grad_h.add_(grad_from_message)

        # Weight gradients: one matmul each over all steps.
        flat = lambda tensor: tensor.reshape(-1, tensor.size(-1))  # noqa: E731
        hiddens_prev = hiddens[:-1]
        grad_weight_hh = flat(grad_gates).t().mm(flat(hiddens_prev))
        grad_projected_flat = flat(grad_projected)
        grad_message_weight = grad_projected_flat.t().mm(flat(messages))
        grad_message_bias = grad_projected_flat.sum(0)
        grad_weight_c = grad_projected_flat[:, hidden_dim:].t().mm(flat(cells[1:]))
        return (None, grad_gates.transpose(0, 1), grad_weight_hh, grad_message_weight, grad_message_bias,
                grad_weight_c, *steps.gradients(hiddens_prev, grad_messages))


def fusion_recurrence(
    steps: AggregatorSteps, input_gates: torch.Tensor, weight_hh: torch.Tensor, message_weight: torch.Tensor,
    message_bias: torch.Tensor, weight_c: torch.Tensor,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """
    The fusion LSTM of one task group with r_t from `steps`: `(hidden (B, T, H), weights
    (B, T, entries) or None)`.

    # Parameters

    steps : `AggregatorSteps`
        The target's aggregator's part of each step.
    input_gates : `(B, T, 4H)`
        W x_t + b for every step (one matmul over the sentence; the task LSTM's `weight_ih`,
        `bias_ih + bias_hh`).
    weight_hh : `(4H, H)`
        U, the task LSTM's `weight_hh`.
    message_weight, message_bias : `(2H, M)`, `(2H,)`
        [W_f; W_r] and [0; b_r] (`FusionWeights.message_parameters`).
    weight_c : `(H, H)`
        W_c.
    """
    hidden, weights = _FusionRecurrence.apply(
        steps, input_gates, weight_hh, message_weight, message_bias, weight_c, *steps.tensors
    )
    return hidden, (weights if weights.dim() > 1 else None)
