"""
graph_mtl.common.atomic: a file is replaced whole or not at all. The previous file survives an
error or a kill part-way (and a failed rename); no temporary file is left after success or an
error; contents are byte for byte those of a plain write; permissions, links and special files
behave as with `open(path, "w")`.
"""
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading

import pytest

from graph_mtl.common import atomic
from graph_mtl.common.atomic import (
    atomic_open,
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
)
from tests.conftest import REPO_ROOT


def names(directory):
    return sorted(path.name for path in directory.iterdir())


def test_contents_round_trip_byte_for_byte_as_plain_writes(tmp_path):
    text = "héllo\twörld\nsecond line\n"
    atomic_write_text(tmp_path / "a.txt", text)
    (tmp_path / "plain.txt").write_text(text, encoding="utf-8")
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "plain.txt").read_bytes()

    data = {"b": [1, 2.5, None, True], "a": "é", "nested": {"z": [], "y": {}}}
    atomic_write_json(tmp_path / "a.json", data, indent=1)
    with open(tmp_path / "plain.json", "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "plain.json").read_bytes()
    atomic_write_json(tmp_path / "b.json", data, trailing_newline=True, indent=2, sort_keys=True)
    assert (tmp_path / "b.json").read_text() == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert json.loads((tmp_path / "b.json").read_text()) == data

    payload = bytes(range(256)) * 100
    atomic_write_bytes(tmp_path / "a.bin", payload)
    assert (tmp_path / "a.bin").read_bytes() == payload

    with atomic_open(tmp_path / "a.tsv") as handle:
        handle.write("x\ty\n")
        handle.write("1\t2\n")
    assert (tmp_path / "a.tsv").read_text() == "x\ty\n1\t2\n"
    with atomic_open(tmp_path / "a.png", "wb") as handle:
        handle.write(b"\x89PNG")
    assert (tmp_path / "a.png").read_bytes() == b"\x89PNG"

    # replacing an existing file, and no temporary file anywhere afterwards
    atomic_write_text(tmp_path / "a.txt", "replaced")
    assert (tmp_path / "a.txt").read_text() == "replaced"
    assert names(tmp_path) == ["a.bin", "a.json", "a.png", "a.tsv", "a.txt", "b.json", "plain.json", "plain.txt"]


def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "table.md"
    target.write_text("old table\n")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_open(target) as handle:
            handle.write("half of the new ta")
            handle.flush()
            # mid-write: the target is untouched, the new bytes are in `table.md.<hex>.partial`
            assert target.read_text() == "old table\n"
            partials = [p for p in tmp_path.iterdir() if p != target]
            assert len(partials) == 1 and partials[0].read_text() == "half of the new ta"
            assert partials[0].name.startswith("table.md.") and partials[0].name.endswith(".partial")
            raise RuntimeError("disk on fire")
    assert target.read_text() == "old table\n"
    assert names(tmp_path) == ["table.md"]

    # a file that did not exist yet is not created
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(tmp_path / "new.json") as handle:
            handle.write("{")
            raise KeyboardInterrupt
    assert names(tmp_path) == ["table.md"]


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")

    def replace(source, destination):
        raise OSError("no rename")

    monkeypatch.setattr(os, "replace", replace)
    for write in (lambda: atomic_write_text(target, "new\n"), lambda: atomic_write_bytes(target, b"new\n"),
                  lambda: atomic_write_json(target, [1])):
        with pytest.raises(OSError, match="no rename"):
            write()
        assert target.read_text() == "old\n"
        assert names(tmp_path) == ["out.jsonl"]


def test_atomic_path_for_code_that_opens_the_file_itself(tmp_path):
    target = tmp_path / "model.th"
    target.write_bytes(b"old weights")
    with atomic_path(target) as temporary:
        assert os.path.dirname(temporary) == str(tmp_path) and temporary != str(target)
        assert os.path.exists(temporary)  # reserved: no other writer gets the same name
        with open(temporary, "wb") as handle:  # as torch.save / allennlp would
            handle.write(b"new weights")
        assert target.read_bytes() == b"old weights"
    assert target.read_bytes() == b"new weights"
    assert names(tmp_path) == ["model.th"]
    with pytest.raises(ValueError):
        with atomic_path(target) as temporary:
            with open(temporary, "wb") as handle:
                handle.write(b"torn")
            raise ValueError
    assert target.read_bytes() == b"new weights"
    assert names(tmp_path) == ["model.th"]


KILLED_WRITER = textwrap.dedent("""
    import importlib.util, os, signal, sys
    spec = importlib.util.spec_from_file_location("atomic", sys.argv[1])
    atomic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(atomic)
    assert "graph_mtl" not in sys.modules and "torch" not in sys.modules  # loads on its own
    with atomic.atomic_open(sys.argv[2]) as handle:
        handle.write('{"complete": fa')
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_kill_part_way_leaves_the_old_file(tmp_path):
    target = tmp_path / "table.json"
    target.write_text('{"complete": true}\n')
    result = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(REPO_ROOT / "graph_mtl" / "common" / "atomic.py"), str(target)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert json.loads(target.read_text()) == {"complete": True}
    leftovers = [name for name in names(tmp_path) if name != "table.json"]
    assert len(leftovers) == 1 and leftovers[0].startswith("table.json.") and leftovers[0].endswith(".partial")
    assert (tmp_path / leftovers[0]).read_text() == '{"complete": fa'


def test_permissions_of_a_replaced_file_are_kept_and_new_files_get_the_usual_ones(tmp_path):
    target = tmp_path / "commands.sh"
    target.write_text("echo old\n")
    os.chmod(target, 0o751)
    atomic_write_text(target, "echo new\n")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o751
    with open(tmp_path / "plain", "w"):
        pass
    atomic_write_text(tmp_path / "fresh", "x")
    assert stat.S_IMODE(os.stat(tmp_path / "fresh").st_mode) == stat.S_IMODE(os.stat(tmp_path / "plain").st_mode)


def test_a_link_stays_a_link_and_its_target_is_replaced(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "vectors.txt"
    real.write_text("old")
    link = tmp_path / "vectors.txt"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert names(tmp_path) == ["real", "vectors.txt"] and names(tmp_path / "real") == ["vectors.txt"]


def test_a_path_that_is_not_a_regular_file_is_written_directly(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    atomic_write_text(fifo, "through the pipe\n")
    reader.join(timeout=30)
    assert received == ["through the pipe\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert names(tmp_path) == ["pipe"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write read-only files")
def test_a_read_only_file_is_refused_as_open_would(tmp_path):
    target = tmp_path / "frozen.md"
    target.write_text("keep me")
    os.chmod(target, 0o444)
    with pytest.raises(PermissionError):
        atomic_write_text(target, "new")
    assert target.read_text() == "keep me"
    assert names(tmp_path) == ["frozen.md"]


def test_only_whole_file_modes(tmp_path):
    for mode in ("a", "r+", "x", "ab", "w+"):
        with pytest.raises(ValueError, match="writes whole files"):
            with atomic_open(tmp_path / "f", mode):
                pass
    assert names(tmp_path) == []
    assert atomic.PARTIAL_SUFFIX == ".partial"
