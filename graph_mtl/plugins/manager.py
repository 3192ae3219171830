"""
The graph-mtl plugin manager: finds plugins through the `graph_mtl` entry-point group, registers
them with pluggy, and registers what their hooks contribute with AllenNLP's registries.

Isolation rules (a broken plugin never breaks graph-mtl or the other plugins):

* an entry point that fails to import (any exception, `SystemExit` included) is logged at ERROR
  with the plugin's name, its entry point and the error, recorded in `manager.failures`, and
  skipped;
* a hook that raises is treated the same way (the plugin stays registered, contributes nothing);
* a malformed or conflicting contribution (not a `Topology` subclass, a name that is already
  taken by another class) is logged, recorded in `manager.problems` and skipped on its own; the
  plugin's other contributions are kept.

Plugins registered by hand (`get_plugin_manager().register(obj, name)`) after loading are
applied at once, with the same rules, so a test or a notebook can add a topology without
packaging it.
"""
import importlib.metadata
import logging
import os
from typing import Any, Dict, Iterable, List, Optional, Tuple

import pluggy
from allennlp.common import Registrable

from graph_mtl.modules.topologies.topology import Topology
from graph_mtl.plugins import hookspecs

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
"""Installed packages announce graph-mtl plugins under this entry-point group."""

DISABLE_ENV = "GRAPH_MTL_DISABLE_PLUGINS"
"""Environment variable: `all` (or `1`) loads no entry-point plugin; otherwise a comma-separated
list of entry-point names to skip (e.g. to get past a plugin that misbehaves)."""

Contribution = Tuple[type, str, type]  # (registrable base, name, class)


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    return f"{module}.{qualname}" if module else str(qualname)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class GraphMtlPluginManager(pluggy.PluginManager):
    """
    A `pluggy.PluginManager` for the `graph_mtl` hooks (`graph_mtl.plugins.hookspecs`).

    # Attributes

    failures : `Dict[str, str]` -- plugin name -> why it could not be loaded or its hook failed.
    problems : `Dict[str, List[str]]` -- plugin name -> contributions that were skipped.
    contributions : `Dict[str, List[Tuple[type, str, type]]]` -- plugin name ->
        `(base, name, class)` registered on its behalf.
    origins : `Dict[str, str]` -- plugin name -> where it came from (entry point, distribution).
    """

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.failures: Dict[str, str] = {}
        self.problems: Dict[str, List[str]] = {}
        self.contributions: Dict[str, List[Contribution]] = {}
        self.origins: Dict[str, str] = {}

    # ----------------------------------------------------------------------------------------
    # registration

    def register(self, plugin: Any, name: Optional[str] = None) -> Optional[str]:
        """Register `plugin` with pluggy and register its contributions with AllenNLP."""
        plugin_name = super().register(plugin, name)
        if plugin_name is not None:
            self.origins.setdefault(plugin_name, f"registered in process ({_describe(plugin)})")
            self._apply(plugin_name, plugin)
        return plugin_name

    def unregister(self, plugin: Any = None, name: Optional[str] = None) -> Any:
        """Unregister a plugin and remove the names it registered (if still its own)."""
        if name is None and plugin is not None:
            name = self.get_name(plugin)
        removed = super().unregister(plugin=plugin, name=name)
        for base, key, cls in self.contributions.pop(name or "", []):
            registry = Registrable._registry.get(base, {})
            if key in registry and registry[key][0] is cls:
                del registry[key]
        if name is not None:
            self.problems.pop(name, None)
            self.failures.pop(name, None)
            self.origins.pop(name, None)
        return removed

    def _hook_results(self, plugin: Any, hook_name: str) -> List[Any]:
        """Call one hook of one plugin only (so that one plugin's error stays its own)."""
        caller = getattr(self.hook, hook_name)
        return [impl.function() for impl in caller.get_hookimpls() if impl.plugin is plugin]

    def _apply(self, plugin_name: str, plugin: Any) -> None:
        try:
            contributions: List[Contribution] = []
            for result in self._hook_results(plugin, "graph_mtl_topologies"):
                contributions.extend(self._check_topologies(plugin_name, result))
            for result in self._hook_results(plugin, "graph_mtl_components"):
                contributions.extend(self._check_components(plugin_name, result))
        except Exception as exc:  # a hook that raises: the plugin contributes nothing
            self._fail(plugin_name, f"a hook raised {_error(exc)}", exc)
            return
        if not any(
            impl.plugin is plugin
            for caller in (self.hook.graph_mtl_topologies, self.hook.graph_mtl_components)
            for impl in caller.get_hookimpls()
        ):
            self._problem(
                plugin_name,
                f"{_describe(plugin)} implements no graph_mtl hook (functions named "
                "graph_mtl_topologies / graph_mtl_components decorated with "
                "graph_mtl.plugins.hookimpl); if it is a module that imports graph_mtl before "
                "defining them, import graph_mtl in its package __init__ instead",
            )
        for base, key, cls in contributions:
            registry = Registrable._registry[base]
            if key in registry and registry[key][0] is not cls:
                owner = _describe(registry[key][0])
                self._problem(
                    plugin_name,
                    f"{base.__name__} name {key!r} is already registered by {owner}; "
                    f"{_describe(cls)} is not registered under it",
                )
                continue
            base.register(key, exist_ok=True)(cls)
            self.contributions.setdefault(plugin_name, []).append((base, key, cls))
            logger.debug("plugin %r registered %s %r: %s", plugin_name, base.__name__, key, _describe(cls))

    def _check_topologies(self, plugin_name: str, result: Any) -> List[Contribution]:
        if not isinstance(result, dict):
            try:
                result = dict(result)
            except Exception:
                self._problem(
                    plugin_name,
                    f"graph_mtl_topologies returned {type(result).__name__}, expected "
                    "{name: Topology subclass}",
                )
                return []
        checked = []
        for key, cls in result.items():
            if not isinstance(key, str) or not key:
                self._problem(plugin_name, f"topology name {key!r} is not a non-empty string")
            elif not (isinstance(cls, type) and issubclass(cls, Topology)):
                self._problem(
                    plugin_name,
                    f"topology {key!r}: {cls!r} is not a subclass of "
                    "graph_mtl.modules.topologies.Topology",
                )
            else:
                checked.append((Topology, key, cls))
        return checked

    def _check_components(self, plugin_name: str, result: Any) -> List[Contribution]:
        checked = []
        for entry in result or []:
            try:
                base, key, cls = entry
            except (TypeError, ValueError):
                self._problem(
                    plugin_name, f"component {entry!r} is not a (base class, name, class) triple"
                )
                continue
            if not (isinstance(base, type) and issubclass(base, Registrable)):
                self._problem(plugin_name, f"component {key!r}: {base!r} is not a Registrable base")
            elif not isinstance(key, str) or not key:
                self._problem(plugin_name, f"component name {key!r} is not a non-empty string")
            elif not (isinstance(cls, type) and issubclass(cls, base)):
                self._problem(
                    plugin_name, f"component {key!r}: {cls!r} is not a subclass of {_describe(base)}"
                )
            else:
                checked.append((base, key, cls))
        return checked

    def _fail(self, plugin_name: str, message: str, exc: Optional[BaseException] = None) -> None:
        self.failures[plugin_name] = message
        logger.error("graph-mtl plugin %r failed and is skipped: %s", plugin_name, message)
        if exc is not None:
            logger.debug("traceback of plugin %r", plugin_name, exc_info=exc)

    def _problem(self, plugin_name: str, message: str) -> None:
        self.problems.setdefault(plugin_name, []).append(message)
        logger.warning("graph-mtl plugin %r: %s", plugin_name, message)

    # ----------------------------------------------------------------------------------------
    # entry points

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> List[str]:
        """
        Load every plugin announced under the entry-point `group` that is not loaded yet.
        Returns the names of the plugins registered by this call. Never raises.
        """
        disabled = {
            name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()
        }
        if disabled & {"all", "1", "true", "yes"}:
            logger.info("graph-mtl plugins disabled by %s", DISABLE_ENV)
            return []
        try:
            entry_points: Iterable[Any] = importlib.metadata.entry_points(group=group)
        except Exception as exc:  # corrupt metadata of some installed distribution
            logger.error("cannot list graph-mtl plugins (entry points %r): %s", group, _error(exc))
            return []
        loaded = []
        seen = set()
        for entry_point in entry_points:
            name = entry_point.name
            key = (name, entry_point.value)
            if key in seen:  # the same distribution found twice on sys.path
                continue
            seen.add(key)
            if name in disabled:
                logger.info("graph-mtl plugin %r skipped (%s)", name, DISABLE_ENV)
                continue
            if self.has_plugin(name) or name in self.failures:
                continue
            dist = getattr(entry_point, "dist", None)
            origin = f"entry point {name} = {entry_point.value}"
            if dist is not None:
                origin += f" (distribution {dist.metadata['Name']} {dist.version})"
            try:
                plugin = entry_point.load()
            except (Exception, SystemExit) as exc:
                self.origins[name] = origin
                self._fail(name, f"cannot import {entry_point.value}: {_error(exc)}", exc)
                continue
            if getattr(getattr(plugin, "__spec__", None), "_initializing", False):
                # The plugin's module imported graph_mtl (which loads the plugins) before it
                # defined its hooks: registering it now would find none. Leave it for a later
                # `load_plugins()` call, and say how to avoid it.
                logger.warning(
                    "graph-mtl plugin %r: module %s is still being imported (it was imported "
                    "before graph_mtl); not loaded now. Import graph_mtl first (list graph_mtl, "
                    "not the plugin, in .allennlp_plugins), or make the plugin a package whose "
                    "__init__ imports graph_mtl before its own modules.",
                    name,
                    plugin.__name__,
                )
                continue
            if self.is_registered(plugin):
                logger.warning(
                    "graph-mtl plugin %r (%s) is already registered as %r; skipped",
                    name,
                    origin,
                    self.get_name(plugin),
                )
                continue
            self.origins[name] = origin
            try:
                self.register(plugin, name=name)
            except Exception as exc:  # pluggy's own validation (bad hookimpl signature, ...)
                self._fail(name, f"cannot register {entry_point.value}: {_error(exc)}", exc)
                continue
            loaded.append(name)
        return loaded

    # ----------------------------------------------------------------------------------------
    # reporting

    def report(self) -> str:
        """A human-readable summary: plugins, what each registered, and what failed."""
        lines = ["graph-mtl plugins:"]
        names = sorted(
            set(self.origins) | set(self.failures) | {n for n, _ in self.list_name_plugin()}
        )
        if not names:
            lines.append("  (none)")
        for name in names:
            status = "FAILED" if name in self.failures else "ok"
            lines.append(f"  {name} [{status}] {self.origins.get(name, '')}".rstrip())
            for base, key, cls in self.contributions.get(name, []):
                lines.append(f"    {base.__name__} {key!r}: {_describe(cls)}")
            if name in self.failures:
                lines.append(f"    error: {self.failures[name]}")
            for problem in self.problems.get(name, []):
                lines.append(f"    skipped: {problem}")
        lines.append("available topologies: " + ", ".join(available_topologies()))
        return "\n".join(lines)


def available_topologies() -> List[str]:
    """Registered topology names (default first when it is registered)."""
    try:
        return Topology.list_available()
    except Exception:  # the default implementation is not registered
        return list(Registrable._registry.get(Topology, {}).keys())


_manager: Optional[GraphMtlPluginManager] = None


def get_plugin_manager() -> GraphMtlPluginManager:
    """The process-wide plugin manager (created empty on first use)."""
    global _manager
    if _manager is None:
        _manager = GraphMtlPluginManager()
    return _manager


def load_plugins() -> GraphMtlPluginManager:
    """
    Load the plugins installed under the `graph_mtl` entry-point group (those not loaded yet)
    and return the manager. Called when `graph_mtl` is imported; safe to call again (a plugin
    installed since is picked up; loaded ones are not reloaded). Never raises.
    """
    manager = get_plugin_manager()
    try:
        manager.load_entry_points()
    except Exception as exc:  # a bug here must not make `import graph_mtl` fail
        logger.error("loading graph-mtl plugins failed: %s", _error(exc), exc_info=True)
    return manager
