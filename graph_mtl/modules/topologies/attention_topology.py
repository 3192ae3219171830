"""
What the built-in `direct` and `indirect` topologies share: one additive-attention aggregator per
target task, whose scorer (W, u of eq. 5) belongs to the target by default or, with
`shared_attention`, is one `AdditiveScorer` shared by all targets of a layer and direction.
"""
from typing import Any, Dict, List, Optional, Type

from graph_mtl.modules.aggregators.attention import AdditiveScorer
from graph_mtl.modules.topologies.topology import MessageAggregator, Topology


class AttentionTopology(Topology):
    """
    Base of the attention topologies (not registered itself). Subclasses implement `sources` and
    set `aggregator_type`, an aggregator class called as
    `aggregator_type(input_dim, hidden_dim, message_dim, attention_dim, scorer=scorer,
    temperature=temperature)` that keeps its `AdditiveScorer` as `scorer` (`None` makes it build
    its own; with `shared_attention` the first target's is passed to the others).

    # Parameters

    attention_dim : `int`, optional (default = the encoder's hidden size)
        Rows of W in the attention score u^T tanh(W [x_t, h_{t-1}^(k), message]).
    shared_attention : `bool`, optional (default = `False`)
        By default each target task has its own W and u; `True` shares one W, u between all
        targets of a layer and direction.
    temperature : `float`, optional (default = `1.0`, the paper)
        The attention weights are softmax(scores / temperature): below 1 sharper weights and, with
        Adam, an attention that moves 1/temperature times faster (results/planted/README.md).
    """

    aggregator_type: Type[MessageAggregator]

    def __init__(
        self, attention_dim: Optional[int] = None, shared_attention: bool = False, temperature: float = 1.0
    ) -> None:
        if not temperature > 0:
            raise ValueError(f"the attention temperature must be positive, not {temperature}")
        self.attention_dim = attention_dim
        self.shared_attention = shared_attention
        self.temperature = temperature
        self._scorer: Optional[AdditiveScorer] = None

    def begin_build(self) -> None:
        self._scorer = None

    def build_aggregator(
        self, target: str, sources: List[str], input_dim: int, hidden_dim: int, message_dim: int
    ) -> MessageAggregator:
        # shared: the first target's aggregator makes the scorer, the others get it
        aggregator = self.aggregator_type(
            input_dim, hidden_dim, message_dim, self.attention_dim, scorer=self._scorer, temperature=self.temperature,
            **self.aggregator_options(sources),
        )
        if self.shared_attention:
            self._scorer = aggregator.scorer
        return aggregator

    def aggregator_options(self, sources: List[str]) -> Dict[str, Any]:
        """More keyword arguments of `aggregator_type` for a target reading `sources`."""
        return {}
