"""benchmarks/ab_encoder.py: the base commit's encoder methods against the working tree's, on one
encoder, alternated; identical outputs are required."""
import json

import pytest
import torch

from benchmarks import ab_encoder


@pytest.fixture
def small_cells(monkeypatch):
    """Two tiny cells; the benchmark sets torch to one thread, given back afterwards."""
    monkeypatch.setattr(ab_encoder, "CELLS", [("direct", 2, 4, 2), ("indirect", 3, 5, 2)])
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_base_methods_are_the_commits_own_code():
    from graph_mtl.modules.seq2seq_encoders import message_passing_encoder as module

    methods = ab_encoder.base_methods("HEAD", vars(module))
    assert set(methods) == set(ab_encoder.METHODS)
    # compiled from the commit's source, not the class's functions
    assert all(method is not getattr(module.MessagePassingEncoder, name) for name, method in methods.items())


def test_writes_ratios_of_alternated_steps(tmp_path, small_cells):
    assert ab_encoder.main(["HEAD", "--steps", "2", "--hidden", "6", "--name", "ab", "--results-dir",
                            str(tmp_path)]) == 0
    report = json.loads((tmp_path / "ab.json").read_text())
    assert [(c["topology"], c["k"]) for c in report["cells"]] == [("direct", 2), ("indirect", 3)]
    for cell in report["cells"]:
        assert cell["ratio"] == pytest.approx(cell["new_ms"] / cell["old_ms"])
    assert f"**{report['geometric_mean_new_over_old']:.3f}**" in (tmp_path / "ab.md").read_text()
    assert torch.get_num_threads() == 1  # timed at one thread, as the report says


def test_versions_that_compute_different_outputs_are_refused(tmp_path, small_cells, monkeypatch):
    from graph_mtl.modules.seq2seq_encoders.message_passing_encoder import MessagePassingEncoder

    encode = MessagePassingEncoder.encode
    monkeypatch.setattr(MessagePassingEncoder, "encode", lambda self, *args: encode(self, *args) + 1)
    with pytest.raises(SystemExit, match="outputs differ"):
        ab_encoder.main(["HEAD", "--steps", "1", "--hidden", "6", "--results-dir", str(tmp_path)])
