from graph_mtl.modules.topologies.topology import Topology, MessageAggregator  # noqa: F401
from graph_mtl.modules.topologies.attention_topology import AttentionTopology  # noqa: F401
from graph_mtl.modules.topologies.direct import DirectTopology  # noqa: F401
from graph_mtl.modules.topologies.indirect import IndirectTopology  # noqa: F401
