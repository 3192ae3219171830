#!/usr/bin/env python
"""
Does DC-MTL's alpha find which tasks help which? A benchmark with a planted answer.

Synthetic classification tasks in groups: the tasks of a group share one labelling rule
(label 1 when the sentence holds more of the group's "positive" cue words than of its
"negative" ones), each group has one big task and small ones that cannot learn the rule from
their own few examples, and distractor tasks have rules of their own. Every sentence also
carries the cue words of other groups, which say nothing about its label. The planted relation:
target t should read source s when they share a group. With the design's `split_cues` the cue
words of a rule are dealt out among the tasks of its group for training (dev sentences use all
of them), so that every task needs every group-mate's LSTM for the cues it never saw labelled.

For each seed the script trains DC-MTL and IC-MTL (`allennlp train` on
training_configs/lib/custom.libsonnet) and a single-task LSTM per small task, predicts the dev
sentences with `allennlp predict`, and reports:

* DC-MTL: the relation matrix (mean alpha of each target over its dev tokens); mean alpha on
  group-mates vs on other sources; per target, alpha's mean per-token entropy against the
  uniform level log(#sources); whether every mate gets more alpha than every non-mate and
  whether the top sources are the mates; the rank correlation of the matrix with the planted
  0/1 matrix (off-diagonal cells; ties share ranks, so even a perfect separation stays below 1:
  the maximum is printed next to it);
* IC-MTL: beta's mass on the positions of the target's own group's cue words against what
  uniform attention would put there;
* every small task's dev accuracy in DC-MTL / IC-MTL against its single-task LSTM;
* every task's reliance on its messages: its dev accuracy when the trained model is run with
  r_t removed (the encoder's `read_messages: false`: the same weights, h_t is the task's own
  LSTM state) against the model as trained. alpha only gets a gradient through g_t * W_f r_t:
  a target whose predictions do not change without its messages gives its loss no reason to
  rank its sources.

    python benchmarks/planted_relation.py --seeds 13 14 --output-dir output/planted \\
        --results results/planted/default
    python benchmarks/planted_relation.py --quick ...      # a minute-long check (the test suite's)

`--settings` (JSON) adds model settings (common.defaults fields) to the benchmark's own.
Writes `<results>.md` and `<results>.json`. Every file it writes (data, configs, inputs, results)
is written atomically (benchmarks/atomic.py), and so are the prediction files of `allennlp
predict` (graph_mtl.commands.predict_manager): a killed run resumes from complete files only.
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
LIBRARY = REPO_ROOT / "training_configs" / "lib" / "custom.libsonnet"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.atomic import atomic_open, atomic_write_text  # noqa: E402

# The benchmark's model settings (on top of common.defaults): small, quick, Adam.
DEFAULT_SETTINGS: Dict[str, Any] = {
    "embedding_dim": 32,
    "hidden_dim": 32,
    "batch_size": 16,
    "pooling": "max",
    "num_epochs": 12,
    "patience": 12,
}
QUICK_SETTINGS: Dict[str, Any] = {"embedding_dim": 8, "hidden_dim": 8, "batch_size": 8, "num_epochs": 1, "patience": 1}


@dataclass
class Task:
    name: str
    group: int  # tasks with the same group share a rule; a distractor has a group of its own
    train_size: int
    small: bool
    fillers: List[str] = field(default_factory=list)
    member: int = 0  # its index in its group (the big task 0): which share of the cues it trains on
    members: int = 1  # tasks in its group


@dataclass
class Design:
    groups: int = 2  # groups of related tasks
    big_size: int = 800  # training sentences of each group's big task
    small_tasks: int = 2  # small tasks per group
    small_size: int = 60
    distractors: int = 2  # tasks with a rule of their own
    distractor_size: int = 400
    dev_size: int = 200
    cues: int = 6  # positive and negative cue words per rule
    fillers: int = 300  # shared filler vocabulary (each task draws from its own 120 of them)
    # True: the cue words of a group are dealt out among its tasks (cue i to the task whose index
    # in the group is i mod the group's size); a task's *training* sentences hold only its share,
    # its dev sentences every cue of the rule. A task then needs its mates at test time for the
    # cues it never saw labelled, and every mate holds cues no other task trains on.
    split_cues: bool = False

    def tasks(self) -> List[Task]:
        tasks = []
        members = 1 + self.small_tasks
        if self.split_cues and self.cues < members:
            raise ValueError(f"split_cues: {self.cues} cues per polarity cannot be dealt out to "
                             f"{members} tasks per group")
        for group in range(self.groups):
            tasks.append(Task(f"g{group}big", group, self.big_size, small=False, members=members))
            for index in range(self.small_tasks):
                tasks.append(Task(f"g{group}small{index}", group, self.small_size, small=True,
                                  member=index + 1, members=members))
        for index in range(self.distractors):
            tasks.append(Task(f"distractor{index}", self.groups + index, self.distractor_size, small=False))
        return tasks


QUICK_DESIGN = Design(groups=2, big_size=60, small_tasks=1, small_size=12, distractors=0, dev_size=12,
                      cues=3, fillers=40)


def cue_words(rule: int, count: int) -> Tuple[List[str], List[str]]:
    return [f"r{rule}pos{i}" for i in range(count)], [f"r{rule}neg{i}" for i in range(count)]


def label_of(words: Sequence[str], rule: int, count: int) -> int:
    """The planted rule: 1 when the sentence has more of the rule's positive cues."""
    positive, negative = cue_words(rule, count)
    return int(sum(w in positive for w in words) > sum(w in negative for w in words))


def cue_share(task: Task, design: Design) -> Tuple[List[str], List[str]]:
    """The cue words of `task`'s rule that its training sentences hold: all of them, or with
    `split_cues` its share (cue i when i mod the group's size is its index in the group)."""
    positive, negative = cue_words(task.group, design.cues)
    if not design.split_cues:
        return positive, negative
    mine = [i for i in range(design.cues) if i % task.members == task.member]
    return [positive[i] for i in mine], [negative[i] for i in mine]


def sentence(rng: random.Random, task: Task, design: Design, rules: int,
             split: str = "dev") -> Tuple[List[str], int]:
    label = rng.randint(0, 1)
    few, many = sorted(rng.sample(range(0, 4), 2))
    positive, negative = cue_share(task, design) if split == "train" else cue_words(task.group, design.cues)
    counts = (many, few) if label == 1 else (few, many)
    words = [rng.choice(positive) for _ in range(counts[0])] + [rng.choice(negative) for _ in range(counts[1])]
    for other in range(rules):  # other rules' cue words: noise for this task
        if other != task.group:
            other_pos, other_neg = cue_words(other, design.cues)
            words += [rng.choice(other_pos + other_neg) for _ in range(rng.randint(0, 2))]
    words += [rng.choice(task.fillers) for _ in range(rng.randint(6, 12))]
    rng.shuffle(words)
    assert label_of(words, task.group, design.cues) == label
    return words, label


def generate(design: Design, directory: Path, seed: int = 0) -> List[Task]:
    """Writes `<task>.train.jsonl` / `<task>.dev.jsonl` ({"text", "label"}) for every task."""
    rng = random.Random(seed)
    tasks = design.tasks()
    rules = max(task.group for task in tasks) + 1
    fillers = [f"w{i}" for i in range(design.fillers)]
    directory.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        task.fillers = rng.sample(fillers, min(120, len(fillers)))
        for split, size in (("train", task.train_size), ("dev", design.dev_size)):
            with atomic_open(directory / f"{task.name}.{split}.jsonl", "w", encoding="utf-8") as out:
                for _ in range(size):
                    words, label = sentence(rng, task, design, rules, split)
                    out.write(json.dumps({"text": " ".join(words), "label": str(label)}) + "\n")
    return tasks


def planted(tasks: List[Task]) -> Dict[str, Dict[str, int]]:
    return {t.name: {s.name: int(s.group == t.group) for s in tasks if s.name != t.name} for t in tasks}


# ------------------------------------------------------------------------------------ measures
def ranks(values: Sequence[float]) -> List[float]:
    """1-based ranks, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return result


def pearson(x: Sequence[float], y: Sequence[float]) -> Optional[float]:
    mx, my = statistics.mean(x), statistics.mean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def spearman(x: Sequence[float], y: Sequence[float]) -> Optional[float]:
    return pearson(ranks(x), ranks(y))


def max_spearman(truth: Sequence[int]) -> Optional[float]:
    """The largest rank correlation any matrix can reach with a 0/1 `truth`: a perfect
    separation (every 1-cell above every 0-cell) with no ties of its own."""
    order = sorted(range(len(truth)), key=lambda i: (truth[i], i))
    perfect = [0.0] * len(truth)
    for rank, index in enumerate(order):
        perfect[index] = float(rank)
    return spearman(perfect, [float(v) for v in truth])


def entropy(row: Sequence[float]) -> float:
    return -sum(p * math.log(p) for p in row if p > 0)


def alpha_measures(outputs: List[Dict[str, Any]], relation: Dict[str, Dict[str, int]]) -> Dict[str, Any]:
    """The DC-MTL measures from `allennlp predict` outputs (alpha rows per token)."""
    sums: Dict[str, Dict[str, float]] = {}
    entropies: Dict[str, List[float]] = {}
    for output in outputs:
        if "alpha" not in output:
            continue
        target = output["task"]
        row_sum = sums.setdefault(target, {s: 0.0 for s in output["alpha_sources"]})
        for row in output["alpha"]:
            for source, weight in zip(output["alpha_sources"], row):
                row_sum[source] += weight
            entropies.setdefault(target, []).append(entropy(row) / math.log(len(row)))
    matrix = {t: {s: v / len(entropies[t]) for s, v in row.items()} for t, row in sums.items()}
    targets: Dict[str, Any] = {}
    cells_m, cells_r, mates_w, others_w = [], [], [], []
    for target, row in matrix.items():
        mates = [s for s, v in relation[target].items() if v]
        others = [s for s, v in relation[target].items() if not v]
        for source, weight in row.items():
            cells_m.append(weight)
            cells_r.append(relation[target][source])
            (mates_w if relation[target][source] else others_w).append(weight)
        top = sorted(row, key=row.get, reverse=True)[: len(mates)]
        targets[target] = {
            "entropy_vs_uniform": statistics.mean(entropies[target]),
            "mates": mates,
            "top_sources": sorted(row, key=row.get, reverse=True)[:3],
            "mates_above_all_others": (min(row[s] for s in mates) > max(row[s] for s in others)) if mates and others else None,
            "top_are_mates": (set(top) == set(mates)) if mates else None,
            "mean_alpha_mates": statistics.mean(row[s] for s in mates) if mates else None,
            "mean_alpha_others": statistics.mean(row[s] for s in others) if others else None,
        }
    return {
        "matrix": matrix,
        "targets": targets,
        "uniform": 1.0 / (len(next(iter(matrix.values()))) if matrix else 1),
        "mean_alpha_mates": statistics.mean(mates_w) if mates_w else None,
        "mean_alpha_others": statistics.mean(others_w) if others_w else None,
        "rank_correlation": spearman(cells_m, [float(v) for v in cells_r]) if cells_m else None,
        "max_rank_correlation": max_spearman(cells_r) if cells_r else None,
        "rows_separated": sum(bool(t["mates_above_all_others"]) for t in targets.values()),
        "rows_with_mates": sum(t["mates_above_all_others"] is not None for t in targets.values()),
    }


def beta_measures(outputs: List[Dict[str, Any]], tasks: List[Task], design: Design) -> Dict[str, Any]:
    """IC-MTL: beta's mass on the target's own cue words, against uniform attention's."""
    groups = {t.name: t.group for t in tasks}
    per_task: Dict[str, List[Tuple[float, float]]] = {}
    for output in outputs:
        if "beta" not in output:
            continue
        positive, negative = cue_words(groups[output["task"]], design.cues)
        informative = [i for i, w in enumerate(output["tokens"]) if w in positive or w in negative]
        if not informative:
            continue
        for row in output["beta"]:
            mass = sum(row[i] for i in informative if i < len(row))
            uniform = len([i for i in informative if i < len(row)]) / len(row)
            per_task.setdefault(output["task"], []).append((mass, uniform))
    return {task: {"beta_mass_on_cues": statistics.mean(m for m, _ in values),
                   "uniform_mass_on_cues": statistics.mean(u for _, u in values)}
            for task, values in per_task.items()}


# ------------------------------------------------------------------------------------- running
def write_config(path: Path, kind: str, tasks: List[Task], data: Path, settings: Dict[str, Any],
                 encoder: Optional[Dict[str, Any]] = None) -> None:
    """A config of lib/custom.libsonnet; `encoder` entries are merged into the encoder's config
    (options that are not settings, e.g. DC-MTL's attention_dim or shared_attention)."""
    specs = {t.name: {"type": "classification", "train": str(data / f"{t.name}.train.jsonl"),
                      "dev": str(data / f"{t.name}.dev.jsonl"), "labels": ["0", "1"]} for t in tasks}
    library = os.path.relpath(LIBRARY, path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = f"\n+ {{ model+: {{ backbone+: {{ encoder+: {json.dumps(encoder, sort_keys=True)} }} }} }}" if encoder else ""
    atomic_write_text(path, f"(import '{library}').config({json.dumps(kind)},\n  {json.dumps(specs, indent=1)},\n"
                            f"  {json.dumps(settings, sort_keys=True)}){extra}\n")


def allennlp(*args: str) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [str(Path(sys.executable).parent / "allennlp"), *args, "--include-package", "graph_mtl"]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-4000:]}")


def train(config: Path, serialization_dir: Path) -> Dict[str, Any]:
    if not (serialization_dir / "metrics.json").is_file():
        if serialization_dir.exists():
            import shutil

            shutil.rmtree(serialization_dir)
        allennlp("train", str(config), "-s", str(serialization_dir), "--file-friendly-logging")
    return json.loads((serialization_dir / "metrics.json").read_text())


def predict(archive: Path, data: Path, tasks: List[Task], output: Path) -> List[Dict[str, Any]]:
    inputs = output.with_name(output.stem + ".input.jsonl")
    with atomic_open(inputs, "w", encoding="utf-8") as out:
        for task in tasks:
            for line in (data / f"{task.name}.dev.jsonl").read_text().splitlines():
                out.write(json.dumps({"task": task.name, "sentence": json.loads(line)["text"]}) + "\n")
    if not output.is_file():
        allennlp("predict", str(archive), str(inputs), "--output-file", str(output), "--silent",
                 "--batch-size", "64")
    return [json.loads(line) for line in output.read_text().splitlines()]


def message_reliance(archive: Path, inputs: Path, data: Path) -> Dict[str, Dict[str, float]]:
    """Per task: `{"with": accuracy, "without": accuracy, "probability_shift": mean total
    variation distance between the two predicted distributions}` on the `inputs` of `predict`
    (which carry no label: the gold labels are read from the dev files of `data`, in the same
    order), for the model of `archive` as trained and loaded with the encoder's
    `read_messages: false` (the same weights; no message reaches h_t: eq. 9 with W_f r_t = 0)."""
    import torch
    from allennlp.predictors import Predictor

    from graph_mtl.models.archival import load_archive

    torch.set_num_threads(1)
    requests = [json.loads(line) for line in inputs.read_text().splitlines()]
    gold: List[str] = []
    for task in dict.fromkeys(request["task"] for request in requests):
        dev = data / f"{task}.dev.jsonl"
        gold += [json.loads(line)["label"] for line in dev.read_text().splitlines()]

    def run(overrides: Dict[str, Any]) -> Tuple[Dict[str, float], List[Dict[str, float]]]:
        predictor = Predictor.from_archive(load_archive(str(archive), overrides=overrides), "graph_mtl")
        correct: Dict[str, List[bool]] = {}
        probs: List[Dict[str, float]] = []
        for start in range(0, len(requests), 64):
            batch = requests[start : start + 64]
            for request, label, output in zip(batch, gold[start:], predictor.predict_batch_json(batch)):
                correct.setdefault(request["task"], []).append(output["label"] == label)
                probs.append(output["probs"])
        return {task: sum(values) / len(values) for task, values in correct.items()}, probs

    with_messages, probs_with = run({})
    without, probs_without = run({"model.backbone.encoder.read_messages": False})
    shifts: Dict[str, List[float]] = {}
    for request, before, after in zip(requests, probs_with, probs_without):
        # total variation distance between the two predicted distributions
        shifts.setdefault(request["task"], []).append(0.5 * sum(abs(before[k] - after[k]) for k in before))
    return {task: {"with": with_messages[task], "without": without[task],
                   "probability_shift": statistics.mean(shifts[task])} for task in with_messages}


def run_seed(seed: int, tasks: List[Task], design: Design, data: Path, out: Path, settings: Dict[str, Any],
             models: List[str], tag: str = "", encoder: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    result: Dict[str, Any] = {"seed": seed, "models": {}, "single": {}}
    seeded = dict(settings, seed=seed)
    for kind in models:
        name = f"{kind}{'-' + tag if tag else ''}-s{seed}"
        directory = out / name
        config = out / "configs" / f"{name}.jsonnet"
        write_config(config, kind, tasks, data, seeded, encoder)
        started = time.time()
        metrics = train(config, directory)
        outputs = predict(directory / "model.tar.gz", data, tasks, out / f"{name}.predictions.jsonl")
        record: Dict[str, Any] = {
            "dev_accuracy": {t.name: metrics.get(f"best_validation_{t.name}_accuracy") for t in tasks},
            "best_epoch": metrics.get("best_epoch"), "seconds": round(time.time() - started),
        }
        record["reliance"] = message_reliance(directory / "model.tar.gz", out / f"{name}.predictions.input.jsonl", data)
        if kind == "dc_mtl":
            record["alpha"] = alpha_measures(outputs, planted(tasks))
        if kind == "ic_mtl":
            record["beta"] = beta_measures(outputs, tasks, design)
        result["models"][kind] = record
    for task in tasks:
        if not task.small:
            continue
        config = out / "configs" / f"lstm-{task.name}-s{seed}.jsonnet"
        write_config(config, "lstm", [task], data, seeded)
        metrics = train(config, out / f"lstm-{task.name}-s{seed}")
        result["single"][task.name] = metrics.get(f"best_validation_{task.name}_accuracy")
    return result


def fmt(value: Optional[float], digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown(report: Dict[str, Any]) -> str:
    lines = ["# Planted-relation benchmark", "", f"Command: `{report['command']}`", "",
             f"Design: {json.dumps(report['design'])}; model settings: {json.dumps(report['settings'], sort_keys=True)}"
             + (f"; encoder options: {json.dumps(report['encoder_options'], sort_keys=True)}" if report.get("encoder_options") else "")
             + ".",
             ""]
    for seed_result in report["seeds"]:
        seed = seed_result["seed"]
        dc = seed_result["models"].get("dc_mtl")
        if dc:
            alpha = dc["alpha"]
            lines += [f"## DC-MTL alpha, seed {seed}", "",
                      f"Mean alpha on group-mates {fmt(alpha['mean_alpha_mates'])}, on other sources "
                      f"{fmt(alpha['mean_alpha_others'])} (uniform {fmt(alpha['uniform'])}); rank correlation with "
                      f"the planted matrix {fmt(alpha['rank_correlation'])} (the maximum a 0/1 matrix allows: "
                      f"{fmt(alpha['max_rank_correlation'])}); rows where every mate gets more alpha than every "
                      f"other source: {alpha['rows_separated']} of {alpha['rows_with_mates']}.", "",
                      "| target | entropy / uniform | mates | top sources | mates above all others | top = mates |",
                      "|---|---|---|---|---|---|"]
            for target, info in alpha["targets"].items():
                lines.append(f"| {target} | {fmt(info['entropy_vs_uniform'])} | {', '.join(info['mates']) or '-'} | "
                             f"{', '.join(info['top_sources'])} | {info['mates_above_all_others']} | {info['top_are_mates']} |")
            lines.append("")
        ic = seed_result["models"].get("ic_mtl")
        if ic:
            lines += [f"## IC-MTL beta, seed {seed}", "", "| target | beta mass on its cue words | uniform |", "|---|---|---|"]
            for task, info in ic["beta"].items():
                lines.append(f"| {task} | {fmt(info['beta_mass_on_cues'])} | {fmt(info['uniform_mass_on_cues'])} |")
            lines.append("")
        models = seed_result["models"]
        lines += [f"## Dev accuracy, seed {seed}", "",
                  "(best epoch; \"without messages\": the same model with r_t removed at test time)", "",
                  "| task | " + " | ".join(f"{kind} | {kind} without messages" for kind in models)
                  + " | single-task LSTM |",
                  "|---|" + "---|" * (2 * len(models) + 1)]
        for task in report["tasks"]:
            cells = [f"{fmt(m['dev_accuracy'].get(task))} | {fmt(m.get('reliance', {}).get(task, {}).get('without'))}"
                     for m in models.values()]
            lines.append(f"| {task} | " + " | ".join(cells) + f" | {fmt(seed_result['single'].get(task))} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[13, 14])
    parser.add_argument("--models", default="dc_mtl,ic_mtl", help="comma-separated: dc_mtl, ic_mtl")
    parser.add_argument("--output-dir", type=Path, default=REPO_ROOT / "output" / "planted")
    parser.add_argument("--results", type=Path, default=None, help="write <results>.md / .json")
    parser.add_argument("--settings", type=json.loads, default={}, help="JSON: model settings added")
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny data and models: a check, not a measurement")
    parser.add_argument("--design", type=json.loads, default={},
                        help="JSON: fields of Design to change (groups, small_tasks, distractors, ...)")
    parser.add_argument("--encoder-options", type=json.loads, default=None,
                        help="JSON merged into the multi-task encoder's config (e.g. {\"attention_dim\": 128})")
    parser.add_argument("--tag", default="", help="name of this variant's runs (single-task runs are shared)")
    args = parser.parse_args(argv)
    design = Design(**dict((QUICK_DESIGN if args.quick else Design()).__dict__, **args.design))
    settings = dict(QUICK_SETTINGS if args.quick else DEFAULT_SETTINGS, **args.settings)
    data = args.output_dir / "data"
    tasks = generate(design, data, args.data_seed)
    report: Dict[str, Any] = {
        "command": "python benchmarks/planted_relation.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "design": design.__dict__, "settings": settings, "encoder_options": args.encoder_options,
        "tasks": [t.name for t in tasks],
        "small_tasks": [t.name for t in tasks if t.small], "planted": planted(tasks), "seeds": [],
    }
    for seed in args.seeds:
        report["seeds"].append(run_seed(seed, tasks, design, data, args.output_dir, settings,
                                        args.models.split(","), args.tag, args.encoder_options))
    text = markdown(report)
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.results.with_suffix(".md"), text + "\n")
        atomic_write_text(args.results.with_suffix(".json"), json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(text)
    return report


if __name__ == "__main__":
    main()
