#!/usr/bin/env python
"""
The message-passing encoder's own code (`encode`, `get_attention`, `_assemble`) of a base commit
against the working tree's, alternated step by step in one process.

`compare_commits.py` runs each tree's benchmark in its own process, one after the other, so a
load that changes during the run (another job starting on a shared machine) reads as a speed
difference. Here both versions run on the same encoder object (same weights, same batch): the
base commit's methods are compiled from its source (`git show`) into the working tree's module
namespace, and each timed step alternates old and new, so that load drifts hit both alike. A
step is what training does per batch: forward, the attention the `graph_mtl` backbone copies out
(`get_attention()`), a loss and backward. The two versions' outputs and attention must be
identical (checked). Only these three methods differ between the versions; everything they call
(layers, recurrence, aggregators) is the working tree's.

Results (milliseconds of process CPU time per step, median over `--steps` alternated steps, 1
thread): printed, and with `--name` written to benchmarks/results/<name>.md and .json.

    python benchmarks/ab_encoder.py 9f3698a --steps 10 --name ab-encoder-cleanup
"""
import argparse
import ast
import datetime
import math
import os
import statistics
import subprocess
import sys
import textwrap
import time
from typing import Callable, Dict, List, Optional

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.timing import emit_results, git_commit  # noqa: E402

MODULE = "graph_mtl/modules/seq2seq_encoders/message_passing_encoder.py"
METHODS = ("encode", "get_attention", "_assemble")
# (topology, K tasks, T, batch); every sentence of a batch has length T and the batch one task
CELLS = [(topology, k, t, b) for topology in ("direct", "indirect")
         for k, t, b in ((2, 32, 8), (4, 32, 8), (16, 32, 8), (4, 128, 8), (4, 32, 64))]


def base_methods(base: str, namespace: Dict[str, object]) -> Dict[str, Callable]:
    """`MessagePassingEncoder`'s `METHODS` as written at commit `base`, compiled in `namespace`
    (the working tree's module globals)."""
    source = subprocess.run(["git", "-C", ROOT, "show", f"{base}:{MODULE}"], capture_output=True, text=True,
                            check=True).stdout
    cls = next(node for node in ast.parse(source).body
               if isinstance(node, ast.ClassDef) and node.name == "MessagePassingEncoder")
    scope = dict(namespace)
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name in METHODS:
            exec(textwrap.dedent(ast.get_source_segment(source, node)), scope)
    return {name: scope[name] for name in METHODS if name in scope}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the commit whose encoder methods are compared with the working tree's")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per version and cell (alternated)")
    parser.add_argument("--hidden", type=int, default=200)
    parser.add_argument("--name", default=None, help="write benchmarks/results/<name>.md and .json")
    parser.add_argument("--results-dir", default=os.path.join(ROOT, "benchmarks", "results"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    import graph_mtl  # noqa: F401  (registers the components)
    from graph_mtl.modules.seq2seq_encoders import message_passing_encoder as module

    old = base_methods(args.base, vars(module))
    new = {name: getattr(module.MessagePassingEncoder, name) for name in old}
    load_start = os.getloadavg()
    rows = []
    for topology, k, t, b in CELLS:
        torch.manual_seed(0)
        tasks = [f"task{i}" for i in range(k)]
        encoder = module.MessagePassingEncoder(tasks, args.hidden, args.hidden, topology=topology)
        encoder._task_index = {task: i for i, task in enumerate(tasks)}  # read by older versions
        inputs, weights = torch.randn(b, t, args.hidden), torch.randn(b, t, args.hidden)
        mask = torch.ones(b, t, dtype=torch.bool)

        def step(methods: Dict[str, Callable]) -> float:
            for name, method in methods.items():  # bound on the instance: the class stays as it is
                setattr(encoder, name, method.__get__(encoder))
            start = time.process_time()
            for parameter in encoder.parameters():
                parameter.grad = None
            output = encoder.encode(inputs, mask, [0] * b)
            attention = encoder.get_attention()
            (output * weights).sum().backward()
            seconds = time.process_time() - start
            step.last = (output.detach(), attention)  # type: ignore[attr-defined]
            return seconds

        results = {}
        for version, methods in (("old", old), ("new", new)):
            step(methods)  # warm-up, and the outputs to compare
            results[version] = step.last  # type: ignore[attr-defined]
        (old_out, old_att), (new_out, new_att) = results["old"], results["new"]
        if not (torch.equal(old_out, new_out) and old_att.keys() == new_att.keys()
                and all(torch.equal(old_att[key], new_att[key]) for key in old_att)):
            raise SystemExit(f"{topology} K={k} T={t} B={b}: the two versions' outputs differ")
        times: Dict[str, List[float]] = {"old": [], "new": []}
        for _ in range(args.steps):
            for version, methods in (("old", old), ("new", new)):
                times[version].append(step(methods))
        old_ms, new_ms = (statistics.median(times[v]) * 1e3 for v in ("old", "new"))
        rows.append({"topology": topology, "k": k, "t": t, "batch": b, "old_ms": old_ms, "new_ms": new_ms,
                     "ratio": new_ms / old_ms})
        print(f"{topology} K={k} T={t} B={b}: old {old_ms:.1f} ms, new {new_ms:.1f} ms, {new_ms / old_ms:.3f}",
              flush=True)
    geometric = math.exp(sum(math.log(row["ratio"]) for row in rows) / len(rows))
    report = {
        "command": "python benchmarks/ab_encoder.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date_utc": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
        "base": args.base, "working_tree_at": git_commit(ROOT), "steps": args.steps, "hidden": args.hidden,
        "load_average_start": load_start, "load_average_end": os.getloadavg(),
        "cells": rows, "geometric_mean_new_over_old": geometric,
    }
    lines = [
        f"# The message-passing encoder's own code, {args.base} vs the working tree at {report['working_tree_at']}, "
        f"{report['date_utc']} UTC", "",
        f"Command: `{report['command']}`; 1 thread, process CPU time, median of {args.steps} steps per version, "
        f"old and new alternated step by step on the same encoder; outputs and attention identical (checked); "
        f"load average {load_start[0]:.2f} at the start, {report['load_average_end'][0]:.2f} at the end.", "",
        f"new / old geometric mean **{geometric:.3f}** (cells {min(r['ratio'] for r in rows):.3f} - "
        f"{max(r['ratio'] for r in rows):.3f})", "",
        "| topology | K | T | batch | old ms | new ms | new / old |", "|---|---|---|---|---|---|---|",
    ] + [f"| {r['topology']} | {r['k']} | {r['t']} | {r['batch']} | {r['old_ms']:.1f} | {r['new_ms']:.1f} | "
         f"{r['ratio']:.3f} |" for r in rows]
    emit_results(lines, report, args.results_dir, args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
