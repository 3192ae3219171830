#!/usr/bin/env python
"""
Reproduces a results table of Liu et al. (AAAI 2019) with one command: every model of the
table, every seed, trained with `allennlp train` in parallel processes, resumable, then one
table in the paper's layout (Markdown + JSON) with the paper's numbers beside ours.

    python scripts/reproduce.py table1 --recipe cpu --seeds 13 14 --jobs 2
    python scripts/reproduce.py table1 --recipe cpu --test-dir /path/to/fdu-mtl   # + test columns
    python scripts/reproduce.py table1 --recipe cpu --list                       # commands only

Table 1 (FDU-MTL sentiment, 16 domains): single-task LSTM, BiLSTM, stacked LSTM (one run per
domain), MT-CNN, FS-MTL, SP-MTL, DC-MTL, IC-MTL (one run on all domains), each per seed, with
the recipe's settings (training_configs/lib/recipes.libsonnet) for every model alike.

Each run's config is written to `<results-dir>/configs/<run>.jsonnet` (it imports the
training_configs library, so `allennlp train` on it repeats the run), its serialization
directory is `<output-dir>/<run>/`. Resuming: a run with `model.tar.gz` and `metrics.json` is
kept; one with checkpoints continues with `allennlp train --recover`; one without is started
again. Model selection is on dev only (each run's best epoch by the table's validation metric);
`--test-dir DIR` evaluates every finished archive on `DIR/<task>.task.test` with
`allennlp evaluate` and adds test columns. A finished run keeps its archive, `best.th`, metrics
and logs; its per-epoch checkpoints are removed (`--keep-checkpoints` keeps them). Writes
`<results-dir>/table.md`, `table.json` and `commands.sh` (the exact commands of every run).
Every file is written atomically (graph_mtl/common/atomic.py): a kill part-way leaves the
previous version, never half a file.

Records: each finished run also leaves its results, a few kB, in `<results-dir>/runs/<run>/`
(`metrics.json`, `metrics_epoch_*.json` and `config.json`, the resolved config it was trained
with). When the serialization directory is gone (another machine, a cleaned `output/`), a run
with a record that matches its config counts as finished, so a table or a lambda_k search can be
completed across machines by committing the results folder. A recorded run has no archive:
`--test-dir` trains it again.
"""
import argparse
import importlib.util
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
LIB_DIR = REPO_ROOT / "training_configs" / "lib"


def _load_common(name: str) -> Any:
    """graph_mtl.common.<name> (standard library only), loaded from its file: `import graph_mtl`
    would load allennlp and torch (~7 s, ~1 GB) into this runner, which only starts processes."""
    spec = importlib.util.spec_from_file_location(f"graph_mtl_common_{name}",
                                                  REPO_ROOT / "graph_mtl" / "common" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


atomic = _load_common("atomic")  # atomic file writes
finished_runs = _load_common("finished_runs")  # prune_checkpoints


@dataclass
class Model:
    kind: str  # the model name of training_configs/lib/common.libsonnet `models`
    column: str  # the paper's column header
    single_task: bool  # one run per task (else one run on all tasks)


@dataclass
class TableSpec:
    name: str
    title: str
    library: str  # training_configs/lib/<library>.libsonnet
    tasks: List[str]
    task_labels: Dict[str, str]  # task -> the paper's row label, in the paper's row order
    models: List[Model]
    # config variable -> folder under --data-dir holding that data ("" = --data-dir itself)
    data_variables: Dict[str, str]
    default_data_dir: str
    vectors_variable: str
    default_vectors: str
    metrics: Dict[str, str]  # task -> metric: best_validation_<task>_<metric>
    display: str  # "error" (100 x (1 - metric), lower is better) or "score" (100 x metric)
    test_files: Dict[str, str]  # task -> its test file under --test-dir
    vectors_options: str  # what scripts/train_vectors.py reads besides the fs_mtl config
    paper: Dict[str, Dict[str, Optional[float]]] = field(default_factory=dict)  # column -> row -> error
    paper_source: str = ""
    paper_best: Dict[str, float] = field(default_factory=dict)  # row -> the paper's best model's number


def paper_models(single_suffix: str = "") -> List[Model]:
    """The models of the paper's tables, in its column order; `single_suffix` names the
    single-task baselines' output layer (Table 4: "-CRF")."""
    return [Model("lstm", "LSTM" + single_suffix, True),
            Model("bilstm", "BiLSTM" + single_suffix, True),
            Model("stacked_lstm", "sLSTM" + single_suffix, True)] + [
        Model(kind, column, False) for kind, column in (
            ("mt_cnn", "MT-CNN"), ("fs_mtl", "FS-MTL"), ("sp_mtl", "SP-MTL"),
            ("dc_mtl", "DC-MTL"), ("ic_mtl", "IC-MTL"))]


TABLE1 = TableSpec(
    name="table1",
    title="Table 1: sentiment classification on the 16 FDU-MTL domains (error rate, %)",
    library="fdu_mtl",
    tasks=[
        "books", "electronics", "dvd", "kitchen_housewares", "apparel", "camera_photo",
        "health_personal_care", "music", "toys_games", "video", "baby", "magazines", "software",
        "sports_outdoors", "imdb", "MR",
    ],
    task_labels={
        "books": "Books", "electronics": "Electronics", "dvd": "DVD", "kitchen_housewares": "Kitchen",
        "apparel": "Apparel", "camera_photo": "Camera", "health_personal_care": "Health",
        "music": "Music", "toys_games": "Toys", "video": "Video", "baby": "Baby",
        "magazines": "Magazines", "software": "Software", "sports_outdoors": "Sports",
        "imdb": "IMDB", "MR": "MR",
    },
    models=paper_models(),
    data_variables={"FDU_MTL_DIR": ""},
    default_data_dir="/work/shared/data/fdu-mtl",
    vectors_variable="FDU_MTL_VECTORS",
    default_vectors="vectors/fdu_mtl.w2v.200d.txt",
    metrics={},  # accuracy for every domain (filled below)
    display="error",
    test_files={},  # <domain>.task.test (filled below)
    vectors_options="--unlabelled '{data_dir}/*.task.unlabel' --lowercase",
)
TABLE1.metrics = {task: "accuracy" for task in TABLE1.tasks}
TABLE1.test_files = {task: f"{task}.task.test" for task in TABLE1.tasks}

TABLE4 = TableSpec(
    name="table4",
    title="Table 4: sequence labelling (chunking and NER span F1, POS accuracy, %)",
    library="tagging",
    tasks=["chunk", "ner", "pos"],
    task_labels={"chunk": "CoNLL-2000 chunking (F1)", "ner": "CoNLL-2003 NER (F1)", "pos": "PTB POS (accuracy)"},
    # the single-task baselines of issue 13: LSTM-CRF and BiLSTM-CRF per task
    models=[m for m in paper_models(single_suffix="-CRF") if m.kind != "stacked_lstm"],
    # --data-dir is the folder holding the three corpora (as /work/shared/data does)
    data_variables={"CONLL2000_DIR": "conll2000", "CONLL2003_DIR": "conll2003", "PTB_POS_DIR": "ptb-pos"},
    default_data_dir="/work/shared/data",
    vectors_variable="TAGGING_VECTORS",
    # lowercased vectors (the recipes' lowercase_tokens; results/table4/ner-case/ measured it
    # against cased ones on NER), trained on the three training sets + the FDU-MTL unlabelled
    # reviews (cased English text; no dev or test line of any task)
    default_vectors="vectors/tagging.lower.w2v.200d.txt",
    metrics={"chunk": "f1-measure-overall", "ner": "f1-measure-overall", "pos": "accuracy"},
    display="score",
    test_files={"chunk": "conll2000/test.txt", "ner": "conll2003/eng.testb", "pos": "ptb-pos/Secs22-24 - testing"},
    vectors_options="--unlabelled '{data_dir}/fdu-mtl/*.task.unlabel' --lowercase --lowercase-training",
)

TABLES = {TABLE1.name: TABLE1, TABLE4.name: TABLE4}
# The paper's numbers (and where they come from): scripts/paper_tables.json.
PAPER = json.loads((Path(__file__).resolve().parent / "paper_tables.json").read_text())
for _name, _spec in TABLES.items():
    _spec.paper = PAPER.get(_name, {}).get("error", {})
    _spec.paper_source = PAPER.get(_name, {}).get("source", "")
    _spec.paper_best = PAPER.get(_name, {}).get("best", {})
# Longest runs first, so that the parallel slots finish together.
COST_ORDER = ["dc_mtl", "ic_mtl", "sp_mtl", "fs_mtl", "mt_cnn", "stacked_lstm", "bilstm", "lstm"]


@dataclass
class Run:
    name: str
    model: Model
    tasks: List[str]
    seed: int
    config: Path
    serialization_dir: Path
    # lambda_k of eq. 14 for this run's tasks (only those != 1); {} = every task weighted 1
    loss_weights: Dict[str, float] = field(default_factory=dict)

    @property
    def variant(self) -> str:
        """The run's lambda setting as text: "" (all 1) or e.g. "lambda pos=0.5"."""
        return lambda_label(self.loss_weights)

    @property
    def record(self) -> Path:
        """`<results-dir>/runs/<run>/`: the run's results, kept with the table (see the module
        docstring); beside `<results-dir>/configs/`."""
        return self.config.parent.parent / "runs" / self.name

    def state(self) -> str:
        """done | recorded (no serialization directory, results in `record`) | partial
        (checkpoints to recover from) | new."""
        directory = self.serialization_dir
        if finished_runs.is_finished(directory):  # model.tar.gz and metrics.json
            return "done"
        if directory.is_dir() and any(directory.glob("model_state_e*.th")):
            return "partial"
        if (self.record / "metrics.json").is_file() and (self.record / "config.json").is_file():
            return "recorded"
        return "new"

    def finished(self) -> bool:
        return self.state() in ("done", "recorded")

    def results(self) -> Path:
        """Where the finished run's `metrics.json` and `metrics_epoch_*.json` are."""
        return self.serialization_dir if self.state() == "done" else self.record


def lambda_label(weights: Dict[str, float]) -> str:
    return "" if not weights else "lambda " + ",".join(f"{t}={w:g}" for t, w in sorted(weights.items()))


def lambda_variants(tasks: List[str], grid: List[float], search_tasks: List[str], mode: str) -> List[Dict[str, float]]:
    """
    The lambda_k settings of the search over `grid` (the paper's [1, 0.8, 0.5]) for the tasks
    `search_tasks` (the others keep 1): "full" is every combination; "one" changes one task's
    lambda at a time (1 + |tasks| x (|grid| - 1) settings instead of |grid|^|tasks|). Only the
    weights that differ from 1 are listed; the all-1 setting ({}) is always first.
    """
    import itertools

    unknown = [task for task in search_tasks if task not in tasks]
    if unknown:
        raise SystemExit(f"--lambda-tasks {unknown}: not among the tasks {tasks}")
    values = list(dict.fromkeys([1.0] + [float(v) for v in grid]))
    if any(v <= 0 for v in values):
        raise SystemExit(f"--lambda-grid {grid}: the weights must be positive")
    settings: List[Dict[str, float]] = [{}]
    if mode == "full":
        for combination in itertools.product(values, repeat=len(search_tasks)):
            weights = {t: w for t, w in zip(search_tasks, combination) if w != 1.0}
            if weights:
                settings.append(weights)
    else:
        for task in search_tasks:
            settings.extend({task: w} for w in values if w != 1.0)
    return settings


def relative_import(from_dir: Path, target: Path) -> str:
    return os.path.relpath(target, from_dir).replace(os.sep, "/")


def config_text(spec: TableSpec, run: Run, recipe: str, settings: Dict[str, Any]) -> str:
    here = run.config.parent
    library = relative_import(here, LIB_DIR / f"{spec.library}.libsonnet")
    recipes = relative_import(here, LIB_DIR / "recipes.libsonnet")
    extra = dict(settings)
    extra["seed"] = run.seed
    if run.loss_weights:
        extra["loss_weights"] = dict(settings.get("loss_weights", {}), **run.loss_weights)
    return (
        f"// {spec.name}, recipe {recipe!r}: {run.model.column} on {', '.join(run.tasks)}, seed {run.seed}.\n"
        f"// Written by scripts/reproduce.py; `allennlp train` on this file repeats the run\n"
        f"// ({', '.join(spec.data_variables)} and {spec.vectors_variable} as in commands.sh).\n"
        f"local table = import '{library}';\n"
        f"local recipes = import '{recipes}';\n"
        f"table.config({json.dumps(run.model.kind)}, {json.dumps(run.tasks)},\n"
        f"  recipes.{spec.library}[{json.dumps(recipe)}] + {json.dumps(extra, sort_keys=True)})\n"
    )


def plan_runs(spec: TableSpec, args: argparse.Namespace) -> List[Run]:
    tasks = args.tasks or spec.tasks
    kinds = args.models or [model.kind for model in spec.models]
    models = {model.kind: model for model in spec.models}
    unknown = [kind for kind in kinds if kind not in models]
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; {spec.name} has {list(models)}")
    searched: List[str] = []  # the multi-task models whose lambda_k are searched
    if args.lambda_grid:
        outside = [kind for kind in (args.lambda_models or []) if kind not in kinds]
        if outside:
            raise SystemExit(f"--lambda-models {outside}: not among the table's runs ({kinds})")
        searched = [kind for kind in (args.lambda_models or kinds) if not models[kind].single_task]
    runs = []
    for kind in sorted(kinds, key=COST_ORDER.index):
        model = models[kind]
        for seed in args.seeds:
            if args.lambda_chosen_only and kind in searched and seed not in args.lambda_seeds:
                continue  # this seed's all-1 run belongs to another results folder (the table's)
            groups = [[task] for task in tasks] if model.single_task else [list(tasks)]
            for group in groups:
                name = f"{kind}-{group[0]}-s{seed}" if model.single_task else f"{kind}-s{seed}"
                runs.append(Run(name, model, group, seed, args.results_dir / "configs" / f"{name}.jsonnet",
                                args.output_dir / name))
    if args.lambda_grid:
        # the lambda_k search (eq. 14): more runs of the multi-task models, one per setting;
        # the all-1 setting is the plain run above
        variants = lambda_variants(list(tasks), args.lambda_grid, args.lambda_tasks or list(tasks),
                                   args.lambda_search)[1:]
        def variant_run(kind: str, weights: Dict[str, float], seed: int) -> Run:
            tag = "-".join(f"{t}{w:g}" for t, w in sorted(weights.items()))
            name = f"{kind}-lambda-{tag}-s{seed}"
            return Run(name, models[kind], list(tasks), seed, args.results_dir / "configs" / f"{name}.jsonnet",
                       args.output_dir / name, loss_weights=weights)

        for kind in sorted(searched, key=COST_ORDER.index):
            for weights in variants:
                runs.extend(variant_run(kind, weights, seed) for seed in args.lambda_seeds)
        # searched on some seeds only: once a model's search is finished, its chosen setting is
        # trained on the other seeds too (the all-1 setting has its runs on every seed already)
        others = [seed for seed in args.seeds if seed not in args.lambda_seeds]
        if others:
            search = choose_lambdas(spec, runs, args.lambda_seeds)
            for kind in sorted(searched, key=COST_ORDER.index):
                result = search.get(models[kind].column, {})
                chosen = next((weights for weights in variants if lambda_label(weights) == result.get("chosen")), None)
                if result.get("finished") and chosen:
                    runs.extend(variant_run(kind, chosen, seed) for seed in others)
    return runs


def stamp_path(run: "Run") -> Path:
    """`<output-dir>/<run>.config.json`: the resolved config the run was started with (next to
    the serialization directory, which allennlp wants empty for a new run)."""
    return run.serialization_dir.with_name(run.name + ".config.json")


#: Config entries that change how a run is saved, not what it learns: left out of the stamp, so
#: a run trained before such a change still resumes and still counts.
# Settings that do not change what a run computes (checkpoint files, logging callbacks): a run
# trained before they were added to the configs is still the same run.
NOT_RESULT_KEYS = (("trainer", "checkpointer"), ("trainer", "callbacks"), ("trainer", "enable_default_callbacks"))


def resolved_config(path: Path, text: str, env: Dict[str, str]) -> Dict[str, Any]:
    """The config as allennlp reads it, without data and vector file paths (a run may move
    between machines with its data elsewhere) and without `NOT_RESULT_KEYS`."""
    import _jsonnet

    config = json.loads(_jsonnet.evaluate_snippet(str(path), text, ext_vars=env))
    for key in ("train_data_path", "validation_data_path", "test_data_path"):
        config.pop(key, None)

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "pretrained_file"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return without_not_result_keys(strip(config))


def without_not_result_keys(config: Dict[str, Any]) -> Dict[str, Any]:
    """`config` without `NOT_RESULT_KEYS` (also applied to stamps written before a key was
    added to them)."""
    for section, key in NOT_RESULT_KEYS:
        config.get(section, {}).pop(key, None)
    return config


def write_config(spec: TableSpec, run: Run, args: argparse.Namespace) -> None:
    """Writes the run's config; a run already started with another config is an error."""
    text = config_text(spec, run, args.recipe, args.settings)
    run.config.parent.mkdir(parents=True, exist_ok=True)
    state = run.state()
    stamp = run.record / "config.json" if state == "recorded" else stamp_path(run)
    if state != "new" and stamp.is_file():
        now = resolved_config(run.config, text, environment(spec, args))
        if without_not_result_keys(json.loads(stamp.read_text())) != now:
            where, remedy = ((f"{run.serialization_dir}", "that directory or use another --output-dir")
                             if state != "recorded" else
                             (f"{run.name} (recorded in {run.record})", "that record or use another --results-dir"))
            raise SystemExit(
                f"{where} was trained with a different config than {run.config} would now be "
                f"(recipe, settings or seed changed); remove {remedy}"
            )
    atomic.atomic_write_text(run.config, text)


def rel(path: Path) -> str:
    """`path` relative to the repository (where every command runs) when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def train_command(run: Run, recover: bool) -> List[str]:
    command = ["allennlp", "train", rel(run.config), "-s", rel(run.serialization_dir),
               "--include-package", "graph_mtl", "--file-friendly-logging"]
    return command + (["--recover"] if recover else [])


def environment(spec: TableSpec, args: argparse.Namespace) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(data_environment(spec, args))
    env[spec.vectors_variable] = str(args.vectors) if args.vectors else ""
    threads = str(args.threads)
    env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def data_environment(spec: TableSpec, args: argparse.Namespace) -> Dict[str, str]:
    return {name: str(args.data_dir / sub if sub else args.data_dir) for name, sub in spec.data_variables.items()}


def shown(spec: TableSpec, value: float) -> float:
    """A metric value as the table shows it: error or score, in %."""
    return 100.0 * (1.0 - value) if spec.display == "error" else 100.0 * value


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def epoch_files(directory: Path) -> List[Path]:
    return sorted(directory.glob("metrics_epoch_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))


def write_record(run: Run) -> None:
    """Copies a done run's results and config stamp into `run.record` (each file atomically,
    `metrics.json` last: a record is complete once it has it)."""
    files = epoch_files(run.serialization_dir) + [stamp_path(run), run.serialization_dir / "metrics.json"]
    run.record.mkdir(parents=True, exist_ok=True)
    for path in files:
        target = run.record / ("config.json" if path == stamp_path(run) else path.name)
        if path.is_file() and not (target.is_file() and target.read_bytes() == path.read_bytes()):
            atomic.atomic_write_text(target, path.read_text())


def average_metric(metrics: Dict[str, Any], prefix: str, spec: TableSpec, tasks: List[str]) -> Optional[float]:
    values = [metrics.get(f"{prefix}{task}_{spec.metrics[task]}") for task in tasks]
    values = [v for v in values if v is not None]
    return statistics.mean(values) if len(values) == len(tasks) else None


def metric_name(spec: TableSpec, tasks: List[str]) -> str:
    names = sorted({spec.metrics[task] for task in tasks})
    return names[0] if len(names) == 1 else "score (" + ", ".join(f"{t} {spec.metrics[t]}" for t in tasks) + ")"


def lock_path(run: Run) -> Path:
    return run.serialization_dir.with_name(run.name + ".lock")


def take_lock(run: Run) -> bool:
    """Claims `run` for this process (two runners on one output folder never train the same
    run); a lock whose process is gone is taken over."""
    path = lock_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                owner = int(path.read_text().strip() or "0")
            except (OSError, ValueError):
                owner = 0
            if owner and owner != os.getpid() and process_alive(owner):
                return False
            path.unlink(missing_ok=True)  # stale: its runner died
            continue
        with os.fdopen(descriptor, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        return True
    return False


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_lock(run: Run) -> None:
    lock_path(run).unlink(missing_ok=True)


def prune(run: Run, args: argparse.Namespace) -> None:
    """A finished run's per-epoch checkpoints go, unless `--keep-checkpoints`
    (graph_mtl/common/finished_runs.py)."""
    if not args.keep_checkpoints:
        freed = finished_runs.prune_checkpoints(run.serialization_dir)
        if freed:
            log(f"       {run.name}: checkpoints removed ({finished_runs.megabytes(freed)}; "
                f"archive, best.th and metrics kept)")


def needs_training(run: Run, args: argparse.Namespace) -> bool:
    """Not finished; or only recorded while `--test-dir` needs its archive."""
    state = run.state()
    return state in ("new", "partial") or (state == "recorded" and args.test_dir is not None)


def train_all(spec: TableSpec, runs: List[Run], args: argparse.Namespace) -> List[str]:
    """Trains every unfinished run, `args.jobs` at a time; returns the names of failed runs."""
    env = environment(spec, args)
    pending = [run for run in runs if needs_training(run, args)]
    done_before = len(runs) - len(pending)
    log(f"{spec.name}: {len(runs)} runs, {done_before} already done, {len(pending)} to train, "
        f"{args.jobs} at a time ({args.threads} torch thread(s) each)")
    running: List[Tuple[Run, subprocess.Popen, float, int]] = []
    failed: List[str] = []
    skipped: List[str] = []
    finished = done_before
    started_all = time.time()
    while pending or running:
        while pending and len(running) < args.jobs:
            run = pending.pop(0)
            if not take_lock(run):
                skipped.append(run.name)
                log(f"skip   {run.name}: being trained by another runner (pid in {lock_path(run)})")
                continue
            state = run.state()
            if not needs_training(run, args):  # finished by another runner meanwhile
                release_lock(run)
                continue
            if state in ("new", "recorded") and run.serialization_dir.exists():
                shutil.rmtree(run.serialization_dir)  # a start that never wrote a checkpoint
            run.serialization_dir.parent.mkdir(parents=True, exist_ok=True)
            atomic.atomic_write_text(stamp_path(run), json.dumps(
                resolved_config(run.config, run.config.read_text(), env), indent=1, sort_keys=True) + "\n")
            command = train_command(run, recover=state == "partial")
            log_file = open(run.serialization_dir.with_name(run.name + ".log"), "a")
            log_file.write(f"\n$ {' '.join(shlex.quote(c) for c in command)}\n")
            log_file.flush()
            process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                       cwd=REPO_ROOT)
            log_file.close()
            running.append((run, process, time.time(), len(epoch_files(run.serialization_dir))))
            log(f"start  {run.name}" + (" (--recover)" if state == "partial" else ""))
        time.sleep(args.poll)
        still = []
        for run, process, started, seen in running:
            files = epoch_files(run.serialization_dir)
            for path in files[seen:]:
                metrics = json.loads(path.read_text())
                dev = average_metric(metrics, "validation_", spec, run.tasks)
                text = f"dev {metric_name(spec, run.tasks)} {dev:.4f}" if dev is not None else ""
                log(f"       {run.name}: epoch {path.stem.rsplit('_', 1)[1]} {text}")
            seen = len(files)
            code = process.poll()
            if code is None:
                still.append((run, process, started, seen))
                continue
            release_lock(run)
            if code == 0 and run.state() == "done":
                finished += 1
                write_record(run)
                prune(run, args)
                metrics = json.loads((run.serialization_dir / "metrics.json").read_text())
                dev = average_metric(metrics, "best_validation_", spec, run.tasks)
                elapsed = time.time() - started_all
                remaining = len(pending) + len(still)
                log(f"done   {run.name} in {(time.time() - started) / 60:.1f} min, best dev "
                    f"{metric_name(spec, run.tasks)} {dev:.4f} [{finished}/{len(runs)}; {remaining} left; "
                    f"{elapsed / 60:.0f} min so far]")
            else:
                failed.append(run.name)
                log(f"FAILED {run.name} (exit {code}); log: {run.serialization_dir}.log")
        running = still
    if skipped:
        log(f"{len(skipped)} run(s) left to the runner training them: {', '.join(skipped)}")
    # in the order of `runs`, not the order the processes happened to end
    return [run.name for run in runs if run.name in failed]


def evaluate_tests(spec: TableSpec, runs: List[Run], args: argparse.Namespace) -> None:
    """`allennlp evaluate` of every finished archive on its tasks' test files."""
    env = environment(spec, args)
    for run in runs:
        if run.state() == "recorded":
            log(f"no test for {run.name}: its results are recorded ({run.record}), its archive is not "
                f"on this machine; run without --no-train to train it again")
        if run.state() != "done":
            continue
        output = run.serialization_dir / "test_metrics.json"
        if output.is_file():
            continue
        files = {task: args.test_dir / spec.test_files[task] for task in run.tasks}
        missing = [str(path) for path in files.values() if not path.is_file()]
        if missing:
            raise SystemExit(f"--test-dir {args.test_dir}: missing {', '.join(missing)}")
        command = evaluate_command(run, files, output)
        log(f"test   {run.name}")
        result = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"allennlp evaluate failed for {run.name}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def evaluate_command(run: Run, files: Dict[str, Path], output: Path) -> List[str]:
    inputs = json.dumps({task: str(path) for task, path in files.items()})
    return ["allennlp", "evaluate", rel(run.serialization_dir / "model.tar.gz"), inputs,
            "--output-file", rel(output), "--include-package", "graph_mtl", "--file-friendly-logging"]


def choose_lambdas(spec: TableSpec, runs: List[Run], seeds: List[int]) -> Dict[str, Dict[str, Any]]:
    """
    The lambda_k search on dev, over the runs of `seeds` (the search seeds): per multi-task
    model with more than one lambda setting, each setting's dev score (the mean over seeds of the
    run's mean dev metric over its tasks, the table's validation metric), the chosen one (the
    best among the settings whose runs of every seed are done; ties go to the earlier setting,
    all-1 first) and whether the search is `finished` (every setting done). Test never enters.
    """
    search: Dict[str, Dict[str, Any]] = {}
    by_model: Dict[str, Dict[str, List[Run]]] = {}
    for run in runs:
        if not run.model.single_task and run.seed in seeds:
            by_model.setdefault(run.model.column, {}).setdefault(run.variant, []).append(run)
    for column, variants in by_model.items():
        if len(variants) < 2:
            continue
        scores: Dict[str, Dict[str, Any]] = {}
        for variant, variant_runs in variants.items():
            per_seed = {}
            for run in variant_runs:
                if run.finished():
                    metrics = json.loads((run.results() / "metrics.json").read_text())
                    value = average_metric(metrics, "best_validation_", spec, run.tasks)
                    if value is not None:
                        per_seed[str(run.seed)] = shown(spec, value)
            complete = len(per_seed) == len(seeds)
            scores[variant or "lambda all 1"] = {
                "per_seed": per_seed, "complete": complete,
                "mean": statistics.mean(per_seed.values()) if complete else None}
        complete = [name for name, score in scores.items() if score["complete"]]
        better = min if spec.display == "error" else max
        chosen = better(complete, key=lambda name: scores[name]["mean"]) if complete else None
        search[column] = {"settings": scores, "chosen": chosen, "seeds": list(seeds),
                          "finished": len(complete) == len(scores)}
    return search


def collect(spec: TableSpec, runs: List[Run], args: argparse.Namespace) -> Dict[str, Any]:
    """Per (column, task): dev (and test) error of every seed; averages; training times."""
    columns = [model.column for model in spec.models if model.kind in {run.model.kind for run in runs}]
    tasks = args.tasks or spec.tasks
    cells: Dict[str, Dict[str, Dict[str, Dict[int, float]]]] = {}
    info: Dict[str, Dict[str, Any]] = {}
    search = choose_lambdas(spec, runs, args.lambda_seeds)
    for run in runs:
        record = {"config": str(run.config), "serialization_dir": str(run.serialization_dir),
                  "state": run.state(), "seed": run.seed, "tasks": run.tasks}
        if run.loss_weights:
            record["loss_weights"] = run.loss_weights
        info[run.name] = record
        if run.state() == "done":
            write_record(run)
            prune(run, args)
        if not run.finished():
            continue
        metrics = json.loads((run.results() / "metrics.json").read_text())
        curve = []  # learning curve: per epoch, the mean training and dev metric over the run's tasks
        for path in epoch_files(run.results()):
            epoch = json.loads(path.read_text())
            curve.append({"train": average_metric(epoch, "training_", spec, run.tasks),
                          "dev": average_metric(epoch, "validation_", spec, run.tasks)})
        record.update(best_epoch=metrics.get("best_epoch"), epochs=len(curve), curve=curve,
                      training_duration=metrics.get("training_duration"))
        chosen = search.get(run.model.column, {}).get("chosen") or "lambda all 1"
        if run.model.column in search and (run.variant or "lambda all 1") != chosen:
            continue  # another lambda setting won on dev: its curve is listed, its scores are not in the table
        test_file = run.serialization_dir / "test_metrics.json"
        test = json.loads(test_file.read_text()) if test_file.is_file() else {}
        for task in run.tasks:
            column = cells.setdefault(run.model.column, {})
            metric = spec.metrics[task]
            value = metrics[f"best_validation_{task}_{metric}"]
            column.setdefault("dev", {}).setdefault(task, {})[run.seed] = shown(spec, value)
            if f"{task}_{metric}" in test:
                value = test[f"{task}_{metric}"]
                column.setdefault("test", {}).setdefault(task, {})[run.seed] = shown(spec, value)
    table: Dict[str, Any] = {"columns": columns, "tasks": tasks, "seeds": args.seeds,
                             "recipe": args.recipe, "settings": args.settings, "splits": {}}
    for split in ("dev", "test"):
        rows: Dict[str, Dict[str, Optional[float]]] = {}
        complete: Dict[str, bool] = {}
        per_seed_average: Dict[str, Dict[int, float]] = {}
        for column in columns:
            values = cells.get(column, {}).get(split, {})
            for task in tasks:
                seeds = values.get(task, {})
                rows.setdefault(task, {})[column] = statistics.mean(seeds.values()) if seeds else None
            complete[column] = all(len(values.get(task, {})) == len(args.seeds) for task in tasks)
            # a seed's average once every task of that seed is done (the column's average needs all seeds)
            done_seeds = [seed for seed in args.seeds if all(seed in values.get(task, {}) for task in tasks)]
            if done_seeds:
                per_seed_average[column] = {
                    seed: statistics.mean(values[task][seed] for task in tasks) for seed in done_seeds}
        if not any(cells.get(c, {}).get(split) for c in columns):
            continue
        averages = {column: (statistics.mean(per_seed_average[column].values())
                             if complete[column] else None) for column in columns}
        single = [m.column for m in spec.models if m.single_task and m.column in columns]
        if single:
            for task in tasks:
                present = [rows[task][c] for c in single if rows[task][c] is not None]
                rows[task]["Avg"] = statistics.mean(present) if len(present) == len(single) else None
            averages["Avg"] = (statistics.mean(averages[c] for c in single)
                               if all(averages[c] is not None for c in single) else None)
            seeds_of_all = [seed for seed in args.seeds
                            if all(seed in per_seed_average.get(c, {}) for c in single)]
            if seeds_of_all:
                per_seed_average["Avg"] = {seed: statistics.mean(per_seed_average[c][seed] for c in single)
                                           for seed in seeds_of_all}
        table["splits"][split] = {
            "error": rows, "average": averages,
            "average_per_seed": {c: {str(s): v for s, v in d.items()} for c, d in per_seed_average.items()},
            "complete": complete,
        }
    table["runs"] = info
    table["lambda_search"] = search
    table["paper"] = spec.paper
    table["paper_source"] = spec.paper_source
    return table


def fmt(value: Optional[float], digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def fmt3(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.3f}"


def cell(ours: Optional[float], paper: Optional[float], bold: bool = False, digits: int = 1) -> str:
    text = f"**{fmt(ours, digits)}**" if bold else fmt(ours, digits)
    return text if paper is None else f"{text} ({paper:.{digits}f})"


def best_multitask(spec: TableSpec, part: Dict[str, Any], task: str, columns: List[str]) -> Tuple[str, Optional[float]]:
    """The multi-task column with the best number for `task` (lower error or higher score)."""
    single = {m.column for m in spec.models if m.single_task} | {"Avg"}
    present = [(c, part["error"][task].get(c)) for c in columns if c not in single]
    present = [(c, v) for c, v in present if v is not None]
    if not present:
        return "-", None
    return (min if spec.display == "error" else max)(present, key=lambda item: item[1])


def markdown(spec: TableSpec, table: Dict[str, Any], args: argparse.Namespace) -> str:
    columns = list(table["columns"])
    single = [m.column for m in spec.models if m.single_task and m.column in columns]
    if single:
        columns.insert(columns.index(single[-1]) + 1, "Avg")
    lines = [f"# {spec.title}", "",
             f"Recipe `{args.recipe}` (training_configs/lib/recipes.libsonnet)"
             + (f" + settings `{json.dumps(args.settings, sort_keys=True)}`" if args.settings else "")
             + f", seeds {', '.join(map(str, args.seeds))}; each cell is the mean over seeds of "
             + (f"100 x (1 - accuracy)" if spec.display == "error" else "100 x the task's metric")
             + f" at the run's best dev epoch; in brackets the paper's test number. Paper: "
             f"{spec.paper_source}",
             ""]
    digits = 2 if spec.display == "score" else 1  # the paper's precision: 95.61 F1, 15.3 error
    for split, part in table["splits"].items():
        lines += [f"## {split}", "", "| | " + " | ".join(columns) + " |",
                  "|---|" + "---|" * len(columns)]
        for task in table["tasks"]:
            lines.append(f"| {spec.task_labels.get(task, task)} | "
                         + " | ".join(cell(part["error"][task].get(c), spec.paper.get(c, {}).get(task), digits=digits)
                                      for c in columns) + " |")
        lines.append("| **average** | " + " | ".join(
            cell(part["average"].get(c), spec.paper.get(c, {}).get("average"), bold=True, digits=digits)
            for c in columns) + " |")
        per_seed = part["average_per_seed"]
        if len(args.seeds) > 1 and per_seed:
            for seed in args.seeds:
                lines.append(f"| average, seed {seed} | "
                             + " | ".join(fmt(per_seed.get(c, {}).get(str(seed)), digits) for c in columns) + " |")
        if spec.paper_best:
            best = [(spec.task_labels.get(t, t), spec.paper_best[t]) for t in table["tasks"] if t in spec.paper_best]
            lines += ["", "The paper's best model (test): " + ", ".join(f"{label} {value:.2f}" for label, value in best)
                      + ". Ours, best multi-task column per row (dev): " + ", ".join(
                          f"{spec.task_labels.get(t, t)} {fmt(best_multitask(spec, part, t, columns)[1], digits)} "
                          f"({best_multitask(spec, part, t, columns)[0]})" for t in table["tasks"]) + "."]
        incomplete = [c for c, ok in part["complete"].items() if not ok]
        if incomplete:
            lines += ["", f"Incomplete (runs missing; no average): {', '.join(incomplete)}."]
        lines.append("")
    if table.get("lambda_search"):
        lines += ["## lambda_k search (eq. 14, on dev)", "",
                  "Each setting's mean dev " + ("error" if spec.display == "error" else "score")
                  + " over the model's tasks (mean over the search seeds "
                  + ", ".join(map(str, args.lambda_seeds)) + "; each seed in the last column); the table above "
                  "shows each model's chosen setting (bold; unlisted tasks have lambda 1)"
                  + ("" if args.lambda_seeds == args.seeds else ", trained on the other seeds once "
                     "the model's search is finished")
                  + ("; the all-1 runs of those seeds are not in this folder (--lambda-chosen-only)"
                     if args.lambda_chosen_only else "") + ".", "",
                  "| model | setting | dev | per seed |", "|---|---|---|---|"]
        unfinished = [column for column, result in table["lambda_search"].items() if not result["finished"]]
        if unfinished:
            lines[-3:-3] = ["", f"Search unfinished (settings without all their runs; the best finished "
                            f"setting is shown, all 1 when none): {', '.join(unfinished)}."]
        for column, result in table["lambda_search"].items():
            for name, score in result["settings"].items():
                label = f"**{name}**" if name == result["chosen"] else name
                seeds_text = ", ".join(f"{s}: {fmt(v, digits)}" for s, v in score["per_seed"].items())
                lines.append(f"| {column} | {label} | {fmt(score['mean'], digits)} | {seeds_text} |")
        lines.append("")
    lines += ["## Runs", "", f"Learning curve: mean metric over the run's tasks per epoch, "
              "train / dev.", "", "| run | best epoch | training time | learning curve |", "|---|---|---|---|"]
    for name, record in table["runs"].items():
        curve = ", ".join(f"{fmt3(point['train'])} / {fmt3(point['dev'])}" for point in record.get("curve", []))
        lines.append(f"| {name} | {record.get('best_epoch', '-')} | "
                     f"{record.get('training_duration', record['state'])} | {curve} |")
    return "\n".join(lines) + "\n"


def commands_text(spec: TableSpec, runs: List[Run], args: argparse.Namespace, argv: Sequence[str]) -> str:
    lines = ["#!/usr/bin/env bash",
             f"# Written by: python scripts/reproduce.py {' '.join(shlex.quote(a) for a in argv)}",
             "# The exact command of every run (the runner adds --recover when resuming a run).",
             "set -euo pipefail", f'cd "$(dirname "$0")/{os.path.relpath(REPO_ROOT, args.results_dir)}"',
             "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in data_environment(spec, args).items()),
             f"export {spec.vectors_variable}={shlex.quote(rel(args.vectors) if args.vectors else '')}",
             f"export OMP_NUM_THREADS={args.threads} MKL_NUM_THREADS={args.threads}"]
    if args.vectors:
        lines.append(f"# vectors: {vectors_command(spec, args)}")
    for run in runs:
        lines.append(" ".join(shlex.quote(c) for c in train_command(run, recover=False)))
    if args.test_dir:
        for run in runs:
            files = {task: args.test_dir / spec.test_files[task] for task in run.tasks}
            lines.append(" ".join(shlex.quote(c) for c in evaluate_command(
                run, files, run.serialization_dir / "test_metrics.json")))
    return "\n".join(lines) + "\n"


def vectors_argv(spec: TableSpec, args: argparse.Namespace) -> List[str]:
    extra = shlex.split(spec.vectors_options.format(data_dir=args.data_dir))
    return (["python", "scripts/train_vectors.py", "--config", f"training_configs/{spec.library}/fs_mtl.jsonnet"]
            + extra + ["--output", rel(args.vectors)])


def vectors_command(spec: TableSpec, args: argparse.Namespace) -> str:
    variables = " ".join(f"{k}={shlex.quote(v)}" for k, v in data_environment(spec, args).items())
    return variables + " " + " ".join(shlex.quote(part) for part in vectors_argv(spec, args))


def ensure_vectors(spec: TableSpec, args: argparse.Namespace) -> None:
    if not args.vectors or Path(args.vectors).is_file():
        return
    log(f"{args.vectors} does not exist: training it ({vectors_command(spec, args)})")
    env = environment(spec, args)
    env[spec.vectors_variable] = ""
    subprocess.run([sys.executable] + vectors_argv(spec, args)[1:], env=env, cwd=REPO_ROOT, check=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("table", choices=sorted(TABLES))
    parser.add_argument("--recipe", default="cpu", help="a recipe of training_configs/lib/recipes.libsonnet")
    parser.add_argument("--seeds", type=int, nargs="+", default=[13, 14])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs in parallel")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--models", type=lambda s: s.split(","), default=None,
                        help="comma-separated subset of the table's models (default: all)")
    parser.add_argument("--tasks", type=lambda s: s.split(","), default=None,
                        help="comma-separated subset of the table's tasks (default: all)")
    parser.add_argument("--settings", type=json.loads, default={},
                        help="JSON object of settings added to the recipe (e.g. for a quick check)")
    parser.add_argument("--keep-checkpoints", action="store_true",
                        help="keep a finished run's per-epoch checkpoints (default: removed once its "
                             "archive and metrics exist; each is up to 3x the model's size)")
    parser.add_argument("--lambda-grid", type=float, nargs="+", default=None,
                        help="search lambda_k of eq. 14 over these values on dev (the paper: 1 0.8 0.5); "
                        "more runs of the multi-task models, the best setting per model goes in the table")
    parser.add_argument("--lambda-search", choices=["one", "full"], default="one",
                        help="'one': one task's lambda changed at a time; 'full': every combination")
    parser.add_argument("--lambda-tasks", type=lambda s: s.split(","), default=None,
                        help="comma-separated tasks whose lambda is searched (default: all)")
    parser.add_argument("--lambda-models", type=lambda s: s.split(","), default=None,
                        help="comma-separated multi-task models searched (default: every one run)")
    parser.add_argument("--lambda-seeds", type=int, nargs="+", default=None,
                        help="search on these of --seeds only; each model's chosen setting is then "
                        "trained on the other seeds (default: every seed)")
    parser.add_argument("--lambda-chosen-only", action="store_true",
                        help="with --lambda-seeds: on the other seeds, train each searched model's "
                        "chosen setting only, not its all-1 run (when the search has its own "
                        "--results-dir and those all-1 runs are the table's)")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: the table's data folder")
    parser.add_argument("--vectors", default=None,
                        help="GloVe-format vectors ('' for none); trained first when missing")
    parser.add_argument("--results-dir", type=Path, default=None, help="default: results/<table>/<recipe>")
    parser.add_argument("--output-dir", type=Path, default=None, help="default: output/<table>/<recipe>")
    parser.add_argument("--test-dir", type=Path, default=None,
                        help="folder with the test files; adds test columns (allennlp evaluate)")
    parser.add_argument("--list", action="store_true", help="write configs and commands.sh only")
    parser.add_argument("--no-train", action="store_true", help="only collect (and test) what is done")
    parser.add_argument("--poll", type=float, default=10.0, help="seconds between progress checks")
    args = parser.parse_args(argv)
    spec = TABLES[args.table]
    single = next(iter(spec.data_variables)) if len(spec.data_variables) == 1 else None
    default = os.environ.get(single, spec.default_data_dir) if single else spec.default_data_dir
    args.data_dir = (args.data_dir or Path(default)).resolve()
    if args.vectors is None:
        args.vectors = str(REPO_ROOT / spec.default_vectors)
    args.results_dir = (args.results_dir or REPO_ROOT / "results" / spec.name / args.recipe).resolve()
    args.output_dir = (args.output_dir or REPO_ROOT / "output" / spec.name / args.recipe).resolve()
    if args.test_dir is not None:
        args.test_dir = args.test_dir.resolve()
    if args.lambda_seeds is None:
        args.lambda_seeds = list(args.seeds)
    elif not set(args.lambda_seeds) <= set(args.seeds):
        parser.error(f"--lambda-seeds {args.lambda_seeds}: not among --seeds {args.seeds}")
    if args.lambda_chosen_only and (not args.lambda_grid or set(args.lambda_seeds) == set(args.seeds)):
        parser.error("--lambda-chosen-only needs --lambda-grid and --lambda-seeds that leave out some of --seeds")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    spec = TABLES[args.table]
    for name, folder in data_environment(spec, args).items():
        if not Path(folder).is_dir():
            raise SystemExit(f"--data-dir {args.data_dir}: no folder {folder} for {name}")
    runs = plan_runs(spec, args)
    for run in runs:
        write_config(spec, run, args)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    atomic.atomic_write_text(args.results_dir / "commands.sh", commands_text(spec, runs, args, argv))
    if args.list:
        print((args.results_dir / "commands.sh").read_text(), end="")
        return 0
    failed: List[str] = []
    if not args.no_train:
        ensure_vectors(spec, args)
        failed = train_all(spec, runs, args)
        # a search on some seeds that has just finished adds its chosen setting's other seeds
        known = {run.name for run in runs}
        more = [run for run in plan_runs(spec, args) if run.name not in known]
        if more and not failed:
            for run in more:
                write_config(spec, run, args)
            runs += more
            atomic.atomic_write_text(args.results_dir / "commands.sh", commands_text(spec, runs, args, argv))
            failed = train_all(spec, more, args)
    if args.test_dir:
        evaluate_tests(spec, runs, args)
    table = collect(spec, runs, args)
    atomic.atomic_write_text(args.results_dir / "table.json", json.dumps(table, indent=2, sort_keys=True) + "\n")
    text = markdown(spec, table, args)
    atomic.atomic_write_text(args.results_dir / "table.md", text)
    print(text, end="")
    if failed:
        log(f"{len(failed)} run(s) failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
