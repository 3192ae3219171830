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

    def fake_run_quick(tree, out, models):
        label = "new" if tree == compare_commits.ROOT else "old"
        seen_trees.append(label)
        value = next(times[label])
        return {"2/32/8/dc_mtl": value, "2/32/8/ic_mtl": 2 * value}

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
