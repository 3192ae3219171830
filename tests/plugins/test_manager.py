"""The plugin manager: entry-point discovery, in-process registration, isolation of failures."""
import importlib.metadata
from pathlib import Path

import pytest
from allennlp.common import Params, Registrable
from allennlp.common.checks import ConfigurationError

import graph_mtl
from graph_mtl.modules.topologies import Topology
from graph_mtl.modules.topologies.direct import DirectTopology
from graph_mtl.plugins import (
    GraphMtlPluginManager,
    available_topologies,
    get_plugin_manager,
    hookimpl,
    load_plugins,
)


class RingTopology(Topology):
    """Each task reads the next one (test-only)."""

    def sources(self, target, tasks):
        return [tasks[(tasks.index(target) + 1) % len(tasks)]] if len(tasks) > 1 else []

    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        from graph_mtl.modules.aggregators import MeanAggregator

        return MeanAggregator()


class Thing(Registrable):
    """A test-only registrable base for the `graph_mtl_components` hook."""


class SpecialThing(Thing):
    pass


def write_dist(root: Path, dist: str, entry_points: dict, modules: dict) -> None:
    """A throwaway installed distribution: modules plus a dist-info with entry_points.txt."""
    for name, text in modules.items():
        (root / f"{name}.py").write_text(text)
    info = root / f"{dist}-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.0.1\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[graph_mtl]\n{lines}")


def test_shipped_plugins_are_discovered_through_their_entry_points():
    entry_points = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="graph_mtl")}
    assert entry_points.get("flat") == "graph_mtl_flat.plugin"
    assert entry_points.get("hierarchical") == "graph_mtl_hierarchical.plugin"

    manager = get_plugin_manager()
    assert manager.has_plugin("flat") and manager.has_plugin("hierarchical")
    assert "flat" not in manager.failures and "hierarchical" not in manager.failures
    from graph_mtl_flat.topology import FlatTopology
    from graph_mtl_hierarchical.topology import HierarchicalTopology

    assert Topology.by_name("flat") is FlatTopology
    assert Topology.by_name("hierarchical") is HierarchicalTopology
    assert {"direct", "indirect", "flat", "hierarchical"} <= set(available_topologies())
    assert available_topologies()[0] == "direct"  # the default comes first
    report = manager.report()
    assert "flat [ok]" in report and "Topology 'hierarchical'" in report


def test_load_plugins_is_idempotent():
    before = dict(get_plugin_manager().list_name_plugin())
    assert load_plugins() is get_plugin_manager()
    assert dict(get_plugin_manager().list_name_plugin()) == before


def test_plugin_registered_in_process_is_applied_and_removed():
    class RingPlugin:
        @hookimpl
        def graph_mtl_topologies(self):
            return {"test_ring": RingTopology}

        @hookimpl
        def graph_mtl_components(self):
            return [(Thing, "special", SpecialThing)]

    manager = get_plugin_manager()
    plugin = RingPlugin()
    assert manager.register(plugin, name="test-ring") == "test-ring"
    try:
        assert Topology.by_name("test_ring") is RingTopology
        assert Thing.by_name("special") is SpecialThing
        topology = Topology.from_params(Params({"type": "test_ring"}))
        assert topology.graph(["a", "b", "c"]) == {"a": ["b"], "b": ["c"], "c": ["a"]}
        assert manager.contributions["test-ring"] == [
            (Topology, "test_ring", RingTopology),
            (Thing, "special", SpecialThing),
        ]
    finally:
        manager.unregister(plugin)
    assert "test_ring" not in available_topologies()
    assert "special" not in Thing.list_available()


def test_failing_hooks_and_bad_contributions_are_isolated():
    manager = GraphMtlPluginManager()  # a private manager; registries are still global

    class Raises:
        @hookimpl
        def graph_mtl_topologies(self):
            raise RuntimeError("boom in hook")

    class Malformed:
        @hookimpl
        def graph_mtl_topologies(self):
            return {"test_not_a_topology": int, "direct": RingTopology, "test_ok": RingTopology}

    class Empty:
        pass

    raises, malformed, empty = Raises(), Malformed(), Empty()
    for plugin, name in [(raises, "raises"), (malformed, "malformed"), (empty, "empty")]:
        manager.register(plugin, name=name)  # none of these raise
    try:
        assert "RuntimeError: boom in hook" in manager.failures["raises"]
        problems = " | ".join(manager.problems["malformed"])
        assert "'test_not_a_topology'" in problems and "not a subclass" in problems
        assert "'direct' is already registered by" in problems
        # the built-in is untouched, the plugin's valid entry is kept
        assert Topology.by_name("direct") is DirectTopology
        assert Topology.by_name("test_ok") is RingTopology
        assert "implements no graph_mtl hook" in manager.problems["empty"][0]
        assert "raises [FAILED]" in manager.report()
    finally:
        for plugin in (raises, malformed, empty):
            manager.unregister(plugin)
    assert "test_ok" not in available_topologies()


def test_broken_entry_point_is_reported_and_does_not_break_others(tmp_path, monkeypatch, caplog):
    write_dist(
        tmp_path,
        "broken_and_good",
        {"test_broken": "test_broken_plugin", "test_good": "test_good_plugin"},
        {
            "test_broken_plugin": "raise ImportError('missing dependency xyz')\n",
            "test_good_plugin": (
                "from graph_mtl.plugins import hookimpl\n"
                "from tests.plugins.test_manager import RingTopology\n"
                "@hookimpl\n"
                "def graph_mtl_topologies():\n"
                "    return {'test_good_ring': RingTopology}\n"
            ),
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    manager = GraphMtlPluginManager()
    with caplog.at_level("ERROR", logger="graph_mtl.plugins.manager"):
        loaded = manager.load_entry_points()
    try:
        assert "test_good" in loaded and "test_broken" not in loaded
        assert {"flat", "hierarchical"} <= set(loaded)  # a fresh manager also finds the shipped ones
        assert "ImportError: missing dependency xyz" in manager.failures["test_broken"]
        logged = caplog.text
        assert "'test_broken'" in logged and "missing dependency xyz" in logged
        assert Topology.by_name("test_good_ring") is RingTopology
        assert "test_broken [FAILED]" in manager.report()
    finally:
        manager.unregister(name="test_good")


def test_plugin_module_imported_before_graph_mtl_is_loaded_later(tmp_path, monkeypatch):
    # The module runs entry-point loading while it is itself still being imported (as when a
    # user imports a one-file plugin before graph_mtl): it must be skipped, not registered
    # empty, and picked up by the next load.
    write_dist(
        tmp_path,
        "early",
        {"test_early": "test_early_plugin"},
        {
            "test_early_plugin": (
                "from graph_mtl.plugins import GraphMtlPluginManager, hookimpl\n"
                "from tests.plugins.test_manager import RingTopology\n"
                "MANAGER = GraphMtlPluginManager()\n"
                "FIRST = MANAGER.load_entry_points()\n"
                "@hookimpl\n"
                "def graph_mtl_topologies():\n"
                "    return {'test_early_ring': RingTopology}\n"
            )
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import test_early_plugin

    manager = test_early_plugin.MANAGER
    try:
        assert "test_early" not in test_early_plugin.FIRST
        assert "test_early" not in manager.failures and not manager.has_plugin("test_early")
        assert manager.load_entry_points() == ["test_early"]
        assert Topology.by_name("test_early_ring") is RingTopology
    finally:
        manager.unregister(name="test_early")


def test_plugins_can_be_disabled_by_environment(monkeypatch):
    monkeypatch.setenv("GRAPH_MTL_DISABLE_PLUGINS", "flat")
    manager = GraphMtlPluginManager()
    # flat's name is already registered by the process-wide manager with the same class: no clash
    loaded = manager.load_entry_points()
    assert "flat" not in loaded and "hierarchical" in loaded
    monkeypatch.setenv("GRAPH_MTL_DISABLE_PLUGINS", "all")
    assert GraphMtlPluginManager().load_entry_points() == []


def test_unknown_topology_name_lists_the_available_ones():
    with pytest.raises(ConfigurationError) as error:
        Topology.from_params(Params({"type": "no_such_topology"}))
    message = str(error.value)
    assert "no_such_topology" in message
    for name in ("direct", "indirect", "flat", "hierarchical"):
        assert name in message


def test_command_line_report(capsys):
    from graph_mtl.plugins.__main__ import main

    status = main()
    printed = capsys.readouterr().out
    assert "flat [ok] entry point flat = graph_mtl_flat.plugin" in printed
    assert "Topology 'hierarchical': graph_mtl_hierarchical.topology.HierarchicalTopology" in printed
    assert "available topologies: direct, indirect" in printed
    assert status == (1 if get_plugin_manager().failures else 0)


class OtherRingTopology(RingTopology):
    """A second class for the same name (test-only)."""


def topology_plugin(name: str, cls: type) -> object:
    class Plugin:
        @hookimpl
        def graph_mtl_topologies(self):
            return {name: cls}

    return Plugin()


def test_a_name_two_plugins_register_is_refused_for_both_until_one_goes(caplog):
    manager = get_plugin_manager()
    first, second = topology_plugin("test_dup", RingTopology), topology_plugin("test_dup", OtherRingTopology)
    same = topology_plugin("test_dup", RingTopology)
    manager.register(first, name="test-first")
    assert Topology.by_name("test_dup") is RingTopology
    try:
        with caplog.at_level("ERROR", logger="graph_mtl.plugins.manager"):
            manager.register(second, name="test-second")
        message = manager.clashes[(Topology, "test_dup")]
        assert message in caplog.text
        assert message.startswith("Topology name 'test_dup' is registered by 2 graph-mtl plugins: 'test-first'")
        assert "'test-second' (registered in process, tests.plugins.test_manager" in message
        assert "test_dup" not in available_topologies()  # neither wins
        assert manager.explain_missing("test_dup") == message
        with pytest.raises(ConfigurationError) as error:  # the config error says why
            Topology.from_params(Params({"type": "test_dup"}))
        assert str(error.value).endswith(message) and "--include-package" not in str(error.value)
        assert "refused (registered by more than one plugin):" in manager.report()
        # a third plugin with the first one's class does not clash with the first one
        manager.unregister(second)
        assert Topology.by_name("test_dup") is RingTopology and not manager.clashes
        manager.register(same, name="test-same")
        assert Topology.by_name("test_dup") is RingTopology and not manager.clashes
        manager.unregister(first)
        assert Topology.by_name("test_dup") is RingTopology  # still test-same's
    finally:
        for plugin in (first, second, same):
            if manager.is_registered(plugin):
                manager.unregister(plugin)
    assert "test_dup" not in available_topologies()


def test_an_entry_point_name_declared_by_two_distributions_loads_neither(tmp_path, monkeypatch):
    ring = (
        "from graph_mtl.plugins import hookimpl\n"
        "from tests.plugins.test_manager import RingTopology\n"
        "@hookimpl\n"
        "def graph_mtl_topologies():\n"
        "    return {'test_twin_ring': RingTopology}\n"
    )
    write_dist(tmp_path, "twin_a", {"test_twin": "test_twin_a"}, {"test_twin_a": ring})
    write_dist(tmp_path, "twin_b", {"test_twin": "test_twin_b"}, {"test_twin_b": ring})
    monkeypatch.syspath_prepend(str(tmp_path))
    manager = GraphMtlPluginManager()
    loaded = manager.load_entry_points()
    assert "test_twin" not in loaded and not manager.has_plugin("test_twin")
    failure = manager.failures["test_twin"]
    assert "declared by 2 distributions" in failure
    assert "module test_twin_a, distribution twin_a 0.0.1" in failure
    assert "module test_twin_b, distribution twin_b 0.0.1" in failure
    assert "test_twin_ring" not in available_topologies()
