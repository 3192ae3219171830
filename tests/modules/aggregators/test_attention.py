"""The attention aggregators' building blocks (graph_mtl/modules/aggregators/attention.py)."""
import pytest
import torch

from graph_mtl.modules.aggregators import AdditiveScorer, MeanAggregator, SourceAttentionAggregator
from graph_mtl.modules.aggregators import attention
from graph_mtl.modules.fusion_lstm import fusion_recurrence


@pytest.mark.parametrize("positions", [False, True])
@pytest.mark.parametrize("store_energy", [True, False])
def test_hand_written_attention_steps_gradcheck(positions, store_energy, monkeypatch):
    """AdditiveAttentionSteps inside the fusion recurrence against finite differences: the
    gradients of every tensor they read (keys, memory, W_h, u, queries) and of the LSTM side,
    through the hidden states and through the attention weights."""
    monkeypatch.setattr(attention, "ENERGY_BUDGET_BYTES", 2**40 if store_energy else 0)
    torch.manual_seed(0)
    batch, steps, entries, hidden, attention_dim = 2, 3, 4, 3, 2
    new = lambda *shape: torch.randn(*shape, dtype=torch.float64, requires_grad=True)  # noqa: E731
    fusion = (new(batch, steps, 4 * hidden), new(4 * hidden, hidden), new(2 * hidden, hidden),
              new(2 * hidden), new(hidden, hidden))
    weight_h, vector = new(attention_dim, hidden), new(attention_dim)
    if positions:
        keys, memory, queries = new(batch, entries, attention_dim), new(batch, entries, hidden), new(batch, steps, attention_dim)
        padding = torch.tensor([[False] * entries, [False, False, True, True]])
        extra = (queries,)
    else:
        keys, memory = new(batch, steps, entries, attention_dim), new(batch, steps, entries, hidden)
        extra = ()

    def run(*tensors):
        fusion_part, (keys, memory, weight_h, vector, *rest) = tensors[:5], tensors[5:]
        steps_ = attention.AdditiveAttentionSteps(keys, memory, weight_h, vector, *rest, *((padding,) if positions else ()))
        hidden_states, weights = fusion_recurrence(steps_, *fusion_part)
        assert weights.shape == (batch, steps, entries)
        if positions:  # masked entries get exactly 0
            assert torch.all(weights[1, :, 2:] == 0)
        return hidden_states, weights  # both differentiable (a loss may read the weights)

    assert torch.autograd.gradcheck(run, (*fusion, keys, memory, weight_h, vector, *extra), eps=1e-6, atol=1e-7)


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
    messages = torch.randn(2, 4, 3, 5, dtype=torch.float64, requires_grad=True)
    steps = MeanAggregator().fast_steps(torch.randn(2, 4, 6), messages, torch.ones(2, 4, dtype=torch.bool))
    for t in range(4):
        message, weights = steps.forward(t, torch.randn(2, 7))
        assert weights is None and torch.allclose(message, messages[:, t].mean(dim=1))
        assert steps.backward(t, torch.randn(2, 7), torch.randn(2, 5)) is None  # r_t ignores h_{t-1}
    grad_messages = torch.randn(4, 2, 5, dtype=torch.float64)  # d r_t of every step, time-major
    (grad,) = steps.gradients(torch.randn(4, 2, 7), grad_messages)  # d of what it read, (B, T, M)
    assert torch.equal(grad, grad_messages.transpose(0, 1))
