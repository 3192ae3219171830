"""
`indirect` topology: IC-MTL (eqs. 7-8). A shared LSTM (the virtual node `shared`, theta^(s))
runs over the sentence; every task attends over its states at all positions.
"""
from typing import List, Optional

from allennlp.common.checks import ConfigurationError

from graph_mtl.modules.aggregators.attention import PositionAttentionAggregator
from graph_mtl.modules.topologies.attention_topology import AttentionTopology
from graph_mtl.modules.topologies.topology import Topology


@Topology.register("indirect")
class IndirectTopology(AttentionTopology):
    """
    IC-MTL: one virtual node (default name `shared`) sends its states h_i^(s), i = 1..T, to
    every task; the target attends over positions (`PositionAttentionAggregator`, weights
    `beta`, masked on padding).

    # Parameters

    attention_dim : `int`, optional (default = the encoder's hidden size)
    shared_attention : `bool`, optional (default = `False`)
        By default each target task has its own W and u; `True` shares one W, u between all
        targets of a layer and direction.
    temperature : `float`, optional (default = `1.0`, the paper)
        beta = softmax(scores / temperature).
    node_name : `str`, optional (default = `"shared"`)
        Name of the virtual node (must not be a task name).
    """

    aggregator_type = PositionAttentionAggregator

    def __init__(
        self,
        attention_dim: Optional[int] = None,
        shared_attention: bool = False,
        node_name: str = "shared",
        temperature: float = 1.0,
    ) -> None:
        super().__init__(attention_dim=attention_dim, shared_attention=shared_attention, temperature=temperature)
        self.node_name = node_name

    def virtual_nodes(self) -> List[str]:
        return [self.node_name]

    def validate(self, tasks: List[str]) -> None:
        if self.node_name in tasks:
            raise ConfigurationError(
                f"the indirect topology's virtual node is called {self.node_name!r}, which is "
                f"also a task name; set the topology's node_name to something else"
            )

    def sources(self, target: str, tasks: List[str]) -> List[str]:
        return [self.node_name]
