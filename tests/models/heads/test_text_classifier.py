"""The text classification head and its pooling (graph_mtl/models/heads/text_classifier.py)."""
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from graph_mtl.models.heads import TextClassifierHead
from graph_mtl.models.heads.text_classifier import pool_sequence
from tests.models.helpers import classification_instances, vocab_for


@pytest.fixture(scope="module")
def label_vocab() -> Vocabulary:
    return vocab_for(classification_instances())


def test_pooling_matches_explicit_computation():
    torch.manual_seed(0)
    encoded = torch.randn(2, 4, 6)
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    last = pool_sequence(encoded, mask, "last")
    assert torch.equal(last[0], encoded[0, 2]) and torch.equal(last[1], encoded[1, 3])
    bi = pool_sequence(encoded, mask, "last", bidirectional=True)
    assert torch.equal(bi[0], torch.cat([encoded[0, 2, :3], encoded[0, 0, 3:]]))
    assert torch.allclose(pool_sequence(encoded, mask, "max")[0], encoded[0, :3].max(dim=0)[0])
    assert torch.allclose(pool_sequence(encoded, mask, "mean")[0], encoded[0, :3].mean(dim=0))
    with pytest.raises(ConfigurationError):
        pool_sequence(encoded, mask, "median")


def test_max_pooling_of_an_empty_sentence_is_zero():
    pooled = pool_sequence(torch.randn(1, 3, 2), torch.zeros(1, 3, dtype=torch.bool), "max")
    assert torch.equal(pooled, torch.zeros(1, 2))


@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
def test_classifier_outputs_loss_metrics_and_labels(label_vocab, pooling):
    torch.manual_seed(1)
    head = TextClassifierHead(label_vocab, input_dim=4, pooling=pooling, label_namespace="books_labels")
    encoded = torch.randn(3, 5, 4)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[0, 3:] = False
    label = torch.tensor([0, 1, 1])
    output = head(encoded, mask, label)
    assert output["logits"].shape == (3, 2)
    assert torch.allclose(output["probs"].sum(-1), torch.ones(3))
    expected = torch.nn.functional.cross_entropy(output["logits"], label)
    assert torch.allclose(output["loss"], expected)
    predicted = output["logits"].argmax(-1)
    assert head.get_metrics()["accuracy"] == pytest.approx((predicted == label).float().mean().item())
    readable = head.make_output_human_readable(dict(output))
    index_to_label = label_vocab.get_index_to_token_vocabulary("books_labels")
    assert readable["label"] == [index_to_label[int(i)] for i in predicted]
    assert set(readable["label"]) <= {"0", "1"}
    assert head.get_metrics(reset=True)["accuracy"] >= 0 and head.get_metrics()["accuracy"] == 0


def test_classifier_without_probs_is_left_alone(label_vocab):
    head = TextClassifierHead(label_vocab, input_dim=4, label_namespace="books_labels")
    assert head.make_output_human_readable({}) == {}
    assert head.default_predictor == "text_classifier"
