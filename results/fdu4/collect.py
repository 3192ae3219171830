"""
Collects the real-data check's dev accuracies (best epoch by average dev accuracy) from
output/fdu4/*/metrics.json into results/fdu4/results.json and prints a markdown table.
Usage: .venv/bin/python results/fdu4/collect.py [OUT_DIR]
"""
import json
import re
import statistics
import sys
from pathlib import Path

TASKS = ["books", "dvd", "electronics", "kitchen_housewares"]
MODELS = ["single_lstm", "fs_mtl", "dc_mtl", "ic_mtl"]
HERE = Path(__file__).resolve().parent


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def collect(out: Path) -> dict:
    runs = {}
    for metrics_file in sorted(out.glob("*/metrics.json")):
        name = metrics_file.parent.name
        match = re.fullmatch(r"(single_lstm)-(.+)-s(\d+)|(\w+?)-s(\d+)", name)
        if not match:
            continue
        metrics = load(metrics_file)
        if match.group(1):
            model, seed, tasks = match.group(1), int(match.group(3)), [match.group(2)]
        else:
            model, seed, tasks = match.group(4), int(match.group(5)), TASKS
        run = runs.setdefault(model, {}).setdefault(seed, {"dev_accuracy": {}, "best_epoch": {}, "duration": {}})
        for task in tasks:
            key = f"best_validation_{task}_accuracy"
            if key in metrics:
                run["dev_accuracy"][task] = metrics[key]
                run["best_epoch"][task] = metrics.get("best_epoch")
                run["duration"][task] = metrics.get("training_duration")
    for model, seeds in runs.items():
        for seed, run in seeds.items():
            accuracies = run["dev_accuracy"]
            if set(accuracies) == set(TASKS):
                run["average"] = statistics.mean(accuracies[t] for t in TASKS)
    return runs


def table(runs: dict) -> str:
    seeds = sorted({seed for model in runs.values() for seed in model})
    lines = []
    for seed in seeds:
        lines.append(f"\nSeed {seed}:\n")
        lines.append("| model | " + " | ".join(TASKS) + " | average |")
        lines.append("|---" * (len(TASKS) + 2) + "|")
        for model in MODELS:
            run = runs.get(model, {}).get(seed)
            if not run:
                continue
            cells = [f"{run['dev_accuracy'][t]:.3f}" if t in run["dev_accuracy"] else "-" for t in TASKS]
            average = f"{run['average']:.4f}" if "average" in run else "-"
            lines.append(f"| {model} | " + " | ".join(cells) + f" | {average} |")
    complete = {
        model: [runs[model][s]["average"] for s in seeds if "average" in runs.get(model, {}).get(s, {})]
        for model in MODELS
    }
    lines.append("\nMean over seeds (seeds with all four domains):\n")
    lines.append("| model | seeds | mean dev accuracy |")
    lines.append("|---|---|---|")
    for model in MODELS:
        if complete[model]:
            lines.append(f"| {model} | {len(complete[model])} | {statistics.mean(complete[model]):.4f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "output" / "fdu4"
    runs = collect(out)
    (HERE / "results.json").write_text(json.dumps(runs, indent=2, sort_keys=True) + "\n")
    print(table(runs))
