#!/usr/bin/env python
"""
`encoder_speed.py --quick` of two commits side by side, in one run: the base commit's
benchmarks/ and graph_mtl/modules (a temporary git worktree) and the working tree's, alternated
`--rounds` times (old, new, old, new, ...), each cell's time the minimum over rounds, so that a
refactor's speed is a measured ratio and the run-to-run noise is printed next to it.

    python benchmarks/compare_commits.py 96233f5 --name compare-quick-issue14

Standalone mode (torch + graph_mtl/modules only) so that both trees run with the same
interpreter and packages; 1 torch thread, process CPU time. Writes benchmarks/results/<name>.md
and .json.
"""
import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.atomic import atomic_write_json, atomic_write_text  # noqa: E402


def run_quick(tree: str, out: str, models, generic: bool = False) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    subprocess.run(
        [sys.executable, "benchmarks/encoder_speed.py", "--quick", "--standalone", "--models", *models,
         "--name", out] + (["--generic"] if generic else []),
        cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    with open(out + ".json") as handle:
        data = json.load(handle)
    return {f"{c['k']}/{c['t']}/{c['batch']}/{m}": v["seconds"] for c in data["cells"] for m, v in c["models"].items()}


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


# a change of the 1-minute load average (runnable processes) beyond this marks the ratios as unreliable
LOAD_DRIFT = 1.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the commit to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=["dc_mtl", "ic_mtl"])
    parser.add_argument("--name", default=None)
    parser.add_argument("--generic", action="store_true",
                        help="also DC-/IC-MTL on a plugin aggregator's path (autograd steps; each tree its own way)")
    args = parser.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="graph_mtl_compare_")
    worktree = os.path.join(scratch, "base")
    subprocess.run(["git", "worktree", "add", "-q", "--detach", worktree, args.base], cwd=ROOT, check=True)
    load_start = os.getloadavg()
    runs = {"old": [], "new": []}
    try:
        for round_index in range(args.rounds):
            for label, tree in (("old", worktree), ("new", ROOT)):
                runs[label].append(run_quick(tree, os.path.join(scratch, f"{label}-{round_index}"), args.models,
                                                 args.generic))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", worktree], cwd=ROOT, check=False)
    load_end = os.getloadavg()
    keys = sorted(runs["old"][0], key=lambda k: (k.split("/")[3], [int(x) for x in k.split("/")[:3]]))
    best = {label: {k: min(r[k] for r in runs[label]) for k in keys} for label in runs}
    ratio = {k: best["new"][k] / best["old"][k] for k in keys}
    noise = [r[k] / runs[label][0][k] for label in runs for r in runs[label][1:] for k in keys]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    date = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M")
    lines = [f"# encoder_speed --quick: {args.base} vs working tree at {head}, {date} UTC", "",
             f"Command: `python benchmarks/compare_commits.py {' '.join(argv if argv is not None else sys.argv[1:])}`; "
             f"standalone mode, 1 thread, process time, each cell the minimum over {args.rounds} rounds "
             f"(old and new alternated); load average {load_start[0]:.2f} at the start, "
             f"{load_end[0]:.2f} at the end.", ""]
    models = list(args.models) + ([f"{m}/generic" for m in args.models if m in ("dc_mtl", "ic_mtl")]
                                  if args.generic else [])
    for model in models:
        values = [ratio[k] for k in keys if k.split("/", 3)[3] == model]
        lines.append(f"- {model}: new / old geometric mean **{geomean(values):.3f}** (cells {min(values):.3f} - {max(values):.3f})")
    if noise:
        lines.append(f"- run-to-run noise (a round against the first round of the same tree): {min(noise):.3f} - {max(noise):.3f}")
    if abs(load_end[0] - load_start[0]) > LOAD_DRIFT:
        lines.append(f"- **the load average moved from {load_start[0]:.2f} to {load_end[0]:.2f} during the run**: the "
                     "trees run one after the other, so the ratios carry that change; rerun on a steady machine, "
                     "or compare the encoder's code in one process (benchmarks/ab_encoder.py)")
    lines += ["", "| K / T / batch / model | old ms | new ms | new / old |", "|---|---|---|---|"]
    lines += [f"| {k} | {best['old'][k] * 1000:.1f} | {best['new'][k] * 1000:.1f} | {ratio[k]:.3f} |" for k in keys]
    report = {"base": args.base, "head": head, "date_utc": date, "rounds": args.rounds, "old": best["old"],
              "new": best["new"], "ratio": ratio, "noise_range": [min(noise), max(noise)] if noise else None}
    text = "\n".join(lines) + "\n"
    print(text)
    if args.name:
        atomic_write_text(os.path.join(ROOT, "benchmarks", "results", args.name + ".md"), text)
        atomic_write_json(os.path.join(ROOT, "benchmarks", "results", args.name + ".json"), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
