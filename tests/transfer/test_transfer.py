"""
Leave-one-task-out transfer on fixtures (fixtures/transfer: three tiny FDU-MTL-format domains):
the whole protocol through scripts/transfer.py, and the target network trained step by step to
check that the frozen shared layer stays bit-identical to the source's while the new task's
parameters change.
"""
import importlib.util
import json
import logging
import re
import shutil

import pytest
import torch
from allennlp.commands.train import TrainModel
from allennlp.common import Params
from allennlp.common.util import prepare_environment

from tests.conftest import REPO_ROOT, failing_processes

FIXTURES = REPO_ROOT / "fixtures" / "transfer"
TASKS = ["books", "dvd", "electronics"]
SETTINGS = {
    "num_epochs": 2,
    "embedding_dim": 8,
    "hidden_dim": 6,
    "dev_size": 4,
    "batch_size": 4,
    "optimizer": {"type": "adam", "lr": 0.02},
}


def load_script():
    spec = importlib.util.spec_from_file_location("transfer_script", REPO_ROOT / "scripts" / "transfer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def protocol(tmp_path_factory, one_torch_thread):
    script = load_script()
    out = tmp_path_factory.mktemp("transfer")
    rows = script.main([
        "--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--settings", json.dumps(SETTINGS),
        "--output-dir", str(out), "--baseline", "--threads", "1",
    ])
    return script, out, rows


def test_protocol_runs_every_fold_and_tabulates(protocol):
    _, out, rows = protocol
    assert [r["task"] for r in rows] == TASKS
    for row in rows:
        assert row["source_tasks"] == len(TASKS) - 1
        for key in ("source_dev_average_accuracy", "target_dev_accuracy", "target_test_accuracy",
                    "baseline_dev_accuracy", "baseline_test_accuracy"):
            assert 0.0 <= row[key] <= 1.0, key
        assert row["shared_identical"] is True
    table = (out / "results.md").read_text()
    assert all(f"| {task} |" in table for task in TASKS) and "| mean |" in table
    results = json.loads((out / "results.json").read_text())
    assert len(results["folds"]) == len(TASKS)
    # the exact command is recorded with the results
    assert results["command"].startswith("python scripts/transfer.py --data-dir ")
    assert "--baseline" in results["command"] and f"Command: `{results['command']}`" in table
    # the source model never saw the held-out task
    source_config = json.loads((out / "books" / "source" / "config.json").read_text())
    assert sorted(source_config["train_data_path"]) == ["dvd", "electronics"]
    assert source_config["model"]["backbone"]["encoder"]["tasks"] == ["dvd", "electronics"]
    # finished runs keep their archive and best weights, not their per-epoch checkpoints
    for run in ("source", "target", "baseline"):
        directory = out / "books" / run
        assert (directory / "model.tar.gz").is_file() and (directory / "best.th").is_file(), run
        assert not any(directory.glob("*_state_e*.th")), run


def test_frozen_shared_layer_is_bit_identical_and_the_new_task_learns(protocol, tmp_path, monkeypatch):
    script, out, _ = protocol
    source_archive = out / "books" / "source" / "model.tar.gz"
    source = script.archive_weights(source_archive)
    monkeypatch.setenv("FDU_MTL_DIR", str(FIXTURES))
    monkeypatch.setenv("GRAPH_MTL_TRANSFER", json.dumps({
        "held_out": "books", "tasks": TASKS, "settings": SETTINGS,
        "source_archive": str(source_archive),
    }))
    params = Params.from_file(str(REPO_ROOT / "training_configs" / "transfer" / "ic_mtl_target.jsonnet"))
    prepare_environment(params)  # pops the seeds, as `allennlp train` does
    serialization_dir = tmp_path / "target"
    serialization_dir.mkdir()
    train_loop = TrainModel.from_params(params=params, serialization_dir=str(serialization_dir), local_rank=0)
    model = train_loop.model
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    shared = [name for name in before if re.search(script.PART_REGEXES["shared"], name)]
    assert shared, "the target model has no shared-layer parameters"
    for name in shared:  # loaded from the archive
        assert torch.equal(before[name], source[name]), name
        assert not dict(model.named_parameters())[name].requires_grad, name
    new = [name for name in before if name not in shared]
    assert any(".nodes.books." in n for n in new) and any("_heads.books." in n for n in new)
    assert all(dict(model.named_parameters())[n].requires_grad for n in new)

    train_loop.run()

    after = {name: p.detach() for name, p in model.named_parameters()}
    for name in shared:  # frozen: bit-identical to the source
        assert torch.equal(after[name], source[name]), name
    changed = [n for n in new if not torch.equal(after[n], before[n])]
    for group in (".nodes.books.", ".aggregators.books.", ".fusion.", "_heads.books.", "token_embedder"):
        assert any(group in n for n in changed), f"no parameter of {group} changed"


def test_embeddings_can_transfer_with_the_source_vocabulary(protocol, tmp_path):
    script, out, _ = protocol
    rows = script.main([
        "--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--held-out", "dvd",
        "--settings", json.dumps(SETTINGS), "--output-dir", str(tmp_path),
        "--transfer", "shared,embeddings", "--threads", "1",
    ])
    assert rows[0]["shared_identical"] is True  # shared LSTM and embeddings, bit for bit
    source = script.archive_weights(tmp_path / "dvd" / "source" / "model.tar.gz")
    target = script.archive_weights(tmp_path / "dvd" / "target" / "model.tar.gz")
    name = "_backbone._text_field_embedder.token_embedder_tokens.weight"
    assert torch.equal(source[name], target[name])
    target_config = json.loads((tmp_path / "dvd" / "target" / "config.json").read_text())
    assert target_config["vocabulary"]["type"] == "extend"
    assert (tmp_path / "dvd" / "target" / "vocabulary" / "dvd_labels.txt").exists()


def test_reuse_keeps_only_runs_made_with_the_same_options(protocol, tmp_path):
    script, _, _ = protocol
    arguments = [
        "--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--held-out", "books",
        "--settings", json.dumps(SETTINGS), "--output-dir", str(tmp_path), "--threads", "1",
    ]
    script.main(arguments)
    fold = tmp_path / "books"
    stamps = {run: (fold / run / "model.tar.gz").stat().st_mtime_ns for run in ("source", "target")}

    script.main(arguments + ["--reuse"])  # same options: nothing is trained again
    assert {run: (fold / run / "model.tar.gz").stat().st_mtime_ns for run in stamps} == stamps

    # Other transferred parts: the source is the same run, the target must be trained again.
    script.main(arguments + ["--reuse", "--transfer", "shared,embeddings"])
    assert (fold / "source" / "model.tar.gz").stat().st_mtime_ns == stamps["source"]
    assert (fold / "target" / "model.tar.gz").stat().st_mtime_ns != stamps["target"]


def test_a_recorded_fold_stands_in_for_its_runs_on_another_machine(protocol, tmp_path, caplog):
    script, _, _ = protocol
    out, records = tmp_path / "out", tmp_path / "records"
    arguments = [
        "--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--held-out", "books",
        "--settings", json.dumps(SETTINGS), "--output-dir", str(out), "--threads", "1",
        "--baseline", "--results-dir", str(records),
    ]
    first = script.main(arguments)
    record = json.loads((records / "folds" / "books.json").read_text())
    assert record["row"] == first[0] and sorted(record["configs"]) == ["baseline", "source", "target"]
    for name in ("results.md", "results.json", "results.tsv"):  # the tables go to both folders
        assert (records / name).read_text() == (out / name).read_text(), name

    shutil.rmtree(out)  # another machine: the runs are gone, the committed records are not
    caplog.set_level("INFO", logger="graph_mtl.transfer")
    assert script.main(arguments + ["--reuse"]) == first
    assert not (out / "books").exists() and "fold books: recorded in" in caplog.text
    assert json.loads((records / "results.json").read_text())["folds"] == first

    # without --reuse, or with other configs, the fold is trained and its record replaced
    changed = script.main(arguments + ["--reuse", "--source-settings", '{"num_epochs": 1}'])
    assert "its record in" in caplog.text and (out / "books" / "source" / "model.tar.gz").is_file()
    assert json.loads((out / "books" / "source" / "config.json").read_text())["trainer"]["num_epochs"] == 1
    new_record = json.loads((records / "folds" / "books.json").read_text())
    assert new_record["row"] == changed[0]
    assert new_record["configs"]["source"] != record["configs"]["source"]
    assert new_record["configs"]["target"] != record["configs"]["target"]  # it reads another source
    assert new_record["configs"]["baseline"] == record["configs"]["baseline"]

    # Back to the first options with the runs of the changed ones in place: the source is trained
    # again, and so is the target that reads it (its own config is the same), not the baseline.
    stamps = {run: (out / "books" / run / "model.tar.gz").stat().st_mtime_ns for run in ("target", "baseline")}
    assert script.main(arguments + ["--reuse"])[0]["source_dev_average_accuracy"] == first[0]["source_dev_average_accuracy"]
    assert (out / "books" / "target" / "model.tar.gz").stat().st_mtime_ns != stamps["target"]
    assert (out / "books" / "baseline" / "model.tar.gz").stat().st_mtime_ns == stamps["baseline"]
    assert "was trained again after it" in caplog.text
    assert json.loads((records / "folds" / "books.json").read_text())["configs"] == record["configs"]


def test_recipe_settings_with_overrides_on_top():
    script = load_script()
    args = script.parse_args(["--data-dir", "x", "--output-dir", "y", "--recipe", "cpu",
                              "--settings", '{"num_epochs": 1}', "--hidden-dim", "7"])
    settings = script.settings_from_args(args)
    # recipes.libsonnet fdu_mtl.cpu, then --settings, then the shortcut options
    assert settings["batch_size"] == 16 and settings["pooling"] == "max"
    assert settings["num_epochs"] == 1 and settings["hidden_dim"] == 7
    # the recipe's word vectors (make vectors), unless --vectors says otherwise
    assert settings["pretrained_file"] == str(REPO_ROOT / script.DEFAULT_VECTORS)
    none = script.settings_from_args(script.parse_args(["--data-dir", "x", "--output-dir", "y", "--recipe", "cpu",
                                                        "--vectors", ""]))
    assert "pretrained_file" not in none
    with pytest.raises(SystemExit, match="no such recipe"):
        script.settings_from_args(script.parse_args(["--data-dir", "x", "--output-dir", "y", "--recipe", "nope"]))


def test_source_settings_change_the_source_runs_only(protocol, tmp_path):
    script, _, _ = protocol
    script.main([
        "--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--held-out", "dvd",
        "--settings", json.dumps(SETTINGS), "--source-settings", '{"num_epochs": 1}',
        "--output-dir", str(tmp_path), "--baseline", "--threads", "1",
    ])
    epochs = {run: json.loads((tmp_path / "dvd" / run / "config.json").read_text())["trainer"]["num_epochs"]
              for run in ("source", "target", "baseline")}
    assert epochs == {"source": 1, "target": SETTINGS["num_epochs"], "baseline": SETTINGS["num_epochs"]}
    assert json.loads((tmp_path / "dvd" / "source" / "metrics.json").read_text())["epoch"] == 0


def test_reuse_continues_an_interrupted_run_from_its_last_checkpoint(protocol, tmp_path, caplog):
    script, _, _ = protocol
    arguments = [
        "--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--held-out", "electronics",
        "--settings", json.dumps(SETTINGS), "--output-dir", str(tmp_path), "--threads", "1",
        "--keep-checkpoints",  # a finished run is turned into an interrupted one below
    ]
    script.main(arguments)
    source = tmp_path / "electronics" / "source"
    first_epoch = sorted(source.glob("*_e1_b0.th"))  # the checkpoint after the first epoch
    assert len(first_epoch) == 2, sorted(p.name for p in source.iterdir())
    stamps = {p: p.stat().st_mtime_ns for p in first_epoch}
    weights = script.archive_weights(source / "model.tar.gz")
    # A run killed during its second epoch: the first epoch's checkpoint, no archive.
    for path in [source / "model.tar.gz", source / "best.th", *source.glob("*_e2_*.th")]:
        path.unlink()

    with caplog.at_level("INFO", logger="graph_mtl.transfer"):
        script.main(arguments + ["--reuse"])
    assert "continuing the interrupted run" in caplog.text
    assert {p: p.stat().st_mtime_ns for p in first_epoch} == stamps  # epoch 1 was not trained again
    assert len(sorted(source.glob("*_e2_b0.th"))) == 2 and (source / "model.tar.gz").exists()
    metrics = json.loads((source / "metrics.json").read_text())
    assert metrics["epoch"] == SETTINGS["num_epochs"] - 1
    resumed = script.archive_weights(source / "model.tar.gz")
    assert resumed.keys() == weights.keys()

    # Another config: the checkpoint is not continued; the run starts again from scratch.
    for path in [source / "model.tar.gz", *source.glob("*_e2_*.th")]:
        path.unlink()
    caplog.clear()
    with caplog.at_level("INFO", logger="graph_mtl.transfer"):
        script.main(arguments + ["--reuse", "--source-settings", '{"num_epochs": 1}'])
    assert "not continuing" in caplog.text
    assert json.loads((source / "config.json").read_text())["trainer"]["num_epochs"] == 1


def test_parallel_folds_give_the_sequential_table(protocol, tmp_path):
    """Two of the three folds (one worker process each) give the sequential run's rows."""
    script, _, sequential = protocol
    held_out = TASKS[:2]
    rows = script.main([
        "--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--settings", json.dumps(SETTINGS),
        "--output-dir", str(tmp_path), "--baseline", "--threads", "1", "--job", "2",  # argparse's abbreviation
        "--held-out", ",".join(held_out), "--results-dir", str(tmp_path / "records"),
    ])
    drop = lambda row: {k: v for k, v in row.items() if k != "seconds"}  # noqa: E731
    assert [drop(r) for r in rows] == [drop(r) for r in sequential if r["task"] in held_out]
    for task in held_out:  # one worker process per fold, its log kept, never a worker of its own
        assert "fold " + task + ": started" not in (tmp_path / f"{task}.log").read_text()
        assert "fold 1/1: held-out " + task in (tmp_path / f"{task}.log").read_text()
        assert all(r["seconds"] > 0 for r in rows)
    assert not (tmp_path / TASKS[2]).exists()
    results = json.loads((tmp_path / "results.json").read_text())
    assert [f["task"] for f in results["folds"]] == held_out and "--job 2" in results["command"]
    # each worker recorded its fold; the table was collected from the records
    for task, row in zip(held_out, rows):
        assert json.loads((tmp_path / "records" / "folds" / f"{task}.json").read_text())["row"] == row
    assert (tmp_path / "records" / "results.md").read_text() == (tmp_path / "results.md").read_text()


def test_a_failed_parallel_fold_is_named_with_its_log(protocol, tmp_path):
    script, _, _ = protocol
    bad = dict(SETTINGS, optimizer={"type": "no_such_optimizer"})
    with pytest.raises(SystemExit, match=r"folds failed: books, dvd \(logs: "):
        script.main([
            "--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--held-out", "books,dvd",
            "--settings", json.dumps(bad), "--output-dir", str(tmp_path), "--threads", "1", "--jobs", "2",
        ])
    assert "no_such_optimizer" in (tmp_path / "books.log").read_text()


def test_failed_folds_are_named_in_the_held_out_order_whichever_ends_first(tmp_path, monkeypatch):
    """The processes are fakes: dvd's ends (failing) before books' does, as it did on a CI run."""
    import subprocess

    script = load_script()
    processes = failing_processes({"books": 3, "dvd": 1},
                                  lambda command: command[command.index("--held-out") + 1])
    ended = []
    monkeypatch.setattr(subprocess, "Popen", processes)
    monkeypatch.setattr(script.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(script.logger, "error", lambda message, task, *args: ended.append(task))
    with pytest.raises(SystemExit, match=r"^folds failed: books, dvd \(logs: "):
        script.train_in_parallel(["--tasks", "books,dvd"], ["books", "dvd"], 2, tmp_path)
    assert ended == ["dvd", "books"]


def test_durations_and_option_stripping():
    script = load_script()
    assert script.duration_seconds("0:01:02.500000") == 62.5
    assert script.duration_seconds("1 day, 2:00:00") == 86400 + 7200
    assert script.duration_seconds(None) == 0.0
    assert script.strip_options(["--jobs", "2", "--x", "1", "--held-out=a,b", "--y"],
                                {"--jobs": True, "--held-out": True}) == ["--x", "1", "--y"]


def test_every_run_reads_the_given_word_vectors(protocol, tmp_path):
    script, _, _ = protocol
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("".join(f"{w} " + " ".join(["0.5"] * SETTINGS["embedding_dim"]) + "\n"
                               for w in ("great", "book", "boring")))
    arguments = ["--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--held-out", "dvd",
                 "--settings", json.dumps(SETTINGS), "--output-dir", str(tmp_path / "out"), "--threads", "1"]
    with pytest.raises(SystemExit, match="make vectors"):
        script.main(arguments + ["--vectors", str(tmp_path / "missing.txt")])
    script.main(arguments + ["--vectors", str(vectors), "--baseline"])
    for run in ("source", "target", "baseline"):
        config = json.loads((tmp_path / "out" / "dvd" / run / "config.json").read_text())
        embedder = config["model"]["backbone"]["text_field_embedder"]["token_embedders"]["tokens"]
        assert embedder["pretrained_file"] == str(vectors), run


def single_task_table(path, runs):
    """A Table 1 `table.json` (scripts/reproduce.py) holding only `runs`."""
    path.write_text(json.dumps({"columns": ["LSTM", "BiLSTM"], "runs": runs}))
    return path


def single_task_run(task, seed, dev_curve, best_epoch, state="done"):
    return {"tasks": [task], "seed": seed, "state": state, "best_epoch": best_epoch,
            "curve": [{"dev": dev, "train": 0.5} for dev in dev_curve]}


def test_single_task_accuracies_are_best_dev_epochs_averaged_over_seeds(tmp_path):
    script = load_script()
    table = single_task_table(tmp_path / "table.json", {
        "lstm-books-s13": single_task_run("books", 13, [0.70, 0.80, 0.75], 1),
        "lstm-books-s14": single_task_run("books", 14, [0.60, 0.65, 0.90], 2),
        "lstm-books-s15": single_task_run("books", 15, [0.99], 0, state="running"),  # unfinished: left out
        "bilstm-books-s13": single_task_run("books", 13, [0.50, 0.55], 0),  # the run's best epoch, not the curve's top
        "stacked_lstm-books-s13": single_task_run("books", 13, [0.95], 0),  # not a compared model
        "bilstm-dvd-s13": single_task_run("dvd", 13, [0.66], 0),
        "fs_mtl-s13": dict(single_task_run("books", 13, [0.97], 0), tasks=["books", "dvd"]),
    })
    assert script.read_single_task(table) == {
        "books": {"single_task_lstm_dev_accuracy": pytest.approx((0.80 + 0.90) / 2),
                  "single_task_bilstm_dev_accuracy": 0.50},
        "dvd": {"single_task_bilstm_dev_accuracy": 0.66},
    }
    for text in ("{not json", json.dumps({"runs": {"lstm-books-s13": {"state": "done", "tasks": ["books"]}}})):
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(SystemExit, match=r"--single-task .*bad\.json: not a table\.json"):
            script.read_single_task(tmp_path / "bad.json")


def test_comparisons_count_folds_above_and_level_with_each_reference():
    script = load_script()
    rows = [
        {"task": "a", "target_dev_accuracy": 0.90, "baseline_dev_accuracy": 0.85, "single_task_lstm_dev_accuracy": 0.90},
        {"task": "b", "target_dev_accuracy": 0.70, "baseline_dev_accuracy": 0.75, "single_task_lstm_dev_accuracy": 0.60},
        {"task": "c", "target_dev_accuracy": 0.80, "baseline_dev_accuracy": 0.70},
    ]
    assert script.compare(rows) == [
        {"against": "baseline_dev_accuracy", "words": script.COMPARED_WITH["baseline_dev_accuracy"],
         "folds": 3, "higher": 2, "level": 0, "mean_difference_points": round(100 * (0.05 - 0.05 + 0.10) / 3, 2)},
        {"against": "single_task_lstm_dev_accuracy", "words": "the single-task LSTM",
         "folds": 2, "higher": 1, "level": 1, "mean_difference_points": 5.0},
    ]


def test_report_only_tabulates_the_recorded_folds_and_names_the_others(protocol, tmp_path):
    script, _, _ = protocol
    out, records = tmp_path / "out", tmp_path / "records"
    arguments = ["--data-dir", str(FIXTURES), "--tasks", ",".join(TASKS), "--settings", json.dumps(SETTINGS),
                 "--output-dir", str(out), "--threads", "1", "--baseline", "--results-dir", str(records)]
    recorded = script.main(arguments + ["--held-out", "dvd"])[0]
    shutil.rmtree(out)
    table = single_task_table(tmp_path / "table.json", {
        "lstm-dvd-s13": single_task_run("dvd", 13, [recorded["target_dev_accuracy"] - 0.25], 0),
        "bilstm-dvd-s13": single_task_run("dvd", 13, [recorded["target_dev_accuracy"]], 0),
    })
    with pytest.raises(SystemExit, match="--report-only .* --results-dir"):
        script.main(arguments[:-2] + ["--report-only"])
    rows = script.main(arguments + ["--report-only", "--jobs", "2", "--single-task", str(table)])
    assert rows == [{**recorded, "single_task_lstm_dev_accuracy": recorded["target_dev_accuracy"] - 0.25,
                     "single_task_bilstm_dev_accuracy": recorded["target_dev_accuracy"]}]
    assert not any((out / task).exists() for task in TASKS)  # nothing trained, no worker started
    results = json.loads((records / "results.json").read_text())
    assert results["missing"] == ["books", "electronics"] and results["folds"] == rows
    markdown = (records / "results.md").read_text()
    assert "1 of 3 folds (the mean is over these); not recorded yet: books, electronics." in markdown
    assert "against the single-task LSTM: higher on 1 of 1 folds, +25.00 points on average" in markdown
    assert "against the single-task BiLSTM: higher on 0 of 1 folds (level on 1), +0.00 points" in markdown
    assert "| single-task LSTM dev acc | single-task BiLSTM dev acc |" in markdown.splitlines()[0]
    # a record made with other configs is not reported; none left is an error naming the folder
    with pytest.raises(SystemExit, match=r"no fold of books, dvd is recorded in .*records/folds"):
        script.main(arguments + ["--held-out", "books,dvd", "--report-only", "--epochs", "3"])


def test_portable_configs_name_the_data_output_and_checkout_folders(monkeypatch, tmp_path):
    script = load_script()
    monkeypatch.chdir(tmp_path)  # relative folders are also spelled from here
    run = json.dumps({
        "train": "/d/data/books.task.train#train", "other": "/d/data2/books.task.train",
        "archive": "out/books/source/model.tar.gz", "absolute": f"{tmp_path}/out/x", "data": "/d/data",
        "vectors": f"{REPO_ROOT}/vectors/v.txt", "unrelated": "not /d/data/ at the start",
    }, sort_keys=True)
    assert json.loads(script.portable(run, "/d/data/", "out")) == {
        "train": "$DATA/books.task.train#train", "other": "/d/data2/books.task.train",
        "archive": "$OUTPUT/books/source/model.tar.gz", "absolute": "$OUTPUT/x", "data": "$DATA",
        "vectors": "$REPO/vectors/v.txt", "unrelated": "not /d/data/ at the start",
    }


def test_a_record_stands_for_its_fold_in_another_checkout_and_old_records_are_rewritten(
        protocol, tmp_path, caplog, monkeypatch):
    script, _, _ = protocol
    records = tmp_path / "records"

    def arguments(place):
        data = tmp_path / place / "data"
        if not data.exists():
            shutil.copytree(FIXTURES, data)
        return ["--data-dir", str(data), "--tasks", ",".join(TASKS), "--held-out", "electronics",
                "--settings", json.dumps(SETTINGS), "--output-dir", str(tmp_path / place / "out"),
                "--threads", "1", "--results-dir", str(records), "--reuse"]

    # a record made the way records were made before they were portable (raw paths)
    with monkeypatch.context() as patch:
        patch.setattr(script, "portable", lambda run, data_dir, output_dir: run)
        first = script.main(arguments("a"))
    old = json.loads((records / "folds" / "electronics.json").read_text())
    caplog.set_level("INFO", logger="graph_mtl.transfer")
    # no log handler of the runs is left behind (allennlp's tqdm logger held the last run's out.log)
    for name in ("", "tqdm"):  # the root logger, allennlp.common.tqdm.logger
        assert not [h for h in logging.getLogger(name).handlers
                    if str(tmp_path) in str(getattr(h, "baseFilename", ""))], name
    shutil.rmtree(tmp_path / "a" / "out")
    assert script.main(arguments("a")) == first  # accepted, not trained again, and rewritten
    assert "record rewritten with portable digests" in caplog.text
    assert not (tmp_path / "a" / "out" / "electronics").exists()
    new = json.loads((records / "folds" / "electronics.json").read_text())
    assert new["row"] == old["row"] and new["configs"] != old["configs"]

    # another checkout: the data and the runs in other folders; the record still stands
    caplog.clear()
    assert script.main(arguments("b")) == first
    assert "fold electronics: recorded in" in caplog.text and "rewritten" not in caplog.text
    assert not (tmp_path / "b" / "out" / "electronics").exists()
    assert json.loads((records / "folds" / "electronics.json").read_text()) == new
