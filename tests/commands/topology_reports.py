"""
Tiny models of every kind of topology and their reports, shared by test_report_topologies.py
and test_report_browser.py: the built-in `direct` and `indirect`, the `flat` and `hierarchical`
plugins, and two topologies registered here (`two_hubs`: beta over the positions of two
virtual nodes; `mixed`: alpha over a task and a virtual node, beta, a fixed mean and a task
without messages in one model).
"""
import json
from typing import Any, Dict

import pytest

from graph_mtl.commands.report import make_report
from graph_mtl.modules.aggregators import MeanAggregator, PositionAttentionAggregator, SourceAttentionAggregator
from graph_mtl.modules.topologies import Topology
from tests.predictors.tiny_models import PREDICT_FIXTURES, TASKS, tiny_model


class TwoHubsTopology(Topology):
    """Every task attends over the positions of two virtual nodes at once (one beta row over
    both), the case whose encoder key is `beta_left_right`."""

    def virtual_nodes(self):
        return ["left", "right"]

    def sources(self, target, tasks):
        return ["left", "right"]

    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        return PositionAttentionAggregator(input_dim, hidden_dim, message_dim)


class MixedTopology(Topology):
    """books: alpha over task dvd and virtual node hub; dvd: beta over hub; chunk: a fixed
    mean of pos; pos: no messages."""

    GRAPH = {"books": ["dvd", "hub"], "dvd": ["hub"], "chunk": ["pos"], "pos": []}

    def virtual_nodes(self):
        return ["hub"]

    def sources(self, target, tasks):
        return list(self.GRAPH[target])

    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        if target == "books":
            return SourceAttentionAggregator(input_dim, hidden_dim, message_dim)
        if target == "dvd":
            return PositionAttentionAggregator(input_dim, hidden_dim, message_dim)
        return MeanAggregator()


for _name, _cls in (("report_test_two_hubs", TwoHubsTopology), ("report_test_mixed", MixedTopology)):
    if _name not in Topology.list_available():
        Topology.register(_name)(_cls)

HIERARCHY = {"chunk": ["pos"], "dvd": ["books", "pos"]}
TOPOLOGIES: Dict[str, Any] = {
    "flat": {"type": "flat"},
    "hierarchical": {"type": "hierarchical", "order": HIERARCHY},
    "two_hubs": {"type": "report_test_two_hubs"},
    "mixed": {"type": "report_test_mixed"},
}
# what each task reads, per topology (the report's "How the tasks communicate")
EXPECTED_GRAPHS = {
    "direct": {t: [s for s in TASKS if s != t] for t in TASKS},
    "indirect": {t: ["shared"] for t in TASKS},
    "flat": {t: ["shared"] for t in TASKS},
    "hierarchical": {"books": [], "dvd": ["books", "pos"], "chunk": ["pos"], "pos": []},
    "two_hubs": {t: ["left", "right"] for t in TASKS},
    "mixed": MixedTopology.GRAPH,
}
EXPECTED_WEIGHTS = {
    "direct": {t: "alpha" for t in TASKS},
    "indirect": {t: "beta" for t in TASKS},
    "flat": {t: "fixed (MeanAggregator)" for t in TASKS},
    "hierarchical": {"books": "no messages", "dvd": "alpha", "chunk": "alpha", "pos": "no messages"},
    "two_hubs": {t: "beta" for t in TASKS},
    "mixed": {"books": "alpha", "dvd": "beta", "chunk": "fixed (MeanAggregator)", "pos": "no messages"},
}
TOPOLOGY_NAMES = {"direct": "dc_mtl", "indirect": "ic_mtl", "flat": "flat", "hierarchical": "hierarchical",
                  "two_hubs": "report_test_two_hubs", "mixed": "report_test_mixed"}


@pytest.fixture(scope="module")
def reports(tmp_path_factory, dc_archive, ic_archive):
    """topology -> (summary, page, predictions) of a report on fixtures/predict/input.jsonl."""
    archives = {"direct": dc_archive, "indirect": ic_archive}
    for name, topology in TOPOLOGIES.items():
        archives[name] = tiny_model(tmp_path_factory, "dc_mtl", topology=topology, name=f"report_{name}")
    result = {}
    for name, archive in archives.items():
        out = tmp_path_factory.mktemp(f"report_{name}")
        summary = make_report(str(archive), str(PREDICT_FIXTURES / "input.jsonl"), str(out), max_figures=2)
        page = (out / "report.html").read_text(encoding="utf-8")
        predictions = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
        result[name] = (summary, page, predictions)
    return result
