#!/usr/bin/env python
"""
Forward + backward throughput (tokens / second) of the graph-mtl encoders against `nn.LSTM`.

One process, the same inputs for every model of a cell (batch B, length T, K tasks, hidden 200,
input 200):

* `lstm`    -- one `torch.nn.LSTM` (the practical limit: cuDNN / oneDNN kernel);
* `fs_mtl`  -- FS-MTL's encoder: one LSTM shared by all K tasks (a separate module, masked
               output), so the same work as `lstm`;
* `sp_mtl`  -- SP-MTL (shared + private LSTM, adversarial and orthogonality losses);
* `dc_mtl`  -- DC-MTL (`message_passing`, topology `direct`);
* `ic_mtl`  -- IC-MTL (`message_passing`, topology `indirect`);
* with `--generic`, also `dc_mtl/generic` and `ic_mtl/generic`: the same encoders with their
  aggregators switched to their step versions (benchmarks/step_aggregators.py: the same math as
  `prepare` / `step`, differentiated by autograd one step at a time), a plugin aggregator's path.

A batch holds sentences of one task (`--batching homogeneous`, what the FDU-MTL configs train
with) or of all K tasks in turn (`--batching mixed`). Every sentence has length T. A timed step
is: zero grads, forward, loss = sum(output * fixed random weights) (+ SP-MTL's aux loss),
backward; CUDA is synchronised around it. The time of a model is the minimum over `--repeats`
steps after one warm-up step (the median is recorded too). On CPU with one thread the clock is
the process's CPU time (`--clock auto`): on a shared machine other jobs inflate wall time.
`--floor` adds `dc_mtl/no_attention` and `ic_mtl/no_attention`: the same encoders with the
attention replaced by the mean of the source states (`MeanAggregator`), i.e. everything but the
attention (source / shared LSTMs, keys aside, fusion LSTM): the floor of each model's time.
`--plugin` adds `dc_mtl/gated_max`: the `message_passing` encoder over all other tasks with the
aggregator plugin of docs/plugins.md (`GatedMaxAggregator`, `prepare` / `step` only: the path a
third-party aggregator takes), and a table of each plugin path's time against the built-in one
(gated max against the built-in DC-MTL and against its floor, the fixed mean with hand-written
steps; with `--generic`, `dc_mtl/generic` and `ic_mtl/generic` against their built-ins).
`--topology NAME ...` adds `topology/NAME`: the `message_passing` encoder with any registered
topology, such as an installed plugin's (`import graph_mtl` loads them), timed like the others
and compared with the built-in DC-MTL in the same table: how fast a new topology is, measured.

Printed and written to `benchmarks/results/<name>.md` and `.json`: tokens/s, ratio of the step
time to `nn.LSTM`'s, for DC-MTL the ratio to K x `nn.LSTM`, the growth of each model's time with
K (relative to the smallest K) and of its time per token with T (relative to the smallest T), and
the machine (CPU model, cores, load average, torch version, threads, device).

Only torch and graph_mtl's encoder modules are needed (see benchmarks/encoders.py); without
AllenNLP it runs in standalone mode. `--device cuda` on a machine without CUDA prints a notice,
writes nothing and exits 0.

Examples:
    python benchmarks/encoder_speed.py --quick
    python benchmarks/encoder_speed.py --k 16 --t 128 --batch 64 --device cuda
    nice python benchmarks/encoder_speed.py --threads 1 --k 2 16 --t 32 128 --batch 8 --generic
"""
import argparse
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from benchmarks.atomic import atomic_write_json, atomic_write_text  # noqa: E402
from benchmarks.encoders import Encoders  # noqa: E402
from benchmarks.timing import time_step  # noqa: E402

MODELS = ["lstm", "fs_mtl", "sp_mtl", "dc_mtl", "ic_mtl"]
FULL = {"k": [2, 4, 8, 16], "t": [32, 128, 512], "batch": [8, 64]}
QUICK = {"k": [2, 4, 8, 16], "t": [32, 128], "batch": [8, 64]}
RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"grid K={QUICK['k']} T={QUICK['t']} B={QUICK['batch']}, 2 repeats")
    parser.add_argument("--k", type=int, nargs="+", help=f"numbers of tasks (default {FULL['k']})")
    parser.add_argument("--t", type=int, nargs="+", help=f"sentence lengths (default {FULL['t']})")
    parser.add_argument("--batch", type=int, nargs="+", help=f"batch sizes (default {FULL['batch']})")
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--floor", action="store_true",
                        help="also time dc/ic_mtl/no_attention (attention replaced by the mean of "
                             "the sources: the cost of everything but the attention)")
    parser.add_argument("--generic", action="store_true",
                        help="also time DC-/IC-MTL with their aggregators' step versions (benchmarks/step_aggregators.py: a plugin aggregator's path)")
    parser.add_argument("--plugin", action="store_true",
                        help="also time dc_mtl/gated_max: the aggregator plugin of docs/plugins.md "
                             "(autograd steps), with a table of plugin / built-in ratios")
    parser.add_argument("--topology", nargs="+", default=[], metavar="NAME",
                        help="also time the message_passing encoder with these registered topologies "
                             "(e.g. a plugin's), compared with the built-in DC-MTL")
    parser.add_argument("--hidden", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=None, help="timed steps per model (default 3, quick 2)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads (CPU); recorded in the results (default 1)")
    parser.add_argument("--batching", choices=["homogeneous", "mixed"], default="homogeneous")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--time-budget", type=float, default=None,
                        help="seconds; cells not started when it is used up are listed as skipped")
    parser.add_argument("--clock", choices=["auto", "wall", "process"], default="auto",
                        help="process = CPU time of this process (auto: on CPU with 1 thread, where "
                             "other jobs on a shared machine would inflate wall time); else wall")
    parser.add_argument("--standalone", action="store_true",
                        help="do not import AllenNLP even if installed (what a torch-only machine does)")
    parser.add_argument("--name", default=None, help="results file name (default <device>-<date>)")
    parser.add_argument("--results-dir", default=RESULTS_DIR,
                        help="where <name>.md and .json go (default benchmarks/results)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def machine_description(device: torch.device, threads: int, encoders: Encoders) -> Dict[str, object]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info: Dict[str, object] = {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "cpu_capability": getattr(torch.backends.cpu, "get_cpu_capability", lambda: "?")(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch_threads": threads,
        "device": str(device),
        "import_mode": encoders.mode,
        "sp_mtl_implementation": encoders.sp_mtl_source,
        "load_average_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
        info["cudnn"] = torch.backends.cudnn.version()
    try:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        info["git_commit"] = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "graph_mtl/modules"], capture_output=True,
            text=True, timeout=10,
        ).stdout.strip()
        info["graph_mtl_modules_uncommitted_changes"] = bool(dirty)
    except Exception:
        pass
    return info


class FsMtl(torch.nn.Module):
    """FS-MTL's encoder: one LSTM for all tasks (the task is ignored), masked output."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(dim, hidden, batch_first=True)

    def forward(self, inputs, mask, task):
        return self.lstm(inputs)[0] * mask.unsqueeze(-1).to(inputs.dtype)


class PlainLstm(torch.nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(dim, hidden, batch_first=True)

    def forward(self, inputs, mask, task):
        return self.lstm(inputs)[0]


def build(name: str, encoders: Encoders, tasks: List[str], hidden: int) -> torch.nn.Module:
    base = name.split("/")[0]
    if base == "lstm":
        return PlainLstm(hidden, hidden)
    if base == "fs_mtl":
        return FsMtl(hidden, hidden)
    if base == "sp_mtl":
        return encoders.shared_private(tasks, hidden, hidden)
    if name.endswith("/no_attention"):
        topology = {"dc_mtl": "direct", "ic_mtl": "indirect"}[base]
        return encoders.message_passing_without_attention(topology, tasks, hidden, hidden)
    if base == "topology":
        return encoders.MessagePassingEncoder(tasks, hidden, hidden, topology=name.split("/", 1)[1])
    if name == "dc_mtl/gated_max":
        return encoders.gated_max_plugin(tasks, hidden, hidden)
    if base == "dc_mtl":
        return encoders.message_passing("direct", tasks, hidden, hidden)
    if base == "ic_mtl":
        return encoders.message_passing("indirect", tasks, hidden, hidden)
    raise ValueError(name)


def time_model(model, inputs, mask, task, weights, repeats: int, device: torch.device,
               variant: Optional[str], encoders: Encoders, clock: str) -> Dict[str, float]:
    params = [p for p in model.parameters() if p.requires_grad]
    now = time.process_time if clock == "process" else time.perf_counter

    def step():
        for p in params:
            p.grad = None
        output = model(inputs, mask, task)
        loss = (output * weights[..., : output.size(-1)]).sum()
        aux = getattr(model, "get_aux_loss", lambda: None)()
        if aux is not None:
            loss = loss + aux
        loss.backward()

    def timed():
        return time_step(step, device, now)

    # the plugin path: the built-in aggregators as their step versions, for this model's steps
    with encoders.autograd_steps(model, enabled=variant == "generic"):
        warm = timed()  # warm-up (allocator, kernels, oneDNN primitives)
        times = [timed() for _ in range(repeats if warm < 60 else 1)]
    return {"seconds": min(times), "median": statistics.median(times), "warmup": warm, "runs": len(times)}


def run(args) -> Optional[dict]:
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"--device {args.device}: CUDA is not available on this machine; nothing measured.")
        return None
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    grid = QUICK if args.quick else FULL
    ks = args.k or grid["k"]
    ts = args.t or grid["t"]
    batches = args.batch or grid["batch"]
    repeats = args.repeats or (2 if args.quick else 3)
    encoders = Encoders(standalone=args.standalone)
    info = machine_description(device, args.threads, encoders)
    names = list(args.models)
    if args.generic:
        names += [f"{m}/generic" for m in ("dc_mtl", "ic_mtl") if m in args.models]
    if args.floor:
        names += [f"{m}/no_attention" for m in ("dc_mtl", "ic_mtl") if m in args.models]
    available = encoders.topologies()
    unknown = [name for name in args.topology if name not in available]
    if unknown:
        raise SystemExit(f"--topology: unknown topology {unknown}; registered: {sorted(available)}")
    names += [f"topology/{name}" for name in args.topology]
    if args.plugin:
        names += ["dc_mtl/gated_max"]
        if "dc_mtl/no_attention" not in names:
            names += ["dc_mtl/no_attention"]
    clock = args.clock
    if clock == "auto":
        clock = "process" if device.type == "cpu" and args.threads == 1 else "wall"
    info["clock"] = clock
    print("# encoder_speed", " ".join(sys.argv[1:]))
    for key, value in info.items():
        print(f"#   {key}: {value}")
    cells = sorted(
        ((k, t, b) for k in ks for t in ts for b in batches), key=lambda c: (c[1] * c[2], c[0])
    )
    results, skipped = [], []
    started = time.perf_counter()
    for k, t, b in cells:
        if args.time_budget is not None and time.perf_counter() - started > args.time_budget:
            skipped.append({"k": k, "t": t, "batch": b})
            continue
        tasks = [f"task{i}" for i in range(k)]
        generator = torch.Generator().manual_seed(args.seed)
        inputs = torch.randn(b, t, args.hidden, generator=generator).to(device, dtype)
        weights = torch.randn(b, t, 2 * args.hidden, generator=generator).to(device, dtype)
        mask = torch.ones(b, t, dtype=torch.bool, device=device)
        if args.batching == "homogeneous":
            task = [tasks[0]] * b
        else:
            task = [tasks[i % k] for i in range(b)]
        cell = {"k": k, "t": t, "batch": b, "models": {}}
        for name in names:
            torch.manual_seed(args.seed)
            model = build(name, encoders, tasks, args.hidden).to(device, dtype)
            model.train()
            variant = None
            if name.split("/")[0] in ("dc_mtl", "ic_mtl"):
                variant = name.split("/")[1] if "/" in name else "fused"
                if variant in ("no_attention", "gated_max"):
                    variant = "fused"
            try:
                measured = time_model(model, inputs, mask, task, weights, repeats, device, variant,
                                      encoders, clock)
            except RuntimeError as error:  # e.g. out of memory
                measured = {"error": str(error).splitlines()[0][:200]}
                if device.type == "cuda":
                    torch.cuda.empty_cache()
            if "seconds" in measured:
                measured["tokens_per_second"] = b * t / measured["seconds"]
            cell["models"][name] = measured
            del model
        base = cell["models"].get("lstm", {}).get("seconds")
        for name, measured in cell["models"].items():
            if base and "seconds" in measured:
                measured["ratio_to_lstm"] = measured["seconds"] / base
                if name.startswith("dc_mtl"):
                    measured["ratio_to_k_lstm"] = measured["seconds"] / (k * base)
        results.append(cell)
        print(format_cell(cell), flush=True)
    info["load_average_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    info["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    report = {
        "command": "python benchmarks/encoder_speed.py " + " ".join(sys.argv[1:]),
        "date_utc": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
        "machine": info,
        "settings": {"hidden": args.hidden, "input_dim": args.hidden, "dtype": args.dtype,
                     "batching": args.batching, "repeats": repeats, "k": ks, "t": ts,
                     "batch": batches, "models": names},
        "cells": results,
        "skipped_cells": skipped,
    }
    text = format_report(report)
    print()
    print(text)
    if not args.no_write:
        os.makedirs(args.results_dir, exist_ok=True)
        name = args.name or f"{device.type}-{datetime.datetime.utcnow().strftime('%Y%m%d-%H%M')}"
        atomic_write_json(os.path.join(args.results_dir, name + ".json"), report, indent=1)
        atomic_write_text(os.path.join(args.results_dir, name + ".md"), text)
        print(f"written: {os.path.join(args.results_dir, name)}.md and .json")
    return report


def format_cell(cell) -> str:
    parts = [f"K={cell['k']:<3d} T={cell['t']:<4d} B={cell['batch']:<3d}"]
    for name, m in cell["models"].items():
        if "seconds" in m:
            extra = f" ({m['ratio_to_lstm']:.2f}x)" if "ratio_to_lstm" in m else ""
            parts.append(f"{name} {m['seconds'] * 1e3:.1f}ms{extra}")
        else:
            parts.append(f"{name} ERROR")
    return " | ".join(parts)


def _growth_rows(by_key, names, fixed, values, cell_key, cost) -> List[str]:
    """
    Table rows `| a | b | model | ... |`: for each pair `(a, b)` of `fixed` and each model, its
    `cost(measurement, value)` at every one of `values` divided by the cost at the first value
    measured (`cell_key(a, b, value)` finds the cell).
    """
    rows = []
    for a, b in fixed:
        for name in names:
            base = None
            row = []
            for value in values:
                m = by_key.get(cell_key(a, b, value), {}).get("models", {}).get(name, {})
                if "seconds" in m and base is None:
                    base = cost(m, value)
                row.append(f"{cost(m, value) / base:.2f}" if "seconds" in m and base else "-")
            if any(entry != "-" for entry in row):
                rows.append(f"| {a} | {b} | {name} | " + " | ".join(row) + " |")
    return rows


PLUGIN_PAIRS = [
    ("dc_mtl/gated_max", "dc_mtl"),
    ("dc_mtl/gated_max", "dc_mtl/no_attention"),
    ("dc_mtl/generic", "dc_mtl"),
    ("ic_mtl/generic", "ic_mtl"),
]


def plugin_ratios(cells, names) -> Dict[str, List[float]]:
    """`{"plugin / built-in": [ratio per cell]}` for the pairs of `PLUGIN_PAIRS` that were timed, and
    every `--topology` against the built-in DC-MTL."""
    ratios: Dict[str, List[float]] = {}
    pairs = PLUGIN_PAIRS + [(name, "dc_mtl") for name in names if name.startswith("topology/")]
    for plugin, builtin in pairs:
        if plugin in names and builtin in names:
            values = [cell["models"][plugin]["seconds"] / cell["models"][builtin]["seconds"]
                      for cell in cells
                      if "seconds" in cell["models"].get(plugin, {}) and "seconds" in cell["models"].get(builtin, {})]
            if values:
                ratios[f"{plugin} / {builtin}"] = values
    return ratios


def _plugin_rows(cells, names) -> List[str]:
    """The report's section on a plugin aggregator's path against the built-in (geometric mean,
    range and the cells above 1.2x, issue 14's bound)."""
    ratios = plugin_ratios(cells, names)
    if not ratios:
        return []
    lines = ["", "## Plugin path against the built-in (step time ratio, same cell)", "",
             "| plugin / built-in | geometric mean | min | max | cells above 1.2x |", "|---|---|---|---|---|"]
    for pair, values in ratios.items():
        mean = math.exp(sum(math.log(v) for v in values) / len(values))
        lines.append(f"| {pair} | {mean:.3f} | {min(values):.3f} | {max(values):.3f} | "
                     f"{sum(v > 1.2 for v in values)} of {len(values)} |")
    return lines


def format_report(report) -> str:
    cells = report["cells"]
    names = report["settings"]["models"]
    lines = [f"# Encoder speed, {report['machine']['device']}, {report['date_utc']} UTC", ""]
    lines.append(f"Command: `{report['command']}`")
    lines.append("")
    for key, value in report["machine"].items():
        lines.append(f"- {key}: {value}")
    settings = report["settings"]
    lines.append(
        f"- settings: hidden {settings['hidden']}, input {settings['input_dim']}, {settings['dtype']}, "
        f"{settings['batching']} batches, forward+backward, min of {settings['repeats']} steps after 1 warm-up, "
        f"{report['machine'].get('clock')} time"
    )
    lines.append("")
    lines.append("## Step time, tokens/s and ratio to nn.LSTM")
    lines.append("")
    lines.append("| K | T | B | " + " | ".join(names) + " | DC-MTL / (K x nn.LSTM) |")
    lines.append("|" + "---|" * (4 + len(names)))
    for cell in cells:
        row = [str(cell["k"]), str(cell["t"]), str(cell["batch"])]
        for name in names:
            m = cell["models"].get(name, {})
            if "seconds" in m:
                ratio = f", {m['ratio_to_lstm']:.2f}x" if "ratio_to_lstm" in m else ""
                row.append(f"{m['seconds'] * 1e3:.1f} ms, {m['tokens_per_second']:.0f} tok/s{ratio}")
            else:
                row.append(m.get("error", "-"))
        dc = cell["models"].get("dc_mtl", {})
        row.append(f"{dc['ratio_to_k_lstm']:.2f}" if "ratio_to_k_lstm" in dc else "-")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    # Growth with K: time relative to the smallest K at the same (T, B); with T: time per token.
    by_key = {(c["k"], c["t"], c["batch"]): c for c in cells}
    lines.append("## Growth with K (step time / step time at the smallest K, same T and B)")
    lines.append("")
    lines.append("| T | B | model | " + " | ".join(f"K={k}" for k in settings["k"]) + " |")
    lines.append("|" + "---|" * (3 + len(settings["k"])))
    lines += _growth_rows(by_key, names, [(t, b) for t in settings["t"] for b in settings["batch"]],
                          settings["k"], lambda t, b, k: (k, t, b), lambda m, k: m["seconds"])
    lines.append("")
    lines.append("## Growth with T (time per token / time per token at the smallest T, same K and B)")
    lines.append("")
    lines.append("| K | B | model | " + " | ".join(f"T={t}" for t in settings["t"]) + " |")
    lines.append("|" + "---|" * (3 + len(settings["t"])))
    lines += _growth_rows(by_key, names, [(k, b) for k in settings["k"] for b in settings["batch"]],
                          settings["t"], lambda k, b, t: (k, t, b), lambda m, t: m["seconds"] / t)
    lines += _plugin_rows(cells, names)
    if report["skipped_cells"]:
        lines.append("")
        lines.append("Skipped (time budget): " + ", ".join(
            f"K={c['k']} T={c['t']} B={c['batch']}" for c in report["skipped_cells"]))
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
