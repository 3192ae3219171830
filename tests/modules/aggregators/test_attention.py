"""The attention aggregators' building blocks (graph_mtl/modules/aggregators/attention.py)."""
import pytest
import torch

from graph_mtl.modules.aggregators import AdditiveScorer, MeanAggregator, SourceAttentionAggregator
from graph_mtl.modules.aggregators.attention import additive_scores


def test_additive_scores_gradients():
    torch.manual_seed(0)
    keys = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    query = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    vector = torch.randn(3, dtype=torch.float64, requires_grad=True)
    plain = torch.tanh(keys + query.unsqueeze(1)) @ vector
    assert torch.allclose(additive_scores(keys, query, vector), plain, atol=1e-14)
    for recompute in (True, False):
        assert torch.autograd.gradcheck(
            lambda k, q, v: additive_scores(k, q, v, recompute), (keys, query, vector)
        )


def test_scorer_blocks_are_the_columns_of_w_for_x_h_and_m():
    scorer = AdditiveScorer(input_dim=4, hidden_dim=3, message_dim=2, attention_dim=5)
    weight_x, weight_h, weight_m = scorer.blocks()
    assert (weight_x.shape, weight_h.shape, weight_m.shape) == ((5, 4), (5, 3), (5, 2))
    assert torch.equal(torch.cat([weight_x, weight_h, weight_m], dim=1), scorer.projection.weight)


def test_shared_scorer_must_fit_the_aggregator():
    scorer = AdditiveScorer(4, 3, 3, 5)
    assert SourceAttentionAggregator(4, 3, 3, scorer=scorer).scorer is scorer
    with pytest.raises(ValueError, match="a shared scorer must have the dimensions"):
        SourceAttentionAggregator(4, 3, 2, scorer=scorer)


def test_source_embeddings_must_match_the_number_of_sources():
    aggregator = SourceAttentionAggregator(4, 3, 3, num_sources=2)
    assert aggregator.keys(torch.randn(1, 5, 4), torch.randn(1, 5, 2, 3)).shape == (1, 5, 2, 3)
    with pytest.raises(ValueError, match="2 source embeddings for 3 sources"):
        aggregator.keys(torch.randn(1, 5, 4), torch.randn(1, 5, 3, 3))


def test_mean_aggregator_is_the_mean_of_the_sources_at_each_step():
    messages = torch.randn(2, 4, 3, 5)
    aggregator = MeanAggregator()
    prepared = aggregator.prepare(torch.randn(2, 4, 6), messages, torch.ones(2, 4, dtype=torch.bool))
    for t in range(4):
        message, weights = aggregator.step(prepared, t, torch.randn(2, 7))
        assert weights is None and torch.allclose(message, messages[:, t].mean(dim=1))
