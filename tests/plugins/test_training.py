"""
Training with plugin topologies:

* the shipped configs (training_configs/plugins/*.jsonnet) train on tiny fixtures with the
  `flat` / `hierarchical` plugins found through their entry points, and reload from the archive;
* a plugin written inside the test (the smallest example of docs/plugins.md, as a throwaway
  distribution on PYTHONPATH) is picked up by a subprocess `allennlp train`, while a broken
  plugin next to it is reported and does not stop training;
* a config naming an unknown topology fails with the list of the available ones.
"""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive

from graph_mtl.plugins import get_plugin_manager
from graph_mtl_flat.topology import FlatTopology
from graph_mtl_hierarchical.topology import HierarchicalTopology

from tests.conftest import FIXTURES, REPO_ROOT, venv_bin
from tests.plugins.test_manager import write_dist

CONFIGS = REPO_ROOT / "training_configs" / "plugins"
DATA = FIXTURES / "plugins"
DIM = 8
DATA_VARIABLES = ("FDU_MTL_DIR", "PTB_POS_DIR", "CONLL2000_DIR", "CONLL2003_DIR")


def fixture_overrides(config: Path) -> dict:
    """Tiny data and dimensions, one epoch: overrides for any training_configs/plugins config."""
    model = Params.from_file(str(config)).as_dict()["model"]
    tasks = list(model["heads"])
    tagging = "pos" in tasks
    directions = 2 if model["backbone"]["encoder"].get("bidirectional") else 1
    if tagging:
        train = {task: str(DATA / "tagging" / f"{task}.train.txt") for task in tasks}
        dev = {task: str(DATA / "tagging" / f"{task}.dev.txt") for task in tasks}
    else:  # the 16 FDU-MTL tasks read the two fixture domains in turn
        domains = ["books", "dvd"]
        train = {t: str(DATA / "classification" / f"{domains[i % 2]}.task.train") for i, t in enumerate(tasks)}
        dev = {t: str(DATA / "classification" / f"{domains[i % 2]}.task.dev") for i, t in enumerate(tasks)}
    overrides = {
        "train_data_path": train,
        "validation_data_path": dev,
        "model.backbone.text_field_embedder.token_embedders.tokens.embedding_dim": DIM,
        "model.backbone.encoder.input_dim": DIM,
        "model.backbone.encoder.hidden_dim": DIM,
        "trainer.num_epochs": 1,
    }
    for task in tasks:
        overrides[f"model.heads.{task}.input_dim"] = directions * DIM
    return overrides


@pytest.fixture
def data_variables(monkeypatch):
    # The configs read their data directories with std.extVar; the tests override the paths.
    for name in DATA_VARIABLES:
        monkeypatch.setenv(name, "/unused")


@pytest.mark.parametrize(
    "config, topology_class, graph",
    [
        ("flat_classification", FlatTopology, {"books": ["shared"], "MR": ["shared"]}),
        ("hierarchical_classification", HierarchicalTopology, {"books": [], "toys_games": ["baby", "kitchen_housewares"]}),
        ("flat_tagging", FlatTopology, {"pos": ["shared"], "chunk": ["shared"], "ner": ["shared"]}),
        ("hierarchical_tagging", HierarchicalTopology, {"pos": [], "chunk": ["pos"], "ner": ["chunk", "pos"]}),
    ],
)
def test_shipped_plugin_configs_train_and_reload(config, topology_class, graph, tmp_path, data_variables):
    manager = get_plugin_manager()
    plugin = config.split("_")[0]
    assert manager.origins[plugin].startswith(f"entry point {plugin} = graph_mtl_{plugin}.plugin")

    path = CONFIGS / f"{config}.jsonnet"
    model = train_model_from_file(
        str(path), str(tmp_path), overrides=json.dumps(fixture_overrides(path)), force=True
    )
    encoder = model._backbone.encoder
    assert type(encoder.topology) is topology_class
    assert {task: encoder.graph()[task] for task in graph} == graph

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    average = "validation_average_accuracy" if "classification" in config else "validation_average_f1"
    assert average in metrics and metrics["training_loss"] > 0

    archive = load_archive(str(tmp_path / "model.tar.gz"))
    reloaded = archive.model._backbone.encoder
    assert type(reloaded.topology) is topology_class
    assert reloaded.graph() == encoder.graph()
    trained_state, reloaded_state = model.state_dict(), archive.model.state_dict()
    assert trained_state.keys() == reloaded_state.keys()
    assert all(torch.equal(trained_state[key], reloaded_state[key]) for key in trained_state)


def test_unknown_topology_in_a_config_lists_the_available_ones(tmp_path, data_variables):
    path = CONFIGS / "flat_tagging.jsonnet"
    overrides = fixture_overrides(path)
    overrides["model.backbone.encoder.topology"] = {"type": "no_such_topology"}
    with pytest.raises(ConfigurationError) as error:
        train_model_from_file(str(path), str(tmp_path), overrides=json.dumps(overrides), force=True)
    message = str(error.value)
    assert "no_such_topology" in message
    assert all(name in message for name in ("direct", "indirect", "flat", "hierarchical"))


def doc_example() -> str:
    """The plugin module of the smallest example in docs/plugins.md."""
    text = (REPO_ROOT / "docs" / "plugins.md").read_text()
    match = re.search(r"`graph_mtl_previous\.py`\s*```python\n(.*?)```", text, re.DOTALL)
    assert match, "docs/plugins.md lost its example"
    return match.group(1)


def train_with_plugin(tmp_path, plugins, topology: str, num_epochs: int = 1) -> str:
    """`allennlp train` (a subprocess, PYTHONPATH = the `plugins` folder) of a two-domain DC-MTL
    config whose topology is `topology`; returns its output (stdout + stderr), asserting success."""
    config = tmp_path / f"{topology}.jsonnet"
    config.write_text(
        f"local fdu_mtl = import '{REPO_ROOT / 'training_configs' / 'lib' / 'fdu_mtl.libsonnet'}';\n"
        f"local plugins = import '{CONFIGS / 'plugins.libsonnet'}';\n"
        "plugins.with_topology(fdu_mtl.config('dc_mtl', tasks=['books', 'dvd'], "
        f"settings={{embedding_dim: {DIM}, hidden_dim: {DIM}, num_epochs: {num_epochs}}}), {{type: '{topology}'}})\n"
    )
    classification = DATA / "classification"
    overrides = {
        "train_data_path": {d: str(classification / f"{d}.task.train") for d in ("books", "dvd")},
        "validation_data_path": {d: str(classification / f"{d}.task.dev") for d in ("books", "dvd")},
    }
    env = dict(os.environ, PYTHONPATH=str(plugins), FDU_MTL_DIR="/unused")
    result = subprocess.run(
        [venv_bin("allennlp"), "train", str(config), "-s", str(tmp_path / "run"), "-o", json.dumps(overrides)],
        cwd=REPO_ROOT,  # where .allennlp_plugins names graph_mtl
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    return output


def test_plugin_written_in_the_test_is_picked_up_by_allennlp_train(tmp_path):
    plugins = tmp_path / "site"
    plugins.mkdir()
    write_dist(
        plugins,
        "graph_mtl_previous",
        {"previous": "graph_mtl_previous", "broken_example": "broken_example_plugin"},
        {
            "graph_mtl_previous": doc_example(),
            "broken_example_plugin": "import a_module_that_does_not_exist_anywhere\n",
        },
    )
    output = train_with_plugin(tmp_path, plugins, "previous")
    # the broken plugin is reported with its name and the error, and did not stop anything
    assert "graph-mtl plugin 'broken_example' failed" in output
    assert "No module named 'a_module_that_does_not_exist_anywhere'" in output
    # the test's plugin provided the topology the encoder was built with
    assert "model.backbone.encoder.topology.type = previous" in output
    assert (tmp_path / "run" / "model.tar.gz").exists()
    assert json.loads((tmp_path / "run" / "config.json").read_text())["model"]["backbone"]["encoder"]["topology"] == {"type": "previous"}


def doc_aggregator_example() -> str:
    """The aggregator plugin module of docs/plugins.md ("Writing your own aggregator")."""
    text = (REPO_ROOT / "docs" / "plugins.md").read_text()
    match = re.search(r"`graph_mtl_gated_max\.py`.*?```python\n(.*?)```", text, re.DOTALL)
    assert match, "docs/plugins.md lost its aggregator example"
    return match.group(1)


def test_aggregator_plugin_of_the_guide_trains_through_allennlp_train(tmp_path):
    plugins = tmp_path / "site"
    plugins.mkdir()
    write_dist(plugins, "graph_mtl_gated_max", {"gated_max": "graph_mtl_gated_max"},
               {"graph_mtl_gated_max": doc_aggregator_example()})
    output = train_with_plugin(tmp_path, plugins, "gated_max", num_epochs=2)
    # the path the recurrence took, said once (two epochs, many batches)
    assert output.count("aggregator GatedMaxAggregator has no fast_steps: its step() is differentiated by autograd") == 1
    # the plugin's aggregators (one per target, with their gate) are in the trained weights
    final = torch.load(tmp_path / "run" / "best.th", weights_only=True)
    for task in ("books", "dvd"):
        gate = final[f"_backbone._encoder.forward_layers.0.aggregators.{task}.gate.weight"]
        assert gate.shape == (1, DIM) and torch.isfinite(gate).all()
    assert (tmp_path / "run" / "model.tar.gz").exists()
