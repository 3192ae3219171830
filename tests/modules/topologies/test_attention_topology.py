"""`AttentionTopology`, the base of `direct` and `indirect`: the temperature option."""
import pytest
import torch

from graph_mtl.modules.topologies import DirectTopology


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan")])
def test_temperature_must_be_positive(temperature):
    with pytest.raises(ValueError, match="temperature must be positive"):
        DirectTopology(temperature=temperature)


def test_temperature_from_config_sharpens_alpha():
    """`temperature` reaches every aggregator from a DC-MTL / IC-MTL config; the weights are
    softmax(scores / T), so a lower T gives lower entropy on the same parameters."""
    from allennlp.common import Params
    from allennlp.modules.seq2seq_encoders import Seq2SeqEncoder

    entropies = {}
    for temperature in (1.0, 0.2):
        torch.manual_seed(0)
        encoder = Seq2SeqEncoder.from_params(Params({
            "type": "dc_mtl", "tasks": ["a", "b", "c"], "input_dim": 4, "hidden_dim": 3,
            "temperature": temperature}))
        assert {aggregator.temperature for aggregator in encoder.forward_layers[0].aggregators.values()} == {temperature}
        inputs = torch.randn(2, 5, 4, generator=torch.Generator().manual_seed(1))
        encoder(inputs, torch.ones(2, 5, dtype=torch.bool), ["a", "b"])
        alpha = torch.cat([weights.flatten(0, -2) for weights in encoder.get_attention().values()])
        entropies[temperature] = -torch.special.xlogy(alpha, alpha).sum(-1).mean().item()
    assert entropies[0.2] < entropies[1.0] - 1e-3
    ic = Seq2SeqEncoder.from_params(Params({
        "type": "ic_mtl", "tasks": ["a", "b"], "input_dim": 4, "hidden_dim": 3, "temperature": 0.5}))
    assert {aggregator.temperature for aggregator in ic.forward_layers[0].aggregators.values()} == {0.5}
