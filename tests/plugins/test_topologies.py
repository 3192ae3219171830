"""The shipped plugin topologies: graph, validation, aggregators (no training)."""
import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError

from graph_mtl.modules.aggregators import MeanAggregator, SourceAttentionAggregator
from graph_mtl.modules.topologies import Topology
from graph_mtl_hierarchical.topology import HierarchicalTopology, find_cycle

TAGGING = ["pos", "chunk", "ner"]


def topology(config):
    return Topology.from_params(Params(config))


# ------------------------------------------------------------------------------------------- flat


def test_flat_every_task_reads_the_one_shared_node():
    flat = topology({"type": "flat"})
    assert flat.virtual_nodes() == ["shared"]
    assert flat.graph(["books", "dvd", "kitchen"]) == {
        "books": ["shared"],
        "dvd": ["shared"],
        "kitchen": ["shared"],
    }


def test_flat_shared_node_name_must_not_be_a_task():
    with pytest.raises(ConfigurationError, match="'shared'.*also a task name"):
        topology({"type": "flat"}).validate(["shared", "books"])
    renamed = topology({"type": "flat", "shared_node": "mailbox"})
    assert renamed.graph(["shared", "books"]) == {"shared": ["mailbox"], "books": ["mailbox"]}


def test_flat_aggregator_passes_the_shared_state_through_without_parameters():
    aggregator = topology({"type": "flat"}).build_aggregator("books", ["shared"], 5, 4, 3)
    assert isinstance(aggregator, MeanAggregator)
    assert aggregator.kind == "none" and not list(aggregator.parameters())
    torch.manual_seed(0)
    inputs, messages = torch.randn(2, 6, 5), torch.randn(2, 6, 1, 3)
    mask = torch.ones(2, 6, dtype=torch.bool)
    steps = aggregator.fast_steps(inputs, messages, mask)
    for t in range(6):
        message, weights = steps.forward(t, torch.randn(2, 4))
        assert weights is None
        assert torch.equal(message, messages[:, t, 0])  # r_t = h_t^(s), same for every task


# ----------------------------------------------------------------------------------- hierarchical


def test_hierarchical_sources_are_the_tasks_below_transitively_by_default():
    hierarchy = topology({"type": "hierarchical", "order": {"chunk": ["pos"], "ner": ["chunk"]}})
    assert hierarchy.virtual_nodes() == []
    # ner is above chunk, which is above pos: ner reads both, in the model's task order
    assert hierarchy.graph(TAGGING) == {"pos": [], "chunk": ["pos"], "ner": ["pos", "chunk"]}
    assert hierarchy.graph(["ner", "chunk", "pos"])["ner"] == ["chunk", "pos"]


def test_hierarchical_direct_sources_only_when_not_transitive():
    hierarchy = topology(
        {"type": "hierarchical", "order": {"chunk": ["pos"], "ner": ["chunk"]}, "transitive": False}
    )
    assert hierarchy.graph(TAGGING) == {"pos": [], "chunk": ["pos"], "ner": ["chunk"]}


def test_hierarchical_paper_example_and_tasks_outside_the_order():
    hierarchy = topology(
        {"type": "hierarchical", "order": {"chunk": ["pos"], "ner": ["pos", "chunk"]}}
    )
    assert hierarchy.graph(TAGGING + ["extra"]) == {
        "pos": [],
        "chunk": ["pos"],
        "ner": ["pos", "chunk"],
        "extra": [],  # not in the order: receives nothing
    }


@pytest.mark.parametrize(
    "order, path",
    [
        ({"chunk": ["pos"], "pos": ["chunk"]}, "chunk -> pos -> chunk"),
        ({"pos": ["pos"]}, "pos -> pos"),
        ({"ner": ["chunk"], "chunk": ["pos"], "pos": ["ner"]}, "ner -> chunk -> pos -> ner"),
        ({"ner": ["pos", "chunk"], "chunk": ["srl"], "srl": ["chunk"]}, "chunk -> srl -> chunk"),
    ],
)
def test_hierarchical_rejects_cycles_with_the_cycle_path(order, path):
    with pytest.raises(ConfigurationError) as error:
        topology({"type": "hierarchical", "order": order})
    assert "cycle" in str(error.value) and path in str(error.value)


def test_find_cycle_accepts_diamonds():
    assert find_cycle({"d": ["b", "c"], "b": ["a"], "c": ["a"]}) is None
    assert find_cycle({}) is None


@pytest.mark.parametrize(
    "order, unknown",
    [({"chunk": ["pso"]}, "'pso' (in order['chunk'])"), ({"nerr": ["pos"]}, "'nerr' (a key of order)")],
)
def test_hierarchical_rejects_unknown_task_names(order, unknown):
    hierarchy = topology({"type": "hierarchical", "order": order})
    with pytest.raises(ConfigurationError) as error:
        hierarchy.graph(TAGGING)
    message = str(error.value)
    assert unknown in message and "['chunk', 'ner', 'pos']" in message


def test_hierarchical_rejects_malformed_orders():
    with pytest.raises(ConfigurationError, match="must map each task"):
        HierarchicalTopology(["pos", "chunk"])
    with pytest.raises(ConfigurationError, match=r"order\['ner'\] must be a list"):
        HierarchicalTopology({"ner": [1, 2]})
    # a single name is accepted for a single task below
    assert HierarchicalTopology({"chunk": "pos"}).graph(["pos", "chunk"])["chunk"] == ["pos"]


def test_hierarchical_aggregator_attends_over_its_sources():
    hierarchy = topology(
        {"type": "hierarchical", "order": {"chunk": ["pos"], "ner": ["pos", "chunk"]}}
    )
    aggregator = hierarchy.build_aggregator("ner", ["pos", "chunk"], 5, 4, 4)
    assert isinstance(aggregator, SourceAttentionAggregator) and aggregator.kind == "sources"
    torch.manual_seed(0)
    messages = torch.randn(2, 3, 2, 4)
    with torch.no_grad():  # the hand-written steps run inside the recurrence, without autograd
        steps = aggregator.fast_steps(torch.randn(2, 3, 5), messages, torch.ones(2, 3, dtype=torch.bool))
        message, weights = steps.forward(1, torch.randn(2, 4))
    assert weights.shape == (2, 2)
    assert torch.allclose(weights.sum(-1), torch.ones(2))
    assert torch.allclose(message, (weights.unsqueeze(-1) * messages[:, 1]).sum(1))
    # each target has its own attention unless shared_attention is set
    other = hierarchy.build_aggregator("chunk", ["pos"], 5, 4, 4)
    assert other.scorer is not aggregator.scorer


# ------------------------------------------------------------------------ inside the encoder


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize(
    "topology_config",
    [{"type": "flat"}, {"type": "hierarchical", "order": {"chunk": ["pos"], "ner": ["pos", "chunk"]}}],
    ids=["flat", "hierarchical"],
)
def test_plugin_topologies_in_the_message_passing_encoder(topology_config, bidirectional):
    from allennlp.modules import Seq2SeqEncoder

    torch.manual_seed(1)
    tasks = ["chunk", "ner", "pos"]
    encoder = Seq2SeqEncoder.from_params(
        Params(
            {
                "type": "message_passing",
                "tasks": tasks,
                "input_dim": 4,
                "hidden_dim": 3,
                "num_layers": 2,
                "bidirectional": bidirectional,
                "topology": dict(topology_config),
            }
        )
    )
    inputs = torch.randn(3, 5, 4)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2, [True] * 4 + [False]])
    batch_tasks = ["pos", "ner", "chunk"]
    output = encoder(inputs, mask, task=batch_tasks)
    assert output.shape == (3, 5, 6 if bidirectional else 3)
    assert torch.all(output[~mask] == 0)
    attention = encoder.get_attention()

    # every parameter is trained, except the attention of a target with a single source
    # (chunk reads only pos: softmax over one source is constantly 1, so W, u get no gradient)
    output.sum().backward()
    untrained = {name for name, p in encoder.named_parameters() if p.grad is None or not p.grad.any()}
    if topology_config["type"] == "flat":
        assert not untrained
    else:
        assert untrained and all(".aggregators.chunk.scorer." in name for name in untrained)

    # a mixed batch gives each instance what it gets alone
    for row, task in enumerate(batch_tasks):
        alone = encoder(inputs[row : row + 1], mask[row : row + 1], task=[task])
        assert torch.allclose(alone[0], output[row], atol=1e-6)

    if topology_config["type"] == "flat":
        assert encoder.virtual_nodes == ["shared"]
        assert not attention  # no learned communication weights
    else:
        keys = ["alpha", "alpha_backward"] if bidirectional else ["alpha"]
        assert sorted(attention) == keys
        for key in keys:
            alpha = attention[key]  # (batch, seq_len, tasks) in encoder.tasks order
            assert torch.all(alpha[0] == 0)  # pos is at the bottom: receives nothing
            assert torch.allclose(alpha[1][mask[1]].sum(-1), torch.ones(3))  # ner: pos + chunk
            assert torch.all(alpha[1][:, tasks.index("ner")] == 0)
            assert torch.allclose(alpha[2][mask[2]][:, tasks.index("pos")], torch.ones(4))  # chunk: pos only
            assert torch.all(alpha[:, :][~mask] == 0)
