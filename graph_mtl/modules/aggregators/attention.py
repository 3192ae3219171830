"""
Reusable `MessageAggregator`s.

* `SourceAttentionAggregator` (kind `"sources"`): DC-MTL, eqs. 3-6. At step t the messages are
  the states h_t^(i) of the source nodes at the same position;
  s_t^(i->k) = u^T tanh(W [x_t, h_{t-1}^(k), h_t^(i)]), alpha_t = softmax_i(s_t),
  r_t = sum_i alpha_t^(i->k) h_t^(i).
* `PositionAttentionAggregator` (kind `"positions"`): IC-MTL, eqs. 7-8. The messages are the
  states of the source (virtual) node(s) at every position i of the sentence;
  beta_{t->i} = softmax_i(u^T tanh(W [x_t, h_{t-1}^(k), h_i^(s)])) over unmasked positions,
  r_t = sum_i beta_{t->i} h_i^(s).
* `MeanAggregator` (kind `"none"`): r_t = mean of the source states at step t (no parameters).

Both attention aggregators score with an `AdditiveScorer` (W and u). W is one matrix over the
concatenation, as in the paper, but the fast path splits it into its blocks W = [W_x, W_h, W_m]
so that W_x x_t and W_m h^(i) are computed for all steps in `prepare` (once per sentence) and
only W_h h_{t-1}^(k) is computed inside the recurrence.
"""
from typing import Any, Optional, Tuple

import torch
from torch.nn import functional as F

from graph_mtl.modules.fusion_lstm import FusionInputs, fused_mean, fused_positions, fused_sources
from graph_mtl.modules.recurrent_linear import RecurrentLinear
from graph_mtl.modules.topologies.topology import MessageAggregator


class AdditiveScorer(torch.nn.Module):
    """
    u^T tanh(W [x, h, m]) (no biases, as in eq. 5).

    # Parameters

    input_dim, hidden_dim, message_dim : `int`
        Sizes of x_t, h_{t-1}^(k) and of a message.
    attention_dim : `int`
        Rows of W (size of u).

    # Attributes

    `projection` (W, a `Linear(input_dim + hidden_dim + message_dim, attention_dim)` without
    bias) and `vector` (u, a `Linear(attention_dim, 1)` without bias), so that AllenNLP
    initializers matching `weight` reach both.

    It holds the parameters only and has no `forward`: the aggregators (and the fused kernels
    of `fusion_lstm`) apply its column blocks (`blocks()`) and u separately, so that the
    parts of the score that do not depend on h_{t-1} are computed once per sentence.
    """

    def __init__(self, input_dim: int, hidden_dim: int, message_dim: int, attention_dim: int):
        super().__init__()
        self.input_dim = input_dim
        self.hidden_dim = hidden_dim
        self.message_dim = message_dim
        self.attention_dim = attention_dim
        self.projection = torch.nn.Linear(input_dim + hidden_dim + message_dim, attention_dim, bias=False)
        self.vector = torch.nn.Linear(attention_dim, 1, bias=False)

    def blocks(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`(W_x, W_h, W_m)`: the column blocks of W for x_t, h_{t-1}^(k) and the message."""
        weight = self.projection.weight
        return weight.split([self.input_dim, self.hidden_dim, self.message_dim], dim=1)


# Above this many bytes of tanh activations per sentence batch (all steps together), IC-MTL's
# attention recomputes them in backward instead of keeping them.
ATTENTION_MEMORY_BUDGET = 256 * 1024 ** 2


class _AdditiveScores(torch.autograd.Function):
    """
    u^T tanh(keys + query) over many keys in one autograd node. With `recompute`, the tanh is
    recomputed in backward instead of stored: IC-MTL scores every position at every step, and
    keeping `(batch, seq_len, attention_dim)` activations per step would need
    O(batch * seq_len^2 * attention_dim) memory.
    """

    @staticmethod
    def forward(ctx, keys: torch.Tensor, query: torch.Tensor, vector: torch.Tensor, recompute: bool) -> torch.Tensor:
        energy = keys + query.unsqueeze(1)
        energy.tanh_()
        ctx.recompute = recompute
        if recompute:
            ctx.save_for_backward(keys, query, vector)
        else:
            ctx.save_for_backward(energy, vector)
        return torch.matmul(energy, vector)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_scores: torch.Tensor):
        if ctx.recompute:
            keys, query, vector = ctx.saved_tensors
            energy = keys + query.unsqueeze(1)
            energy.tanh_()
        else:
            energy, vector = ctx.saved_tensors
        grad_vector = None
        if ctx.needs_input_grad[2]:
            grad_vector = torch.bmm(grad_scores.unsqueeze(1), energy).sum(dim=(0, 1))
        # d/d(pre-activation) = (1 - tanh^2) * (grad_scores outer u), one fused pass.
        grad_pre = torch.ops.aten.tanh_backward(grad_scores.unsqueeze(-1) * vector, energy)
        grad_query = grad_pre.sum(dim=1) if ctx.needs_input_grad[1] else None
        grad_keys = grad_pre if ctx.needs_input_grad[0] else None
        return grad_keys, grad_query, grad_vector, None


def additive_scores(
    keys: torch.Tensor, query: torch.Tensor, vector: torch.Tensor, recompute: bool = True
) -> torch.Tensor:
    """
    `u^T tanh(keys[b, n] + query[b])` for keys `(batch, n, attention_dim)`, query
    `(batch, attention_dim)`, u `(attention_dim,)`; returns `(batch, n)`. With `recompute` the
    backward recomputes the tanh instead of keeping it (see `_AdditiveScores`); numerically the
    same as the plain expression either way.
    """
    return _AdditiveScores.apply(keys, query, vector, recompute)


class _AttentionAggregator(MessageAggregator):
    """Shared constructor: own scorer, or a scorer shared with other targets; the temperature."""

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        message_dim: int,
        attention_dim: Optional[int] = None,
        scorer: Optional[AdditiveScorer] = None,
        temperature: float = 1.0,
    ) -> None:
        super().__init__()
        if scorer is None:
            scorer = AdditiveScorer(input_dim, hidden_dim, message_dim, attention_dim or hidden_dim)
        elif (scorer.input_dim, scorer.hidden_dim, scorer.message_dim) != (input_dim, hidden_dim, message_dim):
            raise ValueError("a shared scorer must have the dimensions of this aggregator")
        if not temperature > 0:
            raise ValueError(f"the attention temperature must be positive, not {temperature}")
        self.scorer = scorer
        self.temperature = float(temperature)

    def score_vector(self) -> torch.Tensor:
        """u / temperature, shape `(attention_dim,)`: softmax(u^T tanh(.) / T) is the attention.
        A temperature below 1 sharpens the weights and, under Adam, makes the attention learn
        1/T times faster in score units (a step of u changes the scores 1/T times as much)."""
        vector = self.scorer.vector.weight.squeeze(0)
        return vector if self.temperature == 1.0 else vector / self.temperature


class SourceAttentionAggregator(_AttentionAggregator):
    """
    DC-MTL attention over source nodes at the same step (eqs. 3-6), kind `"sources"`.

    # Parameters

    input_dim, hidden_dim, message_dim : `int`
    attention_dim : `int`, optional (default = `hidden_dim`)
    scorer : `AdditiveScorer`, optional
        Pass the same scorer to several aggregators to share W and u between target tasks.
    temperature : `float`, optional (default = `1.0`, the paper)
        The weights are softmax(scores / temperature).
    num_sources : `int`, optional (default = `0`, the paper)
        If positive, one learned vector e_i per source inside the score (zero when built; the
        training configs' initializer draws it uniformly like every other parameter, which
        measured far better on the planted benchmark than a zero start):
        s_t^(i->k) = u^T tanh(W [x_t, h_{t-1}^(k), h_t^(i)] + e_i), so that which source to read
        can be learned for the edge i -> k as a whole and not only from the states' content.
    """

    kind = "sources"

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        message_dim: int,
        attention_dim: Optional[int] = None,
        scorer: Optional[AdditiveScorer] = None,
        temperature: float = 1.0,
        num_sources: int = 0,
    ) -> None:
        super().__init__(input_dim, hidden_dim, message_dim, attention_dim, scorer, temperature)
        self.source_embeddings: Optional[torch.nn.Parameter] = None
        if num_sources > 0:
            # e_i, zero when built (a config's initializer may draw it, as the training configs do).
            self.source_embeddings = torch.nn.Parameter(torch.zeros(num_sources, self.scorer.attention_dim))

    def keys(self, inputs: torch.Tensor, messages: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        """`(batch, seq_len, num_sources, attention_dim)`: scale (W_x x_t + W_m h_t^(i) (+ e_i)),
        every step at once (the part of the score that does not depend on h_{t-1}^(k)); the
        scale goes into the weights, not over the result."""
        weight_x, _, weight_m = self.scorer.blocks()
        if scale != 1.0:
            weight_x, weight_m = scale * weight_x, scale * weight_m
        keys = F.linear(messages, weight_m) + F.linear(inputs, weight_x).unsqueeze(2)
        if self.source_embeddings is not None:
            if self.source_embeddings.size(0) != messages.size(2):
                raise ValueError(f"{self.source_embeddings.size(0)} source embeddings for {messages.size(2)} sources")
            keys = keys + (self.source_embeddings if scale == 1.0 else scale * self.source_embeddings)
        return keys

    def fused_recurrence(
        self, fusion: FusionInputs, inputs: torch.Tensor, mask: torch.BoolTensor, messages: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        # The kernel takes doubled keys (it scores with sigmoid(2a), see graph_mtl/modules/fusion_lstm.py).
        _, weight_h, _ = self.scorer.blocks()
        return fused_sources(fusion, self.keys(inputs, messages, scale=2.0), messages, weight_h, self.score_vector())

    def prepare(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> Any:
        _, weight_h, _ = self.scorer.blocks()
        # (batch, seq_len, num_sources, attention_dim): W_x x_t + W_m h_t^(i), all steps at once.
        keys = self.keys(inputs, messages)
        # Per-step views made once (indexing [:, t] per step would give quadratic backward).
        return (
            keys.unbind(1),
            messages.unbind(1),
            RecurrentLinear(weight_h),
            self.score_vector(),
        )

    def step(self, prepared: Any, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        keys, messages, query_linear, vector = prepared
        query = query_linear.linear(hidden).unsqueeze(1)  # (batch, 1, attention_dim)
        scores = torch.matmul(torch.tanh(keys[timestep] + query), vector)  # (batch, num_sources)
        weights = torch.softmax(scores, dim=-1)
        message = torch.bmm(weights.unsqueeze(1), messages[timestep]).squeeze(1)
        return message, weights


class PositionAttentionAggregator(_AttentionAggregator):
    """
    IC-MTL attention over the positions of the source node(s) (eqs. 7-8), kind `"positions"`.

    With several sources, the positions of all of them form one distribution
    (`seq_len * num_sources` entries, position-major).

    # Parameters

    input_dim, hidden_dim, message_dim : `int`
    attention_dim : `int`, optional (default = `hidden_dim`)
    scorer : `AdditiveScorer`, optional
        Pass the same scorer to several aggregators to share W and u between target tasks.
    temperature : `float`, optional (default = `1.0`, the paper)
        The weights are softmax(scores / temperature).
    """

    kind = "positions"

    @staticmethod
    def memory(messages: torch.Tensor, mask: torch.BoolTensor) -> Tuple[torch.Tensor, torch.BoolTensor]:
        """The positions of all sources as one memory `(batch, seq_len * num_sources, message_dim)`
        (position-major) and its padding `(batch, seq_len * num_sources)`, True where masked."""
        batch, seq_len, num_sources, message_dim = messages.shape
        memory = messages.reshape(batch, seq_len * num_sources, message_dim)
        padding = ~mask.unsqueeze(2).expand(batch, seq_len, num_sources).reshape(batch, -1)
        return memory, padding

    def fused_recurrence(
        self, fusion: FusionInputs, inputs: torch.Tensor, mask: torch.BoolTensor, messages: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        weight_x, weight_h, weight_m = self.scorer.blocks()
        memory, padding = self.memory(messages, mask)
        # doubled keys and queries (the kernel scores with sigmoid(2a)): 2 W_m h_i^(s), 2 W_x x_t
        keys, queries = F.linear(memory, 2 * weight_m), F.linear(inputs, 2 * weight_x)
        return fused_positions(fusion, keys, memory, queries, padding, weight_h, self.score_vector())

    def prepare(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> Any:
        seq_len = messages.size(1)
        weight_x, weight_h, weight_m = self.scorer.blocks()
        memory, padding = self.memory(messages, mask)
        # The shared-state projection W_m h_i^(s): once per sentence, not once per step.
        keys = F.linear(memory, weight_m)  # (batch, seq_len * num_sources, attention_dim)
        queries = F.linear(inputs, weight_x).unbind(1)  # seq_len x (batch, attention_dim)
        vector = self.score_vector()
        activation_bytes = keys.numel() * seq_len * keys.element_size()
        recompute = activation_bytes > ATTENTION_MEMORY_BUDGET
        return keys, queries, memory, padding, RecurrentLinear(weight_h), vector, recompute

    def step(self, prepared: Any, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        keys, queries, memory, padding, query_linear, vector, recompute = prepared
        query = query_linear.linear(hidden, queries[timestep])
        scores = additive_scores(keys, query, vector, recompute)  # (batch, positions)
        scores = scores.masked_fill(padding, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1)  # exactly 0 on padding (exp underflows)
        message = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)
        return message, weights


class MeanAggregator(MessageAggregator):
    """r_t = the mean of the source states at step t; no parameters, kind `"none"`."""

    kind = "none"

    def fused_recurrence(
        self, fusion: FusionInputs, inputs: torch.Tensor, mask: torch.BoolTensor, messages: torch.Tensor
    ) -> Tuple[torch.Tensor, None]:
        return fused_mean(fusion, messages.mean(dim=2)), None

    def prepare(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> Any:
        return messages.mean(dim=2).unbind(1)

    def step(self, prepared: Any, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, None]:
        return prepared[timestep], None
