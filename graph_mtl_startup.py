"""
Interpreter start-up hook of graph-mtl (standard library only, cheap to import).

`allennlp`'s command line imports every module of allennlp_models *before* it reads
`.allennlp_plugins`, so fixes that must act during that import cannot live in `graph_mtl`
itself. `make install` (through `python -m graph_mtl_startup --install`) writes a
`graph_mtl_startup.pth` file into the environment's site-packages that calls `install()` at
interpreter start-up. It does three things, all also done by `graph_mtl.compat.apply()`:

* silences the platform's known deprecation noise (torch.cuda.amp, TypedStorage,
  pkg_resources), which says nothing actionable to a graph-mtl user;
* makes `nltk.download` offline-safe: allennlp_models' narrativeqa module calls
  nltk's downloader for "punkt" at import time, which prints "Error loading punkt" with no network.
  After this hook, a missing resource is reported once at DEBUG level and nothing is fetched;
* makes graph_mtl an AllenNLP plugin wherever the `allennlp` command runs: AllenNLP imports the
  modules that `allennlp.common.plugins.discover_plugins()` names (those listed in a
  `.allennlp_plugins` file in the working directory or in `~/.allennlp/plugins`) before it parses
  the command line, and only then knows plugin subcommands such as `graph-mtl-report`
  (`--include-package` comes too late for those). The hook makes `discover_plugins()` name
  `graph_mtl` first, then what the files list, so every `allennlp` command, in any directory,
  has graph-mtl's components, subcommands and plugins, and a plugin module listed in a
  `.allennlp_plugins` file is imported after graph_mtl. Nothing is patched until AllenNLP's
  plugin module is imported; `GRAPH_MTL_ALLENNLP_PLUGIN=0` turns this off.
"""
import argparse
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
import sysconfig
import warnings
from typing import Any, Callable, Dict, Iterator, Optional, Sequence

logger = logging.getLogger("graph_mtl.compat")

# (message regex, category) pairs; each names a warning emitted by the platform, not by the user.
NOISE_FILTERS = [
    (r"pkg_resources is deprecated", UserWarning),
    (r".*torch\.cuda\.amp\..*is deprecated", FutureWarning),
    (r".*torch\.cuda\.amp\.GradScaler.*", FutureWarning),
    (r"TypedStorage is deprecated", UserWarning),
    (r"This implementation of AdamW is deprecated", FutureWarning),
    (r"Deprecated call to `pkg_resources", DeprecationWarning),
    (r"`resume_download` is deprecated", FutureWarning),
    (r".*weights_only=False.*", FutureWarning),
]

_installed = False

STARTUP_HOOK_NAME = "graph_mtl_startup.pth"
STARTUP_HOOK_LINE = "import graph_mtl_startup; graph_mtl_startup.install()\n"


def silence_platform_noise() -> None:
    for message, category in NOISE_FILTERS:
        warnings.filterwarnings("ignore", message=message, category=category)


def offline_nltk_download(info_or_id: Any = None, *args: Any, **kwargs: Any) -> bool:
    """Replacement for `nltk.download`: never touches the network, reports missing data once."""
    logger.debug(
        "nltk resource %r is not installed; graph-mtl runs offline and does not download it",
        info_or_id,
    )
    return False


def patch_nltk(module: Any) -> None:
    if getattr(module, "download", None) is not offline_nltk_download:
        module.download = offline_nltk_download


PLUGIN = "graph_mtl"
PLUGIN_ENV = "GRAPH_MTL_ALLENNLP_PLUGIN"


def patch_allennlp_plugins(module: Any) -> None:
    """Makes `module.discover_plugins` (allennlp.common.plugins) name graph_mtl first."""
    discover = getattr(module, "discover_plugins", None)
    if discover is None or getattr(discover, "graph_mtl", False):
        return

    def discover_plugins(*args: Any, **kwargs: Any) -> Iterator[str]:
        first = os.environ.get(PLUGIN_ENV, "1") != "0" and importlib.util.find_spec(PLUGIN) is not None
        if first:
            yield PLUGIN
        for name in discover(*args, **kwargs):
            if not (first and name == PLUGIN):
                yield name

    discover_plugins.graph_mtl = True  # type: ignore[attr-defined]
    discover_plugins.__doc__ = discover.__doc__
    module.discover_plugins = discover_plugins


#: modules patched as soon as they are imported (without importing them early)
PATCHES: Dict[str, Callable[[Any], None]] = {
    "nltk": patch_nltk,
    "allennlp.common.plugins": patch_allennlp_plugins,
}


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Patches the modules of `PATCHES` as soon as they are imported, without importing them
    early."""

    def find_spec(
        self, fullname: str, path: Optional[Sequence[str]], target: Any = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        patch = PATCHES.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                original_exec = spec.loader.exec_module  # type: ignore[union-attr]

                def exec_module(module: Any, _exec: Any = original_exec) -> None:
                    _exec(module)
                    patch(module)

                spec.loader.exec_module = exec_module  # type: ignore[union-attr]
                return spec
        return None


def install() -> None:
    """Idempotent; called from the .pth file and from `graph_mtl.compat.apply()`."""
    global _installed
    silence_platform_noise()
    if _installed:
        return
    _installed = True
    for name, patch in PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    if any(name not in sys.modules for name in PATCHES):
        sys.meta_path.insert(0, _PatchAfterImport())


def install_startup_hook(site_packages: Optional[str] = None) -> str:
    """Write `graph_mtl_startup.pth` into `site_packages` (default: this interpreter's)."""
    directory = site_packages or sysconfig.get_paths()["purelib"]
    path = os.path.join(directory, STARTUP_HOOK_NAME)
    # Atomically (temporary file + rename): Python runs every .pth file at start-up, so a
    # half-written one would break every interpreter of this environment. (Not through
    # graph_mtl.common.atomic: importing graph_mtl loads torch and allennlp.)
    partial = f"{path}.{os.getpid()}.partial"
    try:
        with open(partial, "w") as hook:
            hook.write(STARTUP_HOOK_LINE)
            hook.flush()
            os.fsync(hook.fileno())
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m graph_mtl_startup")
    parser.add_argument("--install", action="store_true", help="write the .pth start-up hook")
    if parser.parse_args().install:
        print(f"graph-mtl start-up hook written to {install_startup_hook()}")
    else:
        parser.print_help()
