"""The `direct` topology (DC-MTL): every task reads every other task."""
from graph_mtl.modules.topologies import DirectTopology
from tests.modules.helpers import TASKS


def test_direct_graph():
    assert DirectTopology().graph(TASKS) == {
        "books": ["dvd", "music"], "dvd": ["books", "music"], "music": ["books", "dvd"]
    }
