#!/usr/bin/env python
"""
What lower precision could give DC-MTL's source LSTMs on this CPU: the rate of a float32 and a
bfloat16 matrix product (oneDNN; AMX where the CPU has it) at the shapes of one training batch at
the paper's sizes (hidden 200, batch 8, 142 padded positions: the mean batch of a bucketed
FDU-MTL epoch, benchmarks/results/SUMMARY.md), measured in one run, alternating the two types.

Of a source LSTM's arithmetic per token, 4 of 6 parts are products over the whole batch that a
hand-written LSTM could do in one call each (input projection, input gradient, both weight
gradients), 2 of 6 are the step-by-step recurrent products (h_{t-1} W_hh forward, dgates W_hh^T
backward), whose size is the batch. The table says what each kind runs at.

    python benchmarks/gemm_rates.py --threads 1 --name gemm-rates-1thread
"""
import argparse
import os
import sys
import time
from typing import Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.timing import emit_results, run_report  # noqa: E402

# (name, m, k, n): an (m, k) @ (k, n) product
SHAPES: List[Tuple[str, int, int, int]] = [
    ("input projection of the 15 sources at once (B*T x d) @ (d x 15*4H)", 1136, 200, 12000),
    ("input projection of one source (B*T x d) @ (d x 4H)", 1136, 200, 800),
    ("weight gradient of one source (4H x B*T) @ (B*T x H)", 800, 1136, 200),
    ("one recurrent step of one source (B x H) @ (H x 4H)", 8, 200, 800),
    ("one recurrent step, batch 64 (B x H) @ (H x 4H)", 64, 200, 800),
    ("large square product (2048 x 2048) @ (2048 x 2048)", 2048, 2048, 2048),
]


def rate(m: int, k: int, n: int, dtype, repeats: int, seconds: float) -> float:
    """GFLOP/s of an (m, k) @ (k, n) product: the best of `repeats` timings, each of as many
    products as fill about `seconds`."""
    import torch

    a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
    for _ in range(3):
        a @ b
    start = time.perf_counter()
    a @ b
    calls = max(1, int(seconds / max(time.perf_counter() - start, 1e-7)))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            a @ b
        best = min(best, (time.perf_counter() - start) / calls)
    return 2.0 * m * k * n / best / 1e9


def amx_flags() -> List[str]:
    """The CPU's AMX feature flags (/proc/cpuinfo; none where it cannot be read)."""
    try:
        with open("/proc/cpuinfo") as handle:
            flags = next((line.split(":", 1)[1].split() for line in handle if line.startswith("flags")), [])
    except OSError:
        flags = []
    return sorted(flag for flag in flags if flag.startswith("amx"))


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.2, help="per timing")
    parser.add_argument("--results-dir", default=os.path.join(ROOT, "benchmarks", "results"))
    parser.add_argument("--name", default=None, help="write <results-dir>/<name>.md and .json")
    raw = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(raw)
    load_start = os.getloadavg()
    import torch

    torch.set_num_threads(args.threads)
    rates: Dict[str, Dict[str, float]] = {}
    for name, m, k, n in SHAPES:
        rates[name] = {"float32": 0.0, "bfloat16": 0.0}
        for _ in range(2):  # alternate, keep the best of each
            for label, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
                rates[name][label] = max(rates[name][label], rate(m, k, n, dtype, args.repeats, args.seconds))
    report = run_report("gemm_rates.py", raw, args.threads, load_start, ROOT,
                        isa=torch.backends.cpu.get_cpu_capability(), amx=amx_flags(), rates=rates)
    lines = [
        f"# Matrix product rates, float32 and bfloat16 ({args.threads} thread(s), torch "
        f"{torch.__version__}, CPU capability {report['isa']}, AMX flags: "
        f"{', '.join(report['amx']) or 'none'})", "",
        f"Command: `{report['command']}`; commit {report['commit']}; load average {load_start[0]:.2f} "
        f"at the start, {report['load_average_end'][0]:.2f} at the end. Best of {args.repeats} timings "
        "of each, the two types alternated twice.", "",
        "| product | float32 GFLOP/s | bfloat16 GFLOP/s | bfloat16 / float32 |", "|---|---|---|---|",
    ]
    for name, values in rates.items():
        lines.append(f"| {name} | {values['float32']:.1f} | {values['bfloat16']:.1f} | "
                     f"{values['bfloat16'] / values['float32']:.2f} |")
    emit_results(lines, report, args.results_dir, args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
