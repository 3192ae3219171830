"""The graph_mtl model with each task-aware encoder: task routing, attention outputs, aux loss."""
import pytest
import torch
from allennlp.modules import Seq2SeqEncoder

from graph_mtl.models.heads import TextClassifierHead

from tests.models.helpers import (
    CLASSIFICATION,
    build_model,
    classification_instance,
    tensors,
    vocab_for,
)

# Three tasks: with two, each DC-MTL task has one source and its attention is constant.
EXAMPLES = {**CLASSIFICATION, "music": [("a good album", "1"), ("dull songs", "0")]}
TASKS = list(EXAMPLES)


def classification_instances():
    return [
        classification_instance(task, text, label)
        for task, examples in EXAMPLES.items()
        for text, label in examples
    ]


@pytest.fixture(scope="module")
def vocab():
    return vocab_for(classification_instances())


def model_with(vocab, encoder_type, **encoder_kwargs):
    torch.manual_seed(0)
    encoder = Seq2SeqEncoder.by_name(encoder_type)(tasks=TASKS, input_dim=6, hidden_dim=4, **encoder_kwargs)
    heads = {
        t: TextClassifierHead(vocab, encoder.get_output_dim(), label_namespace=f"{t}_labels")
        for t in TASKS
    }
    return build_model(vocab, heads, encoder=encoder)


def mixed_batch(vocab):
    instances = classification_instances()
    return tensors([instances[i] for i in (0, 4, 8, 1, 5, 9, 2, 6, 3, 7)], vocab)


@pytest.mark.parametrize(
    "encoder_type, attention_key",
    [("dc_mtl", "alpha"), ("ic_mtl", "beta"), ("shared_private", None), ("mt_cnn", None)],
)
def test_every_parameter_gets_a_gradient_from_a_mixed_batch(vocab, encoder_type, attention_key):
    model = model_with(vocab, encoder_type)
    batch = mixed_batch(vocab)
    output = model(**batch)
    if attention_key is not None:
        attention = output[attention_key]
        assert attention.size(0) == len(batch["task"])
        mask = output["encoded_text_mask"]
        row_sums = attention.sum(-1)
        assert torch.allclose(row_sums[mask], torch.ones_like(row_sums[mask]), atol=1e-5)
        assert torch.all(row_sums[~mask] == 0)
    if encoder_type == "shared_private":
        assert output["aux_loss"].dim() == 0
        assert torch.allclose(
            output["loss"], sum(output[f"{t}_loss"] for t in TASKS) + output["aux_loss"]
        )
    output["loss"].backward()
    missing = [
        name
        for name, parameter in model.named_parameters()
        if parameter.requires_grad and (parameter.grad is None or not parameter.grad.abs().sum() > 0)
    ]
    assert missing == []


@pytest.mark.parametrize("encoder_type", ["dc_mtl", "ic_mtl", "shared_private", "mt_cnn"])
def test_mixed_batch_equals_homogeneous_batches(vocab, encoder_type):
    model = model_with(vocab, encoder_type).eval()
    batch = mixed_batch(vocab)
    mixed = model(**batch)
    instances = classification_instances()
    for task in TASKS:
        own = model(**tensors([i for i in instances if i["task"].metadata == task], vocab))
        mixed_rows = [row for row, t in enumerate(batch["task"]) if t == task]
        assert torch.allclose(mixed[f"{task}_probs"], own[f"{task}_probs"], atol=1e-5)
        assert len(mixed_rows) == own[f"{task}_probs"].size(0)
