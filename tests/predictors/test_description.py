"""
The predictor reads the model's encoder through the `MultiTaskEncoder` interface only
(`graph_mtl.predictors.description`), and `allennlp predict` reads its input as
`graph_mtl.commands.predict_manager` says (allennlp's own loop for other predictors).
"""
import io
import sys
from types import SimpleNamespace
from typing import Dict, List

import pytest
import torch
from allennlp.commands.predict import _PredictManager
from allennlp.modules.seq2seq_encoders import LstmSeq2SeqEncoder

from graph_mtl.models.heads import TextClassifierHead
from graph_mtl.modules.seq2seq_encoders import DcMtlEncoder, MultiTaskEncoder, SharedPrivateEncoder
from graph_mtl.commands import predict_manager
from graph_mtl.predictors import InputLineError
from graph_mtl.predictors.description import describe_model, find_multitask_encoder, source_graph
from tests.models.helpers import CLASSIFICATION, build_model, classification_instances, vocab_for

TASKS = list(CLASSIFICATION)


class HubEncoder(MultiTaskEncoder):
    """A message-passing encoder written outside the package, without a `Topology`: each task
    reads a virtual node `hub`, `books` also reads `dvd`."""

    def __init__(self, tasks: List[str], dim: int) -> None:
        super().__init__(tasks, dim, dim)
        self.virtual_nodes = ["hub"]
        self.gate = torch.nn.Identity()

    def get_output_dim(self) -> int:
        return self.hidden_dim

    def encode(self, inputs, mask, task_ids):  # type: ignore[override]
        return inputs * mask.unsqueeze(-1)

    def graph(self) -> Dict[str, List[str]]:
        return {"books": ["dvd", "hub"], "dvd": ["hub"]}

    def aggregators(self) -> Dict[str, torch.nn.Module]:
        return {"books": self.gate}


@pytest.fixture(scope="module")
def vocab():
    return vocab_for(classification_instances())


def model_with(vocab, encoder):
    heads = {t: TextClassifierHead(vocab, encoder.get_output_dim(), label_namespace=f"{t}_labels") for t in TASKS}
    return build_model(vocab, heads, encoder=encoder, embedding_dim=encoder.get_input_dim())


def test_an_encoder_without_messages_is_named_only(vocab):
    for encoder, name in ((SharedPrivateEncoder(TASKS, 6, 3), "shared_private"),
                          (LstmSeq2SeqEncoder(6, 3), "lstm")):
        model = model_with(vocab, encoder)
        found = find_multitask_encoder(model)
        assert found is (encoder if isinstance(encoder, MultiTaskEncoder) else None)
        assert source_graph(found) == {}
        assert describe_model(model, found) == {"tasks": TASKS, "encoder": name}


def test_a_message_passing_encoder_is_described_from_the_interface(vocab):
    torch.manual_seed(0)
    model = model_with(vocab, HubEncoder(TASKS, 6))
    encoder = find_multitask_encoder(model)
    assert describe_model(model, encoder) == {
        "tasks": TASKS,
        "encoder": "HubEncoder",  # not registered: its class name
        "virtual_nodes": ["hub"],
        "sources": {"books": ["dvd", "hub"], "dvd": ["hub"]},
        "aggregators": {"books": {"class": "Identity", "kind": "unknown"}},
    }
    model = model_with(vocab, DcMtlEncoder(TASKS, 6, 3))
    info = describe_model(model, find_multitask_encoder(model))
    assert info["encoder"] == "dc_mtl" and info["topology"] == "direct" and info["virtual_nodes"] == []
    assert info["sources"] == {"books": ["dvd"], "dvd": ["books"]}
    assert {row["kind"] for row in info["aggregators"].values()} == {"sources"}


def manager(predictor, input_file):
    return _PredictManager(predictor, str(input_file), None, 1, False, False)


def test_other_predictors_keep_allennlps_reading(tmp_path):
    import allennlp.commands.predict as predict

    predict_manager.use_in_allennlp()  # idempotent: still one subclass of allennlp's class
    assert predict._PredictManager is _PredictManager and _PredictManager.graph_mtl_predict_manager
    assert not getattr(_PredictManager.__mro__[1], "graph_mtl_predict_manager", False)
    path = tmp_path / "in.txt"
    path.write_bytes(b"one\n\ntwo\n")
    plain = SimpleNamespace(load_line=lambda line: {"text": line})
    assert list(manager(plain, path)._get_json_data()) == [{"text": "one\n"}, {"text": "two\n"}]
    path.write_bytes(b"caf\xe9\n")
    with pytest.raises(UnicodeDecodeError):  # allennlp's strict UTF-8 text reading, unchanged
        list(manager(plain, path)._get_json_data())


def test_a_bad_line_from_stdin_names_stdin(monkeypatch):
    def bad(line):
        raise InputLineError(1, "no sentence")

    monkeypatch.setattr(sys, "stdin", io.StringIO("{}\n"))
    with pytest.raises(InputLineError, match=r"^<stdin>, input line 1: no sentence$"):
        list(manager(SimpleNamespace(load_line=bad), "-")._get_json_data())
