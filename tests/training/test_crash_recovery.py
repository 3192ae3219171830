"""
Kill `allennlp train` (allennlp's command line in a process of its own, SIGKILL) at each
dangerous point and check that `allennlp train --recover` brings the run to a complete, correct
end: inside a checkpoint write, between removing and re-linking best.th, while model.tar.gz or
metrics.json is written, on a finished run, and in a run moved to another folder. The kill points are placed by the
test-only plugin tests/crash_points.py; the config uses the `graph_mtl` checkpointer.
"""
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
import torch

from tests.conftest import REPO_ROOT
from tests.forked_cli import allennlp_forked

BASE = REPO_ROOT / "fixtures" / "cli" / "tiny_dc_mtl.jsonnet"
TASKS = ["books", "electronics", "kitchen_housewares"]


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "config.jsonnet"
    path.write_text(f"(import '{BASE}') + {{ trainer+: {{ callbacks: [], checkpointer: {{ type: 'graph_mtl', "
                    "keep_most_recent_by_count: 1 } } }\n")
    return path


def train(config: Path, directory: Path, kill: str = "", recover: bool = False) -> subprocess.CompletedProcess:
    """`allennlp train` in a process of its own (forked from this one: tests/forked_cli.py)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", GRAPH_MTL_TEST_KILL=kill,
               GRAPH_MTL_TEST_KILL_MARKER=str(directory.parent / f"{directory.name}.killed"))
    command = ["train", str(config), "-s", str(directory),
               "--include-package", "graph_mtl", "--include-package", "tests.crash_points"]
    return allennlp_forked(command + (["--recover"] if recover else []), env=env, cwd=REPO_ROOT)


def killed_then_recovered(config: Path, directory: Path, kill: str) -> str:
    first = train(config, directory, kill)
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    second = train(config, directory, kill, recover=True)
    assert second.returncode == 0, second.stderr[-3000:]
    return (directory / "out.log").read_text()


def assert_complete(directory: Path) -> None:
    """A finished run: archive that loads, metrics.json with every key of the last epoch's."""
    from allennlp.models.archival import load_archive

    metrics = json.loads((directory / "metrics.json").read_text())
    last = json.loads((directory / "metrics_epoch_2.json").read_text())
    assert set(last) <= set(metrics) and metrics["epoch"] == 2
    assert (directory / "best.th").exists()
    assert not list(directory.glob("*.partial"))
    archive = load_archive(str(directory / "model.tar.gz"))
    best = torch.load(directory / "best.th")
    for name, parameter in archive.model.named_parameters():
        assert torch.equal(parameter, best[name]), name


def test_kill_inside_a_checkpoint_write(config, tmp_path):
    log = killed_then_recovered(config, tmp_path / "run", "checkpoint:2")
    assert "removing" in log and "model_state_e2_b0.th.partial" in log
    assert_complete(tmp_path / "run")


def test_kill_between_removing_and_relinking_best(config, tmp_path):
    directory = tmp_path / "run"
    first = train(config, directory, "best:2")
    assert first.returncode == -signal.SIGKILL
    assert not (directory / "best.th").exists()  # the best weights so far exist only as a checkpoint
    second = train(config, directory, "best:2", recover=True)
    assert second.returncode == 0, second.stderr[-3000:]
    assert_complete(directory)


@pytest.mark.parametrize("point", ["archive", "metrics"])
def test_kill_while_the_archive_or_metrics_are_written(point, config, tmp_path):
    killed_then_recovered(config, tmp_path / "run", point)
    assert_complete(tmp_path / "run")


def test_recover_of_a_finished_run_keeps_complete_metrics(config, tmp_path):
    directory = tmp_path / "run"
    assert train(config, directory).returncode == 0
    before = json.loads((directory / "metrics.json").read_text())
    assert train(config, directory, recover=True).returncode == 0
    after = json.loads((directory / "metrics.json").read_text())
    assert set(after) == set(before) and after["best_epoch"] == before["best_epoch"]
    assert_complete(directory)


def test_a_moved_run_recovers(config, tmp_path):
    directory = tmp_path / "run"
    first = train(config, directory, "checkpoint:3")  # killed in the last epoch's checkpoint
    assert first.returncode == -signal.SIGKILL
    moved = tmp_path / "elsewhere" / "run"
    moved.parent.mkdir()
    shutil.move(str(directory), str(moved))
    shutil.move(str(tmp_path / "run.killed"), str(moved.parent / "run.killed"))
    second = train(config, moved, "checkpoint:3", recover=True)
    assert second.returncode == 0, second.stderr[-3000:]
    assert_complete(moved)
