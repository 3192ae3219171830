"""
graph-mtl plugin `flat`: FS-MTL (one fully shared hidden space) as a communication topology.

`import graph_mtl` comes first: it loads every plugin, this one included, so importing this
package on its own (before graph_mtl) cannot leave a half-imported module behind.
"""
import graph_mtl  # noqa: F401

from graph_mtl_flat.topology import FlatTopology  # noqa: F401,E402
