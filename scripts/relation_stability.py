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
  correlate poorly whatever the model learned, and its hub share: the part of the squared
  distance of alpha from uniform (1 / #sources in each row) that the sources' column means
  explain (1: every target reads the same sources alike, a few hubs; 0: no source is read more
  by the targets as a whole, every preference belongs to a pair);
* the two parts of that split compared separately: the rank correlation of the sources' column
  means (do the runs read the same hubs?) and of the matrices with each source's column mean
  taken out (do the pair preferences beyond the hubs repeat?).

With `--lexical DATA_DIR` (FDU-MTL-format data, one summary is then enough) each run is also
compared with a relation computed another way, from the text alone: the cosine similarity of two
tasks' TF-IDF word distributions over their training split (`<task>.task.train#train`: the dev
lines are never read; a word's tf is its share of the task's tokens, its idf log(#tasks / #tasks
whose text has it), words seen fewer than 5 times in all left out). It says whether a target
attends to the domains whose reviews read like its own (dvd and video, MR and imdb).

    python scripts/attention_summary.py output/table1/cpu/dc_mtl-s13/model.tar.gz --output A
    python scripts/attention_summary.py output/table1/cpu/dc_mtl-s14/model.tar.gz --output B
    python scripts/relation_stability.py A.json B.json --output results/table1/cpu/relation-stability
"""
import argparse
import collections
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


def lexical_relation(data_dir: Path, matrix: Dict[str, Dict[str, float]], dev_size: int = 200,
                     min_count: int = 5) -> Dict[str, Dict[str, float]]:
    """`{target: {source: cosine similarity}}` of the tasks' TF-IDF word distributions over their
    training split (the docstring's definition), for the cells of `matrix`."""
    from graph_mtl.data.dataset_readers.fdu_mtl import FduMtlDatasetReader

    tasks = sorted(set(matrix) | {source for row in matrix.values() for source in row})
    counts: Dict[str, collections.Counter] = {}
    for task in tasks:
        reader = FduMtlDatasetReader(dev_size=dev_size, on_bad_line="skip", encoding="auto")
        counts[task] = collections.Counter(
            token.text for instance in reader.read(str(data_dir / f"{task}.task.train") + "#train")
            for token in instance["tokens"].tokens
        )
    totals = collections.Counter()
    spread = collections.Counter()  # the number of tasks whose text has the word
    for counter in counts.values():
        totals.update(counter)
        spread.update(counter.keys())
    vectors = {}
    for task, counter in counts.items():
        size = sum(counter.values())
        vector = {word: count / size * math.log(len(tasks) / spread[word])
                  for word, count in counter.items() if totals[word] >= min_count and spread[word] < len(tasks)}
        norm = math.sqrt(sum(value * value for value in vector.values()))
        vectors[task] = {word: value / norm for word, value in vector.items()} if norm else vector
    similarity = lambda a, b: sum(value * vectors[b].get(word, 0.0) for word, value in vectors[a].items())  # noqa: E731
    return {target: {source: similarity(target, source) for source in row} for target, row in matrix.items()}


def hub_share(matrix: Dict[str, Dict[str, float]]) -> Optional[float]:
    """1 - sum (a_ki - mean_k' a_k'i)^2 / sum (a_ki - 1 / #sources of k)^2 over the cells of
    `matrix` (see the module docstring); None for a uniform matrix."""
    spread = sum((value - 1 / len(row)) ** 2 for row in matrix.values() for value in row.values())
    residual = sum(value ** 2 for row in pair_preferences(matrix).values() for value in row.values())
    return 1 - residual / spread if spread > 0 else None


def column_means(matrix: Dict[str, Dict[str, float]]) -> Dict[str, float]:
    """Each source's mean alpha over the targets that read it (its overall reading: a hub's is high)."""
    columns: Dict[str, List[float]] = {}
    for row in matrix.values():
        for source, value in row.items():
            columns.setdefault(source, []).append(value)
    return {source: sum(values) / len(values) for source, values in columns.items()}


def pair_preferences(matrix: Dict[str, Dict[str, float]]) -> Dict[str, Dict[str, float]]:
    """`matrix` with each source's column mean taken out: what target k reads of source i beyond
    what every target reads of i."""
    means = column_means(matrix)
    return {target: {source: value - means[source] for source, value in row.items()} for target, row in matrix.items()}


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
    means_a, means_b = column_means(a), column_means(b)
    pairs_a, pairs_b = pair_preferences(a), pair_preferences(b)
    cells = [(target, source) for target in sorted(a) for source in sorted(a[target])]
    return {
        "cells": len(cells_a),
        "rank_correlation": _rank_correlation(cells_a, cells_b),
        "hub_rank_correlation": _rank_correlation([means_a[s] for s in sorted(means_a)], [means_b[s] for s in sorted(means_a)]),
        "pair_rank_correlation": _rank_correlation([pairs_a[t][s] for t, s in cells], [pairs_b[t][s] for t, s in cells]),
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
    parser.add_argument("--lexical", type=Path, metavar="DATA_DIR",
                        help="also compare each run with the tasks' lexical similarity (FDU-MTL-format "
                             "folder; training split only)")
    parser.add_argument("--dev-size", type=int, default=200, help="with --lexical: dev lines left out of each file")
    args = parser.parse_args(argv)
    if len(args.summaries) < (1 if args.lexical else 2):
        parser.error("give at least two summaries to compare (or one with --lexical)")
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
    if args.lexical:
        lexical = lexical_relation(args.lexical, matrices[args.summaries[0]], args.dev_size)
        name = f"lexical similarity ({args.lexical})"
        for path in args.summaries:
            pairs.append({"a": path, "b": name, **compare(matrices[path], lexical, (path, name))})
    report = {
        "runs": {path: {"archive": summary.get("archive"), "mean_entropy_ratio": summary.get("mean_entropy_ratio"),
                        "hub_share": hub_share(matrices[path])}
                 for path, summary in summaries.items()},
        "pairs": pairs,
    }
    if args.lexical:
        report["lexical_similarity"] = lexical
    lines = ["# Stability of the learned task relation (mean alpha per target and source)", "",
             "| run | archive | mean entropy / uniform | hub share |", "|---|---|---|---|"]
    lines += [f"| {path} | {run['archive']} | {_fmt(run['mean_entropy_ratio'])} | {_fmt(run['hub_share'])} |"
              for path, run in report["runs"].items()]
    lines += ["", "| run a | run b | cells | rank correlation | mean per-target rank correlation | same top source "
              "| hubs: column means | pairs: column means taken out |",
              "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {p['a']} | {p['b']} | {p['cells']} | {_fmt(p['rank_correlation'])} | "
              f"{_fmt(p['mean_row_rank_correlation'])} | {p['same_top_source']} of {p['targets']} | "
              f"{_fmt(p['hub_rank_correlation'])} | {_fmt(p['pair_rank_correlation'])} |" for p in pairs]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.output:
        atomic_write_text(args.output + ".md", text)
        atomic_write_text(args.output + ".json", json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
