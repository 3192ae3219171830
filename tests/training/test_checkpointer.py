"""
graph_mtl.training.checkpointer: atomic checkpoint files, the best epoch's checkpoint never
rotated away, `--recover` skipping a broken newest checkpoint, best.th rebuilt and re-pointed
(a moved run). On files written by the checkpointer itself, with a stand-in trainer.
"""
import logging
import os
import shutil
from types import SimpleNamespace

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.trainer import TrainerCheckpoint

from graph_mtl.training.checkpointer import GraphMtlCheckpointer, atomic_torch_save


class FakeTrainer:
    def __init__(self):
        self.epochs_completed = 0
        self._metric_tracker = SimpleNamespace(best_epoch=None)

    def end_epoch(self, best: bool):
        if best:
            self._metric_tracker.best_epoch = self.epochs_completed
        self.epochs_completed += 1

    def get_checkpoint_state(self):
        return TrainerCheckpoint(
            {"weight": torch.full((2,), float(self.epochs_completed))},
            {"version": 1, "epochs_completed": self.epochs_completed, "batches_in_epoch_completed": 0,
             "metric_tracker": {"best_epoch": self._metric_tracker.best_epoch},
             "best_model_filename": "/elsewhere/old-run/best.th" if self._metric_tracker.best_epoch is not None else None},
        )


def train(directory, bests, keep=1):
    os.makedirs(directory, exist_ok=True)
    checkpointer = GraphMtlCheckpointer(str(directory), keep_most_recent_by_count=keep)
    trainer = FakeTrainer()
    for best in bests:
        trainer.end_epoch(best)
        checkpointer.maybe_save_checkpoint(trainer, trainer.epochs_completed, 0)
    return checkpointer


def points(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".th"))


def test_registered_for_configs(tmp_path):
    checkpointer = Checkpointer.from_params(Params({"type": "graph_mtl"}), serialization_dir=str(tmp_path))
    assert isinstance(checkpointer, GraphMtlCheckpointer)


def test_atomic_save_leaves_no_partial_file(tmp_path):
    path = str(tmp_path / "x.th")
    atomic_torch_save({"a": torch.ones(3)}, path)
    assert os.listdir(tmp_path) == ["x.th"]
    assert torch.equal(torch.load(path)["a"], torch.ones(3))


def test_rotation_keeps_the_best_epoch(tmp_path):
    # epoch 0 best, then three worse epochs; allennlp's rotation (keep 1) would delete epoch 0's
    train(tmp_path, [True, False, False, False])
    assert points(tmp_path) == ["model_state_e1_b0.th", "model_state_e4_b0.th",
                                "training_state_e1_b0.th", "training_state_e4_b0.th"]
    shutil.rmtree(tmp_path)
    train(tmp_path, [True, True, True])
    assert points(tmp_path) == ["model_state_e3_b0.th", "training_state_e3_b0.th"]


def test_recover_skips_a_torn_newest_checkpoint(tmp_path, caplog):
    checkpointer = train(tmp_path, [True, False, False], keep=2)
    newest = tmp_path / "model_state_e3_b0.th"
    newest.write_bytes(newest.read_bytes()[:20])  # torn (written by something else than us)
    with caplog.at_level(logging.WARNING):
        model_state, training_state = checkpointer.load_checkpoint()
    assert training_state["epochs_completed"] == 2 and float(model_state["weight"][0]) == 2.0
    assert "skipping checkpoint e3_b0" in caplog.text and str(tmp_path) in caplog.text


def test_recover_skips_a_checkpoint_without_training_state(tmp_path, caplog):
    checkpointer = train(tmp_path, [True, False, False], keep=2)
    os.remove(tmp_path / "training_state_e3_b0.th")
    (tmp_path / "model_state_e4_b0.th.partial").write_bytes(b"half")  # an interrupted write
    with caplog.at_level(logging.WARNING):
        _, training_state = checkpointer.load_checkpoint()
    assert training_state["epochs_completed"] == 2
    assert f"{tmp_path / 'training_state_e3_b0.th'}: missing" in caplog.text
    assert not (tmp_path / "model_state_e4_b0.th.partial").exists()


def test_no_intact_checkpoint_is_an_error_naming_the_files(tmp_path):
    checkpointer = train(tmp_path, [True], keep=1)
    (tmp_path / "model_state_e1_b0.th").write_bytes(b"garbage")
    with pytest.raises(ConfigurationError, match=r"no intact checkpoint in .*model_state_e1_b0.th"):
        checkpointer.load_checkpoint()
    assert GraphMtlCheckpointer(str(tmp_path / "empty")).load_checkpoint() is None


def test_best_is_rebuilt_and_repointed_in_a_moved_run(tmp_path):
    train(tmp_path / "run", [False, True, False], keep=1)  # best epoch 1: its checkpoint e2 kept
    shutil.move(str(tmp_path / "run"), str(tmp_path / "moved"))
    assert not (tmp_path / "moved" / "best.th").exists()  # as after a kill between remove and link
    checkpointer = GraphMtlCheckpointer(str(tmp_path / "moved"), keep_most_recent_by_count=1)
    _, training_state = checkpointer.load_checkpoint()
    assert training_state["best_model_filename"] == str(tmp_path / "moved" / "best.th")
    assert float(torch.load(tmp_path / "moved" / "best.th")["weight"][0]) == 2.0  # epoch 1's weights


def test_allennlp_train_recovers_past_a_torn_checkpoint_and_a_lost_best(tmp_path):
    """The real trainer with `checkpointer: graph_mtl`: after a finished run loses its archive,
    its newest checkpoint is torn and best.th is gone, `--recover` resumes from the older
    intact checkpoint, trains the last epoch again and archives a complete model."""
    from allennlp.commands.train import train_model
    from allennlp.models.archival import load_archive

    from tests.conftest import REPO_ROOT

    def params():
        config = Params.from_file(str(REPO_ROOT / "fixtures" / "cli" / "tiny_dc_mtl.jsonnet")).as_dict()
        config["trainer"]["callbacks"] = []
        config["trainer"]["checkpointer"] = {"type": "graph_mtl", "keep_most_recent_by_count": 2}
        config["trainer"]["enable_default_callbacks"] = False
        return Params(config)

    directory = tmp_path / "run"
    cwd = os.getcwd()
    os.chdir(REPO_ROOT)
    try:
        train_model(params(), str(directory))
        kept = points(directory)
        assert "model_state_e3_b0.th" in kept and "best.th" in kept
        for name in ("model.tar.gz", "metrics.json", "best.th"):
            os.remove(directory / name)
        newest = directory / "model_state_e3_b0.th"
        newest.write_bytes(newest.read_bytes()[:100])
        older = sorted(p for p in points(directory) if p.startswith("model_state") and p != newest.name)
        assert older  # the best epoch's checkpoint (or e2) survived rotation
        train_model(params(), str(directory), recover=True)
    finally:
        os.chdir(cwd)
    # allennlp logs to the run's out.log: the fallback is said there
    assert "skipping checkpoint e3_b0" in (directory / "out.log").read_text()
    assert (directory / "best.th").exists() and (directory / "model.tar.gz").exists()
    metrics = __import__("json").loads((directory / "metrics.json").read_text())
    assert metrics["epoch"] == 2
    archive = load_archive(str(directory / "model.tar.gz"))
    assert sorted(archive.model._heads) == ["books", "electronics", "kitchen_housewares"]  # noqa: SLF001
