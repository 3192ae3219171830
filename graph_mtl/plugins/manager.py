"""
The graph-mtl plugin manager: a `pluggy.PluginManager` that loads the plugins announced under
the entry-point group `graph_mtl` and registers what their hooks contribute with AllenNLP's
registries.

pluggy does the plugin mechanics, as in pytest: `load_setuptools_entrypoints` finds and imports
each entry point and registers it under the entry point's name, `set_blocked` keeps the plugins
named in `GRAPH_MTL_DISABLE_PLUGINS` out. graph-mtl adds what pluggy leaves to its users:

* isolation: entry points are loaded one name at a time, so a plugin that fails to import (any
  exception, `SystemExit` included) is logged at ERROR with its name, module, distribution and
  the error, recorded in `manager.failures` and skipped, and the other plugins still load; a
  hook that raises is treated the same way;
* checking: a malformed contribution (not a `Topology` subclass, a name already taken by a
  built-in) is logged, recorded in `manager.problems` and skipped on its own;
* no silent winner: a name (a topology, or any other component) that two plugins register with
  different classes is refused for both, whatever their order on `sys.path`, with one ERROR
  message naming both plugins, their modules and distributions (`manager.clashes`); the same
  for an entry-point name declared by two distributions. Every way into graph-mtl (`import
  graph_mtl`, the `allennlp` command, `python -m graph_mtl.plugins`) loads plugins here, so each
  gives the same message, and a config that names a refused or missing name ends with it
  (`explain_missing`, used by `use_in_allennlp_errors`).

The hooks are not `historic`: pluggy's historic calls hand a result to a callback without saying
which plugin returned it, and a clash has to name both plugins. Instead `register` calls the new
plugin's own hooks, so a plugin registered by hand after loading
(`get_plugin_manager().register(obj, name)`) is applied at once, with the same rules.
"""
import importlib.metadata
import logging
import os
from typing import Any, Dict, Iterable, List, Optional, Tuple

import pluggy
from allennlp.common import Params, Registrable
from allennlp.common.checks import ConfigurationError

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


def _distribution(entry_point: Any) -> str:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return "distribution unknown"
    return f"distribution {dist.metadata['Name']} {dist.version}"


class GraphMtlPluginManager(pluggy.PluginManager):
    """
    A `pluggy.PluginManager` for the `graph_mtl` hooks (`graph_mtl.plugins.hookspecs`).

    # Attributes

    failures : `Dict[str, str]` -- plugin name -> why it could not be loaded or its hook failed.
    problems : `Dict[str, List[str]]` -- plugin name -> contributions that were skipped.
    contributions : `Dict[str, List[Tuple[type, str, type]]]` -- plugin name ->
        `(base, name, class)` registered on its behalf.
    clashes : `Dict[Tuple[type, str], str]` -- `(base, name)` offered by more than one plugin
        (so registered for none) -> the message that says so.
    origins : `Dict[str, str]` -- plugin name -> where it came from (entry point, distribution).
    disabled : `List[str]` -- entry-point names skipped because of `GRAPH_MTL_DISABLE_PLUGINS`.
    """

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.failures: Dict[str, str] = {}
        self.problems: Dict[str, List[str]] = {}
        self.contributions: Dict[str, List[Contribution]] = {}
        self.clashes: Dict[Tuple[type, str], str] = {}
        self.origins: Dict[str, str] = {}
        self.disabled: List[str] = []
        self._offers: Dict[str, List[Contribution]] = {}  # checked hook results per plugin
        self._where: Dict[str, str] = {}  # plugin name -> "module m, distribution d v"
        self._pending: Dict[str, str] = {}  # plugin name -> module still being imported
        self._loading = False

    # ----------------------------------------------------------------------------------------
    # registration

    def register(self, plugin: Any, name: Optional[str] = None) -> Optional[str]:
        """Register `plugin` with pluggy and its contributions with AllenNLP (`None` when the
        name is blocked, or the plugin's module is still being imported)."""
        if self._loading and getattr(getattr(plugin, "__spec__", None), "_initializing", False):
            # The plugin's module imported graph_mtl (which loads the plugins) before it defined
            # its hooks: registering it now would find none. A later `load_plugins()` takes it.
            module = getattr(plugin, "__name__", _describe(plugin))
            self._pending[name or module] = module
            logger.warning(
                "graph-mtl plugin %r: module %s is still being imported (it was imported "
                "before graph_mtl); not loaded now. Import graph_mtl first (list graph_mtl, "
                "not the plugin, in .allennlp_plugins), or make the plugin a package whose "
                "__init__ imports graph_mtl before its own modules.",
                name or module,
                module,
            )
            return None
        plugin_name = super().register(plugin, name)
        if plugin_name is not None:
            self._pending.pop(plugin_name, None)
            self.origins.setdefault(plugin_name, f"registered in process ({_describe(plugin)})")
            module = plugin.__name__ if hasattr(plugin, "__file__") else _describe(type(plugin))
            self._where.setdefault(plugin_name, f"registered in process, {module}")
            self._offers[plugin_name] = self._collect(plugin_name, plugin)
            if not self._loading:
                self._sync()
        return plugin_name

    def unregister(self, plugin: Any = None, name: Optional[str] = None) -> Any:
        """Unregister a plugin and remove the names it registered; a name it clashed on goes to
        the plugin that is left."""
        if name is None and plugin is not None:
            name = self.get_name(plugin)
        removed = super().unregister(plugin=plugin, name=name)
        if name is not None:
            for record in (self._offers, self.problems, self.failures, self.origins, self._where):
                record.pop(name, None)
            self._sync()
        return removed

    def _hook_results(self, plugin: Any, hook_name: str) -> List[Any]:
        """Call one hook of one plugin only (so that one plugin's error stays its own)."""
        caller = getattr(self.hook, hook_name)
        return [impl.function() for impl in caller.get_hookimpls() if impl.plugin is plugin]

    def _collect(self, plugin_name: str, plugin: Any) -> List[Contribution]:
        """The plugin's contributions that are well-formed and do not override a name that is
        registered outside this manager (a built-in)."""
        try:
            offered: List[Contribution] = []
            for result in self._hook_results(plugin, "graph_mtl_topologies"):
                offered.extend(self._check_topologies(plugin_name, result))
            for result in self._hook_results(plugin, "graph_mtl_components"):
                offered.extend(self._check_components(plugin_name, result))
        except Exception as exc:  # a hook that raises: the plugin contributes nothing
            self._fail(plugin_name, f"a hook raised {_error(exc)}", exc)
            return []
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
        ours = {(base, key, cls) for registered in self.contributions.values() for base, key, cls in registered}
        kept = []
        for base, key, cls in offered:
            registry = Registrable._registry[base]
            if key in registry and registry[key][0] is not cls and (base, key, registry[key][0]) not in ours:
                self._problem(
                    plugin_name,
                    f"{base.__name__} name {key!r} is already registered by "
                    f"{_describe(registry[key][0])}; {_describe(cls)} is not registered under it",
                )
                continue
            kept.append((base, key, cls))
        return kept

    def _sync(self) -> None:
        """Make the registries match the plugins' offers: a name offered by one plugin (or by
        several with the same class) is registered; a name offered with different classes is
        refused for all of them."""
        offers: Dict[Tuple[type, str], Dict[str, type]] = {}
        for plugin_name, offered in self._offers.items():
            for base, key, cls in offered:
                offers.setdefault((base, key), {})[plugin_name] = cls
        clashes: Dict[Tuple[type, str], str] = {}
        wanted: Dict[str, List[Contribution]] = {}
        for (base, key), by_plugin in offers.items():
            if len(set(by_plugin.values())) > 1:
                clashes[(base, key)] = self._clash_message(base, key, sorted(by_plugin))
                continue
            for plugin_name, cls in by_plugin.items():
                wanted.setdefault(plugin_name, []).append((base, key, cls))
        keep = {contribution for offered in wanted.values() for contribution in offered}
        for registered in self.contributions.values():
            for base, key, cls in registered:
                registry = Registrable._registry.get(base, {})
                if (base, key, cls) not in keep and key in registry and registry[key][0] is cls:
                    del registry[key]
        for plugin_name, offered in wanted.items():
            for base, key, cls in offered:
                registry = Registrable._registry[base]
                if key not in registry:
                    base.register(key)(cls)
                    logger.debug("plugin %r registered %s %r: %s", plugin_name, base.__name__, key, _describe(cls))
        self.contributions = wanted
        for key, message in clashes.items():
            if self.clashes.get(key) != message:
                logger.error("%s", message)
        for base, key in set(self.clashes) - set(clashes):
            logger.info("%s name %r is no longer registered by more than one plugin", base.__name__, key)
        self.clashes = clashes

    def _clash_message(self, base: type, key: str, plugin_names: List[str]) -> str:
        plugins = [f"{name!r} ({self._where.get(name, 'registered in process')})" for name in plugin_names]
        listed = ", ".join(plugins[:-1]) + " and " + plugins[-1]
        nobody = "neither is used" if len(plugins) == 2 else "none of them is used"
        return (
            f"{base.__name__} name {key!r} is registered by {len(plugins)} graph-mtl plugins: "
            f"{listed}; {nobody}. Uninstall one of them, or skip one with "
            f"{DISABLE_ENV}=<plugin name>."
        )

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
        Load every plugin announced under the entry-point `group` that is not loaded yet, with
        pluggy's `load_setuptools_entrypoints`, one name at a time. Returns the names of the
        plugins registered by this call. Never raises.
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
        declared: Dict[str, Dict[Tuple[str, str], Any]] = {}
        for entry_point in entry_points:
            # the same distribution found twice on sys.path declares the same (distribution, value)
            key = (_distribution(entry_point), entry_point.value)
            declared.setdefault(entry_point.name, {}).setdefault(key, entry_point)
        loaded = []
        self._loading = True
        try:
            for name in sorted(declared):
                if name in disabled:
                    if not self.is_blocked(name):
                        self.set_blocked(name)
                        self.disabled.append(name)
                        logger.info("graph-mtl plugin %r skipped (%s)", name, DISABLE_ENV)
                    continue
                if self.has_plugin(name) or self.is_blocked(name) or name in self.failures:
                    continue
                versions = list(declared[name].values())
                self._where[name] = ", ".join(
                    f"module {ep.value}, {_distribution(ep)}" for ep in versions
                )
                self.origins[name] = "; ".join(
                    f"entry point {name} = {ep.value} ({_distribution(ep)})" for ep in versions
                )
                if len(versions) > 1:
                    self._fail(
                        name,
                        f"the plugin name {name!r} is declared by {len(versions)} distributions "
                        f"({self._where[name]}); none of them is loaded. Uninstall one of them.",
                    )
                    continue
                try:
                    self.load_setuptools_entrypoints(group, name=name)
                except (Exception, SystemExit) as exc:
                    what = "register" if isinstance(exc, pluggy.PluginValidationError) else "import"
                    self._fail(name, f"cannot {what} {versions[0].value}: {_error(exc)}", exc)
                    continue
                if self.has_plugin(name):
                    loaded.append(name)
        finally:
            self._loading = False
            self._sync()
        return loaded

    # ----------------------------------------------------------------------------------------
    # reporting

    def explain_missing(self, name: str) -> Optional[str]:
        """
        Why a component name a config asks for may be missing because of a plugin: the clash
        that refused it, or the plugins that failed to load (or were still being imported).
        `None` when no plugin is in trouble.
        """
        for (base, key), message in sorted(self.clashes.items(), key=lambda item: item[0][1]):
            if key == name:
                return message
        reasons = [
            f"graph-mtl plugin {plugin!r} ({self._where.get(plugin, 'registered in process')}) "
            f"failed to load: {failure}"
            for plugin, failure in sorted(self.failures.items())
        ]
        reasons += [
            f"graph-mtl plugin {plugin!r} (module {module}) was still being imported when "
            "graph_mtl loaded its plugins (import graph_mtl before the plugin)"
            for plugin, module in sorted(self._pending.items())
            if not self.has_plugin(plugin)
        ]
        if not reasons:
            return None
        return (
            "; ".join(reasons)
            + ". What a failed plugin registers is missing: fix it or uninstall it ("
            + f"{DISABLE_ENV}=<plugin name> skips it); `python -m graph_mtl.plugins` lists every "
            "plugin and what it registered."
        )

    def report(self) -> str:
        """A human-readable summary: plugins, what each registered, and what failed."""
        lines = ["graph-mtl plugins:"]
        names = sorted(
            set(self.origins) | set(self.failures) | {n for n, p in self.list_name_plugin() if p is not None}
        )
        if not names:
            lines.append("  (none)")
        for name in names:
            status = "FAILED" if name in self.failures else "ok"
            lines.append(f"  {name} [{status}] {self.origins.get(name, '')}".rstrip())
            for base, key, cls in self.contributions.get(name, []):
                lines.append(f"    {base.__name__} {key!r}: {_describe(cls)}")
            for base, key, cls in self._offers.get(name, []):
                if (base, key) in self.clashes:
                    lines.append(f"    {base.__name__} {key!r}: {_describe(cls)} REFUSED (see below)")
            if name in self.failures:
                lines.append(f"    error: {self.failures[name]}")
            for problem in self.problems.get(name, []):
                lines.append(f"    skipped: {problem}")
        for name in self.disabled:
            lines.append(f"  {name} [disabled by {DISABLE_ENV}]")
        if self.clashes:
            lines.append("refused (registered by more than one plugin):")
            lines.extend(f"  {message}" for _, message in sorted(self.clashes.items(), key=lambda item: item[1]))
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


def use_in_allennlp_errors() -> None:
    """
    A config that names a component AllenNLP does not know ends with allennlp's "X not in
    acceptable choices for ...: [...]", followed by advice to use `--include-package`. When a
    graph-mtl plugin failed or a name was refused as a clash, that advice is wrong (and for a
    one-file plugin leads into the "still being imported" trap): the message says instead which
    plugin failed and why (`GraphMtlPluginManager.explain_missing`). Idempotent.
    """
    original = Params.pop_choice
    if getattr(original, "graph_mtl_plugins", False):
        return

    def pop_choice(
        self: Params, key: str, choices: List[Any], default_to_first_choice: bool = False,
        allow_class_names: bool = True,
    ) -> Any:
        value = self.params.get(key) if isinstance(self.params, dict) else None
        try:
            return original(self, key, choices, default_to_first_choice, allow_class_names)
        except ConfigurationError:
            explanation = get_plugin_manager().explain_missing(value) if isinstance(value, str) else None
            if explanation is None:
                raise
        raise ConfigurationError(
            f"{value} not in acceptable choices for {self.history}{key}: {list(choices)}. {explanation}"
        )

    pop_choice.graph_mtl_plugins = True  # type: ignore[attr-defined]
    Params.pop_choice = pop_choice  # type: ignore[assignment]


def load_plugins() -> GraphMtlPluginManager:
    """
    Load the plugins installed under the `graph_mtl` entry-point group (those not loaded yet)
    and return the manager. Called when `graph_mtl` is imported; safe to call again (a plugin
    installed since is picked up; loaded ones are not reloaded). Never raises.
    """
    manager = get_plugin_manager()
    try:
        use_in_allennlp_errors()
        manager.load_entry_points()
    except Exception as exc:  # a bug here must not make `import graph_mtl` fail
        logger.error("loading graph-mtl plugins failed: %s", _error(exc), exc_info=True)
    return manager
