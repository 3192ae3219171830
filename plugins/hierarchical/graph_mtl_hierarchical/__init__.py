"""
graph-mtl plugin `hierarchical`: tasks receive messages from the tasks below them in a partial
order given in the config.

`import graph_mtl` comes first: it loads every plugin, this one included, so importing this
package on its own (before graph_mtl) cannot leave a half-imported module behind.
"""
import graph_mtl  # noqa: F401

from graph_mtl_hierarchical.topology import HierarchicalTopology  # noqa: F401,E402
