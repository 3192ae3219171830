"""
A fused fusion-LSTM recurrence with a hand-written backward pass (BPTT), for the built-in
aggregators, used by `FastMessagePassingLayer`.

`MessagePassingLayer._fusion_recurrence` runs eqs. 3-11 as a Python loop of autograd ops: every
step records ~20 autograd nodes, the backward replays them one by one, and IC-MTL's attention
allocates and accumulates a `(batch, positions, attention_dim)` gradient per step. Here the whole
recurrence of one task group is one `torch.autograd.Function`:

* forward: the same loop, writing into preallocated `(batch, seq_len, ...)` buffers, with the two
  products with h_{t-1} (U h_{t-1} of the LSTM gates and W_h h_{t-1} of the attention query) as
  one matmul against `[U; W_h]`;
* backward: one reverse loop with the derivatives written out; the weight gradients (U, W_h, W_c,
  [W_f; W_r], b_r) are one matmul each over all steps after the loop, the gradient of the
  attention keys is accumulated in place, and `dh_{t-1}` is one matmul against `[U; W_h]`;
* additive attention: u^T tanh(a) is computed as (2u)^T sigmoid(2a) - sum(u) and the constant is
  dropped inside the softmax (softmax is shift-invariant). On CPU `sigmoid` is several times
  faster than `tanh` (vectorised exp), and tanh'(a) = 4 s (1 - s) with s = sigmoid(2a). The
  attention energies of a step are stored when all steps fit in `ENERGY_BUDGET_BYTES` (32 MiB by
  default), else recomputed in the backward pass: IC-MTL's are `O(batch * seq_len^2 *
  attention_dim)`, and on CPU recomputing a step's energies (cache-resident keys) was faster
  than writing them all out and reading them back (B=8, T=128: 196 vs 241 ms per step).

What is differentiated by autograd outside the Function, once per sentence: the input-to-hidden
products of all steps (one matmul), the attention keys W_x x_t + W_m h^(i) (DC-MTL) or W_m h_i^(s)
and W_x x_t (IC-MTL), and the mean message (`MeanAggregator`).

Results equal `MessagePassingLayer._fusion_recurrence` up to floating-point rounding (the tests
compare both and the step-by-step reference in float64, forward and gradients). Aggregators of
other types (plugins' own) fall back to the generic loop. Set `GRAPH_MTL_FAST_RECURRENCE=0` (or
`fast_recurrence.ENABLED = False`) to use the generic loop everywhere.
"""
import os
from typing import Optional, Tuple

import torch
from torch.nn import functional as F

from graph_mtl.modules.aggregators.attention import (
    MeanAggregator,
    PositionAttentionAggregator,
    SourceAttentionAggregator,
)
from graph_mtl.modules.fusion_lstm import lstm_weights
from graph_mtl.modules.message_passing_layer import MessagePassingLayer

ENABLED = os.environ.get("GRAPH_MTL_FAST_RECURRENCE", "1") != "0"
# Store the attention energies of every step when they take at most this much memory.
ENERGY_BUDGET_BYTES = int(os.environ.get("GRAPH_MTL_ENERGY_BUDGET_MB", "32")) * 2**20

# IC-MTL's attention through torch.compile'd kernels (one pass over the keys per step forward
# and one backward, instead of ~8 eager passes); opt-in, see `_position_kernels`.
COMPILE = os.environ.get("GRAPH_MTL_COMPILE", "0") == "1"

_MEAN, _SOURCES, _POSITIONS = 0, 1, 2


def _position_scores(keys2: torch.Tensor, query2: torch.Tensor, vector2: torch.Tensor) -> torch.Tensor:
    """`sum_a (2u)_a sigmoid(2k + 2q)_a`, `(B, N)`: the scores up to the constant `-sum(u)`."""
    return (torch.sigmoid(keys2 + query2.unsqueeze(1)) * vector2).sum(-1)


def _position_scores_backward(keys2, query2, grad_scores, accumulator):
    """
    With s = sigmoid(2k + 2q): `accumulator += ds * s (1 - s)` (in place), and returns
    `(sum_n ds s (1 - s), sum_{b,n} ds s)` (the query and vector gradients up to factors).
    """
    s = torch.sigmoid(keys2 + query2.unsqueeze(1))
    weighted = grad_scores.unsqueeze(-1) * (s - s * s)
    accumulator.add_(weighted)
    return weighted.sum(1), (grad_scores.unsqueeze(-1) * s).sum(dim=(0, 1))


_compiled = {}


def _position_kernels():
    """The compiled pair of kernels, or `None` (COMPILE off, or compilation failed once)."""
    if not COMPILE or _compiled.get("failed"):
        return None
    if "kernels" not in _compiled:
        _compiled["kernels"] = (
            torch.compile(_position_scores, dynamic=True),
            torch.compile(_position_scores_backward, dynamic=True),
        )
    return _compiled["kernels"]


def _call_compiled(index, eager, *args):
    kernels = _position_kernels()
    if kernels is not None:
        try:
            return kernels[index](*args)
        except Exception as error:  # no compiler, unsupported backend, ...
            import warnings

            warnings.warn(f"graph_mtl: torch.compile of the attention failed ({error!r:.200}); "
                          "using eager kernels")
            _compiled["failed"] = True
    return eager(*args)


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

    Returns `(hidden (B, T, H), weights)`; weights (attention, not differentiable) is
    `(B, T, S)` / `(B, T, N)`, or an empty tensor for mean.
    """

    @staticmethod
    def forward(ctx, mode, store_energy, padding, input_gates, weight_hh, message_weight,
                message_bias, weight_c, *agg):
        batch, seq_len, four_h = input_gates.shape
        hidden_dim = four_h // 4
        dtype, device = input_gates.dtype, input_gates.device
        new = lambda *shape: torch.empty(*shape, dtype=dtype, device=device)  # noqa: E731
        hiddens = new(batch, seq_len, hidden_dim)
        cells = new(batch, seq_len, hidden_dim)
        acts = new(batch, seq_len, four_h)  # sigmoid(i, f, o) and tanh(g)
        gates_fused = new(batch, seq_len, hidden_dim)  # g_t (fusion gate)
        fused_all = new(batch, seq_len, hidden_dim)  # W_f r_t
        tanh_y = new(batch, seq_len, hidden_dim)
        message_dim = message_weight.size(1)
        messages_out = new(batch, seq_len, message_dim)
        message_weight_t = message_weight.t()
        weight_c_t = weight_c.t()
        h = input_gates.new_zeros(batch, hidden_dim)
        c = input_gates.new_zeros(batch, hidden_dim)
        weights_out = None
        energies = None
        if mode == _MEAN:
            (r_all,) = agg
            recurrent_t = weight_hh.t()
        else:
            keys, memory = agg[0], agg[1]
            weight_h, vector = agg[-2], agg[-1]
            attention_dim = vector.size(0)
            recurrent_t = torch.cat([weight_hh, weight_h], dim=0).t()  # (H, 4H + A)
            vector2 = (2 * vector).unsqueeze(-1)  # (A, 1)
            keys2 = keys * 2
            if mode == _SOURCES:
                entries = keys.size(2)
            else:
                entries = keys.size(1)
                queries = agg[2]
                fill = torch.finfo(dtype).min
            weights_out = new(batch, seq_len, entries)
            compiled = mode == _POSITIONS and _position_kernels() is not None
            if compiled:
                store_energy = False
                energy = None
            elif store_energy:
                energies = new(seq_len, batch, entries, attention_dim)
            else:
                energy = new(batch, entries, attention_dim)
        for t in range(seq_len):
            projected = torch.mm(h, recurrent_t)
            gates = projected[:, :four_h].add_(input_gates[:, t])
            act = acts[:, t]
            torch.sigmoid(gates, out=act)
            cell_gate = act[:, 2 * hidden_dim : 3 * hidden_dim]
            torch.tanh(gates[:, 2 * hidden_dim : 3 * hidden_dim], out=cell_gate)
            in_gate = act[:, :hidden_dim]
            forget_gate = act[:, hidden_dim : 2 * hidden_dim]
            out_gate = act[:, 3 * hidden_dim :]
            c = torch.addcmul(forget_gate * c, in_gate, cell_gate)
            cells[:, t] = c
            if mode == _MEAN:
                r = r_all[:, t]
            else:
                # s = sigmoid(2 (k + q)); tanh(k + q) = 2 s - 1.
                query = projected[:, four_h:]
                if mode == _SOURCES:
                    key = keys2[:, t]
                else:
                    query = query + queries[:, t]
                    key = keys2
                if compiled:
                    scores = _call_compiled(0, _position_scores, key, 2 * query, vector2.squeeze(-1))
                else:
                    e = energies[t] if energies is not None else energy
                    torch.add(key, query.unsqueeze(1), alpha=2, out=e)
                    e.sigmoid_()
                    scores = torch.matmul(e, vector2).squeeze(-1)  # (B, entries), up to a constant
                if mode == _POSITIONS:
                    scores = scores.masked_fill_(padding, fill)
                weights = torch.softmax(scores, dim=-1)
                weights_out[:, t] = weights
                source = memory[:, t] if mode == _SOURCES else memory
                r = torch.bmm(weights.unsqueeze(1), source).squeeze(1)
                messages_out[:, t] = r
            projected_message = torch.addmm(message_bias, r, message_weight_t)
            fused = projected_message[:, :hidden_dim]
            gate = torch.addmm(projected_message[:, hidden_dim:], c, weight_c_t).sigmoid_()
            ty = torch.addcmul(c, gate, fused).tanh_()
            h = out_gate * ty
            hiddens[:, t] = h
            gates_fused[:, t] = gate
            fused_all[:, t] = fused
            tanh_y[:, t] = ty
        if mode == _MEAN:
            messages_out = r_all
        ctx.mode = mode
        ctx.store_energy = store_energy
        ctx.compiled = mode == _POSITIONS and _position_kernels() is not None
        ctx.padding = padding
        ctx.save_for_backward(
            input_gates, weight_hh, message_weight, weight_c, hiddens, cells, acts, gates_fused,
            fused_all, tanh_y, messages_out, *(() if mode == _MEAN else (weights_out,)),
            *(() if energies is None else (energies,)), *agg,
        )
        if weights_out is None:
            weights_out = input_gates.new_zeros(0)
        ctx.mark_non_differentiable(weights_out)
        return hiddens, weights_out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_hiddens, _grad_weights):
        mode = ctx.mode
        saved = list(ctx.saved_tensors)
        (input_gates, weight_hh, message_weight, weight_c, hiddens, cells, acts, gates_fused,
         fused_all, tanh_y, messages) = saved[:11]
        rest = saved[11:]
        batch, seq_len, four_h = input_gates.shape
        hidden_dim = four_h // 4
        if grad_hiddens is None:
            grad_hiddens = torch.zeros_like(hiddens)
        dtype, device = input_gates.dtype, input_gates.device
        new = lambda *shape: torch.empty(*shape, dtype=dtype, device=device)  # noqa: E731
        attention = mode != _MEAN
        if attention:
            weights_all = rest.pop(0)
            energies = rest.pop(0) if ctx.store_energy else None
            agg = rest
            keys, memory = agg[0], agg[1]
            weight_h, vector = agg[-2], agg[-1]
            attention_dim = vector.size(0)
            recurrent = torch.cat([weight_hh, weight_h], dim=0)  # (4H + A, H)
            vector2 = (2 * vector).unsqueeze(-1)
            # The messages with the message dimension before the entries, contiguous, so that
            # d(weights) = dr . m_i is a row vector times a matrix per example: on CPU,
            # bmm((B, N, M), (B, M, 1)) runs ~7-10x slower than bmm((B, 1, M), (B, M, N)).
            memory_t = memory.transpose(-1, -2).contiguous()
            compiled = ctx.compiled
            if energies is None:
                keys2 = keys * 2
                if not compiled:
                    energy = torch.empty_like(keys2[:, 0] if mode == _SOURCES else keys2)
            if not compiled:
                derivative = torch.empty_like(keys[:, 0] if mode == _SOURCES else keys)
            if mode == _POSITIONS:
                queries = agg[2]
                grad_keys_sum = torch.zeros_like(keys)  # sum_t ds_t * s_t (1 - s_t)
            else:
                grad_keys = torch.empty_like(keys)
            grad_vector_sum = vector.new_zeros(attention_dim)
            grad_scores_total = 0.0
        else:
            recurrent = weight_hh
            attention_dim = 0
        # d(pre-activations of the gates) and d(attention query) of every step: [dG, dq].
        grad_recurrent = new(batch, seq_len, four_h + attention_dim)
        grad_projected = new(batch, seq_len, 2 * hidden_dim)  # d[W_f r; W_r r + W_c c + b_r]
        grad_messages = new(batch, seq_len, messages.size(-1)) if attention else None
        grad_r_all = new(batch, seq_len, messages.size(-1)) if not attention else None
        grad_h = torch.zeros_like(hiddens[:, 0])
        grad_c = torch.zeros_like(hiddens[:, 0])
        zeros = torch.zeros_like(grad_h)
        fill = torch.finfo(dtype).min
        for t in range(seq_len - 1, -1, -1):
            grad_h = grad_h + grad_hiddens[:, t]
            act = acts[:, t]
            in_gate = act[:, :hidden_dim]
            forget_gate = act[:, hidden_dim : 2 * hidden_dim]
            cell_gate = act[:, 2 * hidden_dim : 3 * hidden_dim]
            out_gate = act[:, 3 * hidden_dim :]
            ty = tanh_y[:, t]
            gate = gates_fused[:, t]
            c = cells[:, t]
            c_prev = cells[:, t - 1] if t > 0 else zeros
            h_prev = hiddens[:, t - 1] if t > 0 else zeros
            grad_out_gate = grad_h * ty
            grad_y = grad_h * out_gate * (1 - ty * ty)
            grad_proj = grad_projected[:, t]
            torch.mul(grad_y, gate, out=grad_proj[:, :hidden_dim])  # d(W_f r)
            grad_pre_gate = grad_proj[:, hidden_dim:]
            torch.mul(grad_y * fused_all[:, t], gate * (1 - gate), out=grad_pre_gate)
            grad_c = grad_c + grad_y
            grad_c = torch.addmm(grad_c, grad_pre_gate, weight_c)
            grad_r = torch.mm(grad_proj, message_weight)  # (B, M)
            grad_rec = grad_recurrent[:, t]
            grad_gates = grad_rec[:, :four_h]
            # d pre-activations of i, f, g, o
            torch.mul(grad_c * cell_gate, in_gate * (1 - in_gate), out=grad_gates[:, :hidden_dim])
            torch.mul(grad_c * c_prev, forget_gate * (1 - forget_gate),
                      out=grad_gates[:, hidden_dim : 2 * hidden_dim])
            torch.mul(grad_c * in_gate, 1 - cell_gate * cell_gate,
                      out=grad_gates[:, 2 * hidden_dim : 3 * hidden_dim])
            torch.mul(grad_out_gate, out_gate * (1 - out_gate), out=grad_gates[:, 3 * hidden_dim :])
            grad_c = grad_c * forget_gate
            if attention:
                grad_messages[:, t] = grad_r
                weights = weights_all[:, t]
                source_t = memory_t[:, t] if mode == _SOURCES else memory_t
                grad_weights = torch.bmm(grad_r.unsqueeze(1), source_t).squeeze(1)
                grad_scores = weights * (grad_weights - (weights * grad_weights).sum(-1, keepdim=True))
                if compiled:
                    query = torch.addmm(queries[:, t], h_prev, weight_h.t())
                    grad_query, grad_vector_part = _call_compiled(
                        1, _position_scores_backward, keys2, 2 * query, grad_scores, grad_keys_sum
                    )
                    grad_vector_sum += grad_vector_part
                    grad_scores_total = grad_scores_total + grad_scores.sum()
                    grad_rec[:, four_h:] = grad_query * (vector2.squeeze(-1) * 2)
                    grad_h = torch.mm(grad_rec, recurrent)
                    continue
                if energies is not None:
                    e = energies[t]
                else:
                    if mode == _SOURCES:
                        query = (h_prev @ weight_h.t())
                        key = keys2[:, t]
                    else:
                        query = torch.addmm(queries[:, t], h_prev, weight_h.t())
                        key = keys2
                    e = energy
                    torch.add(key, query.unsqueeze(1), alpha=2, out=e)
                    e.sigmoid_()
                # d tanh(a) / da = 4 s (1 - s); keep s (1 - s) and fold the 4 in later.
                torch.addcmul(e, e, e, value=-1, out=derivative)
                grad_scores_3d = grad_scores.unsqueeze(1)
                # u . tanh(a) = 2 u . s - sum(u)
                grad_vector_sum += torch.bmm(grad_scores_3d, e).sum(dim=(0, 1))
                grad_scores_total = grad_scores_total + grad_scores.sum()
                grad_query = torch.bmm(grad_scores_3d, derivative).squeeze(1)  # times 4u later
                grad_query.mul_(vector2.squeeze(-1) * 2)
                grad_rec[:, four_h:] = grad_query
                if mode == _SOURCES:
                    torch.mul(derivative, grad_scores.unsqueeze(-1), out=grad_keys[:, t])
                else:
                    grad_keys_sum.addcmul_(derivative, grad_scores.unsqueeze(-1))
            else:
                grad_r_all[:, t] = grad_r
            grad_h = torch.mm(grad_rec, recurrent)

        # Weight gradients: one matmul each over all steps.
        flat = lambda tensor: tensor.reshape(-1, tensor.size(-1))  # noqa: E731
        hidden_prev = torch.cat([zeros.unsqueeze(1), hiddens[:, :-1]], dim=1)
        grad_rec_flat = flat(grad_recurrent)
        grad_weight_hh = grad_rec_flat[:, :four_h].t().mm(flat(hidden_prev))
        grad_projected_flat = flat(grad_projected)
        grad_message_weight = grad_projected_flat.t().mm(flat(messages))
        grad_message_bias = grad_projected_flat.sum(0)
        grad_weight_c = grad_projected_flat[:, hidden_dim:].t().mm(flat(cells))
        grad_input_gates = grad_recurrent[:, :, :four_h]
        common = (None, None, None, grad_input_gates, grad_weight_hh, grad_message_weight,
                  grad_message_bias, grad_weight_c)
        if not attention:
            return common + (grad_r_all,)
        grad_query_all = grad_recurrent[:, :, four_h:]
        grad_weight_h = flat(grad_query_all).t().mm(flat(hidden_prev))
        grad_vector = 2 * grad_vector_sum - grad_scores_total
        four_u = 4 * vector
        if mode == _SOURCES:
            grad_keys.mul_(four_u)
            # r_t = sum_i alpha_i m_i: dm_i = alpha_i dr
            grad_memory = weights_all.unsqueeze(-1) * grad_messages.unsqueeze(2)
            return common + (grad_keys, grad_memory, grad_weight_h, grad_vector)
        grad_keys = grad_keys_sum.mul_(four_u)
        grad_memory = torch.bmm(weights_all.transpose(1, 2), grad_messages)
        return common + (grad_keys, grad_memory, grad_query_all, grad_weight_h, grad_vector)


def supports(aggregator: torch.nn.Module) -> bool:
    return type(aggregator) in (SourceAttentionAggregator, PositionAttentionAggregator, MeanAggregator)


def fused_fusion_recurrence(
    layer: MessagePassingLayer,
    task: str,
    inputs: torch.Tensor,
    mask: torch.BoolTensor,
    messages: torch.Tensor,
) -> Optional[Tuple[torch.Tensor, Optional[torch.Tensor]]]:
    """
    The fusion LSTM of `task` over a homogeneous group, as `MessagePassingLayer._fusion_recurrence`
    computes it (same arguments and result), or `None` if the aggregator is not a built-in one.
    """
    aggregator = layer.aggregators[task]
    if not supports(aggregator):
        return None
    fusion = layer.fusion
    hidden_dim = layer.hidden_dim
    weight_ih, weight_hh, bias_ih, bias_hh = lstm_weights(layer.nodes[task])
    bias = None if bias_ih is None else bias_ih + bias_hh
    input_gates = F.linear(inputs, weight_ih, bias)  # all steps, one matmul
    message_weight = fusion.message_weight()
    message_bias = torch.cat([fusion.gate_message.bias.new_zeros(hidden_dim), fusion.gate_message.bias])
    weight_c = fusion.gate_cell.weight
    batch, seq_len, _ = inputs.shape
    if type(aggregator) is MeanAggregator:
        hidden, _ = _FusedFusionRecurrence.apply(
            _MEAN, False, None, input_gates, weight_hh, message_weight, message_bias, weight_c,
            messages.mean(dim=2),
        )
        return hidden, None
    weight_x, weight_h, weight_m = aggregator.scorer.blocks()
    vector = aggregator.scorer.vector.weight.squeeze(0)
    element = inputs.element_size()
    if type(aggregator) is SourceAttentionAggregator:
        # (B, T, S, A): W_x x_t + W_m h_t^(i), once per sentence.
        keys = F.linear(messages, weight_m) + F.linear(inputs, weight_x).unsqueeze(2)
        store = keys.numel() * element <= ENERGY_BUDGET_BYTES
        hidden, weights = _FusedFusionRecurrence.apply(
            _SOURCES, store, None, input_gates, weight_hh, message_weight, message_bias, weight_c,
            keys, messages, weight_h, vector,
        )
        return hidden, weights
    num_sources, message_dim = messages.shape[2], messages.shape[3]
    memory = messages.reshape(batch, seq_len * num_sources, message_dim)
    padding = ~mask.unsqueeze(2).expand(batch, seq_len, num_sources).reshape(batch, -1)
    keys = F.linear(memory, weight_m)  # W_m h_i^(s), once per sentence
    queries = F.linear(inputs, weight_x)  # W_x x_t, all steps
    store = keys.numel() * seq_len * element <= ENERGY_BUDGET_BYTES
    hidden, weights = _FusedFusionRecurrence.apply(
        _POSITIONS, store, padding, input_gates, weight_hh, message_weight, message_bias, weight_c,
        keys, memory, queries, weight_h, vector,
    )
    return hidden, weights


class FastMessagePassingLayer(MessagePassingLayer):
    """`MessagePassingLayer` whose fusion recurrence is the fused one when the aggregator allows."""

    def _fusion_recurrence(self, task, inputs, mask, messages):
        if ENABLED:
            result = fused_fusion_recurrence(self, task, inputs, mask, messages)
            if result is not None:
                return result
        return super()._fusion_recurrence(task, inputs, mask, messages)
