"""benchmarks/step_aggregators.py: the built-in aggregators as a plugin writes them (the plugin
path of the benchmarks, the tests' second oracle). That they compute what the hand-written steps
compute is tests/modules/test_fast_equivalence.py; here: the switch itself."""
import pytest
import torch

from benchmarks.step_aggregators import STEP_VERSIONS, autograd_steps
from graph_mtl.modules import fusion_lstm
from graph_mtl.modules.aggregators import MeanAggregator, PositionAttentionAggregator, SourceAttentionAggregator
from tests.modules.helpers import make_encoder, random_inputs


@pytest.mark.parametrize("topology", ["direct", "indirect"])
def test_the_switch_runs_autograd_steps_and_puts_the_built_ins_back(topology, monkeypatch):
    encoder = make_encoder(topology, bidirectional=True, num_layers=2)
    built_in = {name: type(module) for name, module in encoder.named_modules() if type(module) in STEP_VERSIONS}
    assert len(built_in) == 4 * 3  # 2 layers x 2 directions x 3 targets
    made = []
    original = fusion_lstm.AutogradSteps.__init__

    def counted(self, aggregator, prepared):
        made.append(type(aggregator))
        original(self, aggregator, prepared)

    monkeypatch.setattr(fusion_lstm.AutogradSteps, "__init__", counted)
    inputs, mask = random_inputs([4, 2, 3], seq_len=4)
    fused = encoder(inputs, mask, ["books", "dvd", "music"])
    assert made == []  # the built-ins: hand-written steps only
    with pytest.raises(KeyError):  # an error inside the block still puts the classes back
        with autograd_steps(encoder):
            stepped = encoder(inputs, mask, ["books", "dvd", "music"])
            raise KeyError("inside")
    assert made and set(made) <= set(STEP_VERSIONS.values())
    assert torch.allclose(fused, stepped, atol=1e-12)
    assert {name: type(module) for name, module in encoder.named_modules() if name in built_in} == built_in


def test_every_built_in_aggregator_has_a_step_version_with_the_same_parameters():
    assert set(STEP_VERSIONS) == {SourceAttentionAggregator, PositionAttentionAggregator, MeanAggregator}
    for built_in, step_version in STEP_VERSIONS.items():
        assert issubclass(step_version, built_in)
        assert step_version.fast_steps(None, None, None, None) is None
