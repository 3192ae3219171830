"""The pluggy hooks of the `hierarchical` plugin (entry point
`hierarchical = graph_mtl_hierarchical.plugin`)."""
from typing import Dict, Type

from graph_mtl.modules.topologies import Topology
from graph_mtl.plugins import hookimpl


@hookimpl
def graph_mtl_topologies() -> Dict[str, Type[Topology]]:
    from graph_mtl_hierarchical.topology import HierarchicalTopology

    return {"hierarchical": HierarchicalTopology}
