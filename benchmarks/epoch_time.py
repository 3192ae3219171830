#!/usr/bin/env python
"""
Seconds per training epoch of `allennlp train` on the 16 FDU-MTL domains, measured on a fixed,
seeded subset of batches and extrapolated to a full epoch.

For each model (configs `training_configs/fdu_mtl/<model>.jsonnet`, unchanged except for the
overrides below) it runs

    FDU_MTL_DIR=<data> OMP_NUM_THREADS=<threads> allennlp train <config> -s <dir> \
        --include-package graph_mtl --include-package benchmarks.epoch_timer \
        --overrides '{"data_loader.sampler": {"type": "proportional"},
                      "data_loader.instances_per_epoch": <N>, "trainer.num_epochs": 1,
                      "validation_data_path": null, "trainer.callbacks": [{"type": "epoch_timer"}]}'

i.e. one epoch of N instances (N / 8 homogeneous batches, tasks drawn in proportion to their
sizes, the same draw for every model: same seed), no validation. The `epoch_timer` callback
records the wall and CPU time of every batch. A full epoch is all training instances of the 16
domains (each domain's .task.train minus its last 200 lines) in ceil(n_task / 8) batches per
task; the extrapolation is (mean time per measured batch) x (batches in a full epoch). Sentence
lengths are heavy-tailed (median 120, max ~6000 tokens), so the sample mean has a large variance,
IC-MTL's most of all (its attention is quadratic in length); `--max-tokens` truncates instead.
`--full-epoch` measures a whole epoch instead, with the config's own data loader (every training
instance once, no sampler override): nothing is extrapolated, the measured epoch is the answer.
`--override JSON` adds allennlp overrides (e.g. `{"data_loader.bucketing": false}` for the
unbucketed loader, or the paper's AdaDelta with dense embeddings). `--plain-reference` also
trains one epoch of `benchmarks/plain_fs_mtl.py` (plain PyTorch, no AllenNLP) on the exact
batches of the FS-MTL config's epoch, in the same run and with the same threads, and reports
allennlp's FS-MTL epoch as a ratio to it.

Results: benchmarks/results/<name>.md and .json.
"""
import argparse
import datetime
import json
import math
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, "benchmarks", "results")
sys.path.insert(0, ROOT)

from benchmarks.atomic import atomic_write_json, atomic_write_text  # noqa: E402


def full_epoch_batches(data_dir: str, dev_size: int = 200, batch_size: int = 8):
    per_task = {}
    for name in sorted(os.listdir(data_dir)):
        if name.endswith(".task.train"):
            with open(os.path.join(data_dir, name), encoding="utf-8", errors="replace") as handle:
                lines = sum(1 for line in handle if line.strip())
            per_task[name[: -len(".task.train")]] = max(lines - dev_size, 0)
    batches = sum(math.ceil(n / batch_size) for n in per_task.values())
    return per_task, batches


def full_epoch_length_moments(data_dir: str, dev_size: int = 200, batch_size: int = 8,
                              shuffles: int = 5, seed: int = 0):
    """Mean padded length and mean squared padded length of a full epoch's batches (whitespace
    tokens, each task's instances shuffled and cut into batches; averaged over `shuffles`)."""
    import random

    rng = random.Random(seed)
    padded = []
    for name in sorted(os.listdir(data_dir)):
        if not name.endswith(".task.train"):
            continue
        with open(os.path.join(data_dir, name), encoding="utf-8", errors="replace") as handle:
            lines = [line for line in handle if line.strip()]
        lines = lines[: max(len(lines) - dev_size, 0)]
        lengths = [len(line.split("\t", 1)[1].split()) if "\t" in line else 0 for line in lines]
        for _ in range(shuffles):
            rng.shuffle(lengths)
            padded += [max(lengths[i : i + batch_size]) for i in range(0, len(lengths), batch_size)]
    return statistics.mean(padded), statistics.mean(p * p for p in padded)


def length_corrected(batches, moments):
    """Fit cpu = a + b T + c T^2 (T = padded length) on the measured batches; the mean over a
    full epoch is then a + b E[T] + c E[T^2]. `None` if numpy is missing or too few batches."""
    try:
        import numpy
    except ImportError:
        return None
    rows = [(b["padded_length"], b["cpu"]) for b in batches if b.get("padded_length")]
    if len(rows) < 6:
        return None
    lengths = numpy.array([r[0] for r in rows], dtype=float)
    cpu = numpy.array([r[1] for r in rows])
    design = numpy.stack([numpy.ones_like(lengths), lengths, lengths * lengths], axis=1)
    coef = numpy.linalg.lstsq(design, cpu, rcond=None)[0]
    return float(coef[0] + coef[1] * moments[0] + coef[2] * moments[1]), [float(c) for c in coef]


def run_plain_reference(args: argparse.Namespace, overrides: dict, env: dict) -> dict:
    """`benchmarks/plain_fs_mtl.py` on the fs_mtl config's epoch-0 batches (same overrides)."""
    out = os.path.join(args.out, "plain_fs_mtl")
    os.makedirs(out, exist_ok=True)
    plan, result = os.path.join(out, "plan.json"), os.path.join(out, "result.json")
    script = os.path.join(ROOT, "benchmarks", "plain_fs_mtl.py")
    python = os.path.join(os.path.dirname(args.allennlp), "python")
    config = os.path.join("training_configs", "fdu_mtl", "fs_mtl.jsonnet")
    export_overrides = {k: v for k, v in overrides.items() if not k.startswith("trainer.")}
    subprocess.run([python, script, "export-plan", config, plan, "--overrides", json.dumps(export_overrides)],
                   cwd=ROOT, env=env, check=True)
    results = {}
    for lstm_input in args.plain_inputs:
        path = result.replace(".json", f"-{lstm_input}.json")
        subprocess.run([python, script, "train", plan, path, "--lstm-input", lstm_input], cwd=ROOT, env=env, check=True)
        with open(path) as handle:
            results[lstm_input] = json.load(handle)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["fs_mtl", "dc_mtl", "ic_mtl"])
    parser.add_argument("--instances", type=int, default=240, help="instances in the measured epoch")
    parser.add_argument("--full-epoch", action="store_true",
                        help="train one whole epoch with the config's own data loader (ignores --instances)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=os.environ.get("FDU_MTL_DIR", "/work/shared/data/fdu-mtl"))
    parser.add_argument("--max-tokens", type=int, default=None)
    parser.add_argument("--override", default=None,
                        help="JSON object of extra allennlp overrides for every model")
    parser.add_argument("--plain-reference", action="store_true",
                        help="also time a plain PyTorch FS-MTL epoch on the fs_mtl config's batches")
    parser.add_argument("--plain-inputs", nargs="+", choices=["padded", "packed"], default=["padded", "packed"],
                        help="the plain reference's LSTM inputs (packed: a per-step loop, minutes longer)")
    parser.add_argument("--out", default="/tmp/graph_mtl_epoch_time")
    parser.add_argument("--name", default=None)
    parser.add_argument("--summarize", action="store_true",
                        help="do not train: summarise the runs already in --out")
    parser.add_argument("--allennlp", default=os.path.join(ROOT, ".venv", "bin", "allennlp"))
    args = parser.parse_args(argv)

    per_task, total_batches = full_epoch_batches(args.data)
    moments = full_epoch_length_moments(args.data)
    overrides = {} if args.full_epoch else {
        "data_loader.sampler": {"type": "proportional"},
        "data_loader.instances_per_epoch": args.instances,
    }
    overrides.update({
        "trainer.num_epochs": 1,
        "validation_data_path": None,
        "trainer.callbacks": [{"type": "epoch_timer"}],
    })
    if args.max_tokens:
        for task in per_task:
            overrides[f"dataset_reader.readers.{task}.max_tokens"] = args.max_tokens
    if args.override:
        overrides.update(json.loads(args.override))
    load_average_start = os.getloadavg()
    env = dict(os.environ, FDU_MTL_DIR=args.data, OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads), PYTHONPATH=ROOT)
    results = {}
    for model in args.models:
        out = os.path.join(args.out, model)
        command = [
            args.allennlp, "train", os.path.join("training_configs", "fdu_mtl", f"{model}.jsonnet"),
            "-s", out, "--include-package", "graph_mtl", "--include-package", "benchmarks.epoch_timer",
            "--overrides", json.dumps(overrides),
        ]
        timer_path = os.path.join(out, "epoch_timer.json")
        elapsed = None
        if not args.summarize:
            subprocess.run(["rm", "-rf", out], check=True)
            print("running:", " ".join(command[:4]), "...", flush=True)
            start = time.perf_counter()
            process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
        else:
            process = subprocess.CompletedProcess(command, 0 if os.path.exists(timer_path) else 1, "", "no run")
        if process.returncode != 0 or not os.path.exists(timer_path):
            print(process.stderr[-3000:])
            results[model] = {"error": process.stderr[-500:], "returncode": process.returncode}
            continue
        with open(timer_path) as handle:
            timer = json.load(handle)
        batches = timer["batches"]
        cpu = [b["cpu"] for b in batches]
        wall = [b["wall"] for b in batches]
        lengths = [b["padded_length"] for b in batches if b["padded_length"]]
        result = {
            "measured_batches": len(batches),
            "epoch_wall_s": timer["epochs"][0]["wall"],
            "epoch_cpu_s": timer["epochs"][0]["cpu"],
            "mean_batch_wall_s": statistics.mean(wall),
            "mean_batch_cpu_s": statistics.mean(cpu),
            "median_batch_cpu_s": statistics.median(cpu),
            "max_batch_cpu_s": max(cpu),
            "padded_length_mean": statistics.mean(lengths) if lengths else None,
            "padded_length_max": max(lengths) if lengths else None,
            "padded_positions": sum(b["batch_size"] * b["padded_length"] for b in batches if b["padded_length"]),
            "tokens": sum(b["tokens"] for b in batches if b["tokens"] is not None),
            "full_epoch_batches": total_batches,
            "extrapolated_epoch_cpu_s": statistics.mean(cpu) * total_batches,
            "extrapolated_epoch_wall_s": statistics.mean(wall) * total_batches,
            "process_wall_s_incl_setup": elapsed,
            "full_epoch_padded_length_mean": moments[0],
            "torch_threads": timer.get("torch_threads"),
        }
        corrected = length_corrected(batches, moments)
        if corrected is not None:
            result["length_corrected_batch_cpu_s"] = corrected[0]
            result["length_fit_a_b_c"] = corrected[1]
            result["length_corrected_epoch_cpu_s"] = corrected[0] * total_batches
        results[model] = result
        print(model, json.dumps(result), flush=True)

    plain = None
    if args.plain_reference and not args.summarize:
        plain = run_plain_reference(args, overrides, env)
        print("plain PyTorch FS-MTL", json.dumps(plain), flush=True)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "graph_mtl", "training_configs", "benchmarks"],
                                cwd=ROOT, capture_output=True, text=True).stdout.strip())
    report = {
        "commit": commit,
        "uncommitted_changes": dirty,
        "command": ("python benchmarks/epoch_time.py "
                    + " ".join(a for a in (sys.argv[1:] if argv is None else argv) if a != "--summarize")),
        "summarized_existing_runs": args.summarize,
        "graph_mtl_env": {k: v for k, v in env.items() if k.startswith("GRAPH_MTL_")},
        "date_utc": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
        "overrides": overrides,
        "threads": args.threads,
        "full_epoch_instances": sum(per_task.values()),
        "full_epoch_batches": total_batches,
        "load_average_start": load_average_start,
        "load_average_end": os.getloadavg(),
        "results": results,
        "plain_reference": plain,
    }
    lines = [
        f"# Seconds per FDU-MTL epoch (allennlp train), {report['date_utc']} UTC, commit {commit}"
        + (" (with uncommitted changes)" if dirty else ""), "",
        "Command: `" + "".join(f"{k}={v} " for k, v in report["graph_mtl_env"].items())
        + f"{report['command']}`", "",
        (f"Each model: one whole epoch with the config's own data loader (every training instance "
         f"once, homogeneous batches of 8, same seed for every model), no validation, "
         if args.full_epoch else
         f"Each model: one epoch of {args.instances} instances ({args.instances // 8} batches of 8, "
         f"tasks drawn proportionally, same seed for every model), no validation, ")
        + f"{args.threads} torch thread(s)" + (f", sentences truncated to {args.max_tokens} tokens" if args.max_tokens else ", full-length sentences")
        + f". Full epoch: {report['full_epoch_instances']} instances = {total_batches} batches. "
        f"Extrapolated = mean time per measured batch x full-epoch batches; length-corrected = "
        f"least-squares fit cpu = a + b T + c T^2 on the measured batches (T = padded length), "
        f"evaluated at the full epoch's E[T] = {moments[0]:.0f} and E[T^2] = {moments[1]:.0f} (from the "
        "data files, 5 seeded shuffles) x full-epoch batches. CPU = process time "
        "(this machine is shared: wall time includes waiting for other jobs).", "",
        f"Overrides: `{json.dumps(overrides)}`", "",
        "Denormal floats: " + ("computed (`GRAPH_MTL_FLUSH_DENORMALS=0`)"
                               if env.get("GRAPH_MTL_FLUSH_DENORMALS", "1").strip() == "0"
                               else "flushed to zero (graph_mtl's default, `graph_mtl.common.denormals`)") + ".", "",
        f"Load average (1 min) {load_average_start[0]:.2f} at the start, {report['load_average_end'][0]:.2f} at the end.", "",
        "| model | batches measured | padded positions / tokens | mean padded len (max) | mean CPU s/batch (median, max) | measured epoch CPU s / wall s | extrapolated full epoch CPU s (min) | length-corrected CPU s (min) | extrapolated wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model, r in results.items():
        if "error" in r:
            lines.append(f"| {model} | error (see json) | | | | | | | |")
            continue
        ratio = r["padded_positions"] / r["tokens"] if r.get("tokens") else float("nan")
        lines.append(
            f"| {model} | {r['measured_batches']} | {ratio:.3f} | {r['padded_length_mean']:.0f} ({r['padded_length_max']}) | "
            f"{r['mean_batch_cpu_s']:.3f} ({r['median_batch_cpu_s']:.3f}, {r['max_batch_cpu_s']:.2f}) | "
            f"{r['epoch_cpu_s']:.1f} / {r['epoch_wall_s']:.1f} | "
            f"{r['extrapolated_epoch_cpu_s']:.0f} ({r['extrapolated_epoch_cpu_s'] / 60:.1f} min) | "
            + (f"{r['length_corrected_epoch_cpu_s']:.0f} ({r['length_corrected_epoch_cpu_s'] / 60:.1f} min) | "
               if "length_corrected_epoch_cpu_s" in r else "- | ")
            + f"{r['extrapolated_epoch_wall_s']:.0f} |"
        )
    if plain is not None:
        fs = results.get("fs_mtl", {})
        inputs = {"padded": "on the padded batch", "packed": "on packed sequences"}
        lines += [
            "",
            "Plain PyTorch reference (`benchmarks/plain_fs_mtl.py`: the same batches as the fs_mtl "
            "epoch above, same sizes and optimizer, no AllenNLP; nn.LSTM "
            + ", and ".join(inputs[name] for name in plain) + f"; {next(iter(plain.values()))['batches']} batches):",
            "",
            "| | epoch CPU s | epoch wall s | training accuracy | allennlp / this (wall) |",
            "|---|---|---|---|---|",
        ]
        for lstm_input, run in plain.items():
            ratio = f"{fs['epoch_wall_s'] / run['epoch_wall_s']:.3f}" if "epoch_wall_s" in fs else "-"
            lines.append(f"| plain PyTorch, {lstm_input} LSTM input | {run['epoch_cpu_s']:.1f} | "
                         f"{run['epoch_wall_s']:.1f} | {run['training_accuracy']:.3f} | {ratio} |")
        if "epoch_cpu_s" in fs:
            lines.append(f"| allennlp train (fs_mtl) | {fs['epoch_cpu_s']:.1f} | {fs['epoch_wall_s']:.1f} | - | 1 |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    name = args.name or "epoch-cpu-" + datetime.datetime.utcnow().strftime("%Y%m%d-%H%M")
    atomic_write_json(os.path.join(RESULTS_DIR, name + ".json"), report, indent=1)
    atomic_write_text(os.path.join(RESULTS_DIR, name + ".md"), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
