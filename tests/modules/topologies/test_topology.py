"""The `Topology` contract: a user-defined topology plugged into the encoder, and the errors a
topology's author gets for a bad graph or bad node names."""
from typing import List

import pytest
import torch
from allennlp.common.checks import ConfigurationError

from graph_mtl.modules.aggregators import MeanAggregator, SourceAttentionAggregator
from graph_mtl.modules.seq2seq_encoders import MessagePassingEncoder
from graph_mtl.modules.topologies import DirectTopology, Topology
from tests.modules.helpers import TASKS, make_encoder, random_inputs
from tests.modules.reference import reference_forward


@Topology.register("_test_chain", exist_ok=True)
class ChainTopology(Topology):
    """books <- nobody; dvd <- books, hub (attention); music <- books, dvd (mean)."""

    def virtual_nodes(self) -> List[str]:
        return ["hub"]

    def sources(self, target: str, tasks: List[str]) -> List[str]:
        return {"books": [], "dvd": ["books", "hub"], "music": ["books", "dvd"]}[target]

    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        if target == "music":
            return MeanAggregator()
        return SourceAttentionAggregator(input_dim, hidden_dim, message_dim)


def test_user_topology_with_empty_sources_virtual_nodes_and_mean():
    encoder = make_encoder("_test_chain", bidirectional=True)
    assert encoder.graph() == {"books": [], "dvd": ["books", "hub"], "music": ["books", "dvd"]}
    assert set(encoder.forward_layers[0].aggregators) == {"dvd", "music"}
    tasks = ["music", "books", "dvd", "books"]
    inputs, mask = random_inputs([4, 3, 2, 4], seq_len=5)
    inputs.requires_grad_(True)
    fast = encoder(inputs, mask, tasks)
    attention = encoder.get_attention()
    slow, slow_attention = reference_forward(encoder, inputs, mask, tasks)
    assert torch.allclose(fast, slow, atol=1e-10)
    grads = torch.autograd.grad(fast.sum(), inputs)[0]
    slow_grads = torch.autograd.grad(slow.sum(), inputs)[0]
    assert torch.allclose(grads, slow_grads, atol=1e-10)
    # Only dvd (attention over books and the virtual hub) has weights; music's mean and books
    # give 0 rows. Task and virtual columns together sum to 1.
    assert set(attention) == set(slow_attention) == {
        "alpha", "alpha_virtual", "alpha_backward", "alpha_virtual_backward"
    }
    for key in attention:
        assert torch.allclose(attention[key], slow_attention[key], atol=1e-10), key
    for suffix in ("", "_backward"):
        alpha, alpha_virtual = attention["alpha" + suffix], attention["alpha_virtual" + suffix]
        assert alpha.shape == (4, 5, 3) and alpha_virtual.shape == (4, 5, 1)
        total = alpha[2, :2].sum(-1) + alpha_virtual[2, :2].sum(-1)
        assert torch.allclose(total, torch.ones(2, dtype=torch.float64))
        assert torch.all(alpha[2, 2:] == 0) and torch.all(alpha_virtual[2, 2:] == 0)
        assert torch.all(alpha[[0, 1, 3]] == 0) and torch.all(alpha_virtual[[0, 1, 3]] == 0)

    # books has no sources: its output is the plain LSTM (r_t = 0) of its own weights.
    books = encoder.forward_layers[0].nodes["books"]
    back = encoder.backward_layers[0].nodes["books"]
    x = inputs[1:2, :3]
    expected = torch.cat([books(x)[0], back(x.flip(1))[0].flip(1)], dim=-1)
    assert torch.allclose(fast[1:2, :3], expected, atol=1e-12)


def test_topology_giving_unknown_sources_is_rejected():
    class Broken(DirectTopology):
        def sources(self, target, tasks):
            return ["nowhere"]

    with pytest.raises(ConfigurationError, match="Broken gives task 'books' the unknown source.*'nowhere'"):
        MessagePassingEncoder(TASKS, 4, 3, topology=Broken())


def test_topology_repeating_a_source_or_naming_a_virtual_node_like_a_task_is_rejected():
    class Repeats(DirectTopology):
        def sources(self, target, tasks):
            return [task for task in tasks if task != target] * 2

    with pytest.raises(ConfigurationError, match="Repeats gives task 'books' a repeated source"):
        MessagePassingEncoder(TASKS, 4, 3, topology=Repeats())

    class Clash(DirectTopology):  # no validate() of its own: the generic check catches it
        def virtual_nodes(self):
            return ["dvd"]

    with pytest.raises(ConfigurationError, match="Clash: virtual node 'dvd' is also a task name"):
        MessagePassingEncoder(TASKS, 4, 3, topology=Clash())


@pytest.mark.parametrize(
    "bad, rule",
    [
        ("hub.a", "'.'"),
        ("", "empty"),
        ("keys", "torch.nn.ModuleDict"),
        (7, "string"),
    ],
)
def test_bad_virtual_node_names_are_configuration_errors_naming_the_rule(bad, rule):
    # torch's ModuleDict would raise a bare KeyError ("module name can't contain \".\"") from
    # deep inside the encoder; the topology's author gets the naming rule instead.
    class BadNames(DirectTopology):
        def virtual_nodes(self):
            return [bad]

    with pytest.raises(ConfigurationError) as error:
        MessagePassingEncoder(TASKS, 4, 3, topology=BadNames())
    message = str(error.value)
    assert "BadNames" in message and repr(bad) in message and rule in message
    assert "docs/plugins.md" in message


def test_duplicate_virtual_nodes_and_bad_task_names_are_rejected():
    class Twice(DirectTopology):
        def virtual_nodes(self):
            return ["hub", "hub"]

    with pytest.raises(ConfigurationError, match="more than once"):
        MessagePassingEncoder(TASKS, 4, 3, topology=Twice())
    with pytest.raises(ConfigurationError, match="task name 'books.v2'"):
        MessagePassingEncoder(["books.v2", "dvd"], 4, 3, topology="direct")
