"""
Prints a short summary of a run for people: dev metrics of the best epoch, then one line per
prediction (task, label with its probability, the sentence) and, for DC-MTL models, the source
task each sentence draws from most. Used by `make demo`:
`python scripts/show_predictions.py METRICS_JSON PREDICTIONS_JSONL`.
"""
import json
import sys
from typing import Dict, List


def main(metrics_path: str, predictions_path: str) -> None:
    with open(metrics_path) as metrics_file:
        metrics: Dict[str, float] = json.load(metrics_file)
    best = {
        key[len("best_validation_"):]: value
        for key, value in metrics.items()
        if key.startswith("best_validation_") and key.endswith("accuracy")
    }
    print(f"Best epoch {metrics.get('best_epoch')}, dev accuracy:")
    for name, value in sorted(best.items()):
        print(f"  {name:<32} {value:.3f}")
    print("Predictions:")
    with open(predictions_path) as predictions_file:
        for line in predictions_file:
            prediction = json.loads(line)
            label = prediction.get("label")
            probability = prediction.get("probs", {}).get(label, float("nan"))
            sentence = " ".join(prediction["tokens"])
            print(f"  [{prediction['task']}] label {label} (p={probability:.2f})  {sentence}")
            sources: List[str] = prediction.get("alpha_sources", [])
            alpha: List[List[float]] = prediction.get("alpha", [])
            if sources and alpha:
                mean = [sum(row[i] for row in alpha) / len(alpha) for i in range(len(sources))]
                shares = ", ".join(f"{s} {m:.2f}" for s, m in zip(sources, mean))
                print(f"      mean alpha over source tasks: {shares}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
