"""The fusion recurrence (graph_mtl.modules.fusion_lstm) with the built-in aggregators' hand-written
steps against the same recurrence with the same math as `prepare` / `step` differentiated by
autograd (their step versions, benchmarks/step_aggregators.py, on `AutogradSteps`) and the
step-by-step reference: float64, random inputs, forward, attention and gradients of every
parameter and of the inputs."""
import logging
from typing import Any, Optional, Tuple

import pytest
import torch

from graph_mtl.modules import fusion_lstm
from graph_mtl.modules import message_passing_layer
from graph_mtl.modules.aggregators import attention
from graph_mtl.modules.message_passing_layer import MessagePassingLayer
from graph_mtl.modules.topologies import DirectTopology, IndirectTopology, MessageAggregator, Topology
from benchmarks.step_aggregators import autograd_steps
from tests.modules.helpers import make_encoder, random_inputs
from tests.modules.reference import reference_forward

MIXED_TASKS = ["dvd", "books", "music", "dvd", "books"]
MIXED_LENGTHS = [5, 3, 4, 1, 5]
CONFIGS = [
    ("direct", False, 1),
    ("indirect", False, 1),
    ("direct", True, 2),
    ("indirect", True, 2),
    ("flat", False, 1),
]


def _run(encoder, inputs, mask, tasks, weights, fast: bool):
    """Forward + gradients with the built-in aggregators' hand-written steps (`fast`) or their
    step versions on `AutogradSteps`."""
    with autograd_steps(encoder, enabled=not fast):
        output = encoder(inputs, mask, tasks)
        attention = encoder.get_attention()
        params = [inputs] + list(encoder.parameters())
        grads = torch.autograd.grad((output * weights).sum(), params, allow_unused=True)
    return output, attention, grads


def _assert_same(a, b, atol=1e-10):
    out_a, att_a, grads_a = a
    out_b, att_b, grads_b = b
    assert torch.allclose(out_a, out_b, atol=atol, rtol=0)
    assert set(att_a) == set(att_b)
    for key in att_a:
        assert torch.allclose(att_a[key], att_b[key], atol=atol, rtol=0), key
    for index, (grad_a, grad_b) in enumerate(zip(grads_a, grads_b)):
        if grad_a is None or grad_b is None:
            assert (grad_a is None or torch.all(grad_a == 0)) and (grad_b is None or torch.all(grad_b == 0)), index
        else:
            assert torch.allclose(grad_a, grad_b, atol=atol, rtol=0), index


def _topology(name):
    if name == "flat":
        pytest.importorskip("graph_mtl_flat")
        from graph_mtl.modules.topologies import Topology

        if "flat" not in Topology.list_available():
            pytest.skip("flat topology plugin not registered")
    return name


@pytest.mark.parametrize("topology,bidirectional,num_layers", CONFIGS)
def test_built_in_aggregators_run_their_hand_written_steps_by_default(topology, bidirectional, num_layers, monkeypatch):
    encoder = make_encoder(_topology(topology), bidirectional, num_layers)

    def autograd_steps(*args, **kwargs):
        raise AssertionError("a built-in aggregator ran AutogradSteps")

    monkeypatch.setattr(fusion_lstm.AutogradSteps, "__init__", autograd_steps)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    encoder(inputs, mask, MIXED_TASKS).sum().backward()
    with pytest.raises(AssertionError, match="AutogradSteps"):  # and the step versions reach it
        _run(encoder, inputs, mask, MIXED_TASKS, torch.ones(1, dtype=torch.float64), fast=False)


class _GatedMaxAggregator(MessageAggregator):
    """A plugin's own aggregator: r_t = sigmoid(w . h_{t-1}) * max_i h_t^(i) (only `step`)."""

    def __init__(self, hidden_dim: int) -> None:
        super().__init__()
        self.gate = torch.nn.Linear(hidden_dim, 1)

    def prepare(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> Any:
        return messages.max(dim=2).values.unbind(1)

    def step(self, prepared: Any, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        return torch.sigmoid(self.gate(hidden)) * prepared[timestep], None


class _GatedMaxTopology(Topology):
    def sources(self, target, tasks):
        return [task for task in tasks if task != target]

    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        return _GatedMaxAggregator(hidden_dim)


def test_a_plugin_aggregator_runs_on_autograd_steps_and_the_log_says_so_once(caplog, monkeypatch):
    monkeypatch.setattr(message_passing_layer, "_logged_paths", set())
    encoder = make_encoder(_GatedMaxTopology(), hidden_dim=5, init=0.8)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    inputs.requires_grad_(True)
    weights = torch.randn(*mask.shape, encoder.get_output_dim(), dtype=torch.float64)
    with caplog.at_level(logging.INFO, logger=message_passing_layer.__name__):
        fused_setting = _run(encoder, inputs, mask, MIXED_TASKS, weights, fast=True)
        _run(encoder, inputs, mask, MIXED_TASKS, weights, fast=True)
    lines = [r.getMessage() for r in caplog.records if "_GatedMaxAggregator" in r.getMessage()]
    assert len(lines) == 1 and "no fast_steps" in lines[0] and "differentiated by autograd" in lines[0]
    # the step versions change nothing for a plugin's aggregator; its gate gets gradients
    _assert_same(fused_setting, _run(encoder, inputs, mask, MIXED_TASKS, weights, fast=False), atol=0)
    names = ["inputs"] + [name for name, _ in encoder.named_parameters()]
    gate_grads = [g for name, g in zip(names, fused_setting[2]) if name.endswith("gate.weight") and g is not None]
    assert gate_grads and all(g.abs().sum() > 0 for g in gate_grads)


@pytest.mark.parametrize("topology,bidirectional,num_layers", CONFIGS)
@pytest.mark.parametrize("store_energy", [True, False])
def test_fused_equals_generic_loop(topology, bidirectional, num_layers, store_energy, monkeypatch):
    monkeypatch.setattr(attention, "ENERGY_BUDGET_BYTES", 2**40 if store_energy else 0)
    encoder = make_encoder(_topology(topology), bidirectional, num_layers, hidden_dim=5, init=0.8)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    inputs = inputs.masked_fill(~mask.unsqueeze(-1), 3.0).requires_grad_(True)
    weights = torch.randn(*mask.shape, encoder.get_output_dim(), dtype=torch.float64)
    fast = _run(encoder, inputs, mask, MIXED_TASKS, weights, fast=True)
    slow = _run(encoder, inputs, mask, MIXED_TASKS, weights, fast=False)
    _assert_same(fast, slow)


def _fused_equals_the_reference(encoder):
    """The encoder's forward (recurrence "fused") and gradients on the mixed batch against the
    step-by-step reference; returns the fused run."""
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    inputs.requires_grad_(True)
    weights = torch.randn(*mask.shape, encoder.get_output_dim(), dtype=torch.float64)
    fast = _run(encoder, inputs, mask, MIXED_TASKS, weights, fast=True)
    slow_output, slow_attention = reference_forward(encoder, inputs, mask, MIXED_TASKS)
    params = [inputs] + list(encoder.parameters())
    slow_grads = torch.autograd.grad((slow_output * weights).sum(), params, allow_unused=True)
    _assert_same(fast, (slow_output, slow_attention, slow_grads))
    return fast


@pytest.mark.parametrize("topology,bidirectional,num_layers", CONFIGS[:4])
def test_fused_equals_reference(topology, bidirectional, num_layers):
    _fused_equals_the_reference(make_encoder(topology, bidirectional, num_layers))


@pytest.mark.parametrize("topology", ["direct", "indirect"])
def test_fused_layer_gradcheck(topology):
    """torch.autograd.gradcheck on one layer's recurrence with hand-written steps (finite differences)."""
    encoder = make_encoder(topology, tasks=["a", "b", "c"], input_dim=3, hidden_dim=2)
    layer = encoder.forward_layers[0]
    inputs, mask = random_inputs([4, 3], input_dim=3, seq_len=4)
    messages = torch.randn(2, 4, len(layer.graph["a"]), 2, dtype=torch.float64)
    inputs.requires_grad_(True)
    messages.requires_grad_(True)

    def function(x, m, *params):
        return layer._fusion_recurrence("a", x, mask, m)[0]  # the hand-written steps

    assert torch.autograd.gradcheck(function, (inputs, messages), eps=1e-6, atol=1e-7, fast_mode=True)


def test_larger_random_case_and_float32():
    """Hidden 16, attention 7, 4 tasks, longer sentences; float32 agrees to float32 rounding."""
    for topology in (DirectTopology(attention_dim=7), IndirectTopology(attention_dim=7)):
        tasks = ["a", "b", "c", "d"]
        encoder = make_encoder(topology, tasks=tasks, input_dim=6, hidden_dim=16, init=0.3)
        lengths = [9, 7, 9, 3, 5]
        names = ["a", "c", "a", "d", "c"]
        inputs, mask = random_inputs(lengths, input_dim=6, seq_len=9)
        inputs.requires_grad_(True)
        weights = torch.randn(*mask.shape, 16, dtype=torch.float64)
        _assert_same(_run(encoder, inputs, mask, names, weights, True),
                     _run(encoder, inputs, mask, names, weights, False))
        encoder32 = encoder.float()
        inputs32 = inputs.detach().float().requires_grad_(True)
        fast = _run(encoder32, inputs32, mask, names, weights.float(), True)
        slow = _run(encoder32, inputs32, mask, names, weights.float(), False)
        _assert_same(fast, slow, atol=1e-4)


def _fused_loop_and_reference_agree(encoder):
    """Runs `encoder` on the mixed batch on the fused path, the generic loop and the step-by-step
    reference, asserts all three agree (outputs, attention, gradients), returns the inputs and
    the fused run."""
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    inputs.requires_grad_(True)
    weights = torch.randn(*mask.shape, encoder.get_output_dim(), dtype=torch.float64)
    fast = _run(encoder, inputs, mask, MIXED_TASKS, weights, fast=True)
    _assert_same(fast, _run(encoder, inputs, mask, MIXED_TASKS, weights, fast=False))
    reference_output, reference_attention = reference_forward(encoder, inputs, mask, MIXED_TASKS)
    params = [inputs] + list(encoder.parameters())
    reference_grads = torch.autograd.grad((reference_output * weights).sum(), params, allow_unused=True)
    _assert_same(fast, (reference_output, reference_attention, reference_grads))
    return inputs, mask, weights, fast


@pytest.mark.parametrize("topology_type", [DirectTopology, IndirectTopology])
def test_temperature_on_every_path(topology_type):
    """softmax(scores / T): fused = generic loop = step-by-step reference, and the same model as
    T = 1 with u divided by T (outputs and attention)."""
    encoder = make_encoder(topology_type(temperature=0.3), hidden_dim=5, init=0.8)
    inputs, mask, weights, fast = _fused_loop_and_reference_agree(encoder)

    plain = make_encoder(topology_type(), hidden_dim=5, init=0.8)
    plain.load_state_dict(encoder.state_dict())
    with torch.no_grad():
        for name, parameter in plain.named_parameters():
            if name.endswith("scorer.vector.weight"):
                parameter.div_(0.3)
    plain_output, plain_attention, _ = _run(plain, inputs, mask, MIXED_TASKS, weights, fast=True)
    assert torch.allclose(plain_output, fast[0], atol=1e-12, rtol=0)
    for key in plain_attention:
        assert torch.allclose(plain_attention[key], fast[1][key], atol=1e-12, rtol=0)
    # and not the same model as T = 1 with the same u: the temperature does something
    plain.load_state_dict(encoder.state_dict())
    assert not torch.allclose(_run(plain, inputs, mask, MIXED_TASKS, weights, fast=True)[0], fast[0])


def test_source_embeddings_on_every_path():
    """u^T tanh(W [x, h, m_i] + e_i): fused = generic loop = step-by-step reference, gradients of
    e included; zero-initialised, so a new model is the paper's until e moves."""
    encoder = make_encoder(DirectTopology(source_embeddings=True, temperature=0.5), hidden_dim=5, init=0.8)
    embeddings = [p for name, p in encoder.named_parameters() if name.endswith("source_embeddings")]
    assert len(embeddings) == 3 and all(p.shape == (2, 5) for p in embeddings)
    inputs, mask, weights, fast = _fused_loop_and_reference_agree(encoder)
    names = ["inputs"] + [name for name, _ in encoder.named_parameters()]
    for name, grad in zip(names, fast[2]):
        if name.endswith("source_embeddings") and not name.startswith("forward_layers.0.aggregators.music"):
            assert grad is not None and grad.abs().sum() > 0, name  # dvd and books are in the batch
    with torch.no_grad():
        for parameter in embeddings:
            parameter.zero_()
    plain = make_encoder(DirectTopology(temperature=0.5), hidden_dim=5, init=0.8)
    state = {k: v for k, v in encoder.state_dict().items() if not k.endswith("source_embeddings")}
    plain.load_state_dict(state)
    assert torch.allclose(_run(plain, inputs, mask, MIXED_TASKS, weights, fast=True)[0],
                          _run(encoder, inputs, mask, MIXED_TASKS, weights, fast=True)[0], atol=1e-12, rtol=0)


class _DropoutStepAggregator(_GatedMaxAggregator):
    """Randomness inside `step`: fine when its graph is recorded, an error when it is recomputed."""

    def step(self, prepared: Any, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        message, _ = super().step(prepared, timestep, hidden)
        return torch.nn.functional.dropout(message, 0.5, training=True), None


class _DropoutStepTopology(_GatedMaxTopology):
    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        return _DropoutStepAggregator(hidden_dim)


def test_a_nondeterministic_step_is_an_error_when_recomputed_not_a_wrong_gradient(monkeypatch):
    encoder = make_encoder(_DropoutStepTopology(), hidden_dim=5, init=0.8)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    encoder(inputs, mask, MIXED_TASKS).sum().backward()  # recorded graph: the forward's own sample
    monkeypatch.setattr(_DropoutStepAggregator, "recompute_steps", True, raising=False)
    output = encoder(inputs, mask, MIXED_TASKS)
    with pytest.raises(RuntimeError, match="_DropoutStepAggregator: step.* gave another r_t when recomputed"):
        output.sum().backward()


@pytest.mark.parametrize("recompute", [False, True])
def test_autograd_steps_record_or_recompute_give_the_same_gradients(recompute, monkeypatch):
    """`recompute_steps` changes memory and time, not the result; a second backward pass through
    the same forward (retain_graph) gives the same gradients again."""
    monkeypatch.setattr(_TiedDictAggregator, "recompute_steps", recompute, raising=False)
    encoder = make_encoder(_TiedDictTopology(), hidden_dim=5, init=0.8)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    output = encoder(inputs, mask, MIXED_TASKS)
    params = list(encoder.parameters())
    first = torch.autograd.grad(output.sum(), params, retain_graph=True, allow_unused=True)
    second = torch.autograd.grad(output.sum(), params, allow_unused=True)
    reference_output, _ = reference_forward(encoder, inputs, mask, MIXED_TASKS)
    expected = torch.autograd.grad(reference_output.sum(), params, allow_unused=True)
    for a, b, c in zip(first, second, expected):
        assert (a is None) == (c is None)
        if a is not None:
            assert torch.allclose(a, c, atol=1e-10) and torch.allclose(b, c, atol=1e-10)


class _TiedDictAggregator(MessageAggregator):
    """A plugin aggregator with a parameter tied between two submodules and `prepare` returning a
    dict of nested tuples with a constant: r_t = sigmoid(a . h) max_i h_t^(i) + c sigmoid(b . h)
    mean_i h_t^(i), with b's weight the same tensor as a's."""

    def __init__(self, hidden_dim: int) -> None:
        super().__init__()
        self.a = torch.nn.Linear(hidden_dim, 1)
        self.b = torch.nn.Linear(hidden_dim, 1)
        self.b.weight = self.a.weight

    def prepare(self, inputs, messages, mask):
        return {"max": messages.max(dim=2).values.unbind(1), "mean": (0.5, messages.mean(dim=2).unbind(1))}

    def step(self, prepared, timestep, hidden):
        scale, mean = prepared["mean"]
        gate_a, gate_b = torch.sigmoid(self.a(hidden)), torch.sigmoid(self.b(hidden))
        return gate_a * prepared["max"][timestep] + scale * gate_b * mean[timestep], None


class _TiedDictTopology(_GatedMaxTopology):
    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        return _TiedDictAggregator(hidden_dim)


@pytest.mark.parametrize("bidirectional,num_layers", [(False, 1), (True, 2)])
def test_a_plugin_aggregator_on_autograd_steps_equals_the_plain_autograd_reference(bidirectional, num_layers):
    """AutogradSteps (each step's graph on leaves, parameters swapped for leaves) against the
    whole recurrence under plain autograd, instance by instance: outputs and the gradients of the
    inputs and of every parameter, the tied one included."""
    encoder = make_encoder(_TiedDictTopology(), bidirectional, num_layers, hidden_dim=5, init=0.8)
    fast = _fused_equals_the_reference(encoder)
    names = ["inputs"] + [name for name, _ in encoder.named_parameters()]
    tied = [g for name, g in zip(names, fast[2]) if name.endswith(".a.weight")]
    assert tied and all(g is not None and g.abs().sum() > 0 for g in tied)
    assert not any(name.endswith(".b.weight") for name in names)  # one tensor, reported once


@pytest.mark.parametrize("topology", ["direct", "indirect"])
def test_a_loss_on_the_attention_weights_has_the_same_gradients_on_both_paths(topology):
    """`attention_entropy`: the gradient through the weights (hand-written steps vs AutogradSteps)."""
    encoder = make_encoder(topology, True, 2, hidden_dim=5, init=0.8, attention_entropy=0.7)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    inputs.requires_grad_(True)
    results = []
    for fast in (True, False):
        with autograd_steps(encoder, enabled=not fast):
            output = encoder(inputs, mask, MIXED_TASKS)
            loss = output.sum() * 0.01 + encoder.get_aux_loss()
            params = [inputs] + list(encoder.parameters())
            results.append((loss.detach(), torch.autograd.grad(loss, params, allow_unused=True)))
    (loss_a, grads_a), (loss_b, grads_b) = results
    assert torch.allclose(loss_a, loss_b, atol=1e-12)
    for grad_a, grad_b in zip(grads_a, grads_b):
        assert (grad_a is None) == (grad_b is None)
        if grad_a is not None:
            assert torch.allclose(grad_a, grad_b, atol=1e-10, rtol=0)


class _DetachedGateAggregator(MessageAggregator):
    """No parameters and nothing in `prepare` needs a gradient; r_t still depends on h_{t-1}."""

    def prepare(self, inputs, messages, mask):
        return messages.detach().max(dim=2).values.unbind(1)

    def step(self, prepared, timestep, hidden):
        return torch.sigmoid(hidden.sum(-1, keepdim=True)) * prepared[timestep], None


class _DetachedGateTopology(_GatedMaxTopology):
    def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
        return _DetachedGateAggregator()


def test_a_step_that_depends_only_on_the_hidden_state_is_differentiated():
    encoder = make_encoder(_DetachedGateTopology(), hidden_dim=5, init=0.8)
    _fused_equals_the_reference(encoder)
