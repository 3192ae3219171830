"""What the heads share (graph_mtl/models/heads/feature_head.py): the feature size, the optional
feedforward that must read it, and dropout."""
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules import FeedForward
from allennlp.nn import Activation

from graph_mtl.models.heads import CrfTaggerHead, TextClassifierHead
from tests.models.helpers import classification_instances, tagging_instances, vocab_for


def heads(feedforward, dropout: float = 0.0):
    classifier_vocab = vocab_for(classification_instances())
    tagger_vocab = vocab_for(tagging_instances())
    return [
        TextClassifierHead(classifier_vocab, input_dim=4, feedforward=feedforward, dropout=dropout,
                           label_namespace="books_labels"),
        CrfTaggerHead(tagger_vocab, input_dim=4, feedforward=feedforward, dropout=dropout,
                      label_namespace="ner_tags"),
    ]


def test_the_output_layer_reads_the_feedforward_output_and_dropout_is_built():
    feedforward = FeedForward(4, 1, 7, Activation.by_name("relu")())
    for head in heads(feedforward, dropout=0.25):
        assert head.get_input_dim() == 4 and head.feature_dim == 7
        layer = head._output_layer if isinstance(head, TextClassifierHead) else head._tag_projection
        assert layer.in_features == 7
        assert head._dropout.p == 0.25 and head._feedforward is feedforward
    for head in heads(None):
        assert head.feature_dim == 4 and head._dropout is None


def test_a_feedforward_that_does_not_read_the_input_dim_is_refused():
    feedforward = FeedForward(5, 1, 7, Activation.by_name("relu")())
    for make in (lambda: heads(feedforward)[0], lambda: heads(feedforward)[1]):
        with pytest.raises(ConfigurationError, match="feedforward input dim 5 != input_dim 4"):
            make()


def test_a_head_trains_through_its_feedforward():
    torch.manual_seed(0)
    feedforward = FeedForward(4, 1, 7, Activation.by_name("tanh")())
    classifier = heads(feedforward)[0]
    output = classifier(torch.randn(3, 5, 4), torch.ones(3, 5, dtype=torch.bool), label=torch.tensor([0, 1, 0]))
    output["loss"].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in feedforward.parameters())
