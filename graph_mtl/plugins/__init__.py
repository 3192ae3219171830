"""
graph-mtl plugins (pluggy): installed packages contribute communication topologies (and other
registrable components) without any change to graph-mtl.

* `hookimpl` -- the decorator a plugin puts on its hook functions;
* hooks (`graph_mtl.plugins.hookspecs`): `graph_mtl_topologies()` returns
  `{name: Topology subclass}`, `graph_mtl_components()` returns `(base, name, class)` triples;
* discovery: entry points in the group `graph_mtl`, loaded with pluggy by `load_plugins()` when
  `graph_mtl` is imported (so every `allennlp` command sees them). A plugin that fails to import
  is logged with its name and the error and skipped; the others still load, and a config naming
  a missing component then says which plugin failed. A name two plugins register is refused for
  both, with one message naming both (the same on every way in);
* `python -m graph_mtl.plugins` prints the plugins found, what each registered, what failed,
  what was refused, and the available topologies.

See docs/plugins.md for how to write, register and install a plugin.
"""
from graph_mtl.plugins.hookspecs import PROJECT_NAME, hookimpl, hookspec  # noqa: F401
from graph_mtl.plugins.manager import (  # noqa: F401
    DISABLE_ENV,
    ENTRY_POINT_GROUP,
    GraphMtlPluginManager,
    available_topologies,
    get_plugin_manager,
    load_plugins,
)
