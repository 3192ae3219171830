#!/usr/bin/env python
"""
How far from uniform the learned communication of a trained DC-MTL / IC-MTL archive is, on
its dev sentences: by default those of the archive's own `validation_data_path`, read with its
own readers (any tasks: FDU-MTL, tagging, your own); with `--data-dir`, the dev split of
FDU-MTL-format data (the last `--dev-size` lines of each `<task>.task.train`).

For DC-MTL (alpha over source tasks, per token): the task-to-task relation matrix (mean alpha of
each target task over the tokens of its dev sentences), and per target the mean per-token
entropy against the uniform level log(#sources), the largest mean weight against 1/#sources,
and the top sources. For IC-MTL (beta over the shared layer's positions, per token): the mean
per-token entropy of beta divided by that of uniform attention over the same positions
(1.0 = uniform) and the mean weight on the token's own position.

    python scripts/attention_summary.py output/table1/cpu/dc_mtl-s13/model.tar.gz \\
        --data-dir /work/shared/data/fdu-mtl --output results/table1/cpu/attention-dc_mtl-s13

Writes `<output>.md` and `<output>.json`, prints the Markdown. Two disjoint samples of one
model's dev sentences (`--limit 100`, then `--offset 100 --limit 100`) compared with
scripts/relation_stability.py say how well that many sentences pin its relation matrix down: the
level against which two seeds' matrices are compared.
"""
import argparse
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent


def entropy(row: Sequence[float]) -> float:
    return -sum(p * math.log(p) for p in row if p > 0)


def dev_inputs(data_dir: Path, tasks: List[str], dev_size: int, limit: Optional[int],
               offset: int = 0) -> List[Dict[str, str]]:
    from graph_mtl.data.dataset_readers.fdu_mtl import FduMtlDatasetReader

    inputs = []
    for task in tasks:
        reader = FduMtlDatasetReader(dev_size=dev_size, on_bad_line="skip")
        instances = list(reader.read(str(data_dir / f"{task}.task.train") + "#dev"))
        for instance in instances[offset : None if limit is None else offset + limit]:
            inputs.append({"task": task, "sentence": " ".join(t.text for t in instance["tokens"].tokens)})
    return inputs


def config_dev_inputs(reader: Any, paths: Dict[str, str], limit: Optional[int],
                      offset: int = 0) -> List[Dict[str, Any]]:
    """The dev sentences of every task named in the archive's `validation_data_path`, read with
    the archive's own readers (any task kind: classification or tagging), as pre-tokenized
    prediction inputs: per task, `limit` of them (all by default) from the `offset`-th on."""
    from allennlp.data.dataset_readers import MultiTaskDatasetReader

    inputs = []
    for task, path in paths.items():
        task_reader = reader.readers[task] if isinstance(reader, MultiTaskDatasetReader) else reader
        for number, instance in enumerate(task_reader.read(path)):
            if number < offset:
                continue
            if limit is not None and number >= offset + limit:
                break
            inputs.append({"task": task, "tokens": [t.text for t in instance["tokens"].tokens]})
    return inputs


def summarise(outputs: List[Dict[str, Any]]) -> Dict[str, Any]:
    per_task: Dict[str, Dict[str, Any]] = {}
    for output in outputs:
        record = per_task.setdefault(output["task"], {"sentences": 0, "tokens": 0, "alpha_sum": None,
                                                      "alpha_entropy": 0.0, "beta_entropy_ratio": 0.0,
                                                      "beta_self": 0.0, "beta_tokens": 0})
        record["sentences"] += 1
        if "alpha" in output:
            record["sources"] = output["alpha_sources"]
            for row in output["alpha"]:
                if record["alpha_sum"] is None:
                    record["alpha_sum"] = [0.0] * len(row)
                record["alpha_sum"] = [a + b for a, b in zip(record["alpha_sum"], row)]
                record["alpha_entropy"] += entropy(row)
                record["tokens"] += 1
        if "beta" in output:
            for position, row in enumerate(output["beta"]):
                support = [p for p in row if p > 0] or row
                if len(support) > 1:
                    record["beta_entropy_ratio"] += entropy(row) / math.log(len(support))
                    record["beta_self"] += row[position] if position < len(row) else 0.0
                    record["beta_tokens"] += 1
    summary: Dict[str, Any] = {"tasks": {}}
    for task, record in sorted(per_task.items()):
        item: Dict[str, Any] = {"sentences": record["sentences"], "tokens": record["tokens"]}
        if record["alpha_sum"] is not None:
            mean = [value / record["tokens"] for value in record["alpha_sum"]]
            sources = record["sources"]
            order = sorted(range(len(mean)), key=lambda i: -mean[i])
            uniform_entropy = math.log(len(sources))
            alpha_entropy = record["alpha_entropy"] / record["tokens"]
            item.update(
                alpha=dict(zip(sources, mean)),
                alpha_entropy=alpha_entropy,
                uniform_entropy=uniform_entropy,
                # None with a single source (attention over one task is always 1)
                entropy_ratio=alpha_entropy / uniform_entropy if len(sources) > 1 else None,
                alpha_max=max(mean), uniform_weight=1.0 / len(sources),
                top_sources=[sources[i] for i in order[:3]],
            )
        if record["beta_tokens"]:
            item.update(beta_entropy_ratio=record["beta_entropy_ratio"] / record["beta_tokens"],
                        beta_self=record["beta_self"] / record["beta_tokens"])
        summary["tasks"][task] = item
    return summary


def markdown(summary: Dict[str, Any], archive: str) -> str:
    tasks = summary["tasks"]
    lines = [f"# Learned communication of `{archive}` on dev", ""]
    if any("alpha" in item for item in tasks.values()):
        ratios = [item["entropy_ratio"] for item in tasks.values() if item.get("entropy_ratio") is not None]
        summary["mean_entropy_ratio"] = statistics.mean(ratios) if ratios else None
        lines += [f"Mean per-token alpha entropy / uniform entropy over targets: "
                  + (f"{statistics.mean(ratios):.3f}" if ratios else "-")
                  + " (1.000 = uniform attention).", "",
                  "| target | entropy / log(#sources) | max mean alpha (uniform) | top sources |",
                  "|---|---|---|---|"]
        for task, item in tasks.items():
            ratio = item["entropy_ratio"]
            lines.append(f"| {task} | {'-' if ratio is None else f'{ratio:.3f}'} | "
                         f"{item['alpha_max']:.3f} ({item['uniform_weight']:.3f}) | "
                         + ", ".join(f"{s} {item['alpha'][s]:.3f}" for s in item["top_sources"]) + " |")
        names = list(tasks)
        lines += ["", "Mean alpha (row: target task, column: source task):", "",
                  "| | " + " | ".join(n[:6] for n in names) + " |", "|---|" + "---|" * len(names)]
        for target in names:
            weights = tasks[target].get("alpha", {})
            lines.append(f"| {target} | " + " | ".join(
                "-" if source not in weights else f"{weights[source]:.3f}" for source in names) + " |")
    if any("beta_entropy_ratio" in item for item in tasks.values()):
        lines += ["", "| task | beta entropy / uniform | mean beta on own position |", "|---|---|---|"]
        for task, item in tasks.items():
            lines.append(f"| {task} | {item['beta_entropy_ratio']:.3f} | {item['beta_self']:.3f} |")
        lines.append(f"| mean | {statistics.mean(i['beta_entropy_ratio'] for i in tasks.values()):.3f} | "
                     f"{statistics.mean(i['beta_self'] for i in tasks.values()):.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="FDU-MTL folder (dev = the last --dev-size lines of <task>.task.train); "
                        "default: the archive's own validation_data_path, read with its readers")
    parser.add_argument("--dev-size", type=int, default=200)
    parser.add_argument("--limit", type=int, default=None, help="dev sentences per task (default all)")
    parser.add_argument("--offset", type=int, default=0,
                        help="skip this many dev sentences of each task first (with --limit: another "
                             "sample of the same model, e.g. two halves to measure how stable the "
                             "relation matrix is within one model)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=None,
                        help="the predictor's per-sentence limit (default: none, every dev sentence is "
                             "read whole; the predictor's own default, 1000, would refuse long reviews)")
    parser.add_argument("--output", type=Path, required=True, help="writes OUTPUT.md and OUTPUT.json")
    args = parser.parse_args(argv)
    if args.offset < 0 or (args.limit is not None and args.limit < 1):
        parser.error("--offset must be 0 or more and --limit 1 or more")
    sys.path.insert(0, str(REPO_ROOT))
    import graph_mtl  # noqa: F401
    from allennlp.predictors import Predictor

    from graph_mtl.common.atomic import atomic_write_text
    from graph_mtl.models.archival import load_archive

    archive = load_archive(args.archive)
    predictor = Predictor.from_archive(archive, "graph_mtl", extra_args={"max_tokens": args.max_tokens})
    if args.data_dir is not None:
        tasks = list(predictor._model.vocab.get_namespaces())  # noqa: SLF001 (only to list heads)
        tasks = sorted(n[: -len("_labels")] for n in tasks if n.endswith("_labels"))
        inputs = dev_inputs(args.data_dir, tasks, args.dev_size, args.limit, args.offset)
    else:
        paths = archive.config.as_dict(quiet=True)["validation_data_path"]
        if not isinstance(paths, dict):
            raise SystemExit(f"{args.archive}: not a multi-task archive (validation_data_path is not a dict)")
        inputs = config_dev_inputs(archive.dataset_reader, paths, args.limit, args.offset)
    outputs = []
    for start in range(0, len(inputs), args.batch_size):
        outputs.extend(predictor.predict_batch_json(inputs[start:start + args.batch_size]))
    summary = summarise(outputs)
    summary["archive"] = args.archive
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = markdown(summary, args.archive)
    atomic_write_text(args.output.with_suffix(".json"), json.dumps(summary, indent=2) + "\n")
    atomic_write_text(args.output.with_suffix(".md"), text)
    print(text, end="")
    return summary


if __name__ == "__main__":
    main()
