import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.modules import Seq2SeqEncoder

from graph_mtl.modules.seq2seq_encoders.shared_private import SharedPrivateEncoder, encode_by_task, reverse_gradient

TASKS = ["books", "dvd", "music"]


def make(**kwargs) -> SharedPrivateEncoder:
    torch.manual_seed(0)
    return SharedPrivateEncoder(TASKS, input_dim=4, hidden_dim=3, **kwargs)


def batch():
    torch.manual_seed(1)
    inputs = torch.randn(4, 6, 4)
    mask = torch.ones(4, 6, dtype=torch.bool)
    mask[1, 4:] = False
    mask[3, 2:] = False
    return inputs, mask, ["dvd", "books", "dvd", "music"]


def test_from_params_and_dims():
    encoder = Seq2SeqEncoder.from_params(
        Params({"type": "shared_private", "tasks": TASKS, "input_dim": 4, "hidden_dim": 3, "bidirectional": True})
    )
    assert encoder.get_input_dim() == 4 and encoder.get_output_dim() == 12
    with pytest.raises(ConfigurationError):
        SharedPrivateEncoder(["a", "a"], 4, 3)
    inputs, mask, tasks = batch()
    with pytest.raises(ValueError):
        encoder(inputs, mask, None)
    with pytest.raises(ValueError):
        encoder(inputs, mask, ["books", "nope", "dvd", "dvd"])


@pytest.mark.parametrize("bidirectional", [False, True])
def test_output_is_private_then_shared_and_zero_on_padding(bidirectional):
    encoder = make(bidirectional=bidirectional).eval()
    inputs, mask, tasks = batch()
    output = encoder(inputs, mask, tasks)
    half = encoder.component_dim
    assert output.shape == (4, 6, 2 * half)
    assert torch.all(output[~mask] == 0)
    shared = encoder.shared(inputs, mask)
    assert torch.allclose(output[..., half:], shared * mask.unsqueeze(-1), atol=1e-6)
    private_books = encoder.private["books"](inputs[1:2], mask[1:2])
    assert torch.allclose(output[1:2, :, :half], private_books, atol=1e-6)


def test_mixed_batch_and_padding_do_not_change_outputs():
    encoder = make().eval()
    inputs, mask, tasks = batch()
    mixed = encoder(inputs, mask, tasks)
    for row, task in enumerate(tasks):
        length = int(mask[row].sum())
        alone = encoder(inputs[row : row + 1, :length], mask[row : row + 1, :length], [task])
        assert torch.allclose(mixed[row, :length], alone[0], atol=1e-6)


def test_orthogonality_penalty_matches_its_definition():
    encoder = make(adversarial_weight=0.0, orthogonality_weight=0.5)
    inputs, mask, tasks = batch()
    output = encoder(inputs, mask, tasks)
    half = encoder.component_dim
    expected = []
    for row in range(4):
        length = int(mask[row].sum())
        S = output[row, :length, half:].double()
        H = output[row, :length, :half].double()
        expected.append(torch.linalg.matrix_norm(S.T @ H, "fro") ** 2)
    expected_loss = torch.stack(expected).mean()
    losses = encoder.get_aux_losses()
    assert set(losses) == {"orthogonality"}
    assert torch.allclose(losses["orthogonality"].double(), expected_loss, atol=1e-6)
    assert torch.allclose(encoder.get_aux_loss().double(), 0.5 * expected_loss, atol=1e-6)


def test_gradient_reversal():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    (reverse_gradient(x, 0.5) * torch.tensor([3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [-1.5, -2.0]


def test_shared_lstm_gets_the_reversed_discriminator_gradient():
    """The discriminator descends L_adv; the shared LSTM receives -dL_adv (it ascends)."""
    inputs, mask, tasks = batch()
    reversed_encoder = make(orthogonality_weight=0.0)
    plain_encoder = make(orthogonality_weight=0.0, gradient_reversal_scale=-1.0)
    grads = []
    for encoder in (reversed_encoder, plain_encoder):
        encoder(inputs, mask, tasks)
        encoder.get_aux_loss().backward()
        grads.append(
            (
                [p.grad.clone() for p in encoder.shared.parameters()],
                [p.grad.clone() for p in encoder.discriminator.parameters()],
            )
        )
    (shared_rev, disc_rev), (shared_plain, disc_plain) = grads
    for a, b in zip(disc_rev, disc_plain):
        assert torch.allclose(a, b)
    for a, b in zip(shared_rev, shared_plain):
        assert torch.allclose(a, -b, atol=1e-7)
    assert any(g.abs().sum() > 0 for g in shared_rev)
    # The private LSTMs do not take part in the adversarial loss.
    assert all(p.grad is None for p in reversed_encoder.private.parameters())


def test_every_parameter_gets_a_gradient():
    encoder = make(bidirectional=True)
    inputs, mask, _ = batch()
    tasks = ["books", "dvd", "music", "books"]
    output = encoder(inputs, mask, tasks)
    (output.sum() + encoder.get_aux_loss()).backward()
    missing = [name for name, p in encoder.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_encode_by_task_runs_each_task_on_its_rows_only():
    calls = {}

    def encoder(name, offset):
        def encode(inputs, mask):
            calls[name] = (inputs[:, 0, 0].tolist(), mask.sum(dim=1).tolist())
            return inputs[..., :2] + offset

        return encode

    encoders = {"books": encoder("books", 10.0), "dvd": encoder("dvd", 20.0), "music": encoder("music", 30.0)}
    inputs = torch.arange(4.0).view(4, 1, 1).expand(4, 3, 3).clone()
    mask = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 1, 0]], dtype=torch.bool)
    outputs = torch.full((4, 3, 2), -1.0)
    result = encode_by_task(encoders, TASKS, [1, 0, 1, 1], inputs, mask, outputs)
    assert calls == {"books": ([1.0], [2]), "dvd": ([0.0, 2.0, 3.0], [3, 1, 2])}  # no music rows
    assert result[:, 0, 0].tolist() == [20.0, 11.0, 22.0, 23.0]
    assert bool((outputs == -1.0).all())  # not modified in place
