#!/usr/bin/env python
"""
Is the task relation that DC-MTL learns the same from one training run to the next?

Reads the JSON summaries that `scripts/attention_summary.py` writes for two or more archives of
the same model (usually the same recipe with different seeds) and compares their relation
matrices: mean alpha of target task k on source task i, over the dev tokens of k. Prints and
writes (`--output OUTPUT` -> OUTPUT.md, OUTPUT.json):

* the Spearman rank correlation of every pair of runs over all (target, source) cells;
* the mean over targets of the per-row rank correlation (does each task rank its sources the
  same way?) and how many targets keep the same top source;
* each run's mean entropy ratio (1 = uniform attention), because two near-uniform matrices
  correlate poorly whatever the model learned.

    python scripts/attention_summary.py output/table1/cpu/dc_mtl-s13/model.tar.gz --output A
    python scripts/attention_summary.py output/table1/cpu/dc_mtl-s14/model.tar.gz --output B
    python scripts/relation_stability.py A.json B.json --output results/table1/cpu/relation-stability
"""
import argparse
import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from graph_mtl.common.atomic import atomic_write_text  # noqa: E402


def relation(summary: Dict[str, Any]) -> Dict[str, Dict[str, float]]:
    """`{target: {source: mean alpha}}` of an attention summary (targets with alpha only)."""
    matrix = {task: dict(item["alpha"]) for task, item in summary["tasks"].items() if "alpha" in item}
    if not matrix:
        raise ValueError(f"{summary.get('archive', 'summary')}: no alpha (not a DC-MTL-style model)")
    return matrix


def _rank_correlation(x: Sequence[float], y: Sequence[float]) -> Optional[float]:
    """Spearman's rho with average ranks for ties; None when either side is constant."""
    if len(x) < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    value = float(spearmanr(x, y).statistic)
    return None if math.isnan(value) else value


def compare(a: Dict[str, Dict[str, float]], b: Dict[str, Dict[str, float]], names: Sequence[str] = ("a", "b")) -> Dict[str, Any]:
    """Rank agreement of two relation matrices over the cells they share."""
    if set(a) != set(b):
        raise ValueError(f"{names[0]} and {names[1]} have different target tasks: "
                         f"{sorted(set(a) ^ set(b))}")
    cells_a: List[float] = []
    cells_b: List[float] = []
    rows: Dict[str, Optional[float]] = {}
    same_top = 0
    for target in sorted(a):
        if set(a[target]) != set(b[target]):
            raise ValueError(f"{names[0]} and {names[1]} differ in the sources of {target}")
        sources = sorted(a[target])
        row_a = [a[target][s] for s in sources]
        row_b = [b[target][s] for s in sources]
        cells_a += row_a
        cells_b += row_b
        rows[target] = _rank_correlation(row_a, row_b)
        same_top += max(sources, key=a[target].get) == max(sources, key=b[target].get)
    defined = [value for value in rows.values() if value is not None]
    return {
        "cells": len(cells_a),
        "rank_correlation": _rank_correlation(cells_a, cells_b),
        "mean_row_rank_correlation": sum(defined) / len(defined) if defined else None,
        "row_rank_correlation": rows,
        "same_top_source": same_top,
        "targets": len(rows),
    }


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("summaries", nargs="+", help="JSON files of scripts/attention_summary.py (two or more)")
    parser.add_argument("--output", help="writes OUTPUT.md and OUTPUT.json")
    args = parser.parse_args(argv)
    if len(args.summaries) < 2:
        parser.error("give at least two summaries to compare")
    summaries = {}
    for path in args.summaries:
        try:
            summaries[path] = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            parser.error(f"{path}: {error}")
    matrices = {path: relation(summary) for path, summary in summaries.items()}
    pairs = []
    for first, second in itertools.combinations(args.summaries, 2):
        result = compare(matrices[first], matrices[second], (first, second))
        pairs.append({"a": first, "b": second, **result})
    report = {
        "runs": {path: {"archive": summary.get("archive"), "mean_entropy_ratio": summary.get("mean_entropy_ratio")}
                 for path, summary in summaries.items()},
        "pairs": pairs,
    }
    lines = ["# Stability of the learned task relation (mean alpha per target and source)", "",
             "| run | archive | mean entropy / uniform |", "|---|---|---|"]
    lines += [f"| {path} | {run['archive']} | {_fmt(run['mean_entropy_ratio'])} |" for path, run in report["runs"].items()]
    lines += ["", "| run a | run b | cells | rank correlation | mean per-target rank correlation | same top source |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {p['a']} | {p['b']} | {p['cells']} | {_fmt(p['rank_correlation'])} | "
              f"{_fmt(p['mean_row_rank_correlation'])} | {p['same_top_source']} of {p['targets']} |" for p in pairs]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.output:
        atomic_write_text(args.output + ".md", text)
        atomic_write_text(args.output + ".json", json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
