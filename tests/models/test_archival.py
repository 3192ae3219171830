"""
graph_mtl.models.archival: archives from elsewhere load without running code or writing outside
their folder. Three malicious archives built from a real one (a config naming `os.system`, a tar
member `../../x`, a pickled payload in the weights) are refused by `load_archive`, by `allennlp
predict` and `allennlp evaluate` (graph_mtl makes them use it) and by `graph-mtl-report`; the
real archive loads and predicts as before.
"""
import io
import json
import pickle
import sys
import tarfile
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
import torch
from allennlp.commands import main
from allennlp.common import Registrable
from allennlp.models import Model
from allennlp.predictors import Predictor

from graph_mtl.models import archival
from graph_mtl.models.archival import UnsafeArchiveError, load_archive

from tests.predictors.tiny_models import PREDICT_FIXTURES


def rebuild(source: Path, target: Path, change: Callable[[str, bytes], Dict[str, bytes]]) -> Path:
    """A copy of the archive `source` whose members pass through `change(name, data)`, which
    returns the members to write instead (name -> bytes)."""
    with tarfile.open(source, "r:gz") as original, tarfile.open(target, "w:gz") as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read() if member.isfile() else None
            if data is None:
                copy.addfile(member)
                continue
            for name, content in change(member.name, data).items():
                info = tarfile.TarInfo(name)
                info.size = len(content)
                copy.addfile(info, io.BytesIO(content))
    return target


def with_config(source: Path, target: Path, edit: Callable[[Dict[str, Any]], None]) -> Path:
    def change(name: str, data: bytes) -> Dict[str, bytes]:
        if name == "config.json":
            config = json.loads(data)
            edit(config)
            data = json.dumps(config).encode()
        return {name: data}

    return rebuild(source, target, change)


class Payload:
    """Unpickling this touches `marker`: what a malicious weights file would do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "pwned"


@pytest.fixture
def system_archive(dc_archive, tmp_path, marker) -> Path:
    def edit(config: Dict[str, Any]) -> None:
        config["model"]["backbone"]["encoder"] = {"type": "os.system", "command": f"touch {marker}"}

    return with_config(dc_archive, tmp_path / "system.tar.gz", edit)


@pytest.fixture
def traversal_archive(dc_archive, tmp_path) -> Path:
    escape = "../../escaped-" + tmp_path.name

    def change(name: str, data: bytes) -> Dict[str, bytes]:
        return {name: data, escape: b"outside"} if name == "config.json" else {name: data}

    return rebuild(dc_archive, tmp_path / "traversal.tar.gz", change)


@pytest.fixture
def pickle_archive(dc_archive, tmp_path, marker) -> Path:
    def change(name: str, data: bytes) -> Dict[str, bytes]:
        if name == "weights.th":
            state = torch.load(io.BytesIO(data), weights_only=True)
            state["payload"] = Payload(str(marker))
            buffer = io.BytesIO()
            torch.save(state, buffer, pickle_protocol=pickle.DEFAULT_PROTOCOL)
            data = buffer.getvalue()
        return {name: data}

    return rebuild(dc_archive, tmp_path / "pickle.tar.gz", change)


def test_a_real_archive_loads_and_predicts(dc_archive):
    archive = load_archive(dc_archive)
    reference = archival._allennlp_load_archive(str(dc_archive))  # noqa: SLF001
    ours = dict(archive.model.named_parameters())
    for name, parameter in reference.model.named_parameters():
        assert torch.equal(parameter, ours[name]), name
    predictor = Predictor.from_archive(archive)
    assert len(predictor.predict_json({"task": "chunk", "sentence": "He waved ."})["tags"]) == 3


def test_config_naming_a_python_path_is_refused_before_anything_runs(system_archive, marker):
    with pytest.raises(UnsafeArchiveError, match=r"model\.backbone\.encoder\.type = 'os\.system' is not a registered"):
        load_archive(system_archive)
    assert not marker.exists()
    # allennlp's own loader would have run it: the hazard is real
    with pytest.raises(Exception):
        archival._allennlp_load_archive(str(system_archive))  # noqa: SLF001
    assert marker.exists()


def test_tar_member_outside_the_folder_is_refused(traversal_archive, tmp_path):
    with pytest.raises(UnsafeArchiveError, match=r"member '\.\./\.\./escaped-.*' leaves the extraction folder"):
        load_archive(traversal_archive)
    assert not list(Path("/tmp").glob("escaped-" + tmp_path.name)) and not list(
        tmp_path.parent.glob("escaped-*"))


def test_links_and_special_members_are_refused(dc_archive, tmp_path):
    for kind, expected in ((tarfile.SYMTYPE, "is a link"), (tarfile.LNKTYPE, "is a link"),
                           (tarfile.FIFOTYPE, "is not a plain file or folder")):
        target = tmp_path / f"{kind!r}.tar.gz"
        with tarfile.open(dc_archive, "r:gz") as original, tarfile.open(target, "w:gz") as copy:
            for member in original.getmembers():
                copy.addfile(member, original.extractfile(member) if member.isfile() else None)
            info = tarfile.TarInfo("vocabulary/sneaky")
            info.type = kind
            info.linkname = "/etc/passwd"
            copy.addfile(info)
        with pytest.raises(UnsafeArchiveError, match=f"member 'vocabulary/sneaky' {expected}"):
            load_archive(target)
    absolute = rebuild(dc_archive, tmp_path / "absolute.tar.gz",
                       lambda name, data: {name: data, "/tmp/absolute-x": b"x"} if name == "config.json" else {name: data})
    with pytest.raises(UnsafeArchiveError, match="has an absolute path"):
        load_archive(absolute)


def test_pickled_payload_in_the_weights_is_refused(pickle_archive, marker):
    with pytest.raises(Exception, match="[Ww]eights only load failed|Unsupported global"):
        load_archive(pickle_archive)
    assert not marker.exists()


def test_weights_are_read_with_weights_only_asked_explicitly(dc_archive, monkeypatch):
    calls = []
    original = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    load_archive(dc_archive)
    assert calls == [True]


def test_dotted_names_import_nothing_while_an_archive_loads():
    """AllenNLP imports any unknown dotted name as a Python path (from `type` or from a string
    given for a registrable argument); during a safe load only registered names resolve."""
    import os

    assert Model.resolve_class_name("os.system")[0] is os.system  # allennlp's fallback
    with archival.registered_names_only("an archive"):
        with pytest.raises(UnsafeArchiveError, match="'os.system' is not a registered Model name"):
            Model.resolve_class_name("os.system")
        assert Model.resolve_class_name("graph_mtl")[0].__name__ == "GraphMtlModel"
    assert Model.resolve_class_name("os.system")[0] is os.system  # restored afterwards
    assert isinstance(Registrable.__dict__["resolve_class_name"], classmethod)


@pytest.mark.parametrize("command", ["predict", "evaluate", "report"])
def test_the_commands_refuse_malicious_archives(command, system_archive, traversal_archive, pickle_archive,
                                                marker, tmp_path, monkeypatch):
    inputs = {"predict": PREDICT_FIXTURES / "input.jsonl", "report": PREDICT_FIXTURES / "input.jsonl",
              "evaluate": json.dumps({"chunk": str(PREDICT_FIXTURES / "chunk.txt")})}[command]
    for archive in (system_archive, traversal_archive, pickle_archive):
        if command == "predict":
            argv = ["predict", archive, inputs, "--output-file", tmp_path / "out.jsonl", "--silent"]
        elif command == "evaluate":
            argv = ["evaluate", archive, inputs, "--output-file", tmp_path / "metrics.json"]
        else:
            argv = ["graph-mtl-report", archive, inputs, "--output-dir", tmp_path / "report"]
        monkeypatch.setattr(sys, "argv", ["allennlp", *map(str, argv)])
        with pytest.raises(Exception) as raised:
            main()
        assert isinstance(raised.value, UnsafeArchiveError) or "eights only" in str(raised.value), raised.value
        assert not marker.exists()


def test_only_the_sections_loading_builds_are_checked():
    """The trainer of an archived config is never built at load (a test-only callback there is
    fine); the reader and the model are."""
    archival.check_config_types({"trainer": {"callbacks": [{"type": "test_only_callback"}]}}, "a")
    with pytest.raises(UnsafeArchiveError, match=r"dataset_reader.readers.x.type = 'os.system'"):
        archival.check_config_types({"dataset_reader": {"readers": {"x": {"type": "os.system"}}}}, "a")


def test_an_archive_naming_a_component_of_a_failed_plugin_says_which_plugin_failed():
    # an archive trained with a plugin's topology, loaded where that plugin failed to import
    from graph_mtl.plugins import get_plugin_manager

    manager = get_plugin_manager()
    manager.failures["test_gone"] = "cannot import test_gone: ImportError: no torch_scatter"
    try:
        with pytest.raises(UnsafeArchiveError) as raised:
            archival.check_config_types({"model": {"topology": {"type": "gone_topology"}}}, "a")
    finally:
        del manager.failures["test_gone"]
    message = str(raised.value)
    assert "model.topology.type = 'gone_topology' is not a registered component name" in message
    assert "graph-mtl plugin 'test_gone'" in message and "ImportError: no torch_scatter" in message
