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

This module holds the weights (`FusionWeights`; the gate weights are the task nodes' `nn.LSTM`s,
read with `lstm_weights`) and the fused recurrence that computes the equations.

## The fused recurrence

`fused_mean`, `fused_sources` and `fused_positions` run the fusion LSTM of one task group with a
hand-written backward pass (BPTT): the kernels that the built-in aggregators' `fused_recurrence`
call (with their own keys), which `MessagePassingLayer` uses with `recurrence="fused"` (its
default).

`MessagePassingLayer._autograd_recurrence` runs eqs. 3-11 as a Python loop of autograd ops: every
step records ~20 autograd nodes, the backward replays them one by one, and IC-MTL's attention
allocates and accumulates a `(batch, positions, attention_dim)` gradient per step. Here the whole
recurrence of one task group is one `torch.autograd.Function`:

* forward: the same loop, writing into preallocated time-major `(seq_len, batch, ...)` buffers
  (step t is a contiguous block; most results are written there directly with `out=`), with the
  two products with h_{t-1} (U h_{t-1} of the LSTM gates and W_h h_{t-1} of the attention query)
  as one matmul against `[U; W_h]`;
* backward: the factors of the chain rule that do not depend on the incoming gradient
  (o (1 - tanh(y)^2), g i (1 - i), ...) are computed for all steps at once, then one reverse loop
  multiplies them by the running gradients (about a dozen operations per step, plus the
  attention's); the weight gradients (U, W_h, W_c, [W_f; W_r], b_r) are one matmul each over all
  steps after the loop, the gradient of the attention keys is accumulated in place, and
  `dh_{t-1}` is one matmul against `[U; W_h]`;
* additive attention: u^T tanh(a) is computed as (2u)^T sigmoid(2a) - sum(u) and the constant is
  dropped inside the softmax (softmax is shift-invariant). On CPU `sigmoid` is several times
  faster than `tanh` (vectorised exp), and tanh'(a) = 4 s (1 - s) with s = sigmoid(2a). The
  caller doubles the key and query weights (2 W_m, 2 W_x: a 200 x 200 product) so that 2a needs
  no pass over the keys. The attention energies of a step are stored when all steps fit in
  `ENERGY_BUDGET_BYTES` (32 MiB by default), else recomputed in the backward pass: IC-MTL's are
  `O(batch * seq_len^2 * attention_dim)`, and on CPU recomputing a step's energies
  (cache-resident keys) was faster than writing them all out and reading them back (IC-MTL
  B=64, T=32: 154 vs 173 ms per training step);
* IC-MTL's d(beta) = dr . h_i^(s) is a row vector times the memory transposed once per sentence
  to `(B, M, N)`: on CPU, `bmm` of `(B, N, M)` by `(B, M, 1)` runs 7-10x slower than `bmm` of
  `(B, 1, M)` by `(B, M, N)`.

What is differentiated by autograd outside the Function, once per sentence: the input-to-hidden
products of all steps (one matmul, `fusion_inputs`), the aggregators' (doubled) attention keys
2 (W_x x_t + W_m h^(i)) (DC-MTL) or 2 W_m h_i^(s) and 2 W_x x_t (IC-MTL), and the mean message
(`MeanAggregator`).

Results equal `MessagePassingLayer._autograd_recurrence` up to floating-point rounding (the tests
compare both and the step-by-step reference of tests/modules/reference.py in float64, forward
and gradients). Aggregators of other types (plugins' own) run on the autograd loop.
"""
from typing import NamedTuple, Optional, Tuple

import torch
from torch.nn import functional as F

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


# Store the attention energies of every step when they take at most this much memory.
ENERGY_BUDGET_BYTES = 32 * 2**20

_MEAN, _SOURCES, _POSITIONS = 0, 1, 2


class _FusedFusionRecurrence(torch.autograd.Function):
    """
    Inputs (all differentiable except `mode`, `padding` and `store_energy`):

    input_gates `(B, T, 4H)` (W x_t + b for every step), weight_hh `(4H, H)`,
    message_weight `(2H, M)` ([W_f; W_r]), message_bias `(2H,)` ([0; b_r]), weight_c `(H, H)`,
    then by mode:

    * mean: messages `(B, T, M)` (r_t itself);
    * sources: keys `(B, T, S, A)`, messages `(B, T, S, M)`, weight_h `(A, H)`, vector `(A,)`;
    * positions: keys `(B, N, A)`, memory `(B, N, M)`, queries `(B, T, A)`, weight_h, vector,
      with `padding` `(B, N)` True on masked positions.

    The keys (and the positions' queries W_x x_t) come in **doubled**: 2 (W_x x_t + W_m h_t^(i)),
    2 W_m h_i^(s), 2 W_x x_t, so that s = sigmoid(2 (k + q)) needs no extra pass (the caller
    doubles the 200 x 200 weights instead of a `(B, T, S, A)` tensor); their gradients are
    returned for the doubled tensors.

    Returns `(hidden (B, T, H), weights)`; weights (attention, not differentiable) is
    `(B, T, S)` / `(B, T, N)`, or an empty tensor for mean.

    Internally every per-step buffer is time-major, `(T, B, ...)`, so that step t reads and
    writes contiguous blocks and most results go straight into their buffer (`out=`) instead of
    being copied there. The backward pass first computes, for all steps at once, the factors of
    the chain rule that do not depend on the incoming gradient (o (1 - tanh(y)^2), the gate
    derivatives times their partners, ...); the reverse loop then multiplies them by the running
    gradients, about a dozen operations per step.
    """

    @staticmethod
    def forward(ctx, mode, store_energy, padding, input_gates, weight_hh, message_weight,
                message_bias, weight_c, *agg):
        batch, seq_len, four_h = input_gates.shape
        hidden_dim = four_h // 4
        dtype, device = input_gates.dtype, input_gates.device
        new = lambda *shape: torch.empty(*shape, dtype=dtype, device=device)  # noqa: E731
        gates_in = input_gates.transpose(0, 1).contiguous()  # (T, B, 4H)
        hiddens = new(seq_len, batch, hidden_dim)
        cells = new(seq_len, batch, hidden_dim)
        acts = new(seq_len, batch, four_h)  # sigmoid(i, f, o) and tanh(g)
        gates_fused = new(seq_len, batch, hidden_dim)  # g_t (fusion gate)
        projected_messages = new(seq_len, batch, 2 * hidden_dim)  # [W_f r_t; W_r r_t + b_r]
        tanh_y = new(seq_len, batch, hidden_dim)
        message_weight_t = message_weight.t()
        weight_c_t = weight_c.t()
        h = input_gates.new_zeros(batch, hidden_dim)
        c = input_gates.new_zeros(batch, hidden_dim)
        energies = None
        if mode == _MEAN:
            (r_all,) = agg
            messages_tm = r_all.transpose(0, 1)  # (T, B, M), a view
            recurrent_t = weight_hh.t()
        else:
            keys, memory = agg[0], agg[1]
            weight_h, vector = agg[-2], agg[-1]
            attention_dim = vector.size(0)
            recurrent_t = torch.cat([weight_hh, weight_h], dim=0).t()  # (H, 4H + A)
            vector2 = (2 * vector).unsqueeze(-1)  # (A, 1)
            messages_tm = new(seq_len, batch, memory.size(-1))  # r_t
            queries_tm = new(seq_len, batch, attention_dim)  # 2 (W_h h_{t-1} (+ W_x x_t))
            keys2 = keys  # doubled by the caller
            if mode == _SOURCES:
                entries = keys.size(2)
            else:
                entries = keys.size(1)
                queries_x2 = agg[2].transpose(0, 1)  # (T, B, A), a view; doubled by the caller
                fill = torch.finfo(dtype).min
            weights_tm = new(seq_len, batch, entries)
            if store_energy:
                energies = new(seq_len, batch, entries, attention_dim)
            else:
                energy = new(batch, entries, attention_dim)
        for t in range(seq_len):
            projected = torch.mm(h, recurrent_t)
            gates = projected[:, :four_h].add_(gates_in[t])
            act = acts[t]
            torch.sigmoid(gates, out=act)
            cell_gate = act[:, 2 * hidden_dim : 3 * hidden_dim]
            torch.tanh(gates[:, 2 * hidden_dim : 3 * hidden_dim], out=cell_gate)
            c = torch.addcmul(act[:, hidden_dim : 2 * hidden_dim] * c, act[:, :hidden_dim], cell_gate,
                              out=cells[t])
            if mode == _MEAN:
                r = messages_tm[t]
            else:
                query2 = queries_tm[t]
                if mode == _SOURCES:
                    torch.mul(projected[:, four_h:], 2, out=query2)
                    key2 = keys2[:, t]
                else:
                    torch.add(queries_x2[t], projected[:, four_h:], alpha=2, out=query2)
                    key2 = keys2
                # s = sigmoid(2 (k + q)); tanh(k + q) = 2 s - 1.
                e = energies[t] if energies is not None else energy
                torch.add(key2, query2.unsqueeze(1), out=e).sigmoid_()
                scores = torch.matmul(e, vector2).squeeze(-1)  # (B, entries), up to a constant
                if mode == _POSITIONS:
                    scores = scores.masked_fill_(padding, fill)
                weights = weights_tm[t]
                weights.copy_(torch.softmax(scores, dim=-1))
                source = memory[:, t] if mode == _SOURCES else memory
                r = messages_tm[t]
                torch.bmm(weights.unsqueeze(1), source, out=r.unsqueeze(1))
            projected_message = torch.addmm(message_bias, r, message_weight_t, out=projected_messages[t])
            gate = torch.addmm(projected_message[:, hidden_dim:], c, weight_c_t, out=gates_fused[t]).sigmoid_()
            y = torch.addcmul(c, gate, projected_message[:, :hidden_dim], out=tanh_y[t]).tanh_()
            h = torch.mul(act[:, 3 * hidden_dim :], y, out=hiddens[t])
        ctx.mode = mode
        ctx.store_energy = store_energy
        saved = [weight_hh, message_weight, weight_c, hiddens, cells, acts, gates_fused,
                 projected_messages, tanh_y, messages_tm]
        if mode != _MEAN:
            saved += [weights_tm, queries_tm, keys2]
            if energies is not None:
                saved.append(energies)
        ctx.save_for_backward(*saved, *agg)
        if mode == _MEAN:
            weights_out = input_gates.new_zeros(0)
        else:
            weights_out = weights_tm.transpose(0, 1).contiguous()
        ctx.mark_non_differentiable(weights_out)
        return hiddens.transpose(0, 1).contiguous(), weights_out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_hiddens, _grad_weights):
        mode = ctx.mode
        saved = list(ctx.saved_tensors)
        (weight_hh, message_weight, weight_c, hiddens, cells, acts, gates_fused,
         projected_messages, tanh_y, messages_tm) = saved[:10]
        rest = saved[10:]
        seq_len, batch, hidden_dim = hiddens.shape
        four_h = 4 * hidden_dim
        if grad_hiddens is None:
            grad_hiddens = hiddens.new_zeros(batch, seq_len, hidden_dim)
        grad_hiddens = grad_hiddens.transpose(0, 1)  # (T, B, H), a view
        dtype, device = hiddens.dtype, hiddens.device
        new = lambda *shape: torch.empty(*shape, dtype=dtype, device=device)  # noqa: E731
        attention = mode != _MEAN
        if attention:
            weights_tm, queries_tm, keys2 = rest[:3]
            energies = rest[3] if ctx.store_energy else None
            agg = rest[4:] if ctx.store_energy else rest[3:]
            keys, memory = agg[0], agg[1]
            weight_h, vector = agg[-2], agg[-1]
            attention_dim = vector.size(0)
            recurrent = torch.cat([weight_hh, weight_h], dim=0)  # (4H + A, H)
            four_u = 4 * vector
            if mode == _POSITIONS:
                # The memory with the message dimension before the positions, contiguous, so that
                # d(weights) = dr . m_i is a row vector times a matrix per example: on CPU,
                # bmm((B, N, M), (B, M, 1)) runs ~7-10x slower than bmm((B, 1, M), (B, M, N)).
                # (Sources: S is small and a copy of (B, T, S, M) would cost more than it saves;
                # there it is a product and a sum.)
                memory_t = memory.transpose(-1, -2).contiguous()
            if energies is None:
                energy = torch.empty_like(keys2[:, 0] if mode == _SOURCES else keys2)
            derivative = torch.empty_like(keys2[:, 0] if mode == _SOURCES else keys2)
            if mode == _POSITIONS:
                grad_keys = torch.zeros_like(keys)  # sum_t ds_t * s_t (1 - s_t)
            else:
                grad_keys = torch.empty_like(keys)
            grad_vector_steps = new(seq_len, batch, attention_dim)  # sum_n ds_t s_t, per step
            grad_scores_all = new(seq_len, batch, weights_tm.size(-1))
            grad_messages = new(seq_len, batch, messages_tm.size(-1))
        else:
            recurrent = weight_hh
            attention_dim = 0
            grad_messages = new(seq_len, batch, messages_tm.size(-1))  # d r_t

        # Factors of the chain rule that do not depend on the incoming gradient, all steps.
        zeros = hiddens.new_zeros(1, batch, hidden_dim)
        cells_prev = torch.cat([zeros, cells[:-1]], dim=0)
        hiddens_prev = torch.cat([zeros, hiddens[:-1]], dim=0)
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
            [cell_gate * in_gate * (1 - in_gate), cells_prev * forget_gate * (1 - forget_gate),
             in_gate * (1 - cell_gate * cell_gate)],
            dim=2,
        )  # (T, B, 3, H)
        del cells_prev

        # d(pre-activations of the gates) and d(attention query) of every step: [dG, dq].
        grad_recurrent = new(seq_len, batch, four_h + attention_dim)
        grad_projected = new(seq_len, batch, 2 * hidden_dim)
        grad_h = hiddens.new_zeros(batch, hidden_dim)
        grad_c = hiddens.new_zeros(batch, hidden_dim)
        for t in range(seq_len - 1, -1, -1):
            grad_h.add_(grad_hiddens[t])
            grad_y = grad_h * factor_y[t]
            grad_proj = grad_projected[t]
            torch.mul(grad_y.unsqueeze(1), factor_projected[t], out=grad_proj.view(batch, 2, hidden_dim))
            grad_c = torch.addmm(grad_c.add_(grad_y), grad_proj[:, hidden_dim:], weight_c)
            grad_r = torch.mm(grad_proj, message_weight, out=grad_messages[t])  # (B, M)
            grad_rec = grad_recurrent[t]
            torch.mul(grad_c.unsqueeze(1), factor_cell[t],
                      out=grad_rec[:, : 3 * hidden_dim].view(batch, 3, hidden_dim))
            torch.mul(grad_h, factor_out[t], out=grad_rec[:, 3 * hidden_dim : four_h])
            grad_c.mul_(forget_gate[t])
            if attention:
                weights = weights_tm[t]
                if mode == _SOURCES:
                    grad_weights = (memory[:, t] * grad_r.unsqueeze(1)).sum(-1)
                else:
                    grad_weights = torch.bmm(grad_r.unsqueeze(1), memory_t).squeeze(1)
                # softmax: ds = w * (dw - sum(w dw))
                product = weights * grad_weights
                grad_scores = torch.addcmul(product, weights, product.sum(-1, keepdim=True), value=-1,
                                            out=grad_scores_all[t])
                key2 = keys2[:, t] if mode == _SOURCES else keys2
                if energies is not None:
                    e = energies[t]
                else:
                    e = torch.add(key2, queries_tm[t].unsqueeze(1), out=energy).sigmoid_()
                # d tanh(a) / da = 4 s (1 - s); keep s (1 - s) and fold the 4 u in later.
                torch.addcmul(e, e, e, value=-1, out=derivative)
                grad_scores_3d = grad_scores.unsqueeze(1)
                # u . tanh(a) = 2 u . s - sum(u)
                torch.bmm(grad_scores_3d, e, out=grad_vector_steps[t].unsqueeze(1))
                grad_query = torch.bmm(grad_scores_3d, derivative).squeeze(1)
                torch.mul(grad_query, four_u, out=grad_rec[:, four_h:])
                if mode == _SOURCES:
                    torch.mul(derivative, grad_scores.unsqueeze(-1), out=grad_keys[:, t])
                else:
                    grad_keys.addcmul_(derivative, grad_scores.unsqueeze(-1))
            grad_h = torch.mm(grad_rec, recurrent)

        # Weight gradients: one matmul each over all steps.
        flat = lambda tensor: tensor.reshape(-1, tensor.size(-1))  # noqa: E731
        hidden_prev = flat(hiddens_prev)
        grad_rec_flat = flat(grad_recurrent)
        grad_weight_hh = grad_rec_flat[:, :four_h].t().mm(hidden_prev)
        grad_projected_flat = flat(grad_projected)
        grad_message_weight = grad_projected_flat.t().mm(flat(messages_tm))
        grad_message_bias = grad_projected_flat.sum(0)
        grad_weight_c = grad_projected_flat[:, hidden_dim:].t().mm(flat(cells))
        grad_input_gates = grad_recurrent[..., :four_h].transpose(0, 1)
        common = (None, None, None, grad_input_gates, grad_weight_hh, grad_message_weight,
                  grad_message_bias, grad_weight_c)
        if not attention:
            return common + (grad_messages.transpose(0, 1),)
        grad_query_all = grad_recurrent[..., four_h:]
        grad_weight_h = flat(grad_query_all).t().mm(hidden_prev)
        grad_vector = 2 * grad_vector_steps.sum(dim=(0, 1)) - grad_scores_all.sum()
        # d score / d(2k) = u tanh'(k + q) / 2 = 2 u s (1 - s)
        grad_keys.mul_(2 * vector)
        weights_bt = weights_tm.transpose(0, 1)  # (B, T, entries)
        grad_messages_bt = grad_messages.transpose(0, 1)  # (B, T, M)
        if mode == _SOURCES:
            # r_t = sum_i alpha_i m_i: dm_i = alpha_i dr (written batch-major, like memory)
            grad_memory = torch.empty_like(memory)
            torch.mul(weights_bt.unsqueeze(-1), grad_messages_bt.unsqueeze(2), out=grad_memory)
            return common + (grad_keys, grad_memory, grad_weight_h, grad_vector)
        grad_memory = torch.bmm(weights_bt.transpose(1, 2), grad_messages_bt)
        # d / d(2 W_x x_t) is half of d / d(W_h h_{t-1}) (the query's gradient)
        return common + (grad_keys, grad_memory, grad_query_all.transpose(0, 1) * 0.5,
                         grad_weight_h, grad_vector)


class FusionInputs(NamedTuple):
    """
    The fusion LSTM of one task group, as the fused recurrence takes it (`fusion_inputs`):
    `input_gates` `(batch, seq_len, 4H)` = W x_t + b for every step (one matmul), `weight_hh`
    U `(4H, H)`, `message_weight` [W_f; W_r] `(2H, M)`, `message_bias` [0; b_r] `(2H,)`,
    `weight_c` W_c `(H, H)`.
    """

    input_gates: torch.Tensor
    weight_hh: torch.Tensor
    message_weight: torch.Tensor
    message_bias: torch.Tensor
    weight_c: torch.Tensor


def fusion_inputs(lstm: torch.nn.LSTM, weights: FusionWeights, inputs: torch.Tensor) -> FusionInputs:
    """The task's LSTM (`lstm`, its gate weights) and the shared `weights` over `inputs`."""
    weight_ih, weight_hh, bias_ih, bias_hh = lstm_weights(lstm)
    bias = None if bias_ih is None else bias_ih + bias_hh
    message_bias = torch.cat([weights.gate_message.bias.new_zeros(weights.hidden_dim), weights.gate_message.bias])
    return FusionInputs(
        F.linear(inputs, weight_ih, bias), weight_hh, weights.message_weight(), message_bias,
        weights.gate_cell.weight,
    )


def fused_mean(fusion: FusionInputs, messages: torch.Tensor) -> torch.Tensor:
    """The fusion LSTM's outputs `(B, T, H)` with r_t = `messages[:, t]` `(B, T, M)` given."""
    hidden, _ = _FusedFusionRecurrence.apply(_MEAN, False, None, *fusion, messages)
    return hidden


def fused_sources(
    fusion: FusionInputs, keys2: torch.Tensor, messages: torch.Tensor, weight_h: torch.Tensor, vector: torch.Tensor
) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    The fusion LSTM with attention over the sources at each step (DC-MTL): keys2 `(B, T, S, A)`
    = 2 (W_x x_t + W_m h_t^(i) (+ e_i)), messages `(B, T, S, M)`, W_h `(A, H)`, u `(A,)`.
    Returns `(hidden (B, T, H), alpha (B, T, S))`.
    """
    store = keys2.numel() * keys2.element_size() <= ENERGY_BUDGET_BYTES
    return _FusedFusionRecurrence.apply(_SOURCES, store, None, *fusion, keys2, messages, weight_h, vector)


def fused_positions(
    fusion: FusionInputs, keys2: torch.Tensor, memory: torch.Tensor, queries2: torch.Tensor,
    padding: torch.BoolTensor, weight_h: torch.Tensor, vector: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    The fusion LSTM with attention over every position of a memory (IC-MTL): keys2 `(B, N, A)` =
    2 W_m h_i^(s), memory `(B, N, M)`, queries2 `(B, T, A)` = 2 W_x x_t, padding `(B, N)` True on
    masked positions, W_h, u. Returns `(hidden (B, T, H), beta (B, T, N))`.
    """
    seq_len = queries2.size(1)
    store = keys2.numel() * seq_len * keys2.element_size() <= ENERGY_BUDGET_BYTES
    return _FusedFusionRecurrence.apply(
        _POSITIONS, store, padding, *fusion, keys2, memory, queries2, weight_h, vector
    )
