"""
Safe loading of model archives (`model.tar.gz`): what `allennlp predict`, `allennlp evaluate`,
`allennlp graph-mtl-report` and `Predictor.from_path` use once graph_mtl is imported, and what
Python users should call instead of `allennlp.models.archival.load_archive`:

    from graph_mtl.models.archival import load_archive
    archive = load_archive("output/model/model.tar.gz")

An archive is a file someone sent you. AllenNLP's own loader trusts it: it extracts every tar
member wherever its name points (`../../x` lands outside the extraction folder), and a component
`"type"` in `config.json` that is not a registered name is imported as a Python path, so
`{"type": "os.system", "command": "..."}` runs a shell command while the model is being built.
This loader

1. refuses tar members that are absolute, leave the extraction folder, are links or are not
   plain files or folders (naming the member), before anything is extracted;
2. refuses a `config.json` whose `"type"` values are not registered component names (naming
   the key, e.g. `model.backbone.encoder.type`), and while the archive's components are built
   disables AllenNLP's import-a-dotted-path fallback, so no other route can import code either;
3. reads the weights with `torch.load(..., weights_only=True)`, asked for explicitly (tensors
   only, no pickled objects).

Trained archives of graph_mtl, allennlp and allennlp-models components (and of installed
topology plugins, which register their names) load as before.
"""
import contextlib
import logging
import os
import shutil
import tarfile
import tempfile
from collections import OrderedDict
from os import PathLike
from typing import Any, Dict, Iterator, List, Optional, Set, Union

import torch
from allennlp.common import Params, Registrable
from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path
from allennlp.models import archival as allennlp_archival
from allennlp.models.archival import CONFIG_NAME, Archive

logger = logging.getLogger(__name__)


class UnsafeArchiveError(ConfigurationError):
    """An archive that would write outside its folder or run code when loaded."""

    def __init__(self, archive: str, problem: str) -> None:
        super().__init__(f"{archive}: refusing to load this archive: {problem}")
        self.archive = archive
        self.problem = problem


def registered_names() -> Set[str]:
    """Every name registered with any AllenNLP registry (models, readers, encoders, ...)."""
    names: Set[str] = set()
    for registry in Registrable._registry.values():  # noqa: SLF001 (allennlp's registry)
        names.update(registry)
    return names


def check_members(archive_file: str, archive: tarfile.TarFile) -> List[tarfile.TarInfo]:
    """The members of `archive`, or `UnsafeArchiveError` for the first one that is absolute,
    leaves the extraction folder, is a link, or is not a plain file or folder."""
    members = archive.getmembers()
    for member in members:
        name = member.name
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
            raise UnsafeArchiveError(archive_file, f"member {name!r} has an absolute path")
        if ".." in parts:
            raise UnsafeArchiveError(archive_file, f"member {name!r} leaves the extraction folder")
        if member.issym() or member.islnk():
            raise UnsafeArchiveError(
                archive_file, f"member {name!r} is a link (to {member.linkname!r})"
            )
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(
                archive_file, f"member {name!r} is not a plain file or folder"
            )
    return members


def extract(archive_file: str, directory: str) -> None:
    """Extracts `archive_file` into `directory` after `check_members`."""
    try:
        archive = tarfile.open(archive_file, "r:*")
    except tarfile.TarError as error:
        raise ConfigurationError(f"{archive_file}: not a readable model archive ({error})") from error
    with archive:
        members = check_members(archive_file, archive)
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: the standard library checks too
            archive.extractall(directory, members=members, filter="data")
        else:  # pragma: no cover
            archive.extractall(directory, members=members)


#: The parts of an archived config that loading it builds (the trainer, data loaders and data
#: paths are never built from an archive; their names need not be registered here).
LOADED_SECTIONS = ("dataset_reader", "validation_dataset_reader", "model", "vocabulary")


def check_config_types(config: Any, source: str) -> None:
    """`UnsafeArchiveError` for a `"type"` value in the loaded sections of `config` (a config
    as a dict) that no AllenNLP registry knows, naming its key path."""
    names = registered_names()

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if key == "type" and isinstance(item, str) and item not in names:
                    from graph_mtl.plugins import get_plugin_manager  # loaded after this module

                    because = get_plugin_manager().explain_missing(item)
                    raise UnsafeArchiveError(
                        source,
                        f"{where} = {item!r} is not a registered component name (an archive may "
                        "only name registered components; a Python path is never imported)"
                        + (f". {because}" if because else ""),
                    )
                walk(item, where)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    for section in LOADED_SECTIONS:
        if isinstance(config, dict) and section in config:
            walk(config[section], section)


@contextlib.contextmanager
def registered_names_only(source: str) -> Iterator[None]:
    """While active, `Registrable.resolve_class_name` accepts registered names only (AllenNLP
    otherwise imports an unknown dotted name as a Python path, from any string a config gives
    for a registrable argument, not only from `"type"`)."""
    original = Registrable.__dict__["resolve_class_name"]

    def resolve_class_name(cls, name: str):  # type: ignore[no-untyped-def]
        if name not in Registrable._registry[cls]:  # noqa: SLF001
            raise UnsafeArchiveError(
                source,
                f"{name!r} is not a registered {cls.__name__} name (an archive may only name "
                "registered components; a Python path is never imported)",
            )
        return original.__func__(cls, name)

    Registrable.resolve_class_name = classmethod(resolve_class_name)  # type: ignore[assignment]
    try:
        yield
    finally:
        Registrable.resolve_class_name = original  # type: ignore[assignment]


def read_state_dict_weights_only(
    path: Union[PathLike, str],
    strip_prefix: Optional[str] = None,
    ignore: Optional[List[str]] = None,
    strict: bool = True,
    cuda_device: int = -1,
) -> Dict[str, torch.Tensor]:
    """`allennlp.nn.util.read_state_dict` with `torch.load(weights_only=True)` asked for
    explicitly (what Model._load calls: path and device only)."""
    from allennlp.nn import util

    if strip_prefix is not None or ignore is not None:
        raise ConfigurationError("read_state_dict_weights_only: strip_prefix / ignore are not supported")
    state = torch.load(path, map_location=util.device_mapping(cuda_device), weights_only=True)
    return OrderedDict(state)


@contextlib.contextmanager
def weights_only_state_dicts() -> Iterator[None]:
    from allennlp.nn import util

    original = util.read_state_dict
    util.read_state_dict = read_state_dict_weights_only
    try:
        yield
    finally:
        util.read_state_dict = original


def load_archive(
    archive_file: Union[str, PathLike],
    cuda_device: int = -1,
    overrides: Union[str, Dict[str, Any]] = "",
    weights_file: Optional[str] = None,
) -> Archive:
    """
    `allennlp.models.archival.load_archive`, made safe for archives from elsewhere (see the
    module docstring). Same arguments and result.

    # Parameters

    archive_file : `Union[str, PathLike]`
        A `model.tar.gz` (or a serialization directory).
    cuda_device : `int`, optional (default = `-1`)
    overrides : `Union[str, Dict[str, Any]]`, optional (default = `""`)
        JSON overrides of the archived config (checked like the config itself).
    weights_file : `str`, optional (default = `None`)
        Weights to use instead of the archive's own.
    """
    archive_file = str(archive_file)
    resolved = cached_path(archive_file)
    tempdir: Optional[str] = None
    try:
        if os.path.isdir(resolved):
            serialization_dir = resolved
        else:
            tempdir = tempfile.mkdtemp(prefix="graph_mtl_archive_")
            extract(resolved, tempdir)
            serialization_dir = tempdir
        config_path = os.path.join(serialization_dir, CONFIG_NAME)
        if not os.path.isfile(config_path):
            raise ConfigurationError(f"{archive_file}: no {CONFIG_NAME} in this model archive")
        config = Params.from_file(config_path, overrides).as_dict(quiet=True)
        check_config_types(config, f"{archive_file} ({CONFIG_NAME})")
        with registered_names_only(archive_file), weights_only_state_dicts():
            archive = _allennlp_load_archive(
                serialization_dir, cuda_device=cuda_device, overrides=overrides, weights_file=weights_file
            )
    finally:
        if tempdir is not None:
            shutil.rmtree(tempdir, ignore_errors=True)
    return archive


_allennlp_load_archive = allennlp_archival.load_archive


def use_in_allennlp() -> None:
    """Makes `allennlp predict`, `allennlp evaluate` and `Predictor.from_path` load archives
    with `load_archive` above (they call the name they imported from allennlp's archival
    module). Called when graph_mtl is imported; idempotent."""
    import allennlp.commands.evaluate
    import allennlp.commands.predict
    import allennlp.predictors.predictor

    for module in (allennlp.commands.predict, allennlp.commands.evaluate, allennlp.predictors.predictor):
        if getattr(module, "load_archive", None) is _allennlp_load_archive:
            module.load_archive = load_archive  # type: ignore[attr-defined]
