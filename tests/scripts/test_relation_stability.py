"""scripts/relation_stability.py: rank agreement of two runs' relation matrices."""
import importlib.util
import json
import math
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


def test_lexical_relation_against_hand_computation(tmp_path):
    # "good" is in every task (idf 0); "movie" in two, the others in one; the last line of each
    # file is its dev split, which must not count (c's would make it share a's words)
    texts = {"a": "movie film good", "b": "movie actor good", "c": "battery screen good"}
    for task, text in texts.items():
        dev = "movie film movie film" if task == "c" else text
        (tmp_path / f"{task}.task.train").write_text("".join(f"1\t{text}\n" for _ in range(5)) + f"0\t{dev}\n")
    matrix = {t: {s: 0.0 for s in texts if s != t} for t in texts}
    lexical = relation_stability.lexical_relation(tmp_path, matrix, dev_size=1)
    # a = (movie 1/3 log 1.5, film 1/3 log 3), b = (movie 1/3 log 1.5, actor 1/3 log 3), cosine:
    expected = math.log(1.5) ** 2 / (math.log(1.5) ** 2 + math.log(3) ** 2)
    assert lexical["a"]["b"] == pytest.approx(expected) and lexical["b"]["a"] == pytest.approx(expected)
    assert lexical["a"]["c"] == lexical["c"]["a"] == lexical["c"]["b"] == 0.0
    # a word seen fewer than min_count times in all is left out: then a and b share nothing
    assert relation_stability.lexical_relation(tmp_path, matrix, dev_size=1, min_count=11)["a"]["b"] == 0.0

    alpha = {"a": {"b": 0.9, "c": 0.1}, "b": {"a": 0.8, "c": 0.2}, "c": {"a": 0.5, "b": 0.5}}
    report = relation_stability.main([_summary(tmp_path / "run.json", alpha), "--lexical", str(tmp_path),
                                      "--dev-size", "1", "--output", str(tmp_path / "out")])
    (pair,) = report["pairs"]
    assert pair["b"].startswith("lexical similarity")
    # a and b rank their sources as the text does; c's lexical row is constant (no correlation)
    assert pair["row_rank_correlation"] == {"a": pytest.approx(1.0), "b": pytest.approx(1.0), "c": None}
    cells = [(t, s) for t in sorted(alpha) for s in sorted(alpha[t])]
    reference = {("a", "b"): expected, ("b", "a"): expected}
    rho = spearmanr([alpha[t][s] for t, s in cells], [reference.get((t, s), 0.0) for t, s in cells]).statistic
    assert pair["rank_correlation"] == pytest.approx(rho)
    assert "lexical similarity" in (tmp_path / "out.md").read_text()
    written = json.loads((tmp_path / "out.json").read_text())["lexical_similarity"]
    assert written["a"]["b"] == pytest.approx(expected) and written["c"]["b"] == 0.0


def test_hub_share_against_hand_computation():
    # every target reads c most, by the same amount: all of alpha's distance from uniform is the
    # column effect
    hubs = {"a": {"c": 0.8, "d": 0.2}, "b": {"c": 0.8, "d": 0.2}}
    assert relation_stability.hub_share(hubs) == pytest.approx(1.0)
    # pair preferences that cancel in the column means: a reads b, d reads c; b and c are read
    # alike on the whole
    pairs = {"a": {"b": 0.9, "c": 0.1}, "d": {"b": 0.1, "c": 0.9}}
    assert relation_stability.hub_share(pairs) == pytest.approx(0.0)
    # by hand: column means b 0.55, c 0.45; distance from 1/2: 0.3^2 + 0.3^2 + 0.2^2 + 0.2^2 =
    # 0.26 (a: 0.8/0.2, d: 0.3/0.7); residual: 4 x 0.25^2 = 0.25
    mixed = {"a": {"b": 0.8, "c": 0.2}, "d": {"b": 0.3, "c": 0.7}}
    assert relation_stability.hub_share(mixed) == pytest.approx(1 - 0.25 / 0.26)
    assert relation_stability.hub_share({"a": {"b": 0.5, "c": 0.5}}) is None


def test_hubs_and_pairs_compared_separately():
    # both runs read c most overall (the same hub), but their pair preferences are opposite:
    # a reads b more than d does in the first run, less in the second (values exact in binary,
    # so that the tied cells stay tied)
    first = {"a": {"b": 0.375, "c": 0.625}, "d": {"b": 0.125, "c": 0.875}, "e": {"b": 0.25, "c": 0.75}}
    second = {"a": {"b": 0.125, "c": 0.875}, "d": {"b": 0.375, "c": 0.625}, "e": {"b": 0.25, "c": 0.75}}
    assert relation_stability.column_means(first) == {"b": 0.25, "c": 0.75}
    centred = relation_stability.pair_preferences(first)
    assert centred == {"a": {"b": 0.125, "c": -0.125}, "d": {"b": -0.125, "c": 0.125}, "e": {"b": 0.0, "c": 0.0}}
    result = relation_stability.compare(first, second)
    assert result["hub_rank_correlation"] == pytest.approx(1.0)
    assert result["pair_rank_correlation"] == pytest.approx(-1.0)
    # the whole matrices: the hub dominates, so they still agree on the whole
    cells = [(t, s) for t in sorted(first) for s in sorted(first[t])]
    whole = spearmanr([first[t][s] for t, s in cells], [second[t][s] for t, s in cells]).statistic
    assert result["rank_correlation"] == pytest.approx(whole) and whole > 0.5
    # other hubs (b read most), the same pair preferences on top
    moved = {t: {"b": row["b"] + 0.5, "c": row["c"] - 0.5} for t, row in first.items()}
    other = relation_stability.compare(first, moved)
    assert other["hub_rank_correlation"] == pytest.approx(-1.0) and other["pair_rank_correlation"] == pytest.approx(1.0)
