#!/usr/bin/env python
"""
What flushing denormal floats to zero (graph_mtl.common.denormals) saves: one training batch of the
paper's encoders (the task LSTM of FS-MTL, DC-MTL, IC-MTL; K tasks, hidden 200, batch 8),
forward + backward, with the sentence read through its last state (the paper's classifier,
`pooling: "last"`) or max pooling (the `cpu` recipe), once in a process with denormals flushed and
once in one with `GRAPH_MTL_FLUSH_DENORMALS=0`. Each mode runs in its own interpreter (the mode
belongs to the CPU threads a process starts). Times are CPU seconds of the process (the least of
`--repeats` steps after one warm-up step), so that other jobs on a shared machine count less.
Results: benchmarks/results/<name>.md and .json.

    python benchmarks/denormals.py --threads 1 --name denormals-1thread
"""
import argparse
import json
import os
import subprocess
import sys
import time
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.timing import emit_results, run_report  # noqa: E402

MODELS = ("fs_mtl", "dc_mtl", "ic_mtl")
POOLINGS = ("last", "max")


def measure(args: argparse.Namespace) -> Dict[str, object]:
    """In this process (its flushing mode set by the environment): CPU ms per batch,
    `{model: {length: {pooling: ms}}}`, and whether denormals are flushed on every thread."""
    import torch

    import graph_mtl  # noqa: F401  (flushes denormals unless GRAPH_MTL_FLUSH_DENORMALS=0)
    from graph_mtl.common.denormals import denormals_flushed_everywhere
    from graph_mtl.modules.seq2seq_encoders import DcMtlEncoder, IcMtlEncoder

    torch.set_num_threads(args.threads)
    tasks = [f"task{i}" for i in range(args.tasks)]
    times: Dict[str, Dict[int, Dict[str, float]]] = {}
    for model in args.models:
        torch.manual_seed(0)
        if model == "fs_mtl":
            lstm = torch.nn.LSTM(args.hidden, args.hidden, batch_first=True)
            encode = lambda inputs, mask: lstm(inputs)[0]  # noqa: E731
        else:
            encoder = (DcMtlEncoder if model == "dc_mtl" else IcMtlEncoder)(tasks, args.hidden, args.hidden)
            encode = lambda inputs, mask: encoder(inputs, mask, [tasks[0]] * args.batch)  # noqa: E731
        times[model] = {}
        for length in args.lengths:
            inputs = torch.randn(args.batch, length, args.hidden, requires_grad=True)
            mask = torch.ones(args.batch, length, dtype=torch.bool)
            times[model][length] = {}
            for pooling in POOLINGS:
                def step() -> None:
                    output = encode(inputs, mask)
                    (output[:, -1] if pooling == "last" else output.max(dim=1)[0]).sum().backward()

                step()
                best = float("inf")
                for _ in range(args.repeats):
                    start = time.process_time()
                    step()
                    best = min(best, time.process_time() - start)
                times[model][length][pooling] = best * 1000
    return {"flushed": denormals_flushed_everywhere(), "times": times}


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=200)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lengths", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--name", default=None)
    parser.add_argument("--results-dir", default=os.path.join(ROOT, "benchmarks", "results"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # one mode, in its own interpreter
        print(json.dumps(measure(args)))
        return 0

    raw = sys.argv[1:] if argv is None else list(argv)
    load_start = os.getloadavg()
    modes = {}
    for mode, value in (("flushed", "1"), ("computed", "0")):
        env = {**os.environ, "GRAPH_MTL_FLUSH_DENORMALS": value}
        child = subprocess.run([sys.executable, os.path.abspath(__file__), *raw, "--child"], env=env, cwd=ROOT,
                               check=True, capture_output=True, text=True)
        modes[mode] = json.loads(child.stdout.strip().splitlines()[-1])
        if modes[mode]["flushed"] != (mode == "flushed"):
            raise SystemExit(f"the {mode} run's process did not have the mode asked for")
    report = run_report("denormals.py", raw, args.threads, load_start, ROOT, results=modes)
    commit = report["commit"]
    lines = [
        f"# Denormals flushed or computed: one training batch, {report['date_utc']} UTC (commit {commit})", "",
        f"Command: `{report['command']}`; {args.threads} torch thread(s), K = {args.tasks} tasks, batch "
        f"{args.batch}, hidden {args.hidden}, encoder forward + backward with the loss on the last state or "
        f"the max-pooled states, least CPU ms of {args.repeats} steps; load average {load_start[0]:.2f} at the "
        f"start, {report['load_average_end'][0]:.2f} at the end.", "",
        "| model | T | pooling | denormals computed ms | flushed ms | computed / flushed |",
        "|---|---|---|---|---|---|",
    ]
    for model in args.models:
        for length in args.lengths:
            for pooling in POOLINGS:
                computed = modes["computed"]["times"][model][str(length)][pooling]
                flushed = modes["flushed"]["times"][model][str(length)][pooling]
                lines.append(f"| {model} | {length} | {pooling} | {computed:.0f} | {flushed:.0f} | "
                             f"{computed / flushed:.2f} |")
    emit_results(lines, report, args.results_dir, args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
