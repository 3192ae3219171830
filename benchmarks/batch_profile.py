#!/usr/bin/env python
"""
Where the time of one DC-MTL / IC-MTL training batch goes (the encoder's forward + backward, K
tasks, batch 8, hidden 200, homogeneous batch of one task), split by construction:

* `total`: the encoder (`dc_mtl` / `ic_mtl`, as the configs build it) forward + backward;
* `source LSTMs`: the same source nodes' `nn.LSTM`s alone over the batch, forward + backward
  (DC-MTL: the K - 1 other tasks' LSTMs; IC-MTL: the shared LSTM), and forward alone;
* `fusion + attention`: the rest (`total - source LSTMs`): the task's fusion LSTM with its
  attention (the fusion recurrence), keys, masking;
* `total, task_message_gradients=false`: DC-MTL with the stop-gradient option.

Times are the median of `--repeats` steps after two warm-up steps, wall clock, `--threads` torch
threads. Results: benchmarks/results/<name>.md and .json.

    python benchmarks/batch_profile.py --threads 2 --name batch-profile-2threads
"""
import argparse
import os
import statistics
import sys
import time
from typing import Callable, Dict, List

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.timing import emit_results, run_report  # noqa: E402


def median_ms(step: Callable[[], None], repeats: int) -> float:
    step()
    step()
    times: List[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def profile(kind: str, tasks: List[str], length: int, batch: int, repeats: int) -> Dict[str, float]:
    from graph_mtl.modules.seq2seq_encoders import DcMtlEncoder, IcMtlEncoder

    encoder_type = DcMtlEncoder if kind == "dc_mtl" else IcMtlEncoder
    torch.manual_seed(0)
    encoder = encoder_type(tasks, 200, 200)
    inputs = torch.randn(batch, length, 200, requires_grad=True)
    mask = torch.ones(batch, length, dtype=torch.bool)
    target = [tasks[0]] * batch

    def total() -> None:
        encoder(inputs, mask, target).sum().backward()

    layer = encoder.forward_layers[0]
    sources = [layer.nodes[name] for name in layer.graph[tasks[0]]]

    def source_lstms() -> None:
        sum(lstm(inputs)[0].sum() for lstm in sources).backward()

    def source_forward() -> None:
        with torch.no_grad():
            for lstm in sources:
                lstm(inputs)

    result = {"total": median_ms(total, repeats), "source_lstms": median_ms(source_lstms, repeats),
              "source_forward": median_ms(source_forward, repeats), "sources": len(sources)}
    result["fusion_and_attention"] = result["total"] - result["source_lstms"]
    if kind == "dc_mtl":
        stopped = encoder_type(tasks, 200, 200, task_message_gradients=False)

        def stopped_total() -> None:
            stopped(inputs, mask, target).sum().backward()

        result["total_stopgrad"] = median_ms(stopped_total, repeats)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--lengths", type=int, nargs="+", default=[40, 130, 400])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--name", default=None)
    parser.add_argument("--results-dir", default=os.path.join(ROOT, "benchmarks", "results"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    tasks = [f"task{i}" for i in range(args.tasks)]
    load_start = os.getloadavg()
    results = {kind: {length: profile(kind, tasks, length, args.batch, args.repeats) for length in args.lengths}
               for kind in ("dc_mtl", "ic_mtl")}
    report = run_report("batch_profile.py", sys.argv[1:] if argv is None else argv, args.threads, load_start, ROOT,
                        results=results)
    commit = report["commit"]
    lines = [
        f"# One training batch of the encoder, by part, {report['date_utc']} UTC (commit {commit})", "",
        f"Command: `{report['command']}`; {args.threads} torch thread(s), K = {args.tasks} tasks, batch "
        f"{args.batch}, hidden 200, wall-clock median of {args.repeats} steps; load average "
        f"{load_start[0]:.2f} at the start, {report['load_average_end'][0]:.2f} at the end.", "",
        "| model | T | total fwd+bwd ms | source LSTMs fwd+bwd ms (share) | of which forward ms | fusion + attention ms (share) | DC-MTL with task_message_gradients=false ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, by_length in results.items():
        for length, r in by_length.items():
            lines.append(
                f"| {kind} ({r['sources']} source LSTM{'s' if r['sources'] > 1 else ''}) | {length} | {r['total']:.0f} | "
                f"{r['source_lstms']:.0f} ({r['source_lstms'] / r['total']:.0%}) | {r['source_forward']:.0f} | "
                f"{r['fusion_and_attention']:.0f} ({r['fusion_and_attention'] / r['total']:.0%}) | "
                + (f"{r['total_stopgrad']:.0f}" if "total_stopgrad" in r else "-") + " |"
            )
    emit_results(lines, report, args.results_dir, args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
