"""The `indirect` topology (IC-MTL): every task reads one shared virtual node."""
import pytest
from allennlp.common.checks import ConfigurationError

from graph_mtl.modules.topologies import IndirectTopology
from tests.modules.helpers import TASKS


def test_indirect_graph_and_its_shared_node():
    assert IndirectTopology().graph(TASKS) == {task: ["shared"] for task in TASKS}
    assert IndirectTopology().virtual_nodes() == ["shared"]
    with pytest.raises(ConfigurationError, match="node_name"):
        IndirectTopology().graph(["shared", "books"])
    assert IndirectTopology(node_name="mailbox").graph(["shared"]) == {"shared": ["mailbox"]}
