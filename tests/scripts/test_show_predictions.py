import json
import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_summary_lists_metrics_predictions_and_mean_alpha(tmp_path):
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"best_epoch": 3, "best_validation_books_accuracy": 0.75,
                                   "best_validation_loss": 0.4, "validation_books_accuracy": 0.5}))
    predictions = tmp_path / "predictions.jsonl"
    rows = [
        {"task": "books", "tokens": ["a", "good", "read"], "label": "1", "probs": {"1": 0.8, "0": 0.2},
         "alpha_sources": ["dvd", "music"], "alpha": [[0.2, 0.8], [0.4, 0.6], [0.6, 0.4]]},
        {"task": "dvd", "tokens": ["bad"], "label": "0", "probs": {"1": 0.1, "0": 0.9}},
    ]
    predictions.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "show_predictions.py"), str(metrics), str(predictions)],
        capture_output=True, text=True, check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "Best epoch 3, dev accuracy:"
    assert "books_accuracy" in lines[1] and "0.750" in lines[1]
    assert not any("loss" in line for line in lines)
    assert "[books] label 1 (p=0.80)  a good read" in result.stdout
    assert "mean alpha over source tasks: dvd 0.40, music 0.60" in result.stdout
    assert "[dvd] label 0 (p=0.90)  bad" in result.stdout
