from graph_mtl.modules.topologies.topology import Topology, MessageAggregator  # noqa: F401
