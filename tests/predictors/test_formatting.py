import itertools

import numpy
import pytest
import torch
from allennlp.modules import ConditionalRandomField
from allennlp.modules.conditional_random_field import allowed_transitions

from graph_mtl.predictors.formatting import add_alpha, add_beta, attention_rows, crf_marginals


def brute_force_marginals(logits, crf):
    length, num_tags = logits.shape
    scores = {}
    mask = torch.ones(1, length, dtype=torch.bool)
    for path in itertools.product(range(num_tags), repeat=length):
        tags = torch.tensor([path])
        # log-likelihood of the path = score - log Z; exp of it is its probability
        scores[path] = crf(logits.unsqueeze(0), tags, mask).item()
    marginals = torch.zeros(length, num_tags)
    for path, log_prob in scores.items():
        for position, tag in enumerate(path):
            marginals[position, tag] += float(numpy.exp(log_prob))
    return marginals


@pytest.mark.parametrize("constrained", [False, True])
def test_crf_marginals_match_brute_force(constrained):
    torch.manual_seed(3)
    labels = {0: "O", 1: "B-NP", 2: "I-NP"}
    constraints = allowed_transitions("BIO", labels) if constrained else None
    crf = ConditionalRandomField(3, constraints, include_start_end_transitions=True)
    torch.nn.init.normal_(crf.transitions)
    torch.nn.init.normal_(crf.start_transitions)
    torch.nn.init.normal_(crf.end_transitions)
    logits = torch.randn(4, 3)
    marginals = crf_marginals(logits, crf)
    assert torch.allclose(marginals.sum(-1), torch.ones(4), atol=1e-5)
    if not constrained:  # allennlp's likelihood ignores constraints, so compare only without
        assert torch.allclose(marginals, brute_force_marginals(logits, crf), atol=1e-4)
    else:  # forbidden: O -> I-NP and a sentence starting with I-NP
        assert marginals[0, 2] < 1e-3


def test_attention_rows_cut_padding_and_pick_source_columns():
    alpha = numpy.zeros((5, 4))
    alpha[:3] = [[0.0, 0.5, 0.25, 0.25]] * 3
    rows = attention_rows("alpha", alpha, 3, [1, 2, 3])
    assert rows == [[0.5, 0.25, 0.25]] * 3
    beta = numpy.zeros((5, 5))
    beta[:2, :2] = [[0.7, 0.3], [0.4, 0.6]]
    assert attention_rows("beta", beta, 2) == [[0.7, 0.3], [0.4, 0.6]]


def test_alpha_over_task_and_virtual_sources_and_tasks_without_sources():
    # a topology where "b" reads task "a" and a virtual node "hub"; "a" reads nothing
    alpha = numpy.zeros((3, 2))
    alpha[:2, 0] = [0.25, 0.5]
    alpha_virtual = numpy.zeros((3, 1))
    alpha_virtual[:2, 0] = [0.75, 0.5]
    output = {"alpha": alpha, "alpha_virtual": alpha_virtual}
    result = {}
    add_alpha(result, output, "", 2, ["a", "hub"], ["a", "b"], ["hub"])
    assert result == {"alpha_sources": ["a", "hub"], "alpha": [[0.25, 0.75], [0.5, 0.5]]}
    result = {}
    add_alpha(result, {"alpha": numpy.zeros((3, 2))}, "", 2, [], ["a", "b"], ["hub"])
    assert result == {}


def test_beta_over_several_sources_comes_back_source_major():
    # the encoder's layout (get_attention, key beta_left_right): column j * 2 + s is position j
    # of source s; padded to 3 positions, 2 real tokens
    padded = numpy.zeros((3, 6))
    #           (pos0,left) (pos0,right) (pos1,left) (pos1,right)
    padded[0, :4] = [0.1, 0.2, 0.3, 0.4]
    padded[1, :4] = [0.4, 0.3, 0.2, 0.1]
    rows = attention_rows("beta", padded, 2, num_sources=2)
    # left's positions 0, 1, then right's positions 0, 1
    assert rows == [[0.1, 0.3, 0.2, 0.4], [0.4, 0.2, 0.3, 0.1]]


def test_beta_names_the_nodes_it_reads():
    graph = {"a": ["shared"], "b": ["left", "right"], "c": []}
    beta = numpy.zeros((3, 3))
    beta[:2, :2] = [[0.75, 0.25], [0.5, 0.5]]
    result = {}
    add_beta(result, {"beta": beta}, "", 2, graph["a"], True)
    assert result == {"beta_sources": ["shared"], "beta": [[0.75, 0.25], [0.5, 0.5]]}
    two = numpy.zeros((3, 6))
    two[:2, :4] = [[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]]
    result = {}
    add_beta(result, {"beta_left_right": two, "beta": beta}, "", 2, graph["b"], True)
    assert result == {"beta_sources": ["left", "right"], "beta": [[0.1, 0.3, 0.2, 0.4], [0.25] * 4]}
    result = {}  # a task that reads nothing gets no beta, even if another task's is in the batch
    add_beta(result, {"beta": beta}, "", 2, graph["c"], True)
    assert result == {}
    result = {}  # an encoder without a graph: its beta, no beta_sources
    add_beta(result, {"beta": beta}, "", 2, None, False)
    assert result == {"beta": [[0.75, 0.25], [0.5, 0.5]]}
