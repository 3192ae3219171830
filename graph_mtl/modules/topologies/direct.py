"""
`direct` topology: DC-MTL (eqs. 3-6). Every task node sends its state h_t^(i) to every other
task node; the target attends over the source tasks at each step.
"""
from typing import Any, Dict, List, Optional

from graph_mtl.modules.aggregators.attention import SourceAttentionAggregator
from graph_mtl.modules.topologies.attention_topology import AttentionTopology
from graph_mtl.modules.topologies.topology import Topology


@Topology.register("direct")
class DirectTopology(AttentionTopology):
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
    temperature : `float`, optional (default = `1.0`, the paper)
        alpha = softmax(scores / temperature); below 1 the attention is sharper and learns
        faster under Adam.
    source_embeddings : `bool`, optional (default = `False`, the paper)
        Give every edge i -> k a learned vector e_i inside the score:
        u^T tanh(W [x_t, h_{t-1}^(k), h_t^(i)] + e_i) (`SourceAttentionAggregator`; zero when
        built, uniform +-init_range like every other parameter in the training configs, which
        measured far better: results/planted/README.md).
    """

    aggregator_type = SourceAttentionAggregator

    def __init__(
        self,
        attention_dim: Optional[int] = None,
        shared_attention: bool = False,
        temperature: float = 1.0,
        source_embeddings: bool = False,
    ) -> None:
        super().__init__(attention_dim=attention_dim, shared_attention=shared_attention, temperature=temperature)
        self.source_embeddings = source_embeddings

    def sources(self, target: str, tasks: List[str]) -> List[str]:
        return [task for task in tasks if task != target]

    def aggregator_options(self, sources: List[str]) -> Dict[str, Any]:
        return {"num_sources": len(sources)} if self.source_embeddings else {}
