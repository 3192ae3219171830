#!/usr/bin/env python
"""
The transfer protocol's table averaged over seeds: each argument is a `--results-dir` of
`scripts/transfer.py` for one seed (its `results.json`, e.g. written by `--report-only
--single-task ...`); every number of a held-out task is the mean over the seeds, for the tasks
that every seed has recorded (the others are named). The table, the counts of targets where
transfer beats each reference, and the command go to `--output-dir`/results.{md,tsv,json}.

    python scripts/transfer_mean.py results/transfer/cpu-s13-16 results/transfer/cpu-s14-16 \\
        --output-dir results/transfer/cpu-16-mean
"""
import argparse
import importlib.util
import json
import shlex
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

SCRIPTS = Path(__file__).resolve().parent
if str(SCRIPTS.parent) not in sys.path:
    sys.path.insert(0, str(SCRIPTS.parent))  # graph_mtl, for the atomic writes of write_results


def transfer_script():
    """scripts/transfer.py as a module (the scripts folder is not a package)."""
    spec = importlib.util.spec_from_file_location("graph_mtl_transfer_script", SCRIPTS / "transfer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_folds(directory: Path) -> List[Dict[str, Any]]:
    path = directory / "results.json"
    try:
        folds = json.loads(path.read_text())["folds"]
        if not isinstance(folds, list) or not all(isinstance(row, dict) and "task" in row for row in folds):
            raise ValueError("'folds' is not a list of rows with a 'task'")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"{path}: not a results.json of scripts/transfer.py ({type(error).__name__}: {error})")
    return folds


def mean_over_seeds(seeds: List[List[Dict[str, Any]]]) -> Tuple[List[Dict[str, Any]], List[str]]:
    """Per task recorded in every seed, the mean of each number every seed has (booleans: all
    true); and the tasks some seed lacks, in the first seed's order then the others'."""
    by_seed = [{row["task"]: row for row in folds} for folds in seeds]
    order: List[str] = []
    for folds in seeds:
        order += [row["task"] for row in folds if row["task"] not in order]
    rows, missing = [], []
    for task in order:
        if not all(task in rows_of_seed for rows_of_seed in by_seed):
            missing.append(task)
            continue
        runs = [rows_of_seed[task] for rows_of_seed in by_seed]
        row: Dict[str, Any] = {"task": task, "seeds": len(runs)}
        for key in runs[0]:
            values = [run.get(key) for run in runs]
            if all(isinstance(v, bool) for v in values):
                row[key] = all(values)
            elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                row[key] = sum(values) / len(values)
            elif all(v is None for v in values):
                row[key] = None
        rows.append(row)
    return rows, missing


def main(argv: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results_dirs", nargs="+", type=Path, help="one scripts/transfer.py --results-dir per seed")
    parser.add_argument("--output-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    command = "python scripts/transfer_mean.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    rows, missing = mean_over_seeds([read_folds(directory) for directory in args.results_dirs])
    if not rows:
        raise SystemExit(f"no held-out task is recorded in every one of {', '.join(map(str, args.results_dirs))}")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    count = len(args.results_dirs)
    note = (f"Each row is the mean over {count} seed{'s' if count != 1 else ''}, one per folder: "
            f"{', '.join(f'`{directory}`' for directory in args.results_dirs)}.")
    print(transfer_script().write_results(rows, args.output_dir, command, missing=missing, note=note,
                                                   missing_reason="not recorded in every seed"), end="")
    print(f"(results in {args.output_dir}/results.{{md,tsv,json}})")
    return rows


if __name__ == "__main__":
    main()
