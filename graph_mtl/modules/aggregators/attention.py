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
so that W_x x_t and W_m h^(i) are computed for all steps once per sentence (`fast_steps`) and
only W_h h_{t-1}^(k) is computed inside the recurrence.

The built-in aggregators have hand-written steps only (`fast_steps`: this file is where their
math is written). The same math written as a plugin writes it, `prepare` / `step` differentiated by
autograd, is `benchmarks/step_aggregators.py`: the plugin path's benchmark at the built-ins' cost,
and the tests' second oracle for the hand-written backward passes.
"""
from typing import List, Optional, Tuple

import torch
from torch.nn import functional as F

from graph_mtl.modules.fusion_lstm import AggregatorSteps
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

    It holds the parameters only and has no `forward`: the aggregators (and their hand-written
    steps) apply its column blocks (`blocks()`) and u separately, so that the
    parts of the score that do not depend on h_{t-1} are computed once per sentence.
    """

    def __init__(self, input_dim: int, hidden_dim: int, message_dim: int, attention_dim: int):
        super().__init__()
        self.input_dim, self.hidden_dim, self.message_dim, self.attention_dim = (
            input_dim, hidden_dim, message_dim, attention_dim)
        self.projection = torch.nn.Linear(input_dim + hidden_dim + message_dim, attention_dim, bias=False)
        self.vector = torch.nn.Linear(attention_dim, 1, bias=False)

    def blocks(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`(W_x, W_h, W_m)`: the column blocks of W for x_t, h_{t-1}^(k) and the message."""
        weight = self.projection.weight
        return weight.split([self.input_dim, self.hidden_dim, self.message_dim], dim=1)


# Store the attention energies of every step when they take at most this much memory (else the
# backward pass recomputes them, one step at a time).
ENERGY_BUDGET_BYTES = 32 * 2**20


class AdditiveAttentionSteps(AggregatorSteps):
    """
    Hand-written steps of the additive attention (eqs. 3-8) inside the fusion recurrence: at step
    t, q_t = W_h h_{t-1}, weights = softmax(u^T tanh(k_n + q_t (+ W_x x_t))) over the entries n,
    r_t = sum_n weights_n m_n.

    * `sources` (DC-MTL): keys2 `(B, T, S, A)` = 2 (W_x x_t + W_m h_t^(i) (+ e_i)) and memory
      `(B, T, S, M)`: the entries of step t are the S sources at t;
    * `positions` (IC-MTL, when `queries2` is given): keys2 `(B, N, A)` = 2 W_m h_i^(s), memory
      `(B, N, M)`, the same N entries at every step, queries2 `(B, T, A)` = 2 W_x x_t and
      `padding` `(B, N)` True on masked entries.

    Speed: u^T tanh(a) is computed as (2u)^T sigmoid(2a) - sum(u), dropping the constant inside
    the softmax (shift-invariant): on CPU `sigmoid` is several times faster than `tanh`, and
    tanh'(a) = 4 s (1 - s) with s = sigmoid(2a). The aggregator doubles the key weights (a
    200 x 200 product) so that 2a needs no pass over the keys. The energies s of every step are
    kept when they fit in `ENERGY_BUDGET_BYTES`, else recomputed in the backward pass (IC-MTL's
    are `O(B T N A)`; recomputing a step's cache-resident energies was even faster on CPU, B=64,
    T=32: 154 vs 173 ms per training step). IC-MTL's d(weights) = dr . m_n is a row vector times
    the memory transposed once to `(B, M, N)`: on CPU, `bmm` of `(B, N, M)` by `(B, M, 1)` runs
    7-10x slower than `bmm` of `(B, 1, M)` by `(B, M, N)`. The gradients of W_h and u are one
    product each over all steps.
    """

    def __init__(
        self, keys2: torch.Tensor, memory: torch.Tensor, weight_h: torch.Tensor, vector: torch.Tensor,
        queries2: Optional[torch.Tensor] = None, padding: Optional[torch.BoolTensor] = None,
    ) -> None:
        self.positions = queries2 is not None
        self.tensors = [keys2, memory, weight_h, vector] + ([queries2] if self.positions else [])
        self.keys2, self.memory, self.weight_h, self.padding = keys2, memory, weight_h.detach(), padding
        self.vector2 = (2 * vector.detach()).unsqueeze(-1)  # (A, 1)
        self.weight_h2_t = (2 * self.weight_h).t()
        batch, seq_len = (queries2 if self.positions else keys2).shape[:2]
        entries, attention_dim = keys2.size(-2), keys2.size(-1)
        new = keys2.new_empty
        self.queries2 = queries2.transpose(0, 1) if self.positions else None  # (T, B, A), a view
        self.weights = new(seq_len, batch, entries)
        self.query_steps = new(seq_len, batch, attention_dim)  # 2 (W_h h_{t-1} (+ W_x x_t))
        # keep the energies for the backward pass (only when there will be one) within the budget
        store = torch.is_grad_enabled() and seq_len * batch * entries * attention_dim * keys2.element_size() <= ENERGY_BUDGET_BYTES
        self.energies = new(seq_len, batch, entries, attention_dim) if store else None
        self.energy = new(batch, entries, attention_dim) if self.energies is None else None
        # the gradient buffers (grad_queries: d(W_h h_{t-1})), made by each backward pass (none in
        # inference), and IC-MTL's memory transposed
        self.grad_keys = self.grad_queries = self.grad_vector_steps = self.grad_scores = None
        self.derivative = self.memory_t = None

    def _energy(self, timestep: int, out: torch.Tensor) -> torch.Tensor:
        """s = sigmoid(2 (k + q)) of step t, written into `out`."""
        key2 = self.keys2 if self.positions else self.keys2[:, timestep]
        return torch.add(key2, self.query_steps[timestep].unsqueeze(1), out=out).sigmoid_()

    def forward(self, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        query2 = torch.mm(hidden, self.weight_h2_t, out=self.query_steps[timestep])
        if self.positions:
            query2.add_(self.queries2[timestep])
        energy = self._energy(timestep, self.energies[timestep] if self.energies is not None else self.energy)
        scores = torch.matmul(energy, self.vector2).squeeze(-1)  # (B, entries), up to a constant
        if self.positions:
            scores = scores.masked_fill_(self.padding, torch.finfo(scores.dtype).min)
        weights = self.weights[timestep]
        torch.softmax(scores, dim=-1, out=weights)
        memory = self.memory if self.positions else self.memory[:, timestep]
        return torch.bmm(weights.unsqueeze(1), memory).squeeze(1), weights

    def backward(self, timestep: int, hidden: torch.Tensor, grad_message: torch.Tensor,
                 grad_weights_out: Optional[torch.Tensor] = None) -> torch.Tensor:
        weights = self.weights[timestep]
        if self.grad_keys is None:
            self.grad_keys = torch.zeros_like(self.keys2) if self.positions else torch.empty_like(self.keys2)
            self.grad_queries = torch.empty_like(self.query_steps)
            self.grad_vector_steps = torch.empty_like(self.query_steps)
            self.grad_scores = torch.empty_like(self.weights)
            self.derivative = torch.empty_like(self.keys2 if self.positions else self.keys2[:, 0])
        if self.positions:
            if self.memory_t is None:
                self.memory_t = self.memory.transpose(-1, -2).contiguous()
            grad_weights = torch.bmm(grad_message.unsqueeze(1), self.memory_t).squeeze(1)
        else:
            grad_weights = (self.memory[:, timestep] * grad_message.unsqueeze(1)).sum(-1)
        if grad_weights_out is not None:  # a loss on the weights themselves
            grad_weights = grad_weights + grad_weights_out
        # softmax: ds = w * (dw - sum(w dw))
        product = weights * grad_weights
        grad_scores = torch.addcmul(product, weights, product.sum(-1, keepdim=True), value=-1,
                                    out=self.grad_scores[timestep])
        if self.energies is not None:
            energy = self.energies[timestep]
        else:
            energy = self._energy(timestep, self.energy)
        # s (1 - s); tanh'(a) = 4 s (1 - s)
        derivative = torch.addcmul(energy, energy, energy, value=-1, out=self.derivative)
        grad_scores_3d = grad_scores.unsqueeze(1)
        torch.bmm(grad_scores_3d, energy, out=self.grad_vector_steps[timestep].unsqueeze(1))
        grad_query = torch.bmm(grad_scores_3d, derivative).squeeze(1)
        grad_query = torch.mul(grad_query, 2 * self.vector2.squeeze(-1), out=self.grad_queries[timestep])
        if self.positions:
            self.grad_keys.addcmul_(derivative, grad_scores.unsqueeze(-1))
        else:
            torch.mul(derivative, grad_scores.unsqueeze(-1), out=self.grad_keys[:, timestep])
        return torch.mm(grad_query, self.weight_h)

    def gradients(self, hiddens: torch.Tensor, grad_messages: torch.Tensor) -> List[Optional[torch.Tensor]]:
        flat = lambda tensor: tensor.reshape(-1, tensor.size(-1))  # noqa: E731
        grad_weight_h = flat(self.grad_queries).t().mm(flat(hiddens))
        # u . tanh(a) = 2 u . s - sum(u)
        grad_vector = 2 * self.grad_vector_steps.sum(dim=(0, 1)) - self.grad_scores.sum()
        # d score / d(2k) = u tanh'(k + q) / 2 = 2 u s (1 - s)
        grad_keys, self.grad_keys = self.grad_keys.mul_(self.vector2.squeeze(-1)), None
        weights = self.weights.transpose(0, 1)  # (B, T, entries)
        grad_messages = grad_messages.transpose(0, 1)  # (B, T, M)
        grad_memory = None  # r_t = sum_n weights_n m_n: dm_n = weights_n dr (none for stopped messages)
        if self.memory.requires_grad:
            grad_memory = (torch.bmm(weights.transpose(1, 2), grad_messages) if self.positions
                           else weights.unsqueeze(-1) * grad_messages.unsqueeze(2))
        if not self.positions:
            return [grad_keys, grad_memory, grad_weight_h, grad_vector]
        # d / d(2 W_x x_t) is half of d / d(W_h h_{t-1})
        return [grad_keys, grad_memory, grad_weight_h, grad_vector, self.grad_queries.transpose(0, 1) * 0.5]


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

    def __init__(self, input_dim: int, hidden_dim: int, message_dim: int, attention_dim: Optional[int] = None,
                 scorer: Optional[AdditiveScorer] = None, temperature: float = 1.0, num_sources: int = 0) -> None:
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

    def fast_steps(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> AggregatorSteps:
        # doubled keys: the steps score with sigmoid(2a) (see AdditiveAttentionSteps)
        _, weight_h, _ = self.scorer.blocks()
        return AdditiveAttentionSteps(self.keys(inputs, messages, scale=2.0), messages, weight_h, self.score_vector())


class PositionAttentionAggregator(_AttentionAggregator):
    """
    IC-MTL attention over the positions of the source node(s) (eqs. 7-8), kind `"positions"`.

    With several sources, the positions of all of them form one distribution
    (`seq_len * num_sources` entries, position-major).

    # Parameters

    input_dim, hidden_dim, message_dim, attention_dim, scorer, temperature
        As in `SourceAttentionAggregator`.
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

    def fast_steps(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> AggregatorSteps:
        weight_x, weight_h, weight_m = self.scorer.blocks()
        memory, padding = self.memory(messages, mask)
        # doubled keys and queries (the steps score with sigmoid(2a)): 2 W_m h_i^(s), 2 W_x x_t
        keys, queries = F.linear(memory, 2 * weight_m), F.linear(inputs, 2 * weight_x)
        return AdditiveAttentionSteps(keys, memory, weight_h, self.score_vector(), queries, padding)


class MeanAggregator(MessageAggregator):
    """r_t = the mean of the source states at step t; no parameters, kind `"none"`."""

    kind = "none"

    def fast_steps(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> AggregatorSteps:
        return MeanSteps(messages.mean(dim=2))


class MeanSteps(AggregatorSteps):
    """`MeanAggregator`'s steps: r_t = `messages[:, t]` `(B, T, M)`, given (it does not depend on h_{t-1})."""

    def __init__(self, messages: torch.Tensor) -> None:
        self.tensors = [messages]

    def forward(self, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, None]:
        return self.tensors[0][:, timestep], None

    def backward(self, timestep: int, hidden: torch.Tensor, grad_message: torch.Tensor,
                 grad_weights: Optional[torch.Tensor] = None) -> None:
        return None

    def gradients(self, hiddens: torch.Tensor, grad_messages: torch.Tensor) -> List[Optional[torch.Tensor]]:
        return [grad_messages.transpose(0, 1)]
