"""
The hooks a graph-mtl plugin can implement (pluggy project name `graph_mtl`).

A plugin is any module or object with functions decorated by `graph_mtl.plugins.hookimpl` whose
names are those below. An installed package announces its plugin with an entry point in the
group `graph_mtl` (see `docs/plugins.md`); `graph_mtl.plugins.load_plugins()` (called when
`graph_mtl` is imported) loads every such entry point and registers what its hooks return.

Both hooks take no arguments and are called once per plugin, each in isolation: a plugin whose
hook raises, or returns something malformed, is reported and skipped, and the other plugins
are unaffected.
"""
from typing import Iterable, Mapping, Tuple, Type

import pluggy

from graph_mtl.modules.topologies.topology import Topology

PROJECT_NAME = "graph_mtl"
"""The pluggy project name, which is also the entry-point group plugins are found under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def graph_mtl_topologies() -> Mapping[str, Type[Topology]]:  # type: ignore[empty-body]
    """
    Contribute communication topologies.

    # Returns

    `{name: TopologySubclass}`. Each class is registered as `Topology` `name`, so a config
    selects it with `"topology": {"type": name, ...}` in the message-passing encoder. A
    built-in name (`direct`, `indirect`) is not overridden: the conflict is reported and this
    entry skipped. A name that another plugin registers with a different class is refused for
    both plugins, with one message naming both.
    """


@hookspec
def graph_mtl_components() -> Iterable[Tuple[type, str, type]]:  # type: ignore[empty-body]
    """
    Contribute any other registrable component: heads, task samplers, dataset readers,
    metrics, ... (any subclass of an AllenNLP `Registrable` base).

    # Returns

    An iterable of `(base_class, name, subclass)` triples, e.g.
    `[(Head, "my_head", MyHead), (DatasetReader, "my_reader", MyReader)]`; each is registered
    as `base_class.register(name)(subclass)`, with the same conflict rules as topologies.
    """
