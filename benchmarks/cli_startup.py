#!/usr/bin/env python
"""
Start-up time of graph-mtl's command-line entry points against AllenNLP's own (issue 15: "`python
-m graph_mtl.plugins` takes 12-25 s").

Each command runs in a fresh process from an empty folder, the commands alternated round by
round so that load on the machine hits them alike; the table has the median wall-clock seconds
and each command's ratio to `allennlp --help` measured in the same run:

* `python -c pass`: the interpreter alone
* `python -c "import torch"`
* `python -c "import allennlp.commands"`: what every `allennlp` command imports first
* `allennlp --help`: AllenNLP's cheapest command (it also imports its plugins, graph_mtl among
  them where `make install`'s start-up hook is in place)
* `python -c "import graph_mtl"`: graph-mtl with every component registered and the topology
  plugins loaded
* `python -m graph_mtl.plugins`: the plugin lister

Results: benchmarks/results/<name>.md and .json, with the load average before and after.

    python benchmarks/cli_startup.py --rounds 5 --name cli-startup
"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.timing import emit_results, git_commit  # noqa: E402

REFERENCE = "allennlp --help"


def commands() -> Dict[str, List[str]]:
    python = sys.executable
    allennlp = os.path.join(os.path.dirname(python), "allennlp")
    return {
        "python -c pass": [python, "-c", "pass"],
        'python -c "import torch"': [python, "-c", "import torch"],
        'python -c "import allennlp.commands"': [python, "-c", "import allennlp.commands"],
        REFERENCE: [allennlp, "--help"],
        'python -c "import graph_mtl"': [python, "-c", "import graph_mtl"],
        "python -m graph_mtl.plugins": [python, "-m", "graph_mtl.plugins"],
    }


def run_once(argv: List[str], folder: str) -> float:
    started = time.perf_counter()
    completed = subprocess.run(argv, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{argv} failed ({completed.returncode}):\n{completed.stderr.decode()[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--name", default=None, help="write benchmarks/results/<name>.{md,json}")
    args = parser.parse_args()

    table = commands()
    times: Dict[str, List[float]] = {label: [] for label in table}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        for label, argv in table.items():  # warm the file cache once, untimed
            run_once(argv, folder)
        for _ in range(args.rounds):
            for label, argv in table.items():
                times[label].append(run_once(argv, folder))
    load_after = os.getloadavg()

    medians = {label: statistics.median(values) for label, values in times.items()}
    reference = medians[REFERENCE]
    lines = [
        f"# Command start-up, {datetime.datetime.now():%Y-%m-%d %H:%M} (commit {git_commit(ROOT)})",
        "",
        f"`python benchmarks/cli_startup.py --rounds {args.rounds}` from an empty folder, commands "
        f"alternated; load average (1/5/15 min) before {' / '.join(f'{x:.2f}' for x in load_before)}, "
        f"after {' / '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} CPUs.",
        "",
        f"| command | median s | min s | max s | / `{REFERENCE}` |",
        "|---|---|---|---|---|",
    ]
    for label, values in times.items():
        lines.append(f"| `{label}` | {medians[label]:.2f} | {min(values):.2f} | {max(values):.2f} | "
                     f"{medians[label] / reference:.2f} |")
    report = {"rounds": args.rounds, "load_before": load_before, "load_after": load_after,
              "seconds": times, "median": medians, "reference": REFERENCE}
    emit_results(lines, report, os.path.join(ROOT, "benchmarks", "results"), args.name)


if __name__ == "__main__":
    main()
