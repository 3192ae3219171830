"""
`flat` topology: FS-MTL (fully shared MTL) expressed in the message-passing framework.

Every task node reads one shared virtual node (an LSTM over the sentence whose parameters all
tasks train): r_t = h_t^(s), the shared state at the same position. There are no task-to-task
edges and no learned communication weights (the aggregator is a fixed identity/mean, kind
`"none"`), so every task sees exactly the same shared hidden space -- the FS-MTL baseline of
the paper (Table 1), with the fusion gate deciding how much of it each task uses.
"""
from typing import List

from allennlp.common.checks import ConfigurationError

from graph_mtl.modules.aggregators import MeanAggregator
from graph_mtl.modules.topologies.topology import MessageAggregator, Topology


class FlatTopology(Topology):
    """
    Registered as topology `flat` by the `flat` plugin (entry point group `graph_mtl`).

    # Parameters

    shared_node : `str`, optional (default = `"shared"`)
        Name of the shared virtual node; must not be the name of a task.
    """

    def __init__(self, shared_node: str = "shared") -> None:
        if not isinstance(shared_node, str) or not shared_node:
            raise ConfigurationError(f"flat topology: shared_node must be a non-empty string, got {shared_node!r}")
        self.shared_node = shared_node

    def virtual_nodes(self) -> List[str]:
        return [self.shared_node]

    def validate(self, tasks: List[str]) -> None:
        if self.shared_node in tasks:
            raise ConfigurationError(
                f"flat topology: the shared node is called {self.shared_node!r}, which is also a "
                f"task name; set \"shared_node\" to another name (tasks: {sorted(tasks)})"
            )

    def sources(self, target: str, tasks: List[str]) -> List[str]:
        return [self.shared_node]

    def build_aggregator(
        self, target: str, sources: List[str], input_dim: int, hidden_dim: int, message_dim: int
    ) -> MessageAggregator:
        # One source, so the mean over sources is the shared state itself: r_t = h_t^(s).
        return MeanAggregator()
