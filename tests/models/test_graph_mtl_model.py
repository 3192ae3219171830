from typing import Dict, List, Optional

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors
from allennlp.models import Model
from allennlp.models.heads import Head
from allennlp.models.multitask import MultiTaskModel

from graph_mtl.models import GraphMtlModel
from graph_mtl.models.graph_mtl_model import select_instances
from graph_mtl.modules.seq2seq_encoders import MultiTaskEncoder
from graph_mtl.training import TaskAverage

from tests.models.helpers import (
    CLASSIFICATION,
    build_model,
    classification_instances,
    classification_model,
    tagging_instances,
    tagging_model,
    tensors,
    vocab_for,
)


class TokenProbeHead(Head):
    """Records the token ids it is given (a head that reads a text field, as in #5331)."""

    def __init__(self, vocab):
        super().__init__(vocab)
        self.seen: List[torch.Tensor] = []
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, tokens: TextFieldTensors, encoded_text: torch.Tensor) -> Dict:  # type: ignore
        self.seen.append(tokens["tokens"]["tokens"].clone())
        return {"loss": self.weight.sum() + encoded_text.sum() * 0, "rows": encoded_text[:, 0]}


class TaskAwareEncoder(MultiTaskEncoder):
    """A `MultiTaskEncoder` with attention and an auxiliary loss, to test the plumbing."""

    def __init__(self, dim: int, tasks: Optional[List[str]] = None) -> None:
        super().__init__(tasks or list(CLASSIFICATION), dim, dim)
        self.linear = torch.nn.Linear(dim, dim)
        self.aux_only = torch.nn.Parameter(torch.tensor(0.5))
        self.tasks_seen: List[List[str]] = []
        self._attention: Dict[str, torch.Tensor] = {}
        self._aux: Optional[torch.Tensor] = None

    def get_output_dim(self) -> int:
        return self.hidden_dim

    def encode(self, inputs, mask, task_ids):  # type: ignore
        self.tasks_seen.append([self.tasks[i] for i in task_ids])
        batch, length, _ = inputs.shape
        self._attention = {"alpha": torch.full((batch, length, 2), 0.5) * mask.unsqueeze(-1)}
        self._aux = self.aux_only ** 2
        return self.linear(inputs) * mask.unsqueeze(-1)

    def get_attention(self):
        return self._attention

    def get_aux_loss(self):
        return self._aux


@pytest.fixture(scope="module")
def cls_vocab():
    return vocab_for(classification_instances())


@pytest.fixture(scope="module")
def tag_vocab():
    return vocab_for(tagging_instances())


def test_select_instances_does_not_mutate_and_passes_scalars():
    tokens = {"tokens": {"tokens": torch.arange(6).view(3, 2)}}
    picked = select_instances(tokens, torch.tensor([2, 0]), 3)
    assert picked["tokens"]["tokens"].tolist() == [[4, 5], [0, 1]]
    assert tokens["tokens"]["tokens"].shape == (3, 2)
    assert select_instances(True, torch.tensor([0]), 3) is True
    assert select_instances(["a", "b", "c"], torch.tensor([1]), 3) == ["b"]
    assert select_instances(torch.tensor(1.0), torch.tensor([1]), 3).item() == 1.0


def mixed_probe_models(vocab):
    def heads():
        return {"books": TokenProbeHead(vocab), "dvd": TokenProbeHead(vocab)}

    torch.manual_seed(0)
    ours = build_model(vocab, heads())
    torch.manual_seed(0)
    upstream_backbone = build_model(vocab, heads())._backbone
    upstream = MultiTaskModel(vocab, upstream_backbone, heads())
    return ours, upstream


def test_mixed_batch_slices_text_fields_per_head_regression_5331(cls_vocab):
    instances = classification_instances()
    # Interleave the tasks so each head's rows are scattered through the batch.
    instances = [instances[i] for i in (0, 4, 1, 5, 2, 6, 3, 7)]
    batch = tensors(instances, cls_vocab)
    expected = {
        task: batch["tokens"]["tokens"]["tokens"][
            [i for i, t in enumerate(batch["task"]) if t == task]
        ]
        for task in CLASSIFICATION
    }
    ours, upstream = mixed_probe_models(cls_vocab)
    original_tokens = batch["tokens"]["tokens"]["tokens"].clone()
    ours(**batch)
    for task in CLASSIFICATION:
        seen = ours._heads[task].seen[-1]
        assert torch.equal(seen, expected[task][:, : seen.size(1)])
    # The batch itself was not modified.
    assert torch.equal(batch["tokens"]["tokens"]["tokens"], original_tokens)

    # allennlp's MultiTaskModel gets this wrong: the second head slices the first head's
    # already-sliced rows (an IndexError here, or wrong rows when the indices happen to fit).
    batch = tensors(instances, cls_vocab)
    try:
        upstream(**batch)
    except IndexError:
        return
    second = upstream._heads["dvd"].seen[-1]
    assert not torch.equal(second, expected["dvd"][:, : second.size(1)])


def test_mixed_batch_gives_same_outputs_as_homogeneous(cls_vocab):
    torch.manual_seed(1)
    model = classification_model(cls_vocab).eval()
    instances = classification_instances()
    mixed = [instances[i] for i in (0, 4, 1, 5, 2, 6, 3, 7)]
    mixed_output = model(**tensors(mixed, cls_vocab))
    for task in CLASSIFICATION:
        homogeneous = [i for i in mixed if i["task"].metadata == task]
        own = model(**tensors(homogeneous, cls_vocab))
        assert torch.allclose(mixed_output[f"{task}_probs"], own[f"{task}_probs"], atol=1e-6)


def test_loss_is_weighted_sum_of_task_losses(cls_vocab):
    torch.manual_seed(2)
    model = classification_model(cls_vocab, loss_weights={"books": 0.3})
    model.eval()
    batch = tensors(classification_instances(), cls_vocab)
    output = model(**batch)
    expected = 0.3 * output["books_loss"] + 1.0 * output["dvd_loss"]
    assert torch.allclose(output["loss"], expected)
    with pytest.raises(ConfigurationError):
        classification_model(cls_vocab, loss_weights={"nope": 1.0})


def test_task_list_attention_and_aux_loss_flow(cls_vocab):
    torch.manual_seed(3)
    encoder = TaskAwareEncoder(6)
    model = classification_model(cls_vocab, encoder=encoder, aux_loss_weight=2.0)
    # classification_model's heads expect bidirectional 10-dim features: rebuild with 6 dims.
    from graph_mtl.models.heads import TextClassifierHead

    heads = {t: TextClassifierHead(cls_vocab, 6, label_namespace=f"{t}_labels") for t in CLASSIFICATION}
    model = build_model(cls_vocab, heads, encoder=encoder, aux_loss_weight=2.0)
    batch = tensors(classification_instances(), cls_vocab)
    output = model(**batch)
    assert encoder.tasks_seen[-1] == list(batch["task"])
    assert output["alpha"].shape[:2] == batch["tokens"]["tokens"]["tokens"].shape
    assert torch.allclose(output["aux_loss"], torch.tensor(0.25))
    task_losses = output["books_loss"] + output["dvd_loss"]
    assert torch.allclose(output["loss"], task_losses + 2.0 * 0.25)
    output["loss"].backward()
    # The parameter only the auxiliary loss touches gets d(2 * p^2)/dp = 4p = 2.
    assert encoder.aux_only.grad is not None and encoder.aux_only.grad.item() == pytest.approx(2.0)


def test_no_aux_loss_without_labels(cls_vocab):
    encoder = TaskAwareEncoder(6)
    from graph_mtl.models.heads import TextClassifierHead

    heads = {t: TextClassifierHead(cls_vocab, 6, label_namespace=f"{t}_labels") for t in CLASSIFICATION}
    model = build_model(cls_vocab, heads, encoder=encoder)
    unlabelled = [i for i in classification_instances()]
    for instance in unlabelled:
        instance.fields.pop("label", None)
    output = model(**tensors(unlabelled, cls_vocab))
    assert "loss" not in output and "aux_loss" in output


def test_metrics_include_task_averages(cls_vocab, tag_vocab):
    torch.manual_seed(4)
    model = classification_model(cls_vocab)
    model(**tensors(classification_instances(), cls_vocab))
    metrics = model.get_metrics()
    accuracies = [metrics["books_accuracy"], metrics["dvd_accuracy"]]
    assert metrics["average_accuracy"] == pytest.approx(sum(accuracies) / 2)
    assert metrics["average_error"] == pytest.approx(1 - sum(accuracies) / 2)
    assert "average_f1" not in metrics
    model.get_metrics(reset=True)
    assert model.get_metrics() == {}

    tagger = tagging_model(tag_vocab, task_averages={"ner_only_f1": TaskAverage("f1-measure-overall", tasks=["ner"])})
    tagger(**tensors(tagging_instances(), tag_vocab))
    metrics = tagger.get_metrics()
    assert metrics["ner_only_f1"] == metrics["ner_f1-measure-overall"]
    assert "average_accuracy" not in metrics


def test_human_readable_outputs_per_head(tag_vocab, cls_vocab):
    torch.manual_seed(5)
    model = tagging_model(tag_vocab).eval()
    instances = tagging_instances()
    outputs = model.forward_on_instances(instances[:3])  # the ner instances
    assert outputs[0]["ner_tags"] and all(isinstance(t, str) for t in outputs[0]["ner_tags"])
    assert len(outputs[0]["ner_tags"]) == 6
    assert outputs[0]["ner_words"] == "John Smith lives in New York".split()

    classifier = classification_model(cls_vocab).eval()
    outputs = classifier.forward_on_instances(classification_instances()[:4])
    assert outputs[0]["books_label"] in {"0", "1"}


def test_head_names_sharing_a_prefix(cls_vocab):
    from graph_mtl.models.heads import TextClassifierHead

    heads = {
        "books": TextClassifierHead(cls_vocab, 10, label_namespace="books_labels", bidirectional=True),
        "books_2": TextClassifierHead(cls_vocab, 10, label_namespace="dvd_labels", bidirectional=True),
    }
    model = build_model(cls_vocab, heads)
    readable = model.make_output_human_readable(
        {"books_probs": torch.tensor([[0.9, 0.1]]), "books_2_probs": torch.tensor([[0.2, 0.8]])}
    )
    assert "books_2_label" in readable and "books_label" in readable
    assert "books_2_probs" not in {k for k in readable if k.startswith("books_") and k.count("_") == 1}


def test_model_from_params(cls_vocab):
    params = Params(
        {
            "type": "graph_mtl",
            "backbone": {
                "type": "graph_mtl",
                "text_field_embedder": {"token_embedders": {"tokens": {"type": "embedding", "embedding_dim": 4}}},
                "encoder": {"type": "lstm", "input_size": 4, "hidden_size": 3},
            },
            "heads": {
                t: {"type": "text_classifier", "input_dim": 3, "label_namespace": f"{t}_labels", "pooling": "max"}
                for t in CLASSIFICATION
            },
            "loss_weights": {"books": 2.0},
            "task_averages": {"avg": {"metric": "accuracy"}},
        }
    )
    model = Model.from_params(vocab=cls_vocab, params=params)
    assert isinstance(model, GraphMtlModel)
    model(**tensors(classification_instances(), cls_vocab))
    assert "avg" in model.get_metrics()


def test_head_task_unknown_to_the_encoder_fails_at_construction(cls_vocab):
    # A misspelt task name in the encoder's `tasks` or in `heads` must stop before training.
    tasks = list(CLASSIFICATION)
    params = Params(
        {
            "type": "graph_mtl",
            "backbone": {
                "type": "graph_mtl",
                "text_field_embedder": {"token_embedders": {"tokens": {"type": "embedding", "embedding_dim": 4}}},
                "encoder": {"type": "dc_mtl", "tasks": ["boks"] + tasks[1:], "input_dim": 4, "hidden_dim": 3},
            },
            "heads": {
                t: {"type": "text_classifier", "input_dim": 3, "label_namespace": f"{t}_labels"}
                for t in tasks
            },
        }
    )
    with pytest.raises(ConfigurationError, match=rf"heads has task\(s\) \['{tasks[0]}'\] that the encoder"):
        Model.from_params(vocab=cls_vocab, params=params)
