"""
The built-in aggregators written as a plugin writes an aggregator: `prepare` once per sentence and
`step` once per time step, differentiated by autograd (`graph_mtl.modules.fusion_lstm.AutogradSteps`),
with no hand-written steps (`fast_steps` returns `None`). Same parameters, same math as the
built-ins' hand-written steps in `graph_mtl/modules/aggregators/attention.py`.

Two users:

* the benchmarks' plugin path (`encoder_speed.py --generic`): a plugin aggregator against the
  built-in of the same cost;
* the tests' second oracle for the hand-written backward passes (tests/modules/test_fast_equivalence.py
  and others run every encoder both ways).

`use_step_versions(module)` switches every built-in aggregator inside `module` to its step version
(the class of the object changes, its parameters stay); `autograd_steps(module)` does it for the
duration of a `with` block.
"""
import contextlib
from typing import Any, Iterator, List, Tuple

import torch
from torch.nn import functional as F

from graph_mtl.modules.aggregators.attention import (
    MeanAggregator,
    PositionAttentionAggregator,
    SourceAttentionAggregator,
)


class StepSourceAttention(SourceAttentionAggregator):
    """DC-MTL's attention over the sources at step t (eqs. 3-6), by autograd."""

    def fast_steps(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> None:
        return None

    def prepare(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> Any:
        _, weight_h, _ = self.scorer.blocks()
        # W_x x_t + W_m h_t^(i) (+ e_i) for all steps at once; per-step views (a step reads only its own)
        return self.keys(inputs, messages).unbind(1), messages.unbind(1), weight_h, self.score_vector()

    def step(self, prepared: Any, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        keys, messages, weight_h, vector = prepared
        query = F.linear(hidden, weight_h).unsqueeze(1)  # (batch, 1, attention_dim)
        scores = torch.matmul(torch.tanh(keys[timestep] + query), vector)  # (batch, num_sources)
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights.unsqueeze(1), messages[timestep]).squeeze(1), weights


class StepPositionAttention(PositionAttentionAggregator):
    """IC-MTL's attention over the positions of the shared states (eqs. 7-8), by autograd."""

    def fast_steps(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> None:
        return None

    def prepare(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> Any:
        weight_x, weight_h, weight_m = self.scorer.blocks()
        memory, padding = self.memory(messages, mask)
        # W_m h_i^(s) once per sentence; W_x x_t per step
        keys, queries = F.linear(memory, weight_m), F.linear(inputs, weight_x).unbind(1)
        return keys, queries, memory, padding, weight_h, self.score_vector()

    def step(self, prepared: Any, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        keys, queries, memory, padding, weight_h, vector = prepared
        query = F.linear(hidden, weight_h) + queries[timestep]
        scores = torch.matmul(torch.tanh(keys + query.unsqueeze(1)), vector)  # (batch, positions)
        scores = scores.masked_fill(padding, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1)  # exactly 0 on padding (exp underflows)
        return torch.bmm(weights.unsqueeze(1), memory).squeeze(1), weights


class StepMean(MeanAggregator):
    """r_t = the mean of the source states at step t, by autograd."""

    def fast_steps(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> None:
        return None

    def prepare(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> Any:
        return messages.mean(dim=2).unbind(1)

    def step(self, prepared: Any, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, None]:
        return prepared[timestep], None


STEP_VERSIONS = {
    SourceAttentionAggregator: StepSourceAttention,
    PositionAttentionAggregator: StepPositionAttention,
    MeanAggregator: StepMean,
}


def use_step_versions(module: torch.nn.Module) -> List[Tuple[torch.nn.Module, type]]:
    """Every built-in aggregator inside `module` (an encoder, a layer, a model) becomes its step
    version, for good (plugins' aggregators are left as they are); returns `(aggregator, built-in
    class)` of each one switched."""
    switched = [(aggregator, type(aggregator)) for aggregator in module.modules()
                if type(aggregator) in STEP_VERSIONS]
    for aggregator, built_in in switched:
        aggregator.__class__ = STEP_VERSIONS[built_in]
    return switched


@contextlib.contextmanager
def autograd_steps(module: torch.nn.Module, enabled: bool = True) -> Iterator[torch.nn.Module]:
    """`use_step_versions` for the duration of the block, the built-ins put back after it (also
    after an exception); `enabled=False` changes nothing, so that callers can write one `with`
    for both paths."""
    switched = use_step_versions(module) if enabled else []
    try:
        yield module
    finally:
        for aggregator, built_in in switched:
            aggregator.__class__ = built_in
