"""
The real `allennlp` command line on a fixture config, as a user runs it (subprocesses, from the
repository root, graph_mtl found through `.allennlp_plugins`): train until a hard crash,
`--recover`, evaluate, predict on a file.
"""
import json
import re
import signal
import subprocess
from pathlib import Path
from typing import List

import pytest

from tests.conftest import REPO_ROOT, venv_bin

CONFIG = "fixtures/cli/tiny_dc_mtl.jsonnet"
TASKS = ["books", "electronics", "kitchen_housewares"]
# What a normal run must never print: tracebacks, download attempts, platform deprecation noise.
NOISE = re.compile(
    r"Traceback|Error loading|Downloading|download|FutureWarning|DeprecationWarning|"
    r"UserWarning|pkg_resources"
)


def allennlp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [venv_bin("allennlp"), *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )


def assert_quiet(result: subprocess.CompletedProcess) -> None:
    output = result.stdout + result.stderr
    noise = [line for line in output.splitlines() if NOISE.search(line)]
    assert noise == [], "\n".join(noise[:10])


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    serialization_dir = tmp_path_factory.mktemp("cli") / "model"
    include = ["--include-package", "tests.crash_callback"]

    crashed = allennlp("train", CONFIG, "-s", str(serialization_dir), *include)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    assert (serialization_dir / "crashed-once").exists()
    # The checkpoint written after epoch 0 ("1 epoch completed, 0 batches into the next").
    assert list(serialization_dir.glob("model_state_e1_b0*.th"))
    assert not (serialization_dir / "model.tar.gz").exists()
    assert_quiet(crashed)

    recovered = allennlp("train", CONFIG, "-s", str(serialization_dir), "--recover", *include)
    assert recovered.returncode == 0, recovered.stderr[-3000:]
    assert_quiet(recovered)
    # Training went on from the checkpoint of epoch 0 instead of starting again.
    assert "Loading" in recovered.stderr or "Recovering" in recovered.stderr
    assert "Epoch 0/" not in recovered.stderr
    return serialization_dir


def test_train_recovers_after_a_crash(trained: Path):
    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["epoch"] == 2
    for epoch in range(3):
        assert (trained / f"metrics_epoch_{epoch}.json").exists()
    for task in TASKS:
        assert 0.0 <= metrics[f"validation_{task}_accuracy"] <= 1.0
    assert metrics["validation_average_accuracy"] == pytest.approx(
        sum(metrics[f"validation_{task}_accuracy"] for task in TASKS) / len(TASKS)
    )


def test_evaluate_on_a_dict_of_task_files(trained: Path, tmp_path: Path):
    inputs = {task: f"fixtures/demo/{task}.task.train#dev" for task in TASKS}
    output = tmp_path / "metrics.json"
    result = allennlp(
        "evaluate", str(trained / "model.tar.gz"), json.dumps(inputs), "--output-file", str(output)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_quiet(result)
    metrics = json.loads(output.read_text())
    trained_metrics = json.loads((trained / "metrics.json").read_text())
    for task in TASKS:
        # The archive holds the best epoch's weights; evaluating them on the dev split gives
        # the best validation accuracy recorded during training.
        assert metrics[f"{task}_accuracy"] == pytest.approx(
            trained_metrics[f"best_validation_{task}_accuracy"]
        )

    # The same weights with every task's messages removed (the encoder's read_messages, set
    # through evaluate's own --overrides): the weights load, and the loss is another one.
    ablated_output = tmp_path / "ablated.json"
    ablated = allennlp(
        "evaluate", str(trained / "model.tar.gz"), json.dumps(inputs), "--output-file", str(ablated_output),
        "--overrides", json.dumps({"model.backbone.encoder.read_messages": False}),
    )
    assert ablated.returncode == 0, ablated.stderr[-3000:]
    ablated_metrics = json.loads(ablated_output.read_text())
    assert set(ablated_metrics) == set(metrics)
    assert ablated_metrics["loss"] != pytest.approx(metrics["loss"], rel=1e-6, abs=1e-9)


def read_jsonl(path: Path) -> List[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_predict_on_a_file_keeps_input_order(trained: Path, tmp_path: Path):
    source = REPO_ROOT / "fixtures" / "predict" / "demo_input.jsonl"
    output = tmp_path / "predictions.jsonl"
    result = allennlp(
        "predict", str(trained / "model.tar.gz"), str(source),
        "--output-file", str(output), "--silent", "--batch-size", "3",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_quiet(result)
    inputs = read_jsonl(source)
    predictions = read_jsonl(output)
    assert len(predictions) == len(inputs)
    for given, predicted in zip(inputs, predictions):
        assert predicted["task"] == given["task"]
        assert predicted["label"] in {"0", "1"}
        assert predicted["tokens"] == given["sentence"].split()
        assert sum(predicted["probs"].values()) == pytest.approx(1.0, abs=1e-3)
