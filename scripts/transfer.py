#!/usr/bin/env python
"""
Leave-one-task-out transfer of IC-MTL's shared layer (Liu et al., AAAI 2019, Table 1,
"Transfer" column), the whole protocol in one command:

for every held-out domain t (16 folds on FDU-MTL):
  1. source: IC-MTL on all the other domains  (training_configs/transfer/ic_mtl_source.jsonnet)
  2. target: a new IC-MTL network on t, its shared LSTM copied from the source archive by the
     `pretrained` initializer and frozen by `no_grad`       (.../ic_mtl_target.jsonnet)
  3. optionally the no-transfer baseline: the same target network trained from scratch
then one table: dev (and test, when `<t>.task.test` is in the data folder) accuracy of each
target, the source's average dev accuracy, and a check that the frozen shared parameters of
the target are bit-identical to the source's.

    python scripts/transfer.py --data-dir /work/shared/data/fdu-mtl --output-dir runs/transfer
    python scripts/transfer.py --data-dir fixtures/transfer --tasks books,dvd,electronics \\
        --settings '{"num_epochs": 2, "embedding_dim": 8, "hidden_dim": 6, "dev_size": 4}' \\
        --output-dir /tmp/transfer --baseline

`--jobs N` trains N folds at a time, each in its own process (`--threads 1` each on a CPU);
`--reuse` resumes a long protocol (finished runs kept, an interrupted one continued from its
last checkpoint). A finished run keeps its archive, `best.th` and metrics; its per-epoch
checkpoints are removed (graph_mtl/common/finished_runs.py; `--keep-checkpoints` keeps them).

`--results-dir DIR` (a folder to commit) gets the tables too and a record of every finished
fold, `DIR/folds/<task>.json`: its row and a digest of the evaluated config of each of its runs
(with the data folder, the output folder and the checkout written as `$DATA`, `$OUTPUT`, `$REPO`,
so that a record holds in another checkout; a record of before that is rewritten when read).
With `--reuse`, a fold recorded there with the same configs is taken from its record and not
trained again, also when `--output-dir` is gone: a 16-fold protocol can be completed over
several sessions and machines by committing DIR. `--report-only` writes the tables from the
folds recorded so far (the others named as missing) and trains nothing; `--single-task TABLE`
(Table 1's `table.json`, scripts/reproduce.py) adds the single-task LSTM / BiLSTM dev accuracy
of each target beside it and counts the targets where transfer beats them.

Writes `<output-dir>/<task>/{source,target,baseline}/` (AllenNLP serialization directories)
and `<output-dir>/results.{json,tsv,md}`; prints the Markdown table.
"""
import argparse
import contextlib
import hashlib
import json
import logging
import os
import shlex
import re
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "training_configs" / "transfer"
SOURCE_CONFIG = CONFIG_DIR / "ic_mtl_source.jsonnet"
TARGET_CONFIG = CONFIG_DIR / "ic_mtl_target.jsonnet"
FDU_MTL_TASKS = [
    "apparel", "baby", "books", "camera_photo", "dvd", "electronics", "health_personal_care",
    "imdb", "kitchen_housewares", "magazines", "MR", "music", "software", "sports_outdoors",
    "toys_games", "video",
]
#: the word vectors of the Table 1 recipes (scripts/reproduce.py's default, `make vectors`)
DEFAULT_VECTORS = "vectors/fdu_mtl.w2v.200d.txt"
PART_REGEXES = {
    "shared": r"^_backbone\._encoder\.(forward|backward)_layers\.[0-9]+\.nodes\.shared\.",
    "fusion": r"^_backbone\._encoder\.(forward|backward)_layers\.[0-9]+\.fusion\.",
    "embeddings": r"^_backbone\._text_field_embedder\.token_embedder_tokens\.",
}

logger = logging.getLogger("graph_mtl.transfer")


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True, help="folder of <domain>.task.train files (FDU_MTL_DIR)")
    parser.add_argument("--output-dir", required=True, help="where runs and results go")
    parser.add_argument("--tasks", default=",".join(FDU_MTL_TASKS),
                        help="comma-separated domains of the protocol (default: the 16 FDU-MTL domains)")
    parser.add_argument("--held-out", default=None,
                        help="comma-separated domains to run folds for (default: every task)")
    parser.add_argument("--settings", default="{}",
                        help="JSON overrides of training_configs/lib defaults, e.g. "
                             '\'{"num_epochs": 5, "embedding_dim": 50, "hidden_dim": 50}\'')
    parser.add_argument("--source-settings", default="{}",
                        help="JSON settings for the source IC-MTL runs only, on top of the others, e.g. "
                             "'{\"num_epochs\": 2}' (the source's best dev epoch is still the one kept)")
    parser.add_argument("--recipe", default=None,
                        help="a recipe of training_configs/lib/recipes.libsonnet (fdu_mtl), e.g. cpu; "
                        "--settings and the shortcuts below apply on top")
    parser.add_argument("--vectors", default=None,
                        help="GloVe-format word vectors for every run (settings.pretrained_file); default: "
                             "$FDU_MTL_VECTORS, else with --recipe the Table 1 file " + DEFAULT_VECTORS +
                             " (`make vectors`), else none; '' for none")
    parser.add_argument("--epochs", type=int, default=None, help="shortcut for settings.num_epochs")
    parser.add_argument("--embedding-dim", type=int, default=None)
    parser.add_argument("--hidden-dim", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=None, help="truncate sentences (speed)")
    parser.add_argument("--max-instances", type=int, default=None,
                        help="read at most this many instances per task and file (speed; caps dev reads too, "
                             "so keep it above the dev size, 200 for FDU-MTL)")
    parser.add_argument("--transfer", default="shared",
                        help="parts copied and frozen: shared (the shared LSTM), plus fusion "
                             "and/or embeddings (the source's vocabulary and embeddings), e.g. "
                             "shared,embeddings")
    parser.add_argument("--no-freeze", action="store_true", help="copy the parts but fine-tune them")
    parser.add_argument("--baseline", action="store_true",
                        help="also train the target network without transfer, for comparison")
    parser.add_argument("--keep-checkpoints", action="store_true",
                        help="keep a finished run's per-epoch checkpoints (default: removed once its "
                             "archive exists)")
    parser.add_argument("--reuse", action="store_true",
                        help="resume a long protocol: keep finished runs made with the same config "
                             "and continue an interrupted one from its last checkpoint "
                             "(allennlp train --recover)")
    parser.add_argument("--results-dir", default=None,
                        help="also write the tables here, with a record of every finished fold "
                             "(folds/<task>.json); with --reuse a fold recorded here with the same "
                             "configs is not trained again, even without its runs in --output-dir")
    parser.add_argument("--jobs", type=int, default=1,
                        help="folds trained in parallel, each in its own process (give each --threads 1 "
                             "on a CPU); the table is written when every fold is done")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: write the tables of --results-dir from the folds recorded "
                             "there with the same configs, naming the held-out folds not recorded yet")
    parser.add_argument("--single-task", default=None, metavar="TABLE_JSON",
                        help="Table 1's table.json (scripts/reproduce.py, e.g. results/table1/cpu/table.json): "
                             "add each target's single-task LSTM and BiLSTM best dev accuracy (mean over "
                             "its seeds) and count the targets where transfer beats them")
    parser.add_argument("--no-results", action="store_true", help=argparse.SUPPRESS)  # a --jobs worker
    parser.add_argument("--cuda-device", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--verbose", action="store_true", help="AllenNLP's INFO logging")
    return parser.parse_args(argv)


def recipe_settings(name: str) -> Dict[str, Any]:
    """The settings of recipe `name` of training_configs/lib/recipes.libsonnet (`fdu_mtl`)."""
    import _jsonnet

    recipes = json.loads(_jsonnet.evaluate_snippet(
        "recipes", "(import 'recipes.libsonnet').fdu_mtl",
        jpathdir=[str(REPO_ROOT / "training_configs" / "lib")], ext_vars=dict(os.environ)))
    if name not in recipes:
        raise SystemExit(f"--recipe {name}: no such recipe; training_configs/lib/recipes.libsonnet "
                         f"has {sorted(recipes)}")
    return recipes[name]


def settings_from_args(args: argparse.Namespace) -> Dict[str, Any]:
    settings = recipe_settings(args.recipe) if args.recipe else {}
    settings.update(json.loads(args.settings))
    for key, value in (
        ("num_epochs", args.epochs),
        ("embedding_dim", args.embedding_dim),
        ("hidden_dim", args.hidden_dim),
        ("batch_size", args.batch_size),
        ("max_tokens", args.max_tokens),
        ("cuda_device", args.cuda_device),
    ):
        if value is not None:
            settings[key] = value
    vectors = args.vectors
    if vectors is None:
        vectors = os.environ.get("FDU_MTL_VECTORS") or (str(REPO_ROOT / DEFAULT_VECTORS) if args.recipe else "")
    if vectors:  # the same vectors for the source, the target and the baseline
        settings["pretrained_file"] = str(Path(vectors).resolve())
    return settings


@contextlib.contextmanager
def transfer_environment(options: Dict[str, Any], data_dir: str) -> Iterator[None]:
    """The variables the transfer configs read (GRAPH_MTL_TRANSFER, FDU_MTL_DIR), restored after."""
    saved = {name: os.environ.get(name) for name in ("GRAPH_MTL_TRANSFER", "FDU_MTL_DIR")}
    os.environ["GRAPH_MTL_TRANSFER"] = json.dumps(options)
    os.environ["FDU_MTL_DIR"] = str(data_dir)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def train(config: Path, serialization_dir: Path, options: Dict[str, Any], data_dir: str,
          overrides: Dict[str, Any], reuse: bool, verbose: bool = False, keep_checkpoints: bool = False,
          reads: Optional[Path] = None, run: Optional[str] = None) -> Path:
    """
    Train `config` with GRAPH_MTL_TRANSFER=`options` in-process; returns the archive path.
    AllenNLP's console logging goes to the run's out.log only, unless `verbose`. With `reuse`,
    a finished run is kept only if it was trained from the same fully evaluated config (a
    source run does not depend on the parts that are transferred, a target run does) and, when
    it `reads` an archive (a target reads its source's), after that archive was written.
    `run`: the evaluated config (`run_config`) when the caller has it already.
    """
    from allennlp.commands.train import train_model_from_file

    from graph_mtl.common.atomic import atomic_write_text
    from graph_mtl.common.finished_runs import megabytes, prune_checkpoints

    archive = serialization_dir / "model.tar.gz"
    recorded = serialization_dir / "transfer_run.json"
    if run is None:
        run = run_config(config, options, data_dir, overrides)
    recover = False
    if reuse and archive.exists():
        if reads is not None and reads.stat().st_mtime_ns > archive.stat().st_mtime_ns:
            logger.info("not reusing %s: %s was trained again after it", archive, reads)
        elif recorded.exists() and recorded.read_text() == run:
            logger.info("reusing %s", archive)
            return archive
        else:
            logger.info("not reusing %s: it was trained with another config", archive)
    elif reuse and interrupted_run_matches(serialization_dir, run):
        logger.info("continuing the interrupted run %s from its last checkpoint", serialization_dir)
        recover = True
    elif reuse and serialization_dir.exists():
        logger.info("not continuing %s: it has no checkpoint of this config", serialization_dir)
    started = time.time()
    root = logging.getLogger()
    # allennlp puts the run's out.log handler on the root logger and on its tqdm logger
    loggers = [root, logging.getLogger("tqdm")]  # allennlp.common.tqdm.logger
    saved = {logger_: list(logger_.handlers) for logger_ in loggers}
    saved_level, saved_hook = root.level, sys.excepthook
    try:
        with transfer_environment(options, data_dir), open(os.devnull, "w") as devnull, \
                contextlib.ExitStack() as stack:
            if not verbose:  # logging and progress bars; out.log in the run keeps them
                stack.enter_context(contextlib.redirect_stdout(devnull))
                stack.enter_context(contextlib.redirect_stderr(devnull))
            train_model_from_file(
                str(config), str(serialization_dir), overrides=json.dumps(overrides),
                force=not recover, recover=recover, file_friendly_logging=True,
            )
    finally:
        # allennlp replaces those loggers' handlers (the run's log files) and the excepthook: put
        # them back and close the run's files, so later logging does not write (or fail to write,
        # once the run's folder is gone) into this run's out.log
        for logger_, handlers in saved.items():
            for handler in list(logger_.handlers):
                if handler not in handlers:
                    logger_.removeHandler(handler)
                    if isinstance(handler, logging.FileHandler):
                        handler.close()
            for handler in handlers:
                if handler not in logger_.handlers:
                    logger_.addHandler(handler)
        root.setLevel(saved_level)
        sys.excepthook = saved_hook
    logger.info("trained %s in %.1fs", serialization_dir, time.time() - started)
    if not archive.exists():
        raise RuntimeError(f"training {config.name} left no {archive}; see {serialization_dir}/out.log")
    atomic_write_text(recorded, run)
    freed = 0 if keep_checkpoints else prune_checkpoints(serialization_dir)  # unread once the archive exists
    if freed:
        logger.info("removed the per-epoch checkpoints of %s (%s)", serialization_dir, megabytes(freed))
    return archive


def run_config(config: Path, options: Dict[str, Any], data_dir: str, overrides: Dict[str, Any]) -> str:
    """The fully evaluated config of a run, as sorted JSON (what decides whether a finished run
    or a fold's record can stand in for training it)."""
    from allennlp.common import Params

    with transfer_environment(options, data_dir):
        return json.dumps(
            Params.from_file(str(config), params_overrides=json.dumps(overrides)).as_dict(quiet=True),
            sort_keys=True,
        )


def config_digest(run: str) -> str:
    """sha256 of an evaluated config (`run_config`), as a fold's record keeps it."""
    return hashlib.sha256(run.encode("utf-8")).hexdigest()


def portable(run: str, data_dir: str, output_dir: str) -> str:
    """`run` (an evaluated config, JSON) with this machine's paths replaced by names: the data
    folder by `$DATA`, the output folder by `$OUTPUT`, the checkout by `$REPO` (e.g. the word
    vectors' file), absolute spellings first. What a fold's record digests, so that it stands for
    the same configs in another checkout, with the data or the runs in another folder."""
    text = run
    for path, name in ((os.path.abspath(data_dir), "$DATA"), (os.path.abspath(output_dir), "$OUTPUT"),
                       (str(REPO_ROOT), "$REPO"), (data_dir, "$DATA"), (output_dir, "$OUTPUT")):
        # as JSON spells the path inside a string, followed by a separator or the string's end
        spelled = json.dumps(str(path).rstrip("/"))[1:-1]
        for after in ("/", '"'):
            text = text.replace(f'"{spelled}{after}', f'"{name}{after}')
    return text


def fold_digests(configs: Dict[str, str], paths: Optional[Tuple[str, str]] = None) -> Dict[str, str]:
    """A fold's record: the digest of each run's config (made `portable` with `paths`, the data
    and output folders); the target reads the source's archive, so its digest covers the
    source's config too."""
    digests = {name: config_digest(run if paths is None else portable(run, *paths))
               for name, run in configs.items()}
    digests["target"] = config_digest(digests["target"] + digests["source"])
    return digests


def read_record(results_dir: Path, task: str) -> Optional[Dict[str, Any]]:
    """The record of fold `task` in `results_dir`, or `None` (none, or unreadable: trained again)."""
    path = results_dir / "folds" / f"{task}.json"
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "row" in record and "configs" in record else None


def interrupted_run_matches(serialization_dir: Path, run: str) -> bool:
    """
    Whether `serialization_dir` holds an unfinished run of exactly this config (`run`, the
    evaluated config as sorted JSON) with at least one checkpoint to continue from.
    """
    config = serialization_dir / "config.json"
    if not config.exists() or not any(serialization_dir.glob("model_state_e*.th")):
        return False
    try:
        return json.loads(config.read_text()) == json.loads(run)
    except ValueError:  # a torn config.json: train again
        return False


def archive_weights(archive: Path) -> Dict[str, Any]:
    import torch
    from allennlp.models.archival import extracted_archive, get_weights_path

    with extracted_archive(str(archive)) as directory:
        return torch.load(get_weights_path(directory), map_location="cpu")


def frozen_parts_identical(source: Path, target: Path, regexes: List[str]) -> Optional[bool]:
    """Whether every transferred parameter of `target` equals the source's, bit for bit."""
    import torch

    source_weights, target_weights = archive_weights(source), archive_weights(target)
    names = [n for n in target_weights if any(re.search(r, n) for r in regexes)]
    if not names:
        return None
    return all(torch.equal(source_weights[n], target_weights[n]) for n in names)


def read_metrics(serialization_dir: Path) -> Dict[str, Any]:
    path = serialization_dir / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else {}


def run_fold(task: str, args: argparse.Namespace, tasks: List[str], settings: Dict[str, Any],
             parts: List[str]) -> Optional[Dict[str, Any]]:
    """The row of fold `task`: trained, or read from its record; `None` with `--report-only` when
    the fold has no record made with the same configs."""
    out = Path(args.output_dir) / task
    test_file = Path(args.data_dir) / f"{task}.task.test"
    overrides: Dict[str, Any] = {}
    target_overrides: Dict[str, Any] = {}
    if args.max_instances:
        # AllenNLP replaces an overridden dict wholesale: dotted keys change one entry
        overrides = {f"dataset_reader.readers.{t}.max_instances": args.max_instances
                     for t in tasks if t != task}
        target_overrides = {f"dataset_reader.readers.{task}.max_instances": args.max_instances}
    if test_file.exists():
        target_overrides.update({"test_data_path": {task: str(test_file)}, "evaluate_on_test": True})
    base = {"held_out": task, "tasks": tasks, "settings": settings, "transfer": parts}

    source_dir, target_dir, baseline_dir = out / "source", out / "target", out / "baseline"
    source_options = {**base, "source_settings": json.loads(args.source_settings)}
    target_options = {**base, "source_archive": str(source_dir / "model.tar.gz"), "frozen": not args.no_freeze}
    baseline_options = {**base, "pretrained": False}
    runs = {"source": (SOURCE_CONFIG, source_options, overrides),
            "target": (TARGET_CONFIG, target_options, target_overrides)}
    if args.baseline:
        runs["baseline"] = (TARGET_CONFIG, baseline_options, target_overrides)
    # evaluated once: for the records' digests and for train()'s reuse checks
    configs = {name: run_config(config, options, args.data_dir, run_overrides)
               for name, (config, options, run_overrides) in runs.items()}
    results_dir = Path(args.results_dir) if args.results_dir else None
    digests: Dict[str, str] = {}
    if results_dir is not None:
        digests = fold_digests(configs, (args.data_dir, args.output_dir))
        record = read_record(results_dir, task)
        if record is not None and (args.reuse or args.report_only):
            if record["configs"] == fold_digests(configs):
                # a record of before the digests were made portable (same configs, this
                # machine's paths): rewritten in the portable form, row unchanged
                write_record(results_dir, task, record["row"], digests)
                logger.info("fold %s: record rewritten with portable digests", task)
                record["configs"] = digests
            if record["configs"] == digests:
                logger.info("fold %s: recorded in %s, not trained again", task, results_dir / "folds")
                return record["row"]
            logger.info("fold %s: its record in %s has other configs%s", task, results_dir / "folds",
                        ": not reported" if args.report_only else ": trained")
    if args.report_only:
        return None

    source = train(SOURCE_CONFIG, source_dir, source_options, args.data_dir, overrides, args.reuse,
                   args.verbose, args.keep_checkpoints, run=configs["source"])
    target = train(TARGET_CONFIG, target_dir, target_options, args.data_dir, target_overrides,
                   args.reuse, args.verbose, args.keep_checkpoints, reads=source, run=configs["target"])
    regexes = [PART_REGEXES[p] for p in parts]
    source_metrics, target_metrics = read_metrics(source_dir), read_metrics(target_dir)
    row: Dict[str, Any] = {
        "task": task,
        "source_tasks": len(tasks) - 1,
        "source_dev_average_accuracy": source_metrics.get("best_validation_average_accuracy"),
        "target_dev_accuracy": target_metrics.get(f"best_validation_{task}_accuracy"),
        "target_test_accuracy": target_metrics.get(f"test_{task}_accuracy"),
        "shared_identical": frozen_parts_identical(source, target, regexes),
    }
    if args.baseline:
        train(TARGET_CONFIG, baseline_dir, baseline_options, args.data_dir,
              target_overrides, args.reuse, args.verbose, args.keep_checkpoints, run=configs["baseline"])
        baseline_metrics = read_metrics(baseline_dir)
        row["baseline_dev_accuracy"] = baseline_metrics.get(f"best_validation_{task}_accuracy")
        row["baseline_test_accuracy"] = baseline_metrics.get(f"test_{task}_accuracy")
    # training time of the fold's runs (also right when they were reused or trained by a worker;
    # for a run continued with --reuse, the time of its last process)
    row["seconds"] = round(sum(duration_seconds(read_metrics(out / run).get("training_duration"))
                               for run in runs), 1)
    if results_dir is not None:
        write_record(results_dir, task, row, digests)
    return row


def write_record(results_dir: Path, task: str, row: Dict[str, Any], digests: Dict[str, str]) -> None:
    """`<results_dir>/folds/<task>.json`: the fold's row and its runs' config digests."""
    from graph_mtl.common.atomic import atomic_write_text

    (results_dir / "folds").mkdir(parents=True, exist_ok=True)
    atomic_write_text(results_dir / "folds" / f"{task}.json",
                      json.dumps({"task": task, "row": row, "configs": digests}, indent=2, sort_keys=True))


def duration_seconds(text: Optional[str]) -> float:
    """Seconds of allennlp's `training_duration` ("H:MM:SS.ffffff"; "1 day, H:MM:SS"); 0 when absent."""
    if not text:
        return 0.0
    days = 0
    if "day" in text:
        day_part, text = text.split(",", 1)
        days = int(day_part.split()[0])
    hours, minutes, seconds = text.strip().split(":")
    return days * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def train_in_parallel(argv: List[str], held_out: List[str], jobs: int, output_dir: Path) -> None:
    """
    Each fold of `held_out` in its own `scripts/transfer.py --held-out <fold>` process (with the
    other options of `argv`, so `--reuse` only when it was given),
    `jobs` at a time (their logs in `<output_dir>/<fold>.log`); a failed fold is a SystemExit
    naming it and its log, after the others have finished.
    """
    import subprocess

    options = strip_options(argv, {"--jobs": True, "--held-out": True})
    waiting, running, failed = list(held_out), {}, []
    while waiting or running:
        while waiting and len(running) < jobs:
            task = waiting.pop(0)
            log = output_dir / f"{task}.log"
            # the last --held-out / --jobs win, also over an abbreviation argparse accepted
            command = [sys.executable, str(Path(__file__).resolve()), *options, "--held-out", task,
                       "--jobs", "1", "--no-results"]
            with open(log, "w") as handle:
                running[task] = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
            logger.info("fold %s: started (%s)", task, log)
        time.sleep(1.0)
        for task, process in list(running.items()):
            if process.poll() is not None:
                del running[task]
                if process.returncode:
                    failed.append(task)
                    logger.error("fold %s: FAILED (exit %d), see %s", task, process.returncode,
                                 output_dir / f"{task}.log")
                else:
                    logger.info("fold %s: done (%d of %d)", task,
                                len(held_out) - len(waiting) - len(running) - len(failed), len(held_out))
    if failed:
        # Folds finish in whatever order the processes end; name them in the held-out order so the
        # message is the same on every run.
        in_order = [task for task in held_out if task in failed]
        raise SystemExit(f"folds failed: {', '.join(in_order)} (logs: {output_dir}/<fold>.log)")


def strip_options(argv: List[str], drop: Dict[str, bool]) -> List[str]:
    """`argv` without the options in `drop` (`True`: the option takes a value), either spelling
    (`--jobs 2`, `--jobs=2`)."""
    kept, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        name = item.split("=", 1)[0]
        if name in drop:
            skip = drop[name] and "=" not in item
            continue
        kept.append(item)
    return kept


COLUMNS = [
    ("task", "held-out task"),
    ("source_dev_average_accuracy", "source IC-MTL dev acc (avg)"),
    ("target_dev_accuracy", "transfer dev acc"),
    ("target_test_accuracy", "transfer test acc"),
    ("baseline_dev_accuracy", "no-transfer dev acc"),
    ("baseline_test_accuracy", "no-transfer test acc"),
    ("single_task_lstm_dev_accuracy", "single-task LSTM dev acc"),
    ("single_task_bilstm_dev_accuracy", "single-task BiLSTM dev acc"),
    ("shared_identical", "frozen shared = source"),
    ("seconds", "training seconds"),
]


#: Table 1's single-task models (scripts/reproduce.py run names "<kind>-<task>-s<seed>") -> row key
SINGLE_TASK_KEYS = {"lstm": "single_task_lstm_dev_accuracy", "bilstm": "single_task_bilstm_dev_accuracy"}
#: what a target's transfer dev accuracy is compared with: row key -> words of the report
COMPARED_WITH = {
    "baseline_dev_accuracy": "no transfer (the same network from scratch)",
    "single_task_lstm_dev_accuracy": "the single-task LSTM",
    "single_task_bilstm_dev_accuracy": "the single-task BiLSTM",
}


def read_single_task(path: Path) -> Dict[str, Dict[str, float]]:
    """
    task -> {row key: dev accuracy} of the single-task LSTM and BiLSTM runs in Table 1's
    `table.json` (scripts/reproduce.py): each finished run's dev accuracy at its best epoch, the
    mean over the seeds that have one (Table 1's model selection, on dev).
    """
    try:
        runs = json.loads(path.read_text())["runs"]
        accuracies: Dict[str, Dict[str, List[float]]] = {}
        for name, run in runs.items():
            key = SINGLE_TASK_KEYS.get(name.split("-", 1)[0])
            if key is None or run.get("state") != "done" or len(run.get("tasks", [])) != 1:
                continue
            best = run["curve"][run["best_epoch"]]["dev"]
            accuracies.setdefault(run["tasks"][0], {}).setdefault(key, []).append(float(best))
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        raise SystemExit(f"--single-task {path}: not a table.json of scripts/reproduce.py "
                         f"({type(error).__name__}: {error})")
    return {task: {key: sum(values) / len(values) for key, values in by_key.items()}
            for task, by_key in accuracies.items()}


def compare(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """For each reference of COMPARED_WITH in the rows: on how many folds the transfer's dev
    accuracy is above / level with it, and the mean difference in points."""
    found = []
    for key, words in COMPARED_WITH.items():
        pairs = [(row["target_dev_accuracy"], row[key]) for row in rows
                 if isinstance(row.get("target_dev_accuracy"), (int, float))
                 and isinstance(row.get(key), (int, float))]
        if pairs:
            found.append({
                "against": key, "words": words, "folds": len(pairs),
                "higher": sum(a > b + 1e-9 for a, b in pairs),
                "level": sum(abs(a - b) <= 1e-9 for a, b in pairs),
                "mean_difference_points": round(100 * sum(a - b for a, b in pairs) / len(pairs), 2),
            })
    return found


def mean_row(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    mean: Dict[str, Any] = {"task": "mean"}
    for key, _ in COLUMNS[1:]:
        values = [r.get(key) for r in rows]
        if key == "shared_identical":
            known = [v for v in values if v is not None]
            mean[key] = all(known) if known else None
        elif values and all(isinstance(v, (int, float)) for v in values):
            mean[key] = sum(values) / len(values)
    return mean


def format_cell(value: Any, key: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.1f}" if key == "seconds" else f"{value:.4f}"
    return str(value)


def write_results(rows: List[Dict[str, Any]], output_dir: Path, command: str = "",
                  missing: Optional[List[str]] = None, single_task: str = "", note: str = "",
                  missing_reason: str = "not recorded yet") -> str:
    """
    `results.{md,tsv,json}` in `output_dir`: a row per fold and their mean, how often transfer
    beats each reference (`compare`), the held-out folds `missing` from the table and why
    (`missing_reason`), where the single-task columns come from, a `note` on the rows, and the
    command.
    """
    from graph_mtl.common.atomic import atomic_open, atomic_write_text

    missing = missing or []
    columns = [(k, h) for k, h in COLUMNS if any(k in r for r in rows)]
    table = rows + ([mean_row(rows)] if len(rows) > 1 else [])
    lines = ["| " + " | ".join(h for _, h in columns) + " |",
             "|" + "|".join(" --- " for _ in columns) + "|"]
    for row in table:
        lines.append("| " + " | ".join(format_cell(row.get(k), k) for k, _ in columns) + " |")
    markdown = "\n".join(lines) + "\n"
    if missing:
        markdown += (f"\n{len(rows)} of {len(rows) + len(missing)} folds (the mean is over these); "
                     f"{missing_reason}: {', '.join(missing)}.\n")
    comparisons = compare(rows)
    if comparisons:
        markdown += "\nTransfer's dev accuracy against " + "; against ".join(
            f"{c['words']}: higher on {c['higher']} of {c['folds']} folds"
            + (f" (level on {c['level']})" if c["level"] else "")
            + f", {c['mean_difference_points']:+.2f} points on average" for c in comparisons) + ".\n"
    if single_task:
        markdown += (f"\nSingle-task columns: each target's best dev accuracy in `{single_task}`, "
                     "the mean over its seeds.\n")
    if note:
        markdown += f"\n{note}\n"
    if command:
        markdown += f"\nCommand: `{command}`\n"
    atomic_write_text(output_dir / "results.md", markdown)
    with atomic_open(output_dir / "results.tsv", "w") as handle:
        handle.write("\t".join(k for k, _ in columns) + "\n")
        for row in table:
            handle.write("\t".join("" if row.get(k) is None else str(row.get(k)) for k, _ in columns) + "\n")
    atomic_write_text(output_dir / "results.json",
                      json.dumps({"command": command, "folds": rows, "mean": mean_row(rows),
                                  "comparisons": comparisons, "missing": missing,
                                  "single_task": single_task or None, "note": note or None}, indent=2))
    return markdown


def main(argv: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    args = parse_args(argv)
    command = "python scripts/transfer.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logger.setLevel(logging.INFO)
    sys.path.insert(0, str(REPO_ROOT))
    import graph_mtl  # noqa: F401  (registers the readers, models and configs' components)

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    tasks = [t for t in args.tasks.split(",") if t]
    held_out = [t for t in (args.held_out or args.tasks).split(",") if t]
    unknown = [t for t in held_out if t not in tasks]
    if len(tasks) < 2 or unknown:
        raise SystemExit(f"need at least 2 tasks and held-out tasks among them (unknown: {unknown})")
    missing = [t for t in tasks if not (Path(args.data_dir) / f"{t}.task.train").exists()]
    if missing:
        raise SystemExit(f"{args.data_dir} has no .task.train file for {missing}")
    parts = [p for p in args.transfer.split(",") if p]
    if any(p not in PART_REGEXES for p in parts):
        raise SystemExit(f"--transfer takes parts among {sorted(PART_REGEXES)}")
    settings = settings_from_args(args)
    vectors = settings.get("pretrained_file")
    if vectors and not Path(vectors).is_file():
        raise SystemExit(f"word vectors {vectors} do not exist: make them with `make vectors` "
                         "(scripts/train_vectors.py), or pass --vectors PATH ('' for none)")
    if args.report_only and not args.results_dir:
        raise SystemExit("--report-only writes the tables from the fold records of --results-dir: give it")
    single_task = read_single_task(Path(args.single_task)) if args.single_task else {}
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    if args.jobs > 1 and not args.report_only:
        train_in_parallel(list(sys.argv[1:] if argv is None else argv), held_out, args.jobs, output_dir)
        args.reuse = True  # every fold is trained: the loop below only collects
    result_dirs = [output_dir] + ([Path(args.results_dir)] if args.results_dir else [])
    for directory in result_dirs[1:]:
        directory.mkdir(parents=True, exist_ok=True)
    rows: List[Dict[str, Any]] = []
    missing: List[str] = []
    report = {"command": command, "single_task": args.single_task or ""}
    for number, task in enumerate(held_out, start=1):
        logger.info("fold %d/%d: held-out %s", number, len(held_out), task)
        row = run_fold(task, args, tasks, settings, parts)
        if row is None:  # --report-only: not recorded with these configs
            missing.append(task)
            continue
        rows.append({**row, **single_task.get(task, {})})
        if not (args.no_results or args.report_only):  # partial results survive an interrupted protocol
            for directory in result_dirs:
                write_results(rows, directory, missing=held_out[number:], **report)
    if args.no_results:
        return rows
    if not rows:
        raise SystemExit(f"no fold of {', '.join(held_out)} is recorded in {args.results_dir}/folds "
                         "with these configs")
    for directory in result_dirs:
        markdown = write_results(rows, directory, missing=missing, **report)
    print(markdown, end="")
    print(f"(results in {' and '.join(f'{d}/results.{{md,tsv,json}}' for d in result_dirs)})")
    return rows


if __name__ == "__main__":
    main()
