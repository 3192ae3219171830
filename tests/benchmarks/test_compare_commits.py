"""benchmarks/compare_commits.py: the ratios and noise it reports, and that it leaves no worktree."""
import subprocess

from benchmarks import compare_commits
from tests.conftest import REPO_ROOT


def test_ratios_noise_and_cleanup(monkeypatch, capsys):
    times = {  # seconds per round: old trees 0.10 then 0.11, new trees 0.12 then 0.125
        "old": iter([0.10, 0.11]),
        "new": iter([0.12, 0.125]),
    }
    seen_trees = []

    def fake_run_quick(tree, out, models, generic=False):
        label = "new" if tree == compare_commits.ROOT else "old"
        seen_trees.append(label)
        value = next(times[label])
        cells = {"2/32/8/dc_mtl": value, "2/32/8/ic_mtl": 2 * value}
        if generic:
            cells.update({"2/32/8/dc_mtl/generic": 3 * value, "2/32/8/ic_mtl/generic": 4 * value})
        return cells

    monkeypatch.setattr(compare_commits, "run_quick", fake_run_quick)
    before = subprocess.run(["git", "worktree", "list"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    assert compare_commits.main(["HEAD", "--rounds", "2"]) == 0
    text = capsys.readouterr().out
    assert seen_trees == ["old", "new", "old", "new"]  # alternated
    # minimum over rounds: old 0.10, new 0.12 -> 1.200 for both models
    assert "dc_mtl: new / old geometric mean **1.200**" in text
    assert "ic_mtl: new / old geometric mean **1.200**" in text
    assert "| 2/32/8/dc_mtl | 100.0 | 120.0 | 1.200 |" in text
    assert "run-to-run noise (a round against the first round of the same tree): 1.042 - 1.100" in text
    after = subprocess.run(["git", "worktree", "list"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    assert after == before  # the temporary worktree is gone


def test_generic_cells_get_their_own_lines(monkeypatch, capsys):
    """`--generic`: the plugin path (autograd steps) of both trees, summarised apart."""
    values = {"old": iter([0.10, 0.10]), "new": iter([0.10, 0.10])}

    def fake_run_quick(tree, out, models, generic=False):
        assert generic
        value = next(values["new" if tree == compare_commits.ROOT else "old"])
        factor = 1.5 if tree == compare_commits.ROOT else 1.0  # the new plugin path is slower
        return {"2/32/8/dc_mtl": value, "2/32/8/dc_mtl/generic": factor * value}

    monkeypatch.setattr(compare_commits, "run_quick", fake_run_quick)
    assert compare_commits.main(["HEAD", "--rounds", "2", "--models", "dc_mtl", "--generic"]) == 0
    text = capsys.readouterr().out
    assert "- dc_mtl: new / old geometric mean **1.000**" in text
    assert "- dc_mtl/generic: new / old geometric mean **1.500**" in text


def test_a_load_that_moves_during_the_run_is_flagged(monkeypatch, capsys):
    """The trees run one after the other: a load that rises between them reads as a slowdown, so
    the report says the load moved (and says nothing when it stays)."""
    monkeypatch.setattr(compare_commits, "run_quick", lambda tree, out, models, generic=False: {"2/32/8/dc_mtl": 0.1, "2/32/8/ic_mtl": 0.2})
    for loads, flagged in (([2.3, 4.1], True), ([2.3, 2.5], False)):  # at the start, at the end
        readings = iter(loads)
        monkeypatch.setattr(compare_commits.os, "getloadavg", lambda: (next(readings), 0.0, 0.0))
        assert compare_commits.main(["HEAD", "--rounds", "1"]) == 0
        text = capsys.readouterr().out
        assert ("the load average moved from 2.30 to 4.10 during the run" in text) is flagged
        assert ("during the run**" in text) is flagged
