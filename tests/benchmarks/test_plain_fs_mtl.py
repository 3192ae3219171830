"""benchmarks/plain_fs_mtl.py: the plan holds exactly the config's epoch-0 batches, and the
torch-only loop trains one epoch over them (dense and sparse embeddings)."""
import json
import subprocess
import sys

import pytest
from allennlp.common import Params
from allennlp.data import DataLoader, DatasetReader

from benchmarks import plain_fs_mtl
from tests.conftest import FIXTURES, REPO_ROOT

TASKS = ["books", "electronics", "kitchen_housewares"]


def write_config(tmp_path, settings: str) -> str:
    lib = REPO_ROOT / "training_configs" / "lib"
    data = FIXTURES / "demo"
    config = tmp_path / "fs_mtl.jsonnet"
    config.write_text(
        f"local common = import '{lib}/common.libsonnet';\n"
        f"(import '{lib}/fdu_mtl.libsonnet').config('fs_mtl', {json.dumps(TASKS)}, "
        f"{{embedding_dim: 8, hidden_dim: 6, dev_size: 16}} + {settings}) + {{\n"
        f"  train_data_path: {{ [t]: '{data}/' + t + '.task.train#train' for t in {json.dumps(TASKS)} }},\n"
        f"  validation_data_path: {{ [t]: '{data}/' + t + '.task.train#dev' for t in {json.dumps(TASKS)} }},\n"
        "}\n"
    )
    return str(config)


@pytest.mark.parametrize("settings", ["{}", "common.paper_recipe"])
def test_plan_is_the_configs_epoch_and_the_plain_loop_trains_it(tmp_path, settings):
    config = write_config(tmp_path, settings)
    plan_path, result_path = tmp_path / "plan.json", tmp_path / "result.json"
    plan = plain_fs_mtl.export_plan(config, str(plan_path))

    params = Params.from_file(config)
    reader = DatasetReader.from_params(params.pop("dataset_reader"))
    loader = DataLoader.from_params(params.pop("data_loader"), reader=reader, data_path=params.pop("train_data_path"))
    expected = [
        [[t.text for t in loader._instances[task][index].fields["tokens"].tokens] for task, index in batch]
        for batch in loader.epoch_plan(0)
    ]
    assert [batch["words"] for batch in plan["batches"]] == expected
    assert sum(len(batch["words"]) for batch in plan["batches"]) == 3 * 48
    assert plan["sparse"] is (settings == "{}")
    assert plan["optimizer"]["type"] == ("dense_sparse_adam" if settings == "{}" else "adadelta")
    assert plan["hidden_dim"] == 6 and plan["embedding_dim"] == 8

    # the timed loop runs in a process that imports nothing from allennlp
    code = "\n".join([
        "import runpy, sys",
        "script, plan, result, lstm_input = sys.argv[1:]",
        "sys.argv = [script, 'train', plan, result, '--lstm-input', lstm_input]",
        "try:",
        "    runpy.run_path(script, run_name='__main__')",
        "except SystemExit as stop:",
        "    assert stop.code == 0, stop.code",
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('allennlp', 'allennlp_models', 'graph_mtl'))",
        "assert not leaked, leaked",
    ])
    script = str(REPO_ROOT / "benchmarks" / "plain_fs_mtl.py")
    lstm_input = "padded" if settings == "{}" else "packed"
    process = subprocess.run([sys.executable, "-c", code, script, str(plan_path), str(result_path), lstm_input],
                             capture_output=True, text=True)
    assert process.returncode == 0, process.stderr[-2000:]
    result = json.loads(result_path.read_text())
    assert result["instances"] == 3 * 48 and result["batches"] == len(plan["batches"])
    assert result["lstm_input"] == lstm_input
    assert result["tokens"] == sum(len(s) for batch in expected for s in batch)
    assert 0.0 < result["training_loss"] < 5.0 and 0.0 <= result["training_accuracy"] <= 1.0
