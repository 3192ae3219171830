"""
benchmarks/atomic.py: graph_mtl.common.atomic for the benchmark scripts, loaded without importing
graph_mtl, allennlp or torch; the result files of `emit_results` and the data of
planted_relation.py are replaced whole or not at all.
"""
import os
import subprocess
import sys

import pytest

from benchmarks import planted_relation
from benchmarks.timing import emit_results
from tests.conftest import REPO_ROOT, failing_replace_onto


def test_loads_without_graph_mtl_allennlp_or_torch(tmp_path):
    code = ("import sys; from benchmarks.atomic import atomic_write_json; "
            f"atomic_write_json({str(tmp_path / 'r.json')!r}, {{'a': 1}}, indent=1); "
            "print(sorted(m for m in ('graph_mtl', 'allennlp', 'torch') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert (tmp_path / "r.json").read_text() == '{\n "a": 1\n}'


def test_emit_results_replaces_whole_or_not_at_all(tmp_path, monkeypatch, capsys):
    for name in ("run.json", "run.md"):
        directory = tmp_path / name
        emit_results(["| old |"], {"old": 1}, str(directory), name="run")
        old = {file: (directory / file).read_text() for file in ("run.md", "run.json")}
        assert old == {"run.md": "| old |\n", "run.json": '{\n "old": 1\n}'}
        with monkeypatch.context() as patch:
            failing_replace_onto(patch, name)
            with pytest.raises(OSError, match=f"cannot rename onto {name}"):
                emit_results(["| new |"], {"new": 2}, str(directory), name="run")
        assert (directory / name).read_text() == old[name]
        assert sorted(os.listdir(directory)) == ["run.json", "run.md"]


def test_planted_data_files_are_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    design = planted_relation.Design(groups=1, big_size=6, small_tasks=1, small_size=3, distractors=0,
                                     dev_size=2, cues=2, fillers=10)
    tasks = planted_relation.generate(design, tmp_path, seed=1)
    name = f"{tasks[0].name}.train.jsonl"
    old = (tmp_path / name).read_text()
    failing_replace_onto(monkeypatch, name)
    with pytest.raises(OSError, match=f"cannot rename onto {name}"):
        planted_relation.generate(design, tmp_path, seed=2)
    assert (tmp_path / name).read_text() == old
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".partial")]
