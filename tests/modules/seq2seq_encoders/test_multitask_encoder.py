"""
The `MultiTaskEncoder` interface: its checks, its defaults, the encoders that implement it, and
how the `graph_mtl` backbone and model use it (a task-aware encoder written here, outside the
package, works in a model; a plain `Seq2SeqEncoder` is called without the task).
"""
from typing import Dict, List, Optional

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.modules import Seq2SeqEncoder

from graph_mtl.models.heads import TextClassifierHead
from graph_mtl.modules.seq2seq_encoders import (
    DcMtlEncoder,
    IcMtlEncoder,
    MessagePassingEncoder,
    MultiTaskCnnEncoder,
    MultiTaskEncoder,
    SharedPrivateEncoder,
)
from tests.models.helpers import CLASSIFICATION, build_model, classification_instances, tensors, vocab_for

TASKS = list(CLASSIFICATION)


class ScaledByTask(MultiTaskEncoder):
    """Multiplies each instance by (1 + its task index); an auxiliary loss and a 'gamma'
    attention that the backbone must pass on."""

    encoder_name = "scaled_by_task"

    def __init__(self, tasks: List[str], dim: int) -> None:
        super().__init__(tasks, dim, dim)
        self.scale = torch.nn.Parameter(torch.tensor(1.0))
        self.seen: List[List[int]] = []
        self._aux: Optional[torch.Tensor] = None
        self._gamma: Dict[str, torch.Tensor] = {}

    def get_output_dim(self) -> int:
        return self.hidden_dim

    def encode(self, inputs, mask, task_ids):  # type: ignore[override]
        self.seen.append(list(task_ids))
        factor = torch.tensor([1.0 + i for i in task_ids]).view(-1, 1, 1)
        self._aux = 3 * self.scale ** 2
        self._gamma = {"gamma": mask.float()}
        return inputs * factor * self.scale * mask.unsqueeze(-1)

    def get_aux_loss(self) -> Optional[torch.Tensor]:
        return self._aux

    def get_attention(self) -> Dict[str, torch.Tensor]:
        return dict(self._gamma)


class DeclaresTaskButIsPlain(Seq2SeqEncoder):
    """A plain encoder whose `forward` happens to have a `task` parameter and which has
    `get_attention` / `get_aux_loss`: not a `MultiTaskEncoder`, so the backbone must neither
    pass it the task nor read those."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.calls: List[Optional[List[str]]] = []
        self.linear = torch.nn.Linear(dim, dim)

    def get_input_dim(self) -> int:
        return self.dim

    def get_output_dim(self) -> int:
        return self.dim

    def is_bidirectional(self) -> bool:
        return False

    def forward(self, inputs, mask, task="not given"):  # type: ignore[override]
        self.calls.append(task)
        return self.linear(inputs) * mask.unsqueeze(-1)

    def get_attention(self) -> Dict[str, torch.Tensor]:
        return {"alpha": torch.zeros(1)}

    def get_aux_loss(self) -> torch.Tensor:
        return torch.tensor(100.0)


@pytest.fixture(scope="module")
def vocab():
    return vocab_for(classification_instances())


def model_with(vocab, encoder, **kwargs):
    heads = {
        t: TextClassifierHead(vocab, encoder.get_output_dim(), label_namespace=f"{t}_labels")
        for t in TASKS
    }
    return build_model(vocab, heads, encoder=encoder, embedding_dim=encoder.get_input_dim(), **kwargs)


def test_a_new_multitask_encoder_gets_the_tasks_and_its_losses_reach_the_model(vocab):
    torch.manual_seed(0)
    encoder = ScaledByTask(TASKS, 6)
    model = model_with(vocab, encoder, aux_loss_weight=2.0)
    batch = tensors(classification_instances(), vocab)
    output = model(**batch)
    assert encoder.seen[-1] == [TASKS.index(t) for t in batch["task"]]
    assert torch.equal(output["gamma"], batch["tokens"]["tokens"]["tokens"].ne(0).float())
    assert output["aux_loss"].item() == pytest.approx(3.0)
    task_losses = sum(output[f"{t}_loss"] for t in TASKS)
    assert output["loss"].item() == pytest.approx((task_losses + 2.0 * 3.0).item())
    output["loss"].backward()
    assert encoder.scale.grad is not None


def test_a_plain_encoder_gets_no_task_and_no_attention_or_aux_loss_is_read(vocab):
    torch.manual_seed(0)
    encoder = DeclaresTaskButIsPlain(6)
    model = model_with(vocab, encoder, aux_loss_weight=2.0)
    output = model(**tensors(classification_instances(), vocab))
    assert encoder.calls and set(encoder.calls) == {"not given"}
    assert "alpha" not in output and "aux_loss" not in output
    assert output["loss"].item() == pytest.approx(sum(output[f"{t}_loss"] for t in TASKS).item())


def test_forward_checks_tasks_and_mask():
    encoder = ScaledByTask(["a", "b"], 2)
    inputs = torch.ones(3, 4, 2)
    output = encoder(inputs, None, "b")  # one name for the batch, no mask: nothing padded
    assert encoder.seen[-1] == [1, 1, 1] and torch.equal(output, 2 * inputs)
    mask = torch.tensor([[1, 1, 0, 0]] * 3)  # not a BoolTensor
    output = encoder(inputs, mask, ["a", "b", "a"])
    assert encoder.seen[-1] == [0, 1, 0]
    assert output[:, 2:].abs().sum() == 0 and output[1, 0, 0] == 2
    with pytest.raises(ValueError, match=r"scaled_by_task: unknown task\(s\) \['c'\]"):
        encoder(inputs, None, ["a", "b", "c"])
    with pytest.raises(ValueError, match="scaled_by_task got 2 task names for a batch of 3"):
        encoder(inputs, None, ["a", "b"])
    with pytest.raises(ValueError, match="scaled_by_task needs the task of each instance"):
        encoder(inputs)
    single = ScaledByTask(["only"], 2)
    single(inputs)
    assert single.seen[-1] == [0, 0, 0]
    with pytest.raises(ConfigurationError, match="scaled_by_task needs distinct task names"):
        ScaledByTask(["a", "a"], 2)
    with pytest.raises(ConfigurationError, match="scaled_by_task needs at least one task"):
        ScaledByTask([], 2)


def test_defaults_of_the_interface():
    encoder = ScaledByTask(["a", "b"], 2)
    assert encoder.tasks == ["a", "b"] and encoder.get_input_dim() == 2
    assert not encoder.is_bidirectional()
    assert encoder.graph() == {} and encoder.aggregators() == {}
    assert encoder.virtual_nodes == [] and encoder.topology is None
    assert MultiTaskEncoder.get_attention(encoder) == {}
    assert MultiTaskEncoder.get_aux_loss(encoder) is None
    with pytest.raises(NotImplementedError):
        MultiTaskEncoder(["a"], 2, 2)(torch.ones(1, 1, 2))


@pytest.mark.parametrize(
    "config, cls",
    [
        ({"type": "mt_cnn"}, MultiTaskCnnEncoder),
        ({"type": "shared_private"}, SharedPrivateEncoder),
        ({"type": "message_passing"}, MessagePassingEncoder),
        ({"type": "dc_mtl"}, DcMtlEncoder),
        ({"type": "ic_mtl", "bidirectional": True}, IcMtlEncoder),
    ],
)
def test_the_built_in_encoders_implement_it(config, cls):
    torch.manual_seed(0)
    encoder = Seq2SeqEncoder.from_params(Params({**config, "tasks": ["a", "b"], "input_dim": 4, "hidden_dim": 3}))
    assert isinstance(encoder, cls) and isinstance(encoder, MultiTaskEncoder)
    assert encoder.tasks == ["a", "b"] and encoder.get_input_dim() == 4
    inputs = torch.randn(3, 5, 4)
    mask = torch.tensor([[1] * 5, [1] * 3 + [0] * 2, [1] * 4 + [0]], dtype=torch.bool)
    output = encoder(inputs, mask, ["b", "a", "b"])
    attention = encoder.get_attention()  # of the last batch
    aux = encoder.get_aux_loss()
    assert output.shape == (3, 5, encoder.get_output_dim())
    assert output[1, 3:].abs().sum() == 0 and output[2, 4:].abs().sum() == 0
    # an instance is encoded as its task: alone (task as one string) as in the mixed batch
    alone = encoder(inputs[1:2, :3], None, "a")
    assert torch.allclose(alone[0], output[1, :3], atol=1e-5)
    with pytest.raises(ValueError, match="unknown task"):
        encoder(inputs, mask, ["b", "a", "x"])
    if cls is SharedPrivateEncoder:
        assert attention == {} and aux is not None and aux.dim() == 0
    else:
        assert aux is None
    if issubclass(cls, MessagePassingEncoder):
        assert encoder.topology is not None
        assert set(encoder.graph()) == {"a", "b"} and set(encoder.aggregators()) == {"a", "b"}
        assert attention and all(value.size(0) == 3 for value in attention.values())
        if cls is IcMtlEncoder:
            assert encoder.virtual_nodes == ["shared"] and encoder.graph()["a"] == ["shared"]
            assert "beta_backward" in attention
        else:
            assert encoder.virtual_nodes == [] and encoder.graph()["a"] == ["b"]
    else:
        assert attention == {} and encoder.graph() == {} and encoder.virtual_nodes == []
