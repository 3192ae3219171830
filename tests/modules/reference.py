"""
The test oracle of `MessagePassingEncoder`: a straightforward, slow reference for the
equivalence tests (it is not part of the package: nothing in graph_mtl runs it).

It reads the parameters of a (fast) encoder and recomputes its outputs and attention instance by
instance, step by step, writing out the paper's equations: every LSTM is an explicit cell loop,
the attention scores are u^T tanh(W [x_t, h_{t-1}^(k), m]) on the concatenation, one source or
position at a time, and only the valid part of each sentence is ever touched (no masking). It
writes out the built-in aggregators (`SourceAttentionAggregator`, `PositionAttentionAggregator`,
`MeanAggregator`); any other aggregator runs its own `prepare` / `step` under plain autograd, one
instance at a time. Dropout is not applied (call it on an encoder in eval mode or with dropout 0).
"""
from typing import Dict, List, Optional, Tuple

import torch

from graph_mtl.modules.aggregators.attention import (
    MeanAggregator,
    PositionAttentionAggregator,
    SourceAttentionAggregator,
)
from graph_mtl.modules.fusion_lstm import lstm_weights
from graph_mtl.modules.message_passing_layer import MessagePassingLayer


def lstm_cell(x, h, c, weights):
    """One plain LSTM step, gate order i, f, g, o (PyTorch's)."""
    weight_ih, weight_hh, bias_ih, bias_hh = weights
    gates = weight_ih @ x + weight_hh @ h
    if bias_ih is not None:
        gates = gates + bias_ih + bias_hh
    size = h.size(0)
    i = torch.sigmoid(gates[0:size])
    f = torch.sigmoid(gates[size : 2 * size])
    g = torch.tanh(gates[2 * size : 3 * size])
    o = torch.sigmoid(gates[3 * size : 4 * size])
    c = f * c + i * g
    return o, c


def plain_lstm(xs: List[torch.Tensor], weights, hidden_dim: int) -> List[torch.Tensor]:
    h = xs[0].new_zeros(hidden_dim)
    c = xs[0].new_zeros(hidden_dim)
    out = []
    for x in xs:
        o, c = lstm_cell(x, h, c, weights)
        h = o * torch.tanh(c)
        out.append(h)
    return out


def score(scorer, x, h, m, extra=None) -> torch.Tensor:
    """u^T tanh(W [x; h; m] (+ extra)) for one triple."""
    W = scorer.projection.weight
    u = scorer.vector.weight[0]
    pre = W @ torch.cat([x, h, m])
    return u @ torch.tanh(pre if extra is None else pre + extra)


def reference_layer(
    layer: MessagePassingLayer, task: str, xs: List[torch.Tensor]
) -> Tuple[List[torch.Tensor], Optional[str], Optional[torch.Tensor]]:
    """One instance through one layer-direction; returns (h_t list, kind, weights (L, entries))."""
    hidden_dim = layer.hidden_dim
    sources = layer.graph[task]
    if not sources:
        return plain_lstm(xs, lstm_weights(layer.nodes[task]), hidden_dim), None, None
    states = {name: plain_lstm(xs, lstm_weights(layer.nodes[name]), hidden_dim) for name in sources}
    aggregator = layer.aggregators[task]
    fusion = layer.fusion
    weights = lstm_weights(layer.nodes[task])
    h = xs[0].new_zeros(hidden_dim)
    c = xs[0].new_zeros(hidden_dim)
    outputs, all_weights = [], []
    length = len(xs)
    for t, x in enumerate(xs):
        o, c = lstm_cell(x, h, c, weights)
        if isinstance(aggregator, SourceAttentionAggregator):
            messages = [states[name][t] for name in sources]
            embeddings = aggregator.source_embeddings
            scores = torch.stack([
                score(aggregator.scorer, x, h, m, None if embeddings is None else embeddings[i])
                for i, m in enumerate(messages)
            ]) / aggregator.temperature
            alpha = torch.softmax(scores, dim=0)
            r = sum(a * m for a, m in zip(alpha, messages))
            all_weights.append(alpha)
        elif isinstance(aggregator, PositionAttentionAggregator):
            # position-major: (position i, source s)
            messages = [states[name][i] for i in range(length) for name in sources]
            scores = torch.stack([score(aggregator.scorer, x, h, m) for m in messages]) / aggregator.temperature
            beta = torch.softmax(scores, dim=0)
            r = sum(b * m for b, m in zip(beta, messages))
            all_weights.append(beta)
        elif isinstance(aggregator, MeanAggregator):
            r = sum(states[name][t] for name in sources) / len(sources)
        else:
            # any other aggregator (a plugin's): its own prepare / step under plain autograd, on
            # this instance alone -- the reference of the recurrence around it, not of its math
            if t == 0:
                instance_messages = torch.stack([torch.stack(states[name]) for name in sources], dim=1)
                prepared = aggregator.prepare(
                    torch.stack(xs).unsqueeze(0), instance_messages.unsqueeze(0),
                    torch.ones(1, length, dtype=torch.bool),
                )
            r, step_weights = aggregator.step(prepared, t, h.unsqueeze(0))
            r = r[0]
            if step_weights is not None:
                all_weights.append(step_weights[0])
        W_f = fusion.fusion.weight
        W_r = fusion.gate_message.weight
        b_r = fusion.gate_message.bias
        W_c = fusion.gate_cell.weight
        g = torch.sigmoid(W_r @ r + b_r + W_c @ c)
        h = o * torch.tanh(c + g * (W_f @ r))
        outputs.append(h)
    stacked = torch.stack(all_weights) if all_weights else None
    return outputs, aggregator.kind, stacked


def reference_forward(
    encoder, inputs: torch.Tensor, mask: torch.Tensor, task: List[str]
) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """
    Outputs `(batch, seq_len, output_dim)` and attention in the layout of
    `MessagePassingEncoder.get_attention()` (last layer), computed per instance.
    """
    batch, seq_len, _ = inputs.shape
    output = inputs.new_zeros(batch, seq_len, encoder.get_output_dim())
    attention: Dict[str, torch.Tensor] = {}
    num_tasks = len(encoder.tasks)
    for b in range(batch):
        length = int(mask[b].sum())
        if length == 0:
            continue
        xs = [inputs[b, t] for t in range(length)]
        for layer_index in range(encoder.num_layers):
            directions = [("", encoder.forward_layers[layer_index])]
            if encoder.bidirectional:
                directions.append(("_backward", encoder.backward_layers[layer_index]))
            new_xs = [[] for _ in range(length)]
            for suffix, layer in directions:
                source = xs if suffix == "" else xs[::-1]
                hs, kind, weights = reference_layer(layer, task[b], source)
                if suffix:
                    hs = hs[::-1]
                for t in range(length):
                    new_xs[t].append(hs[t])
                if layer_index == encoder.num_layers - 1 and kind is not None:
                    sources = layer.graph[task[b]]
                    if kind == "sources":
                        for j, name in enumerate(sources):
                            if name in encoder.tasks:
                                key, column, width = "alpha", encoder.tasks.index(name), num_tasks
                            else:
                                key = "alpha_virtual"
                                column = encoder.virtual_nodes.index(name)
                                width = len(encoder.virtual_nodes)
                            full = attention.setdefault(
                                key + suffix, inputs.new_zeros(batch, seq_len, width)
                            )
                            for t in range(length):
                                tt = t if not suffix else length - 1 - t
                                full[b, tt, column] = weights[t, j]
                    elif kind == "positions":
                        key = "beta" + suffix
                        full = attention.setdefault(key, inputs.new_zeros(batch, seq_len, seq_len))
                        for t in range(length):
                            for i in range(length):
                                tt = t if not suffix else length - 1 - t
                                ii = i if not suffix else length - 1 - i
                                full[b, tt, ii] = weights[t, i]
            xs = [torch.cat(parts) for parts in new_xs]
        for t in range(length):
            output[b, t] = xs[t]
    return output, attention
