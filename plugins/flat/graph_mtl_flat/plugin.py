"""The pluggy hooks of the `flat` plugin (entry point `flat = graph_mtl_flat.plugin`)."""
from typing import Dict, Type

from graph_mtl.modules.topologies import Topology
from graph_mtl.plugins import hookimpl


@hookimpl
def graph_mtl_topologies() -> Dict[str, Type[Topology]]:
    from graph_mtl_flat.topology import FlatTopology

    return {"flat": FlatTopology}
