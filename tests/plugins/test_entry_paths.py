"""
Plugins seen through every way into graph-mtl: the `allennlp` command line, `import graph_mtl`
and `python -m graph_mtl.plugins`, each in its own process (issue 15 points 2 and 3):

* two installed plugins registering one topology name: refused on every path with the same
  message, naming both plugins, their modules and their distributions; neither class is used;
* a plugin that fails to import: the final error of a config naming its topology says that the
  plugin failed (name, module, exception), not only allennlp's "not in acceptable choices" with
  its `--include-package` hint.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, REPO_ROOT, venv_bin
from tests.plugins.test_manager import write_dist

CONFIGS = REPO_ROOT / "training_configs" / "plugins"
CLASSIFICATION = FIXTURES / "plugins" / "classification"

TOPOLOGY_MODULE = """\
from graph_mtl.modules.aggregators import MeanAggregator
from graph_mtl.modules.topologies import Topology
from graph_mtl.plugins import hookimpl


class {cls}(Topology):
    def sources(self, target, tasks):
        return [task for task in tasks if task != target]

    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        return MeanAggregator()


@hookimpl
def graph_mtl_topologies():
    return {{"test_clash": {cls}}}
"""


def clashing_site(root: Path) -> Path:
    """Two distributions whose plugins both register the topology `test_clash`."""
    site = root / "site"
    site.mkdir()
    write_dist(site, "clash_one", {"clash_one": "test_clash_one"},
               {"test_clash_one": TOPOLOGY_MODULE.format(cls="OneTopology")})
    write_dist(site, "clash_two", {"clash_two": "test_clash_two"},
               {"test_clash_two": TOPOLOGY_MODULE.format(cls="TwoTopology")})
    return site


def run(command, site: Path, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(site), FDU_MTL_DIR="/unused", OMP_NUM_THREADS="1")
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def train_with_topology(tmp_path: Path, site: Path, topology: str) -> subprocess.CompletedProcess:
    """`allennlp train` of a two-task DC-MTL config whose topology is `topology` (fails when the
    encoder is built, before any training)."""
    config = tmp_path / "config.jsonnet"
    config.write_text(
        f"local fdu_mtl = import '{REPO_ROOT / 'training_configs' / 'lib' / 'fdu_mtl.libsonnet'}';\n"
        f"local plugins = import '{CONFIGS / 'plugins.libsonnet'}';\n"
        "plugins.with_topology(fdu_mtl.config('dc_mtl', tasks=['books', 'dvd'], "
        f"settings={{embedding_dim: 8, hidden_dim: 8, num_epochs: 1}}), {{type: '{topology}'}})\n"
    )
    overrides = {
        "train_data_path": {d: str(CLASSIFICATION / f"{d}.task.train") for d in ("books", "dvd")},
        "validation_data_path": {d: str(CLASSIFICATION / f"{d}.task.dev") for d in ("books", "dvd")},
    }
    return run([venv_bin("allennlp"), "train", str(config), "-s", str(tmp_path / "run"),
                "-o", json.dumps(overrides)], site)


def final_error(output: str) -> str:
    """The last line of the traceback (the exception the user reads last)."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1]


CLASH = re.compile(r"Topology name 'test_clash' is registered by 2 graph-mtl plugins: .*")


def test_a_name_registered_by_two_plugins_is_refused_identically_on_every_path(tmp_path):
    site = clashing_site(tmp_path)

    imported = run([sys.executable, "-c", (
        "import graph_mtl\n"
        "from graph_mtl.modules.topologies import Topology\n"
        "print('registered:', 'test_clash' in Topology.list_available())\n"
    )], site)
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert "registered: False" in imported.stdout  # neither class wins
    clash = CLASH.search(imported.stderr).group(0)  # printed by a plain `import graph_mtl`
    for part in ("'clash_one' (module test_clash_one, distribution clash_one 0.0.1)",
                 "'clash_two' (module test_clash_two, distribution clash_two 0.0.1)",
                 "neither is used", "GRAPH_MTL_DISABLE_PLUGINS"):
        assert part in clash, clash

    listed = run([sys.executable, "-m", "graph_mtl.plugins"], site)
    assert listed.returncode == 1
    assert clash in listed.stdout, listed.stdout

    trained = train_with_topology(tmp_path, site, "test_clash")
    assert trained.returncode != 0
    assert clash in trained.stderr  # logged when graph_mtl loads its plugins ...
    last = final_error(trained.stderr)
    assert clash in last and "--include-package" not in last  # ... and the final error


def test_disabling_one_of_two_clashing_plugins_gives_the_name_to_the_other(tmp_path):
    site = clashing_site(tmp_path)
    env_run = subprocess.run(
        [sys.executable, "-c", (
            "import graph_mtl\n"
            "from graph_mtl.modules.topologies import Topology\n"
            "print(Topology.by_name('test_clash').__name__)\n"
        )],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(site), GRAPH_MTL_DISABLE_PLUGINS="clash_one"),
    )
    assert env_run.returncode == 0, env_run.stderr[-3000:]
    assert env_run.stdout.strip().splitlines()[-1] == "TwoTopology"


def test_the_final_error_says_which_plugin_failed(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    write_dist(site, "broken_topology_dist", {"broken_topology": "test_broken_topology"},
               {"test_broken_topology": "import a_dependency_that_is_not_installed\n"})
    trained = train_with_topology(tmp_path, site, "previous_broken")
    assert trained.returncode != 0
    last = final_error(trained.stderr)
    assert "previous_broken not in acceptable choices" in last
    for part in ("graph-mtl plugin 'broken_topology'", "module test_broken_topology",
                 "distribution broken_topology_dist 0.0.1",
                 "ModuleNotFoundError: No module named 'a_dependency_that_is_not_installed'",
                 "python -m graph_mtl.plugins"):
        assert part in last, last
    assert "--include-package" not in last


LISTER_IMPORTS = """\
import runpy, sys
import graph_mtl
loaded = set(sys.modules)
try:
    runpy.run_module("graph_mtl.plugins", run_name="__main__", alter_sys=True)
except SystemExit as exit:
    status = exit.code
print("STATUS", status)
print("EXTRA", " ".join(sorted(set(sys.modules) - loaded)))
"""


def test_the_plugin_lister_imports_nothing_beyond_graph_mtl_itself(tmp_path):
    # `python -m graph_mtl.plugins` must cost what `import graph_mtl` costs (it has to import the
    # plugins, which import graph_mtl) and no more: no report, plotting or training stack
    # (benchmarks/results/cli-startup.md has the times).
    listed = run([sys.executable, "-c", LISTER_IMPORTS], tmp_path, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert "graph-mtl plugins:" in listed.stdout
    assert "STATUS 0" in listed.stdout
    extra = listed.stdout.split("EXTRA", 1)[1].split()
    assert extra == [], extra
