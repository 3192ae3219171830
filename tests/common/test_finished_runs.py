"""graph_mtl.common.finished_runs: a finished run's per-epoch checkpoints removed, nothing else."""
import os

from graph_mtl.common.finished_runs import megabytes, prune_checkpoints


def _run(directory, finished: bool):
    directory.mkdir()
    sizes = {"model_state_e0_b0.th": 3, "training_state_e0_b0.th": 6, "model_state_e1.th": 5,
             "training_state_e1.th": 10, "vocabulary.txt": 7, "model_state_notes.th": 2, "metrics_epoch_1.json": 4}
    for name, size in sizes.items():
        (directory / name).write_bytes(b"x" * size)
    os.link(directory / "model_state_e1.th", directory / "best.th")  # as the checkpointer keeps the best epoch
    if finished:
        (directory / "model.tar.gz").write_bytes(b"archive")
        (directory / "metrics.json").write_text("{}")
    return sizes


def test_a_finished_run_loses_its_epoch_checkpoints_only(tmp_path):
    directory = tmp_path / "run"
    _run(directory, finished=True)
    # freed: the files without another link (model_state_e1.th shares its data with best.th)
    assert prune_checkpoints(directory) == 3 + 6 + 10
    assert sorted(p.name for p in directory.iterdir()) == [
        "best.th", "metrics.json", "metrics_epoch_1.json", "model.tar.gz", "model_state_notes.th", "vocabulary.txt"]
    assert (directory / "best.th").read_bytes() == b"x" * 5
    assert prune_checkpoints(directory) == 0  # nothing left to remove


def test_an_unfinished_run_keeps_what_recover_needs(tmp_path):
    directory = tmp_path / "run"
    sizes = _run(directory, finished=False)
    assert prune_checkpoints(directory) == 0
    assert set(sizes) | {"best.th"} == {p.name for p in directory.iterdir()}
    assert prune_checkpoints(tmp_path / "missing") == 0


def test_sizes_are_written_for_people():
    assert megabytes(5 * 2**20) == "5 MB"
    assert megabytes(3 * 2**30 // 2) == "1.5 GB"
