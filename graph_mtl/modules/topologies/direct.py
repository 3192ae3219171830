"""
`direct` topology: DC-MTL (eqs. 3-6). Every task node sends its state h_t^(i) to every other
task node; the target attends over the source tasks at each step.
"""
from typing import List, Optional

from graph_mtl.modules.aggregators.attention import AdditiveScorer, SourceAttentionAggregator
from graph_mtl.modules.topologies.topology import MessageAggregator, Topology


@Topology.register("direct")
class DirectTopology(Topology):
    """
    DC-MTL: `sources(k) = [every task except k]`, in the model's task order, aggregated by
    additive attention over the sources (`SourceAttentionAggregator`, weights `alpha`).

    # Parameters

    attention_dim : `int`, optional (default = the encoder's hidden size)
        Rows of W in s_t^(i->k) = u^T tanh(W [x_t, h_{t-1}^(k), h_t^(i)]).
    shared_attention : `bool`, optional (default = `False`)
        By default each target task k has its own W and u (the attention is part of what task k
        learns: which tasks to listen to). With `True` one W, u is shared by all targets of a
        layer and direction.
    """

    def __init__(self, attention_dim: Optional[int] = None, shared_attention: bool = False) -> None:
        self.attention_dim = attention_dim
        self.shared_attention = shared_attention
        self._scorer: Optional[AdditiveScorer] = None

    def sources(self, target: str, tasks: List[str]) -> List[str]:
        return [task for task in tasks if task != target]

    def begin_build(self) -> None:
        self._scorer = None

    def build_aggregator(
        self, target: str, sources: List[str], input_dim: int, hidden_dim: int, message_dim: int
    ) -> MessageAggregator:
        scorer = None
        if self.shared_attention:
            if self._scorer is None:
                self._scorer = AdditiveScorer(
                    input_dim, hidden_dim, message_dim, self.attention_dim or hidden_dim
                )
            scorer = self._scorer
        return SourceAttentionAggregator(
            input_dim, hidden_dim, message_dim, self.attention_dim, scorer=scorer
        )
