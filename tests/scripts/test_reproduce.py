"""
scripts/reproduce.py: the table runner. The table arithmetic against hand-computed numbers on
made-up metrics; then the whole command on fixtures: runs trained in parallel, the table and
commands written, finished runs kept, a run with checkpoints continued with --recover, test
columns from `allennlp evaluate`, a changed config refused, a failing run reported.
"""
import importlib.util
import json
import os
import shutil
import statistics
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, failing_processes

FIXTURES = REPO_ROOT / "fixtures" / "transfer"
TINY = {"num_epochs": 2, "embedding_dim": 8, "hidden_dim": 6, "dev_size": 4, "batch_size": 4}


def load_script():
    spec = importlib.util.spec_from_file_location("reproduce", REPO_ROOT / "scripts" / "reproduce.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def arguments(tmp_path: Path, *extra: str):
    return ["table1", "--tasks", "books,dvd", "--data-dir", str(FIXTURES), "--vectors", "",
            "--settings", json.dumps(TINY), "--results-dir", str(tmp_path / "results"),
            "--output-dir", str(tmp_path / "out"), "--poll", "0.5", *extra]


def fake_run(directory: Path, accuracies, epochs: int = 3, test=None):
    directory.mkdir(parents=True)
    (directory / "model.tar.gz").write_bytes(b"")
    metrics = {"best_epoch": epochs - 1, "training_duration": "0:01:00"}
    metrics.update({f"best_validation_{task}_accuracy": value for task, value in accuracies.items()})
    (directory / "metrics.json").write_text(json.dumps(metrics))
    for epoch in range(epochs):
        (directory / f"metrics_epoch_{epoch}.json").write_text(json.dumps(
            {f"{p}_{t}_accuracy": 0.5 + 0.1 * epoch for p in ("training", "validation") for t in accuracies}))
    if test is not None:
        (directory / "test_metrics.json").write_text(
            json.dumps({f"{task}_accuracy": value for task, value in test.items()}))


class FakeTraining:
    """A stand-in for the runner's `allennlp train` process (`subprocess.Popen`): it writes a
    finished run into the `-s` folder at once (`fake_run`: archive, metrics with every task of
    `ACCURACIES`, epoch files, one per-epoch checkpoint, best.th) and exits 0, for tests of what
    the runner does around its runs; the fixture `trained` and the Table 4 test train for real."""

    ACCURACIES = {"books": 0.7, "dvd": 0.6}

    def __init__(self, command, **kwargs) -> None:
        assert command[:2] == ["allennlp", "train"], command
        directory = REPO_ROOT / command[command.index("-s") + 1]
        if directory.exists():
            shutil.rmtree(directory)
        fake_run(directory, self.ACCURACIES)
        for name in ("model_state_e2_b0.th", "training_state_e2_b0.th", "best.th"):
            (directory / name).write_bytes(b"x" * 100)
        self.returncode = 0

    def poll(self):
        return self.returncode


def test_table_numbers_against_hand_computation(tmp_path, capsys):
    script = load_script()
    out = tmp_path / "out"
    dev = {  # (model, seed) -> accuracies
        ("lstm", 1): {"books": 0.80, "dvd": 0.70}, ("lstm", 2): {"books": 0.90, "dvd": 0.60},
        ("bilstm", 1): {"books": 0.85, "dvd": 0.75}, ("bilstm", 2): {"books": 0.75, "dvd": 0.85},
        ("stacked_lstm", 1): {"books": 0.5, "dvd": 0.5}, ("stacked_lstm", 2): {"books": 0.6, "dvd": 0.4},
        ("dc_mtl", 1): {"books": 0.95, "dvd": 0.85}, ("dc_mtl", 2): {"books": 0.91, "dvd": 0.87},
    }
    for (kind, seed), accuracies in dev.items():
        if kind == "dc_mtl":
            fake_run(out / f"dc_mtl-s{seed}", accuracies, test={"books": 0.9, "dvd": 0.8})
        else:
            for task, value in accuracies.items():
                fake_run(out / f"{kind}-{task}-s{seed}", {task: value})
    code = script.main(arguments(tmp_path, "--models", "lstm,bilstm,stacked_lstm,dc_mtl",
                                 "--seeds", "1", "2", "--no-train"))
    assert code == 0
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    part = table["splits"]["dev"]
    error = lambda kind, task: statistics.mean(100 * (1 - dev[(kind, s)][task]) for s in (1, 2))  # noqa: E731
    assert part["error"]["books"]["LSTM"] == pytest.approx(error("lstm", "books"))  # 15
    assert part["error"]["dvd"]["DC-MTL"] == pytest.approx(error("dc_mtl", "dvd"))  # 14
    # Avg = mean of the three single-task columns, per task and on average
    singles = ("lstm", "bilstm", "stacked_lstm")
    assert part["error"]["dvd"]["Avg"] == pytest.approx(statistics.mean(error(k, "dvd") for k in singles))
    assert part["average"]["DC-MTL"] == pytest.approx(statistics.mean(error("dc_mtl", t) for t in ("books", "dvd")))
    assert part["average"]["Avg"] == pytest.approx(
        statistics.mean(error(k, t) for k in singles for t in ("books", "dvd")))
    # seed 2 of LSTM: books 10, dvd 40
    assert part["average_per_seed"]["LSTM"]["2"] == pytest.approx(25.0)
    assert table["splits"]["test"]["error"]["books"]["DC-MTL"] == pytest.approx(10.0)
    assert table["splits"]["test"]["error"]["books"]["LSTM"] is None
    markdown = (tmp_path / "results" / "table.md").read_text()
    # our number, the paper's in brackets (Liu, Qiu & Huang 2017, Table 2: LSTM books 20.5)
    assert f"| Books | {error('lstm', 'books'):.1f} (20.5) |" in markdown
    assert "**10.5** (12.5)" in markdown  # DC-MTL average dev error (7 + 14) / 2, the paper's 12.5
    assert markdown == capsys.readouterr().out


def test_incomplete_columns_have_no_average(tmp_path):
    script = load_script()
    fake_run(tmp_path / "out" / "fs_mtl-s1", {"books": 0.8, "dvd": 0.8})
    script.main(arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1", "2", "--no-train"))
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    assert table["splits"]["dev"]["average"]["FS-MTL"] is None
    assert table["splits"]["dev"]["complete"]["FS-MTL"] is False
    assert "Incomplete (runs missing; no average): FS-MTL" in (tmp_path / "results" / "table.md").read_text()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """lstm (per task) and dc_mtl on two fixture domains, one seed, with test columns; the
    checkpoints kept (a test below turns a finished run into an interrupted one)."""
    tmp_path = tmp_path_factory.mktemp("reproduce")
    script = load_script()
    code = script.main(arguments(tmp_path, "--models", "lstm,dc_mtl", "--seeds", "3", "--jobs", "2",
                                 "--test-dir", str(FIXTURES), "--keep-checkpoints"))
    return tmp_path, code


def test_runs_train_and_the_table_matches_their_metrics(trained):
    tmp_path, code = trained
    assert code == 0
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    for run, column, tasks in (("lstm-books-s3", "LSTM", ["books"]), ("dc_mtl-s3", "DC-MTL", ["books", "dvd"])):
        directory = tmp_path / "out" / run
        metrics = json.loads((directory / "metrics.json").read_text())
        test = json.loads((directory / "test_metrics.json").read_text())
        for task in tasks:
            assert table["splits"]["dev"]["error"][task][column] == pytest.approx(
                100 * (1 - metrics[f"best_validation_{task}_accuracy"]))
            assert table["splits"]["test"]["error"][task][column] == pytest.approx(
                100 * (1 - test[f"{task}_accuracy"]))
        config = json.loads((directory / "config.json").read_text())
        assert config["random_seed"] == 3 and config["trainer"]["num_epochs"] == 2
    commands = (tmp_path / "results" / "commands.sh").read_text()
    assert "allennlp train" in commands and "configs/dc_mtl-s3.jsonnet" in commands
    assert "allennlp evaluate" in commands and "books.task.test" in commands


def test_finished_runs_are_kept_and_checkpoints_recovered(trained, capsys):
    tmp_path, _ = trained
    script = load_script()
    archive = tmp_path / "out" / "lstm-dvd-s3" / "model.tar.gz"
    before = archive.stat().st_mtime_ns
    # a run that died after its checkpoints: no archive, no metrics
    broken = tmp_path / "out" / "lstm-books-s3"
    (broken / "model.tar.gz").unlink()
    (broken / "metrics.json").unlink()
    (broken / "test_metrics.json").unlink()
    assert any(broken.glob("model_state_e*.th"))
    code = script.main(arguments(tmp_path, "--models", "lstm,dc_mtl", "--seeds", "3", "--jobs", "2"))
    assert code == 0
    output = capsys.readouterr().out
    assert "3 runs, 2 already done, 1 to train" in output
    assert "start  lstm-books-s3 (--recover)" in output
    assert archive.stat().st_mtime_ns == before
    assert (broken / "model.tar.gz").is_file() and (broken / "metrics.json").is_file()
    assert "--recover" in (tmp_path / "out" / "lstm-books-s3.log").read_text()


def test_a_changed_config_is_refused(trained):
    tmp_path, _ = trained
    script = load_script()
    with pytest.raises(SystemExit, match="trained with a different config"):
        script.main(arguments(tmp_path, "--models", "lstm", "--seeds", "3", "--settings",
                              json.dumps(dict(TINY, hidden_dim=7))))



def test_records_stand_in_for_a_lost_output_dir(trained, tmp_path, capsys, monkeypatch):
    """Each finished run's results are kept with the table (`<results-dir>/runs/<run>/`): with the
    output folder gone (another machine), the table is the same and nothing is trained again; a
    record whose config no longer matches is refused; `--test-dir` trains a recorded run again,
    since its archive is gone with the output folder (that training and its `allennlp evaluate`
    are stand-ins here: the fixture trains and evaluates for real)."""
    source, _ = trained
    script = load_script()
    shutil.copytree(source / "results", tmp_path / "results")
    for run in ("lstm-books-s3", "lstm-dvd-s3", "dc_mtl-s3"):
        record, trained_dir = tmp_path / "results" / "runs" / run, source / "out" / run
        for name in ["metrics.json"] + [p.name for p in trained_dir.glob("metrics_epoch_*.json")]:
            assert json.loads((record / name).read_text()) == json.loads((trained_dir / name).read_text())
        assert json.loads((record / "config.json").read_text()) == json.loads(
            (source / "out" / f"{run}.config.json").read_text())
    before = json.loads((tmp_path / "results" / "table.json").read_text())
    assert not (tmp_path / "out").exists()
    args = arguments(tmp_path, "--models", "lstm,dc_mtl", "--seeds", "3", "--jobs", "2")
    assert script.main(args) == 0
    assert "3 runs, 3 already done, 0 to train" in capsys.readouterr().out
    after = json.loads((tmp_path / "results" / "table.json").read_text())
    assert after["splits"]["dev"] == before["splits"]["dev"]
    assert after["runs"]["dc_mtl-s3"]["state"] == "recorded"
    assert after["runs"]["dc_mtl-s3"]["curve"] == before["runs"]["dc_mtl-s3"]["curve"]
    assert not (tmp_path / "out").exists()

    with pytest.raises(SystemExit, match=r"dc_mtl-s3 \(recorded in .*runs/dc_mtl-s3\) was trained with a different config"):
        script.main(arguments(tmp_path, "--models", "dc_mtl", "--seeds", "3", "--no-train",
                              "--settings", json.dumps(dict(TINY, hidden_dim=7))))

    monkeypatch.setattr(script.subprocess, "Popen", FakeTraining)
    run = script.subprocess.run
    evaluated = []

    def fake_evaluate(command, **kwargs):
        if command[:2] != ["allennlp", "evaluate"]:
            return run(command, **kwargs)
        evaluated.append(command)
        output = REPO_ROOT / command[command.index("--output-file") + 1]
        output.write_text(json.dumps({f"{task}_accuracy": 0.5 for task in json.loads(command[3])}))
        return script.subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(script.subprocess, "run", fake_evaluate)
    assert script.main(arguments(tmp_path, "--models", "dc_mtl", "--seeds", "3", "--test-dir", str(FIXTURES))) == 0
    output = capsys.readouterr().out
    assert "1 runs, 0 already done, 1 to train" in output
    assert len(evaluated) == 1 and "books.task.test" in evaluated[0][3]
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    assert table["runs"]["dc_mtl-s3"]["state"] == "done"
    assert table["splits"]["test"]["error"]["books"]["DC-MTL"] is not None
    # without --keep-checkpoints the finished run has lost its per-epoch checkpoints only
    directory = tmp_path / "out" / "dc_mtl-s3"
    assert "dc_mtl-s3: checkpoints removed" in output
    assert not any(directory.glob("*_state_e*.th"))
    assert (directory / "best.th").is_file() and (directory / "model.tar.gz").is_file()

@pytest.mark.parametrize("keep", [False, True])
def test_finished_runs_lose_their_checkpoints_unless_kept(tmp_path, keep):
    script = load_script()
    done, broken = tmp_path / "out" / "fs_mtl-s1", tmp_path / "out" / "fs_mtl-s2"
    fake_run(done, {"books": 0.8, "dvd": 0.8})
    broken.mkdir(parents=True)  # killed: checkpoints, no archive
    for directory in (done, broken):
        for name in ("model_state_e0_b0.th", "training_state_e0_b0.th"):
            (directory / name).write_bytes(b"x" * 1000)
    script.main(arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1", "2", "--no-train",
                          *(["--keep-checkpoints"] if keep else [])))
    assert any(done.glob("*_state_e*.th")) == keep
    assert len(list(broken.glob("*_state_e*.th"))) == 2  # --recover needs them


def test_a_failing_run_is_reported(tmp_path, capsys):
    script = load_script()
    code = script.main(arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1", "--settings",
                                 json.dumps(dict(TINY, optimizer={"type": "no_such_optimizer"}))))
    assert code == 1
    output = capsys.readouterr().out
    assert "FAILED fs_mtl-s1" in output and "1 run(s) failed: fs_mtl-s1" in output


def test_failed_runs_are_listed_in_run_order_whichever_ends_first(tmp_path, capsys, monkeypatch):
    """Fake training processes: lstm-dvd-s1's ends (failing) before lstm-books-s1's does."""
    script = load_script()
    processes = failing_processes({"lstm-books-s1": 3, "lstm-dvd-s1": 1},
                                  lambda command: Path(command[command.index("-s") + 1]).name)
    monkeypatch.setattr(script.subprocess, "Popen", processes)
    code = script.main(arguments(tmp_path, "--models", "lstm", "--seeds", "1", "--jobs", "2", "--poll", "0"))
    assert code == 1
    output = capsys.readouterr().out
    assert output.index("FAILED lstm-dvd-s1") < output.index("FAILED lstm-books-s1")
    assert "2 run(s) failed: lstm-books-s1, lstm-dvd-s1" in output


def test_missing_test_files_are_named(tmp_path):
    script = load_script()
    fake_run(tmp_path / "out" / "fs_mtl-s1", {"books": 0.8, "dvd": 0.8})
    with pytest.raises(SystemExit, match=r"missing .*books\.task\.test"):
        script.main(arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1", "--no-train",
                              "--test-dir", str(tmp_path)))


def test_list_writes_configs_that_allennlp_reads(tmp_path, capsys, monkeypatch):
    from allennlp.common import Params

    script = load_script()
    assert script.main(arguments(tmp_path, "--seeds", "1", "--list")) == 0
    configs = sorted((tmp_path / "results" / "configs").glob("*.jsonnet"))
    # 3 single-task models x 2 tasks + 5 multi-task models
    assert len(configs) == 11
    monkeypatch.setenv("FDU_MTL_DIR", str(FIXTURES))
    params = Params.from_file(str(tmp_path / "results" / "configs" / "sp_mtl-s1.jsonnet")).as_dict()
    assert params["model"]["backbone"]["encoder"]["hidden_dim"] == 6
    assert params["random_seed"] == 1
    assert "allennlp train" in capsys.readouterr().out


def test_the_check_compares_resolved_configs_not_paths(trained, capsys):
    """The same runs with the data (and no vectors) elsewhere are the same runs; the resolved
    config of each started run is kept next to it."""
    tmp_path, _ = trained
    script = load_script()
    moved = tmp_path / "moved-data"
    shutil.copytree(FIXTURES, moved)
    args = arguments(tmp_path, "--models", "lstm,dc_mtl", "--seeds", "3", "--no-train")
    args[args.index("--data-dir") + 1] = str(moved)
    assert script.main(args) == 0
    stamp = json.loads((tmp_path / "out" / "dc_mtl-s3.config.json").read_text())
    assert stamp["model"]["backbone"]["encoder"]["type"] == "dc_mtl"
    assert "train_data_path" not in stamp and "validation_data_path" not in stamp


def test_learning_curves_per_run(tmp_path):
    script = load_script()
    fake_run(tmp_path / "out" / "fs_mtl-s1", {"books": 0.8, "dvd": 0.8}, epochs=2)
    script.main(arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1", "--no-train"))
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    curve = table["runs"]["fs_mtl-s1"]["curve"]
    assert [point["dev"] for point in curve] == pytest.approx([0.5, 0.6])
    assert "| fs_mtl-s1 | 1 | 0:01:00 | 0.500 / 0.500, 0.600 / 0.600 |" in (tmp_path / "results" / "table.md").read_text()


TAGGING_DATA = REPO_ROOT / "fixtures" / "configs" / "data"


def test_table4_on_tagging_fixtures_with_test_columns(tmp_path, capsys):
    """Table 4 through the same runner: three corpora under one --data-dir, F1 / accuracy
    shown as scores, test files at each corpus's own name."""
    test_dir = tmp_path / "test-data"
    (test_dir / "conll2000").mkdir(parents=True)
    (test_dir / "conll2003").mkdir()
    (test_dir / "ptb-pos").mkdir()
    shutil.copy(TAGGING_DATA / "conll2000" / "train.txt", test_dir / "conll2000" / "test.txt")
    shutil.copy(TAGGING_DATA / "conll2003" / "eng.testa", test_dir / "conll2003" / "eng.testb")
    shutil.copy(TAGGING_DATA / "ptb-pos" / "Secs19-21 - development", test_dir / "ptb-pos" / "Secs22-24 - testing")
    script = load_script()
    settings = {"num_epochs": 1, "embedding_dim": 4, "hidden_dim": 4, "chunk_dev_size": 2, "batch_size": 4,
                "char_features": {"encoder": "cnn", "embedding_dim": 3, "output_dim": 4, "window": 2}}
    code = script.main(["table4", "--models", "fs_mtl", "--seeds", "1", "--data-dir", str(TAGGING_DATA),
                        "--vectors", "", "--settings", json.dumps(settings), "--test-dir", str(test_dir),
                        "--results-dir", str(tmp_path / "results"), "--output-dir", str(tmp_path / "out"),
                        "--poll", "0.5"])
    assert code == 0
    metrics = json.loads((tmp_path / "out" / "fs_mtl-s1" / "metrics.json").read_text())
    test = json.loads((tmp_path / "out" / "fs_mtl-s1" / "test_metrics.json").read_text())
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    for task, metric in (("chunk", "f1-measure-overall"), ("ner", "f1-measure-overall"), ("pos", "accuracy")):
        assert table["splits"]["dev"]["error"][task]["FS-MTL"] == pytest.approx(
            100 * metrics[f"best_validation_{task}_{metric}"])
        assert table["splits"]["test"]["error"][task]["FS-MTL"] == pytest.approx(100 * test[f"{task}_{metric}"])
    config = json.loads((tmp_path / "out" / "fs_mtl-s1" / "config.json").read_text())
    assert "token_characters" in config["model"]["backbone"]["text_field_embedder"]["token_embedders"]
    commands = (tmp_path / "results" / "commands.sh").read_text()
    assert f"CONLL2003_DIR={TAGGING_DATA / 'conll2003'}" in commands
    assert "eng.testb" in commands
    assert "| CoNLL-2003 NER (F1) |" in capsys.readouterr().out
    assert "The paper's best model (test): CoNLL-2000 chunking (F1) 95.61" in (tmp_path / "results" / "table.md").read_text()


def test_two_runners_never_train_the_same_run(tmp_path, capsys):
    import subprocess
    import sys

    script = load_script()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "fs_mtl-s1.lock").write_text(f"{other.pid}\n")
        assert script.main(arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1")) == 0
        output = capsys.readouterr().out
        assert "skip   fs_mtl-s1: being trained by another runner" in output
        assert not (tmp_path / "out" / "fs_mtl-s1").exists()
    finally:
        other.kill()
        other.wait()
    # the other runner is gone: its lock is stale and taken over
    assert script.main(arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1")) == 0
    assert (tmp_path / "out" / "fs_mtl-s1" / "model.tar.gz").is_file()
    assert not (tmp_path / "out" / "fs_mtl-s1.lock").exists()


def test_a_finished_seed_has_its_average_before_the_others(tmp_path):
    script = load_script()
    fake_run(tmp_path / "out" / "fs_mtl-s1", {"books": 0.8, "dvd": 0.7})
    script.main(arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1", "2", "--no-train"))
    part = json.loads((tmp_path / "results" / "table.json").read_text())["splits"]["dev"]
    assert part["average"]["FS-MTL"] is None
    assert part["average_per_seed"]["FS-MTL"] == {"1": pytest.approx(25.0)}
    assert "| average, seed 1 | 25.0 |" in (tmp_path / "results" / "table.md").read_text()


def test_lambda_search_settings():
    script = load_script()
    one = script.lambda_variants(["chunk", "ner", "pos"], [1, 0.8, 0.5], ["chunk", "ner", "pos"], "one")
    assert one[0] == {} and len(one) == 1 + 3 * 2
    assert {"pos": 0.5} in one and {"chunk": 0.8} in one
    full = script.lambda_variants(["chunk", "ner", "pos"], [1, 0.8, 0.5], ["chunk", "ner", "pos"], "full")
    assert len(full) == 27 and {"chunk": 0.8, "ner": 0.5} in full and full[0] == {}
    assert script.lambda_variants(["a", "b"], [0.5], ["b"], "full") == [{}, {"b": 0.5}]
    with pytest.raises(SystemExit, match="not among the tasks"):
        script.lambda_variants(["a"], [0.5], ["x"], "one")
    with pytest.raises(SystemExit, match="must be positive"):
        script.lambda_variants(["a"], [0.0], ["a"], "one")


def test_lambda_search_picks_the_best_dev_setting(tmp_path):
    """--lambda-grid: one more run per (setting, seed) of each multi-task model, its config
    carrying the loss weights; the table shows the setting with the best mean dev accuracy
    over seeds and lists every setting."""
    script = load_script()
    out = tmp_path / "out"
    dev = {  # setting -> seed -> accuracies (books, dvd)
        "": {1: (0.80, 0.80), 2: (0.82, 0.78)},  # mean error 20
        "books0.5": {1: (0.90, 0.84), 2: (0.86, 0.84)},  # mean error 14: chosen
        "dvd0.5": {1: (0.95, 0.95)},  # best, but seed 2 missing: not eligible
    }
    for setting, seeds in dev.items():
        for seed, (books, dvd) in seeds.items():
            name = f"dc_mtl-s{seed}" if not setting else f"dc_mtl-lambda-{setting}-s{seed}"
            fake_run(out / name, {"books": books, "dvd": dvd})
    code = script.main(arguments(tmp_path, "--models", "dc_mtl", "--seeds", "1", "2", "--no-train",
                                 "--lambda-grid", "1", "0.5"))
    assert code == 0
    configs = tmp_path / "results" / "configs"
    assert sorted(p.name for p in configs.glob("dc_mtl*")) == [
        "dc_mtl-lambda-books0.5-s1.jsonnet", "dc_mtl-lambda-books0.5-s2.jsonnet",
        "dc_mtl-lambda-dvd0.5-s1.jsonnet", "dc_mtl-lambda-dvd0.5-s2.jsonnet",
        "dc_mtl-s1.jsonnet", "dc_mtl-s2.jsonnet"]
    assert '"loss_weights": {"books": 0.5}' in (configs / "dc_mtl-lambda-books0.5-s2.jsonnet").read_text()
    assert "loss_weights" not in (configs / "dc_mtl-s1.jsonnet").read_text()
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    search = table["lambda_search"]["DC-MTL"]
    assert search["chosen"] == "lambda books=0.5"
    assert search["settings"]["lambda all 1"]["mean"] == pytest.approx(20.0)
    assert search["settings"]["lambda dvd=0.5"]["mean"] is None
    part = table["splits"]["dev"]
    assert part["error"]["books"]["DC-MTL"] == pytest.approx(12.0)  # the chosen runs: 10 and 14
    assert part["average"]["DC-MTL"] == pytest.approx(14.0)
    # the settings not chosen are out of the table but keep their learning curves in the run list
    assert [point["dev"] for point in table["runs"]["dc_mtl-s1"]["curve"]] == pytest.approx([0.5, 0.6, 0.7])
    assert table["runs"]["dc_mtl-lambda-dvd0.5-s1"]["best_epoch"] == 2
    assert "lambda_k search" in (tmp_path / "results" / "table.md").read_text()
    with pytest.raises(SystemExit, match="not among the table's runs"):
        script.main(arguments(tmp_path, "--models", "dc_mtl", "--lambda-grid", "0.5",
                              "--lambda-models", "fs_mtl", "--list"))


def test_a_search_on_one_seed_trains_the_chosen_setting_on_the_others(tmp_path, monkeypatch):
    """--lambda-seeds: the settings are searched on those seeds only; once a model's search is
    finished its chosen setting is planned (config, commands.sh) and trained on the other seeds,
    in the same invocation when the search finishes during it; an unfinished search plans
    nothing more; a search seed outside --seeds is refused. (Training is a stand-in,
    `FakeTraining`: what is tested is which runs the runner starts, and when.)"""
    script = load_script()
    monkeypatch.setattr(script.subprocess, "Popen", FakeTraining)
    out = tmp_path / "out"
    search = ["--models", "fs_mtl", "--seeds", "1", "2", "--lambda-seeds", "1", "--lambda-grid", "0.5",
              "--lambda-tasks", "books"]
    fake_run(out / "fs_mtl-s1", {"books": 0.0, "dvd": 0.0})  # any trained setting beats it
    fake_run(out / "fs_mtl-s2", {"books": 0.9, "dvd": 0.9})
    assert script.main(arguments(tmp_path, *search, "--no-train")) == 0  # search unfinished
    configs = sorted(p.name for p in (tmp_path / "results" / "configs").glob("fs_mtl*"))
    assert configs == ["fs_mtl-lambda-books0.5-s1.jsonnet", "fs_mtl-s1.jsonnet", "fs_mtl-s2.jsonnet"]
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    assert table["lambda_search"]["FS-MTL"]["finished"] is False
    assert table["splits"]["dev"]["error"]["books"]["FS-MTL"] == pytest.approx(55.0)  # all 1 meanwhile
    assert "Search unfinished" in (tmp_path / "results" / "table.md").read_text()

    assert script.main(arguments(tmp_path, *search, "--jobs", "1")) == 0  # trains s1, then s2
    for name in ("fs_mtl-lambda-books0.5-s1", "fs_mtl-lambda-books0.5-s2"):
        assert (out / name / "model.tar.gz").is_file(), name
    assert "fs_mtl-lambda-books0.5-s2.jsonnet" in (tmp_path / "results" / "commands.sh").read_text()
    assert '"seed": 2' in (tmp_path / "results" / "configs" / "fs_mtl-lambda-books0.5-s2.jsonnet").read_text()
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    result = table["lambda_search"]["FS-MTL"]
    assert result["finished"] and result["chosen"] == "lambda books=0.5" and result["seeds"] == [1]
    assert set(result["settings"]["lambda all 1"]["per_seed"]) == {"1"}  # seed 2 is not searched
    metrics = [json.loads((out / f"fs_mtl-lambda-books0.5-s{seed}" / "metrics.json").read_text())
               for seed in (1, 2)]
    expected = statistics.mean(100 * (1 - m["best_validation_books_accuracy"]) for m in metrics)
    assert table["splits"]["dev"]["error"]["books"]["FS-MTL"] == pytest.approx(expected)
    assert table["splits"]["dev"]["complete"]["FS-MTL"]
    with pytest.raises(SystemExit):
        script.main(arguments(tmp_path, *search[:-4], "--lambda-seeds", "3", "--list"))


def test_chosen_only_trains_no_all_1_run_on_the_other_seeds(tmp_path, monkeypatch, capsys):
    """--lambda-chosen-only (a search in its own results folder, beside a table that has the all-1
    runs of every seed): the searched model's all-1 run is planned on the search seed only, the
    chosen setting on the others; a single-task model keeps every seed; the table's average is
    the chosen setting's over both seeds. Without a search that leaves out a seed it is refused."""
    script = load_script()
    monkeypatch.setattr(script.subprocess, "Popen", FakeTraining)
    out = tmp_path / "out"
    search = ["--models", "lstm,fs_mtl", "--seeds", "1", "2", "--lambda-seeds", "1", "--lambda-grid", "0.5",
              "--lambda-tasks", "books", "--lambda-chosen-only", "--jobs", "1"]
    fake_run(out / "fs_mtl-s1", {"books": 0.0, "dvd": 0.0})  # any trained setting beats it
    assert script.main(arguments(tmp_path, *search)) == 0
    configs = sorted(p.name[: -len(".jsonnet")] for p in (tmp_path / "results" / "configs").glob("*.jsonnet"))
    assert configs == ["fs_mtl-lambda-books0.5-s1", "fs_mtl-lambda-books0.5-s2", "fs_mtl-s1",
                       "lstm-books-s1", "lstm-books-s2", "lstm-dvd-s1", "lstm-dvd-s2"]
    assert not (out / "fs_mtl-s2").exists()
    assert (out / "fs_mtl-lambda-books0.5-s2" / "model.tar.gz").is_file()
    table = json.loads((tmp_path / "results" / "table.json").read_text())
    assert table["lambda_search"]["FS-MTL"]["chosen"] == "lambda books=0.5"
    assert table["splits"]["dev"]["complete"]["FS-MTL"]
    assert table["splits"]["dev"]["error"]["books"]["FS-MTL"] == pytest.approx(100 * (1 - FakeTraining.ACCURACIES["books"]))
    assert "not in this folder (--lambda-chosen-only)" in (tmp_path / "results" / "table.md").read_text()
    for refused in (["--seeds", "1", "--lambda-grid", "0.5"], ["--seeds", "1", "2"],
                    ["--seeds", "1", "2", "--lambda-seeds", "2", "1", "--lambda-grid", "0.5"]):
        with pytest.raises(SystemExit):
            script.main(arguments(tmp_path, "--models", "fs_mtl", *refused, "--lambda-chosen-only", "--list"))
        assert "--lambda-chosen-only needs --lambda-grid and --lambda-seeds" in capsys.readouterr().err


def test_the_stamp_leaves_out_how_a_run_is_saved(tmp_path):
    """A run trained before the configs named the crash-safe checkpointer still resumes: the
    checkpointer says how a run is saved, not what it learns."""
    script = load_script()
    text = "{trainer: {num_epochs: 2, checkpointer: {type: 'graph_mtl'}}, train_data_path: 'x'}"
    plain = "{trainer: {num_epochs: 2}}"
    path = tmp_path / "c.jsonnet"
    assert script.resolved_config(path, text, {}) == script.resolved_config(path, plain, {}) == {"trainer": {"num_epochs": 2}}
    changed = "{trainer: {num_epochs: 3, checkpointer: {type: 'graph_mtl'}}}"
    assert script.resolved_config(path, changed, {}) != script.resolved_config(path, plain, {})


def test_a_stamp_written_before_a_key_was_left_out_still_matches(tmp_path):
    script = load_script()
    old_stamp = {"trainer": {"num_epochs": 2, "checkpointer": {"type": "graph_mtl"}}}
    assert script.without_not_result_keys(old_stamp) == {"trainer": {"num_epochs": 2}}


def test_the_table_files_are_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    """commands.sh, table.json and table.md go through graph_mtl.common.atomic: when the rename
    of one fails (as a kill before it would), it keeps its previous content, no *.partial stays."""
    script = load_script()
    results = tmp_path / "results"
    fake_run(tmp_path / "out" / "fs_mtl-s1", {"books": 0.8, "dvd": 0.8})
    assert script.main(arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1", "--no-train")) == 0
    old = {name: (results / name).read_bytes() for name in ("commands.sh", "table.json", "table.md")}
    fake_run(tmp_path / "out" / "fs_mtl-s2", {"books": 0.6, "dvd": 0.7})  # every table file changes
    second = arguments(tmp_path, "--models", "fs_mtl", "--seeds", "1", "2", "--no-train")
    replace = os.replace
    for name in old:
        def failing_replace(source, destination, name=name):
            if os.path.basename(destination) == name:
                raise OSError(f"cannot rename onto {name}")
            return replace(source, destination)

        monkeypatch.setattr(os, "replace", failing_replace)
        with pytest.raises(OSError, match=f"cannot rename onto {name}"):
            script.main(second)
        assert (results / name).read_bytes() == old[name]
        assert not [p for p in results.rglob("*") if p.name.endswith(".partial")]
    monkeypatch.setattr(os, "replace", replace)
    assert script.main(second) == 0
    assert all((results / name).read_bytes() != content for name, content in old.items())
