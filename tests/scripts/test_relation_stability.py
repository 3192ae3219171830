"""scripts/relation_stability.py: rank agreement of two runs' relation matrices."""
import importlib.util
import json
import random

import pytest
from scipy.stats import spearmanr

from tests.conftest import REPO_ROOT

_spec = importlib.util.spec_from_file_location("relation_stability", REPO_ROOT / "scripts" / "relation_stability.py")
relation_stability = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(relation_stability)


def _summary(path, matrix, entropy=0.9):
    tasks = {target: {"sentences": 3, "alpha": row} for target, row in matrix.items()}
    path.write_text(json.dumps({"tasks": tasks, "archive": str(path), "mean_entropy_ratio": entropy}))
    return str(path)


def _matrix(rng, tasks):
    return {t: {s: rng.random() for s in tasks if s != t} for t in tasks}


def test_identical_and_reversed_runs(tmp_path):
    tasks = ["a", "b", "c", "d"]
    matrix = _matrix(random.Random(0), tasks)
    reversed_matrix = {t: {s: -v for s, v in row.items()} for t, row in matrix.items()}
    first = _summary(tmp_path / "a.json", matrix)
    report = relation_stability.main([first, _summary(tmp_path / "b.json", matrix), _summary(tmp_path / "c.json", reversed_matrix),
                                      "--output", str(tmp_path / "out")])
    same, flipped, other = report["pairs"]
    assert same["rank_correlation"] == pytest.approx(1.0) and same["same_top_source"] == 4
    assert flipped["rank_correlation"] == pytest.approx(-1.0) and flipped["mean_row_rank_correlation"] == pytest.approx(-1.0)
    assert flipped["same_top_source"] == 0 and other["cells"] == 12
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["pairs"][1]["rank_correlation"] == pytest.approx(-1.0)
    assert "| 12 | -1.000 |" in (tmp_path / "out.md").read_text()


def test_against_scipy_on_random_matrices_with_ties(tmp_path):
    rng = random.Random(3)
    tasks = ["a", "b", "c", "d", "e"]
    x = {t: {s: round(rng.random(), 1) for s in tasks if s != t} for t in tasks}  # ties
    y = _matrix(rng, tasks)
    result = relation_stability.compare(x, y)
    cells = [(t, s) for t in sorted(x) for s in sorted(x[t])]
    expected = spearmanr([x[t][s] for t, s in cells], [y[t][s] for t, s in cells]).statistic
    assert result["rank_correlation"] == pytest.approx(expected)
    row = spearmanr([x["c"][s] for s in sorted(x["c"])], [y["c"][s] for s in sorted(x["c"])]).statistic
    assert result["row_rank_correlation"]["c"] == pytest.approx(row)


def test_mismatched_runs_and_models_without_alpha_are_refused(tmp_path):
    a = _matrix(random.Random(0), ["a", "b", "c"])
    b = _matrix(random.Random(1), ["a", "b", "d"])
    with pytest.raises(ValueError, match="different target tasks"):
        relation_stability.compare(a, b)
    no_alpha = tmp_path / "ic.json"
    no_alpha.write_text(json.dumps({"tasks": {"a": {"sentences": 1, "beta_entropy_ratio": 0.9}}, "archive": "ic"}))
    with pytest.raises(ValueError, match="no alpha"):
        relation_stability.main([str(no_alpha), str(no_alpha)])
    with pytest.raises(SystemExit):
        relation_stability.main([str(no_alpha)])
