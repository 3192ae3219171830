"""scripts/transfer_mean.py: the transfer table averaged over seeds, from each seed's results.json."""
import importlib.util
import json

import pytest

from tests.conftest import REPO_ROOT


def load_script():
    spec = importlib.util.spec_from_file_location("transfer_mean", REPO_ROOT / "scripts" / "transfer_mean.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_results(directory, rows):
    directory.mkdir(parents=True)
    (directory / "results.json").write_text(json.dumps({"command": "x", "folds": rows}))
    return directory


def row(task, target, baseline, lstm, identical=True, test=None):
    return {"task": task, "source_tasks": 2, "source_dev_average_accuracy": 0.8, "target_dev_accuracy": target,
            "target_test_accuracy": test, "baseline_dev_accuracy": baseline,
            "single_task_lstm_dev_accuracy": lstm, "shared_identical": identical, "seconds": 10.0}


def test_rows_are_means_over_the_seeds_that_all_have_the_task(tmp_path):
    script = load_script()
    first = seed_results(tmp_path / "s13", [row("books", 0.90, 0.80, 0.85), row("dvd", 0.70, 0.75, 0.72),
                                            row("music", 0.80, 0.80, 0.80)])
    second = seed_results(tmp_path / "s14", [row("dvd", 0.80, 0.75, 0.72, identical=False),
                                             row("books", 0.80, 0.90, 0.85), row("camera", 0.9, 0.9, 0.9)])
    rows = script.main([str(first), str(second), "--output-dir", str(tmp_path / "mean")])
    assert [r["task"] for r in rows] == ["books", "dvd"]
    books, dvd = rows
    assert books["target_dev_accuracy"] == pytest.approx(0.85) and books["baseline_dev_accuracy"] == pytest.approx(0.85)
    assert dvd["target_dev_accuracy"] == pytest.approx(0.75) and dvd["seeds"] == 2
    assert books["target_test_accuracy"] is None  # no test file in either seed
    assert books["shared_identical"] is True and dvd["shared_identical"] is False  # all seeds must hold
    results = json.loads((tmp_path / "mean" / "results.json").read_text())
    assert results["missing"] == ["music", "camera"] and results["folds"] == rows
    comparisons = {c["against"]: c for c in results["comparisons"]}
    # books: 0.85 vs 0.85 (level); dvd: 0.75 vs 0.75 (level): none higher
    assert comparisons["baseline_dev_accuracy"]["higher"] == 0 and comparisons["baseline_dev_accuracy"]["level"] == 2
    # books level with its single-task LSTM (0.85), dvd above it (0.75 > 0.72)
    assert (comparisons["single_task_lstm_dev_accuracy"]["higher"], comparisons["single_task_lstm_dev_accuracy"]["level"]) == (1, 1)
    text = (tmp_path / "mean" / "results.md").read_text()
    assert "2 of 4 folds (the mean is over these); not recorded in every seed: music, camera." in text
    assert f"Each row is the mean over 2 seeds, one per folder: `{first}`, `{second}`." in text
    assert text.rstrip().endswith(f"--output-dir {tmp_path / 'mean'}`")


def test_unreadable_or_disjoint_results_are_errors_naming_them(tmp_path):
    script = load_script()
    good = seed_results(tmp_path / "a", [row("books", 0.9, 0.8, 0.85)])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "results.json").write_text(json.dumps({"folds": [{"no task": 1}]}))
    with pytest.raises(SystemExit, match=r"bad/results\.json: not a results\.json of scripts/transfer\.py"):
        script.main([str(good), str(tmp_path / "bad"), "--output-dir", str(tmp_path / "out")])
    with pytest.raises(SystemExit, match=r"missing/results\.json: not a results\.json"):
        script.main([str(good), str(tmp_path / "missing"), "--output-dir", str(tmp_path / "out")])
    other = seed_results(tmp_path / "b", [row("dvd", 0.9, 0.8, 0.85)])
    with pytest.raises(SystemExit, match="no held-out task is recorded in every one of"):
        script.main([str(good), str(other), "--output-dir", str(tmp_path / "out")])
