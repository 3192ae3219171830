"""The message-passing encoder (DC-MTL, IC-MTL): equivalence with the reference, masking,
mixed batches, gradients, configuration."""
import math

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2seq_encoders import Seq2SeqEncoder

from graph_mtl.modules.message_passing_layer import MessagePassingLayer
from graph_mtl.modules.seq2seq_encoders import DcMtlEncoder, IcMtlEncoder, MessagePassingEncoder
from tests.modules.reference import reference_forward
from graph_mtl.modules.topologies import DirectTopology, IndirectTopology, Topology
from tests.modules.helpers import TASKS, lengths_mask, make_encoder, random_inputs, use_step_versions

CONFIGS = [
    ("direct", False, 1),
    ("indirect", False, 1),
    ("direct", True, 2),
    ("indirect", True, 2),
]
MIXED_TASKS = ["dvd", "books", "music", "dvd", "books"]
MIXED_LENGTHS = [5, 3, 4, 1, 5]


@pytest.fixture(params=["fused", "autograd"])
def steps(request):
    """Run a test with the aggregators' hand-written steps (the built-ins) and with their step
    versions on `AutogradSteps` (benchmarks/step_aggregators.py, as a plugin runs)."""
    return request.param


@pytest.mark.parametrize("topology,bidirectional,num_layers", CONFIGS)
def test_fast_equals_reference_forward_and_gradients(topology, bidirectional, num_layers, steps):
    encoder = make_encoder(topology, bidirectional, num_layers, steps=steps)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    inputs.requires_grad_(True)
    weights = torch.randn(*mask.shape, encoder.get_output_dim(), dtype=torch.float64)
    params = [inputs] + list(encoder.parameters())

    fast = encoder(inputs, mask, MIXED_TASKS)
    fast_attention = encoder.get_attention()
    fast_grads = torch.autograd.grad((fast * weights).sum(), params, allow_unused=True)

    slow, slow_attention = reference_forward(encoder, inputs, mask, MIXED_TASKS)
    slow_grads = torch.autograd.grad((slow * weights).sum(), params, allow_unused=True)

    assert torch.allclose(fast, slow, atol=1e-10)
    assert set(fast_attention) == set(slow_attention)
    for key in fast_attention:
        assert torch.allclose(fast_attention[key], slow_attention[key], atol=1e-10), key
    for (name, _), fast_grad, slow_grad in zip(
        [("inputs", None)] + list(encoder.named_parameters()), fast_grads, slow_grads
    ):
        if slow_grad is None:
            assert fast_grad is None or torch.all(fast_grad == 0), name
        else:
            assert torch.allclose(fast_grad, slow_grad, atol=1e-10), name


@pytest.mark.parametrize("bidirectional", [False, True])
def test_alpha_is_a_distribution_over_source_tasks(bidirectional):
    encoder = make_encoder("direct", bidirectional)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=7)
    encoder(inputs, mask, MIXED_TASKS)
    attention = encoder.get_attention()
    keys = ["alpha", "alpha_backward"] if bidirectional else ["alpha"]
    assert sorted(attention) == sorted(keys)
    for key in keys:
        alpha = attention[key]
        assert alpha.shape == (5, 7, len(TASKS))
        sums = alpha.sum(-1)
        assert torch.allclose(sums[mask], torch.ones_like(sums[mask]))
        assert torch.all(alpha[~mask] == 0)
        assert torch.all(alpha >= 0)
        for b, task in enumerate(MIXED_TASKS):  # a task does not send to itself
            assert torch.all(alpha[b, :, TASKS.index(task)] == 0)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_beta_is_a_distribution_over_unpadded_positions(bidirectional):
    encoder = make_encoder("indirect", bidirectional)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=7)
    encoder(inputs, mask, MIXED_TASKS)
    attention = encoder.get_attention()
    keys = ["beta", "beta_backward"] if bidirectional else ["beta"]
    assert sorted(attention) == sorted(keys)
    for key in keys:
        beta = attention[key]
        assert beta.shape == (5, 7, 7)
        sums = beta.sum(-1)
        assert torch.allclose(sums[mask], torch.ones_like(sums[mask]))
        assert torch.all(beta[~mask] == 0)  # padded rows
        assert torch.all(beta.transpose(1, 2)[~mask] == 0)  # padded columns, exactly 0
        for b, length in enumerate(MIXED_LENGTHS):
            assert torch.all(beta[b, :length, :length] > 0)


@pytest.mark.parametrize("topology,bidirectional,num_layers", CONFIGS)
def test_padding_does_not_change_outputs(topology, bidirectional, num_layers):
    encoder = make_encoder(topology, bidirectional, num_layers)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=8)
    inputs = inputs.masked_fill(~mask.unsqueeze(-1), 7.0)  # padding holds garbage
    batch_output = encoder(inputs, mask, MIXED_TASKS)
    batch_attention = encoder.get_attention()
    assert torch.all(batch_output[~mask] == 0)
    for b, length in enumerate(MIXED_LENGTHS):
        alone = encoder(inputs[b : b + 1, :length], mask[b : b + 1, :length], [MIXED_TASKS[b]])
        assert torch.allclose(batch_output[b, :length], alone[0], atol=1e-12)
        for key, value in encoder.get_attention().items():
            assert torch.allclose(batch_attention[key][b, :length, : value.size(2)], value[0], atol=1e-12)


@pytest.mark.parametrize("topology,bidirectional,num_layers", CONFIGS)
def test_mixed_batch_equals_homogeneous_batches(topology, bidirectional, num_layers):
    encoder = make_encoder(topology, bidirectional, num_layers)
    inputs, mask = random_inputs(MIXED_LENGTHS, seq_len=6)
    mixed = encoder(inputs, mask, MIXED_TASKS)
    mixed_attention = encoder.get_attention()
    for task in TASKS:
        rows = [b for b, name in enumerate(MIXED_TASKS) if name == task]
        index = torch.tensor(rows)
        alone = encoder(inputs[index], mask[index], [task] * len(rows))
        assert torch.allclose(mixed[index], alone, atol=1e-12)
        for key, value in encoder.get_attention().items():
            assert torch.allclose(mixed_attention[key][index], value, atol=1e-12)


@pytest.mark.parametrize("encoder_type", ["dc_mtl", "ic_mtl"])
def test_every_parameter_gets_a_gradient(encoder_type, steps):
    torch.manual_seed(0)
    encoder = Seq2SeqEncoder.from_params(
        Params({"type": encoder_type, "tasks": TASKS, "input_dim": 4, "hidden_dim": 3,
                "bidirectional": True, "num_layers": 2, "dropout": 0.1})
    )
    use_step_versions(encoder, steps).train()
    inputs, mask = random_inputs([4, 2, 3], seq_len=4)
    inputs = inputs.float()
    for task in TASKS:  # one homogeneous batch per task, gradients accumulated
        output = encoder(inputs, mask, [task] * 3)
        output.pow(2).sum().backward()
    for name, parameter in encoder.named_parameters():
        assert parameter.grad is not None, name
        assert parameter.grad.abs().sum() > 0, name


def test_unknown_topology_lists_the_available_ones():
    with pytest.raises(ConfigurationError) as error:
        MessagePassingEncoder(TASKS, 4, 3, topology="no_such_topology")
    for name in ("direct", "indirect"):
        assert name in str(error.value)
    with pytest.raises(ConfigurationError) as error:
        Seq2SeqEncoder.from_params(
            Params({"type": "message_passing", "tasks": TASKS, "input_dim": 4, "hidden_dim": 3,
                    "topology": {"type": "no_such_topology"}})
        )
    for name in ("direct", "indirect"):
        assert name in str(error.value)
    assert set(Topology.list_available()) >= {"direct", "indirect"}


@pytest.mark.parametrize("topology", ["direct", "indirect"])
def test_bidirectional_output_shape(topology):
    encoder = make_encoder(topology, bidirectional=True, hidden_dim=5)
    assert encoder.is_bidirectional()
    assert encoder.get_input_dim() == 4
    assert encoder.get_output_dim() == 10
    inputs, mask = random_inputs([3, 2], seq_len=4)
    assert encoder(inputs, mask, ["books", "dvd"]).shape == (2, 4, 10)
    unidirectional = make_encoder(topology, hidden_dim=5)
    assert unidirectional.get_output_dim() == 5 and not unidirectional.is_bidirectional()


def test_registered_names_and_config():
    params = {"tasks": TASKS, "input_dim": 4, "hidden_dim": 3}
    assert isinstance(Seq2SeqEncoder.from_params(Params({"type": "dc_mtl", **params})), DcMtlEncoder)
    assert isinstance(Seq2SeqEncoder.from_params(Params({"type": "ic_mtl", **params})), IcMtlEncoder)
    encoder = Seq2SeqEncoder.from_params(
        Params({"type": "message_passing", "topology": "indirect", **params})
    )
    assert encoder.virtual_nodes == ["shared"]
    assert encoder.graph() == {task: ["shared"] for task in TASKS}
    direct = Seq2SeqEncoder.from_params(Params({"type": "message_passing", **params}))
    assert direct.graph()["dvd"] == ["books", "music"]


def test_single_task_is_a_plain_lstm():
    encoder = make_encoder("direct", tasks=["only"])
    inputs, mask = random_inputs([4, 2], seq_len=4)
    output = encoder(inputs, mask)  # task may be omitted with one task
    expected = encoder.forward_layers[0].nodes["only"](inputs)[0] * mask.unsqueeze(-1)
    assert torch.allclose(output, expected, atol=1e-12)
    assert encoder.get_attention() == {}


def test_shared_attention_shares_within_a_layer_and_direction():
    encoder = DcMtlEncoder(TASKS, 4, 3, bidirectional=True, shared_attention=True)
    forward_scorers = {id(a.scorer) for a in encoder.forward_layers[0].aggregators.values()}
    backward_scorers = {id(a.scorer) for a in encoder.backward_layers[0].aggregators.values()}
    assert len(forward_scorers) == 1 and len(backward_scorers) == 1
    assert forward_scorers != backward_scorers
    separate = DcMtlEncoder(TASKS, 4, 3)
    assert len({id(a.scorer) for a in separate.forward_layers[0].aggregators.values()}) == 3


def test_task_names_and_masks_are_checked():
    encoder = make_encoder("direct")
    inputs, mask = random_inputs([3, 2], seq_len=3)
    with pytest.raises(ValueError, match="task"):
        encoder(inputs, mask)
    with pytest.raises(ValueError, match="unknown task"):
        encoder(inputs, mask, ["books", "kitchen"])
    with pytest.raises(ValueError, match="left-aligned"):
        encoder(inputs, mask.flip(1), ["books", "dvd"])
    assert encoder(inputs, mask, "books").shape == (2, 3, 3)  # one name for the batch


def test_fully_padded_instance_gives_zeros():
    encoder = make_encoder("indirect", bidirectional=True)
    inputs, mask = random_inputs([3, 0], seq_len=3)
    output = encoder(inputs, mask, ["books", "dvd"])
    assert torch.all(output[1] == 0)
    assert torch.isfinite(output).all()
    for value in encoder.get_attention().values():
        assert torch.all(value[1] == 0)


@pytest.mark.parametrize("topology", ["direct", "indirect"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_task_message_gradients_off_stops_only_the_source_task_lstms(topology, bidirectional, steps):
    joint = make_encoder(topology, bidirectional, steps=steps)
    stopped = make_encoder(topology, bidirectional, task_message_gradients=False, steps=steps)
    stopped.load_state_dict(joint.state_dict())
    inputs, mask = random_inputs([5, 3, 4], seq_len=5)
    target = "dvd"
    outputs = {}
    for name, encoder in (("joint", joint), ("stopped", stopped)):
        output = encoder(inputs, mask, [target] * 3)
        output.pow(2).sum().backward()
        outputs[name] = (output.detach(), encoder.get_attention())
    assert torch.equal(outputs["joint"][0], outputs["stopped"][0])  # same forward
    for key, value in outputs["joint"][1].items():
        assert torch.equal(value, outputs["stopped"][1][key])
    stopped_parameters = dict(stopped.named_parameters())
    source_tasks = [task for task in TASKS if task != target] if topology == "direct" else []
    checked = 0
    for name, parameter in joint.named_parameters():
        other = stopped_parameters[name]
        is_source_task_lstm = any(f".nodes.{task}." in name for task in source_tasks)
        if is_source_task_lstm:
            assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
            assert other.grad is None, name  # task dvd's loss no longer trains books/music
        elif parameter.grad is not None:
            # everything else (the target's own LSTM = its fusion gates, the fusion and
            # attention weights, IC-MTL's shared LSTM) gets exactly the joint gradient
            assert other.grad is not None and torch.allclose(parameter.grad, other.grad, atol=1e-12), name
            checked += 1
    assert checked >= 6
    if topology == "indirect":
        assert stopped_parameters["forward_layers.0.nodes.shared.weight_hh_l0"].grad.abs().sum() > 0


def test_task_message_gradients_from_params():
    encoder = Seq2SeqEncoder.from_params(
        Params({"type": "dc_mtl", "tasks": TASKS, "input_dim": 4, "hidden_dim": 3, "task_message_gradients": False})
    )
    assert not encoder.task_message_gradients
    assert all(not layer.task_message_gradients for layer in encoder.forward_layers)


def test_recurrence_is_not_an_argument_any_more():
    """The built-in aggregators have one path (hand-written steps): a config that still chooses
    `recurrence` gets a ConfigurationError naming it, not a silent change of kernel."""
    for name in ("dc_mtl", "ic_mtl"):
        with pytest.raises(ConfigurationError, match=r"unknown argument\(s\) \['recurrence'\]"):
            Seq2SeqEncoder.from_params(Params({"type": name, "tasks": TASKS, "input_dim": 4, "hidden_dim": 3,
                                               "recurrence": "autograd"}))
    with pytest.raises(ConfigurationError, match="recurrence"):
        Seq2SeqEncoder.from_params(Params({"type": "message_passing", "tasks": TASKS, "input_dim": 4,
                                           "hidden_dim": 3, "recurrence": "autograd"}))


def test_dc_and_ic_mtl_pass_every_message_passing_argument_from_a_config():
    """`dc_mtl` / `ic_mtl` take their own arguments and every other one of `message_passing`
    (through **kwargs, as allennlp's from_params follows them); a misspelt key and a
    `topology` (they fix theirs) are refused."""
    encoder = Seq2SeqEncoder.from_params(
        Params({"type": "dc_mtl", "tasks": TASKS, "input_dim": 4, "hidden_dim": 3, "num_layers": 2,
                "bidirectional": True, "dropout": 0.3, "task_message_gradients": False,
                "attention_entropy": 0.5, "attention_dim": 7, "temperature": 0.5, "source_embeddings": True})
    )
    assert type(encoder) is DcMtlEncoder and isinstance(encoder.topology, DirectTopology)
    assert encoder.num_layers == 2 and encoder.bidirectional and encoder.dropout.p == 0.3
    assert encoder.task_message_gradients is False and encoder.attention_entropy == 0.5
    aggregator = encoder.aggregators()[TASKS[0]]
    assert aggregator.scorer.attention_dim == 7 and aggregator.temperature == 0.5
    assert aggregator.source_embeddings is not None
    indirect = Seq2SeqEncoder.from_params(
        Params({"type": "ic_mtl", "tasks": TASKS, "input_dim": 4, "hidden_dim": 3, "shared_attention": True})
    )
    assert isinstance(indirect.topology, IndirectTopology) and indirect.num_layers == 1
    assert len({id(a.scorer) for a in indirect.aggregators().values()}) == 1
    for name, key in (("dc_mtl", "num_layer"), ("ic_mtl", "source_embeddings")):  # the latter: dc_mtl's only
        with pytest.raises(ConfigurationError, match=f"unknown argument.*{key}"):
            Seq2SeqEncoder.from_params(
                Params({"type": name, "tasks": TASKS, "input_dim": 4, "hidden_dim": 3, key: 2}))
    for name in ("dc_mtl", "ic_mtl"):
        with pytest.raises(ConfigurationError, match="message_passing"):
            Seq2SeqEncoder.from_params(Params({"type": name, "tasks": TASKS, "input_dim": 4, "hidden_dim": 3,
                                               "topology": {"type": "direct"}}))


def _token_entropy(weights: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum over the tokens of `mask` of -sum_e w log w, written out with a Python loop."""
    total = weights.new_zeros(())
    for b in range(weights.size(0)):
        for t in range(weights.size(1)):
            if mask[b, t]:
                total = total - sum(w * math.log(w) for w in weights[b, t].tolist() if w > 0)
    return total


@pytest.mark.parametrize("topology,bidirectional", [("direct", False), ("direct", True), ("indirect", True)])
def test_attention_entropy_is_the_mean_entropy_of_the_reported_attention(topology, bidirectional, steps):
    encoder = make_encoder(topology, bidirectional, num_layers=1, steps=steps, attention_entropy=0.3)
    inputs, mask = random_inputs([5, 3, 4, 1, 5], seq_len=6)
    encoder(inputs, mask, ["dvd", "books", "music", "dvd", "books"])
    attention = encoder.get_attention()
    key = "alpha" if topology == "direct" else "beta"
    keys = [key, key + "_backward"] if bidirectional else [key]
    expected = sum(_token_entropy(attention[k], mask) for k in keys) / (int(mask.sum()) * len(keys))
    assert torch.allclose(encoder.get_aux_loss(), 0.3 * expected, atol=1e-10)
    assert make_encoder(topology, bidirectional).get_aux_loss() is None  # the paper: no term


@pytest.mark.parametrize("topology", ["direct", "indirect"])
def test_attention_entropy_gradient_sharpens_or_spreads_the_attention(topology, steps):
    """Gradient steps on the term alone: a positive weight lowers the mean entropy, a negative one
    raises it; the gradient is finite with IC-MTL's padded (exactly 0) positions."""
    inputs, mask = random_inputs([5, 3, 4, 1, 5], seq_len=6)
    tasks = ["dvd", "books", "music", "dvd", "books"]
    for sign in (1.0, -1.0):
        encoder = make_encoder(topology, steps=steps, attention_entropy=sign)
        optimizer = torch.optim.SGD(encoder.parameters(), lr=0.5)
        entropies = []
        for _ in range(5):
            optimizer.zero_grad()
            encoder(inputs, mask, tasks)
            loss = encoder.get_aux_loss()
            entropies.append(loss.item() / sign)
            loss.backward()
            assert all(torch.isfinite(p.grad).all() for p in encoder.parameters() if p.grad is not None)
            optimizer.step()
        assert (entropies[-1] < entropies[0]) if sign > 0 else (entropies[-1] > entropies[0]), entropies


@pytest.mark.parametrize("topology", ["direct", "indirect"])
@pytest.mark.parametrize("bidirectional, num_layers", [(False, 1), (True, 2)])
def test_read_messages_off_is_the_model_with_w_f_zero(topology, bidirectional, num_layers):
    """`read_messages: false` (the evaluation-time ablation) gives the outputs of the same
    parameters with every layer's W_f set to 0: eq. 9 without its message term."""
    encoder = make_encoder(topology, bidirectional=bidirectional, num_layers=num_layers)
    inputs, mask = random_inputs([5, 3, 4, 2])
    tasks = ["books", "music", "dvd", "books"]
    with_messages = encoder(inputs, mask, tasks)
    layers = [module for module in encoder.modules() if isinstance(module, MessagePassingLayer)]
    assert len(layers) == num_layers * (2 if bidirectional else 1)
    for layer in layers:
        layer.read_messages = False
    without = encoder(inputs, mask, tasks)
    assert encoder.get_attention() == {}
    assert not torch.allclose(without, with_messages, atol=1e-6)  # the messages did matter
    for layer in layers:
        layer.read_messages = True
        with torch.no_grad():
            layer.fusion.fusion.weight.zero_()
    assert torch.allclose(without, encoder(inputs, mask, tasks), atol=1e-12)


def test_read_messages_off_runs_each_task_as_its_own_lstm():
    """One layer, one direction: each instance's output is its task's own nn.LSTM over it."""
    encoder = make_encoder("direct", read_messages=False)
    inputs, mask = random_inputs([5, 3])
    output = encoder(inputs, mask, ["dvd", "music"])
    for row, task in enumerate(["dvd", "music"]):
        length = int(mask[row].sum())
        expected = encoder.forward_layers[0].nodes[task](inputs[row : row + 1, :length])[0]
        assert torch.allclose(output[row : row + 1, :length], expected, atol=1e-12)
        assert torch.all(output[row, length:] == 0)


def test_read_messages_override_keeps_the_parameters():
    """The option adds no parameter: an archive's weights load into the model built with it
    (as `allennlp evaluate --overrides` does)."""
    params = {"type": "dc_mtl", "tasks": TASKS, "input_dim": 4, "hidden_dim": 3}
    trained = Seq2SeqEncoder.from_params(Params(dict(params)))
    ablated = Seq2SeqEncoder.from_params(Params(dict(params, read_messages=False)))
    ablated.load_state_dict(trained.state_dict())  # strict: the same keys and shapes
    assert all(not layer.read_messages for layer in ablated.forward_layers)


@pytest.mark.parametrize("topology", ["direct", "indirect"])
def test_own_input_dropout_drops_only_the_fusion_lstms_input(topology):
    """With every unit dropped (p = 1 in training) a task's fusion LSTM gets no input term
    while its sources and its attention still read x_t: the same as the model without the
    option whose task LSTM has W_ih = 0 (one task in the batch, so that LSTM is not also one
    of its sources)."""
    torch.manual_seed(0)
    inputs, mask = random_inputs([5, 3, 4])
    tasks = ["dvd"] * 3
    encoder = make_encoder(topology, own_input_dropout=1.0)
    encoder.train()
    dropped = encoder(inputs, mask, tasks)
    alpha_dropped = encoder.get_attention()

    reference = make_encoder(topology)
    reference.load_state_dict(encoder.state_dict())
    reference.train()
    with torch.no_grad():
        reference.forward_layers[0].nodes["dvd"].weight_ih_l0.zero_()
    expected = reference(inputs, mask, tasks)
    assert torch.allclose(dropped, expected, atol=1e-8)
    for key, value in reference.get_attention().items():
        assert torch.allclose(alpha_dropped[key], value, atol=1e-8), key
    assert not torch.allclose(dropped, make_encoder(topology)(inputs, mask, tasks), atol=1e-4)


@pytest.mark.parametrize("topology", ["direct", "indirect"])
def test_own_input_dropout_is_off_in_evaluation_and_adds_no_parameter(topology):
    """In `eval()` the option changes nothing; an archive trained with it loads into the model
    without it (the same keys); in training it does change the outputs and gradients flow."""
    inputs, mask = random_inputs([5, 3, 4, 2])
    tasks = ["books", "music", "dvd", "books"]
    plain = make_encoder(topology)
    with_option = make_encoder(topology, own_input_dropout=0.5)
    with_option.load_state_dict(plain.state_dict())  # strict
    plain.eval()
    with_option.eval()
    assert torch.allclose(plain(inputs, mask, tasks), with_option(inputs, mask, tasks), atol=1e-12)
    with_option.train()
    torch.manual_seed(1)
    output = with_option(inputs, mask, tasks)
    assert not torch.allclose(output, plain(inputs, mask, tasks), atol=1e-4)
    output.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in with_option.forward_layers[0].fusion.parameters())


def test_own_input_dropout_out_of_range_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="own_input_dropout"):
        make_encoder("direct", own_input_dropout=1.5)
