"""The CRF tagging head (graph_mtl/models/heads/crf_tagger.py)."""
import itertools

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.modules.conditional_random_field import allowed_transitions
from allennlp.nn import util

from graph_mtl.models.heads import CrfTaggerHead
from tests.models.helpers import tagging_instances, tensors, vocab_for


@pytest.fixture(scope="module")
def tag_vocab() -> Vocabulary:
    return vocab_for(tagging_instances())


def test_crf_outputs_and_human_readable_tags(tag_vocab):
    torch.manual_seed(2)
    head = CrfTaggerHead(tag_vocab, input_dim=4, label_namespace="ner_tags", label_encoding="BIOUL")
    batch = tensors([i for i in tagging_instances() if i["task"].metadata == "ner"], tag_vocab)
    mask = util.get_text_field_mask(batch["tokens"])
    encoded = torch.randn(*mask.shape, 4)
    output = head(encoded, mask, batch["tags"], metadata=batch["metadata"])
    assert output["logits"].shape == (*mask.shape, tag_vocab.get_vocab_size("ner_tags"))
    assert [len(path) for path in output["tags"]] == mask.sum(-1).tolist()
    assert output["loss"].dim() == 0 and output["loss"].item() > 0
    assert output["words"][0] == "John Smith lives in New York".split()
    metrics = head.get_metrics()
    assert set(metrics) == {"accuracy", "precision-overall", "recall-overall", "f1-measure-overall"}
    readable = head.make_output_human_readable(dict(output))
    assert all(isinstance(tag, str) for path in readable["tags"] for tag in path)
    assert head.default_predictor == "sentence_tagger"


def test_crf_mean_loss_is_sum_over_batch_size(tag_vocab):
    torch.manual_seed(3)
    mean_head = CrfTaggerHead(tag_vocab, 4, label_namespace="ner_tags", label_encoding="BIOUL")
    sum_head = CrfTaggerHead(
        tag_vocab, 4, label_namespace="ner_tags", label_encoding="BIOUL", loss_reduction="sum"
    )
    sum_head.load_state_dict(mean_head.state_dict())
    batch = tensors([i for i in tagging_instances() if i["task"].metadata == "ner"], tag_vocab)
    mask = util.get_text_field_mask(batch["tokens"])
    encoded = torch.randn(*mask.shape, 4)
    mean_loss = mean_head(encoded, mask, batch["tags"])["loss"]
    sum_loss = sum_head(encoded, mask, batch["tags"])["loss"]
    assert torch.allclose(mean_loss * mask.size(0), sum_loss)


def test_perfect_predictions_give_f1_one(tag_vocab):
    batch = tensors([i for i in tagging_instances() if i["task"].metadata == "ner"], tag_vocab)
    mask = util.get_text_field_mask(batch["tokens"])
    num_tags = tag_vocab.get_vocab_size("ner_tags")
    # Emissions that make the gold path overwhelmingly best: project one-hot features.
    encoded = torch.nn.functional.one_hot(batch["tags"], num_tags).float() * 100
    head = CrfTaggerHead(tag_vocab, num_tags, label_namespace="ner_tags", label_encoding="BIOUL")
    with torch.no_grad():
        head._tag_projection.weight.copy_(torch.eye(num_tags))
        head._tag_projection.bias.zero_()
    head(encoded, mask, batch["tags"])
    metrics = head.get_metrics()
    assert metrics["accuracy"] == 1.0
    assert metrics["f1-measure-overall"] == pytest.approx(1.0)


def test_accuracy_is_that_of_the_decoded_tags(tag_vocab):
    """The metrics are computed on the Viterbi paths the head returns: token accuracy by hand."""
    torch.manual_seed(8)
    num_tags = tag_vocab.get_vocab_size("ner_tags")
    head = CrfTaggerHead(tag_vocab, num_tags, label_namespace="ner_tags", label_encoding="BIOUL")
    batch = tensors([i for i in tagging_instances() if i["task"].metadata == "ner"], tag_vocab)
    mask = util.get_text_field_mask(batch["tokens"])
    with torch.no_grad():  # emissions: the gold tag's one-hot plus noise, so some tags come out right
        head._tag_projection.weight.copy_(torch.eye(num_tags))
        head._tag_projection.bias.zero_()
    encoded = torch.nn.functional.one_hot(batch["tags"], num_tags).float() * 2 + torch.randn(*mask.shape, num_tags)
    output = head(encoded, mask, batch["tags"])
    gold = [row[: len(path)] for row, path in zip(batch["tags"].tolist(), output["tags"])]
    correct = sum(p == g for path, row in zip(output["tags"], gold) for p, g in zip(path, row))
    assert 0 < correct < int(mask.sum())  # neither all right nor all wrong: the count matters
    assert head.get_metrics()["accuracy"] == pytest.approx(correct / int(mask.sum()))


def is_valid_bioul(tags):
    previous = "O"
    for tag in tags + ["O"]:
        prefix, _, label = tag.partition("-")
        open_span = previous[0] in ("B", "I")
        if open_span:
            if prefix not in ("I", "L") or label != previous.partition("-")[2]:
                return False
        elif prefix in ("I", "L"):
            return False
        previous = tag
    return True


def test_crf_decoding_respects_bioul_constraints(tag_vocab):
    """Emissions that prefer illegal sequences still decode to legal BIOUL with constraints on."""
    torch.manual_seed(4)
    num_tags = tag_vocab.get_vocab_size("ner_tags")
    constrained = CrfTaggerHead(tag_vocab, 8, label_namespace="ner_tags", label_encoding="BIOUL")
    unconstrained = CrfTaggerHead(
        tag_vocab, 8, label_namespace="ner_tags", label_encoding="BIOUL",
        constrain_crf_decoding=False,
    )
    state = {k: v for k, v in constrained.state_dict().items() if "constraint" not in k}
    unconstrained.load_state_dict(state, strict=False)
    index_to_tag = tag_vocab.get_index_to_token_vocabulary("ner_tags")
    encoded = torch.randn(64, 7, 8) * 5
    mask = torch.ones(64, 7, dtype=torch.bool)
    mask[::3, 5:] = False
    decode = lambda head: head.make_output_human_readable(head(encoded, mask))["tags"]  # noqa: E731
    constrained_paths = decode(constrained)
    assert all(is_valid_bioul(path) for path in constrained_paths)
    # Without the constraints, random emissions do produce illegal paths: the test has teeth.
    assert not all(is_valid_bioul(path) for path in decode(unconstrained))
    # The allowed transitions are exactly allennlp's BIOUL ones.
    allowed = set(allowed_transitions("BIOUL", index_to_tag))
    for i, j in itertools.product(range(num_tags), repeat=2):
        assert bool(constrained.crf._constraint_mask[i, j] > 0) == ((i, j) in allowed)


def test_crf_ignore_loss_on_o_tags_changes_loss(tag_vocab):
    head = CrfTaggerHead(tag_vocab, 4, label_namespace="ner_tags", label_encoding="BIOUL")
    batch = tensors([i for i in tagging_instances() if i["task"].metadata == "ner"], tag_vocab)
    mask = util.get_text_field_mask(batch["tokens"])
    encoded = torch.randn(*mask.shape, 4)
    full = head(encoded, mask, batch["tags"])["loss"]
    spans_only = head(encoded, mask, batch["tags"], ignore_loss_on_o_tags=True)["loss"]
    assert not torch.allclose(full, spans_only)


def test_crf_configuration_errors(tag_vocab):
    with pytest.raises(ConfigurationError):
        CrfTaggerHead(tag_vocab, 4, label_namespace="ner_tags", constrain_crf_decoding=True)
    with pytest.raises(ConfigurationError):
        CrfTaggerHead(tag_vocab, 4, label_namespace="ner_tags", label_encoding="XYZ")
    pos_like = CrfTaggerHead(tag_vocab, 4, label_namespace="chunk_tags")
    pos_like(torch.randn(1, 2, 4), torch.ones(1, 2, dtype=torch.bool), torch.tensor([[0, 1]]))
    assert set(pos_like.get_metrics()) == {"accuracy"}
