"""
No command writes over what it reads: `allennlp predict --output-file <input>` (which would
empty the input and exit 0), the archive as an output, `allennlp evaluate` outputs naming an
input file, `graph-mtl-report` reading a file of its own output folder. Each is refused before
anything is opened, and the inputs are left byte for byte.
"""
import json
import re
import os
import shutil
import sys

import pytest
from allennlp.commands import main
from allennlp.common.checks import ConfigurationError

from graph_mtl.commands.paths import data_paths, refuse_overwriting_inputs, same_file

from tests.predictors.tiny_models import PREDICT_FIXTURES


def run(monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", ["allennlp", *map(str, argv)])
    main()


@pytest.fixture
def inputs(tmp_path, dc_archive):
    shutil.copy(PREDICT_FIXTURES / "input.jsonl", tmp_path / "input.jsonl")
    shutil.copy(PREDICT_FIXTURES / "chunk.txt", tmp_path / "chunk.txt")
    shutil.copy(dc_archive, tmp_path / "model.tar.gz")
    return {name: (tmp_path / name, (tmp_path / name).read_bytes())
            for name in ("input.jsonl", "chunk.txt", "model.tar.gz")}


def unchanged(inputs):
    return all(path.read_bytes() == data for path, data in inputs.values())


def test_same_file_and_data_paths(tmp_path):
    (tmp_path / "a").write_text("x")
    os.link(tmp_path / "a", tmp_path / "hard")
    os.symlink(tmp_path / "a", tmp_path / "soft")
    assert same_file(str(tmp_path / "a"), str(tmp_path / "sub" / ".." / "a"))
    assert same_file(str(tmp_path / "hard"), str(tmp_path / "a"))
    assert same_file(str(tmp_path / "soft"), str(tmp_path / "a"))
    assert not same_file(str(tmp_path / "a"), str(tmp_path / "b"))
    assert data_paths('{"chunk": "c.txt", "pos": "p.txt"}') == ["c.txt", "p.txt"]
    assert data_paths("a.txt,b.txt") == ["a.txt", "b.txt"]
    assert data_paths("a.txt") == ["a.txt"]
    with pytest.raises(ConfigurationError, match="cmd: --out .*hard is the same file as the input .*a; "):
        refuse_overwriting_inputs("cmd", [("--other", None), ("--out", str(tmp_path / "hard"))],
                                  [("the input", str(tmp_path / "a"))])
    refuse_overwriting_inputs("cmd", [("--out", str(tmp_path / "b"))], [("the input", str(tmp_path / "a"))])


def test_predict_refuses_its_input_or_archive_as_output(monkeypatch, inputs):
    jsonl, _ = inputs["input.jsonl"]
    archive, _ = inputs["model.tar.gz"]
    with pytest.raises(ConfigurationError, match=r"allennlp predict: --output-file .*input.jsonl is the same file as the input file"):
        run(monkeypatch, "predict", archive, jsonl, "--output-file", jsonl, "--silent")
    with pytest.raises(ConfigurationError, match="is the same file as the model archive"):
        run(monkeypatch, "predict", archive, jsonl, "--output-file", archive, "--silent")
    assert unchanged(inputs)
    out = jsonl.with_name("predictions.jsonl")
    run(monkeypatch, "predict", archive, jsonl, "--output-file", out, "--silent")  # a new path works
    assert len(out.read_text().splitlines()) == len(jsonl.read_text().splitlines())


def test_evaluate_refuses_an_input_file_as_output(monkeypatch, inputs):
    chunk, _ = inputs["chunk.txt"]
    archive, _ = inputs["model.tar.gz"]
    data = json.dumps({"chunk": str(chunk)})
    with pytest.raises(ConfigurationError, match=r"allennlp evaluate: --output-file .*chunk.txt is the same file as the input file"):
        run(monkeypatch, "evaluate", archive, data, "--output-file", chunk)
    with pytest.raises(ConfigurationError, match="--predictions-output-file .* is the same file as the input file"):
        run(monkeypatch, "evaluate", archive, data, "--predictions-output-file", chunk)
    assert unchanged(inputs)


def test_evaluate_with_a_plain_path_says_how_to_name_the_task(monkeypatch, inputs, tmp_path):
    """A multi-task model needs task -> file; a bare path was a raw ValueError from dict()."""
    chunk, _ = inputs["chunk.txt"]
    archive, _ = inputs["model.tar.gz"]
    with pytest.raises(ConfigurationError, match=r"one file per task: give a JSON object task -> file instead of "
                                                 r"'.*chunk.txt', e.g. '\{\"\w+\": \".*chunk.txt\"\}'"):
        run(monkeypatch, "evaluate", archive, chunk, "--output-file", tmp_path / "metrics.json",
            # the loader of every graph_mtl config (this fixture model trains with allennlp's own)
            "-o", json.dumps({"data_loader": {"type": "graph_mtl_multitask", "batch_size": 2}}))


def test_report_refuses_reading_its_own_output(monkeypatch, inputs, tmp_path):
    jsonl, _ = inputs["input.jsonl"]
    archive, _ = inputs["model.tar.gz"]
    own = tmp_path / "predictions.jsonl"
    shutil.copy(jsonl, own)
    before = own.read_bytes()
    with pytest.raises(ConfigurationError, match=r"graph-mtl-report: --output-dir file .*predictions.jsonl is the same file as the input file"):
        run(monkeypatch, "graph-mtl-report", archive, own, "--output-dir", tmp_path)
    assert own.read_bytes() == before
    (tmp_path / "figures").mkdir()
    shutil.copy(jsonl, tmp_path / "figures" / "in.jsonl")
    with pytest.raises(ConfigurationError, match="is inside .*figures, where the report writes its figures"):
        run(monkeypatch, "graph-mtl-report", archive, tmp_path / "figures" / "in.jsonl", "--output-dir", tmp_path)
    assert unchanged(inputs)


def test_evaluate_with_a_label_or_tag_the_model_never_saw(monkeypatch, inputs, tmp_path):
    """allennlp evaluate on data with an unseen label / tag: a file:line error naming it and
    the model's labels, not a bare KeyError."""
    archive, _ = inputs["model.tar.gz"]
    books = tmp_path / "books.task.train"
    books.write_text("1\tgood book .\n0\tbad book .\n")
    chunk = tmp_path / "chunk.txt"
    chunk.write_text("The DT B-NP\nhedgehog NN I-NP\n\nThe DT B-NP\nhedgehog NN B-XYZ\n")
    data = {"books": str(books), "dvd": str(books), "chunk": str(chunk), "pos": str(PREDICT_FIXTURES / "chunk.txt")}
    with pytest.raises(Exception) as raised:
        run(monkeypatch, "evaluate", archive, json.dumps(data))
    assert re.search(r"chunk.txt:4: label '[BU]-XYZ' is not one the model was trained with \(its chunk_tags are \[",
                     str(raised.value)), raised.value


def test_label_fields_name_the_record_of_an_unseen_label():
    from allennlp.data import Vocabulary
    from allennlp.data.fields import TextField
    from allennlp.data.tokenizers import Token

    from graph_mtl.data.dataset_readers import DataFormatError
    from graph_mtl.data.fields import TaskLabelField, TaskSequenceLabelField

    vocab = Vocabulary()
    for label in ("neg", "pos"):
        vocab.add_token_to_namespace(label, "books_labels")
    vocab.add_token_to_namespace("O", "chunk_tags")
    field = TaskLabelField("neutral", label_namespace="books_labels")
    field.source = ("data/books.jsonl", 3)
    with pytest.raises(DataFormatError, match=r"^data/books.jsonl:3: label 'neutral' is not one the model was "
                                              r"trained with \(its books_labels are \['neg', 'pos'\]\)"):
        field.index(vocab)
    known = TaskLabelField("pos", label_namespace="books_labels")
    known.index(vocab)
    assert known._label_id == vocab.get_token_index("pos", "books_labels")  # noqa: SLF001
    tags = TaskSequenceLabelField(["O", "B-NP"], TextField([Token("a"), Token("b")]), "chunk_tags")
    with pytest.raises(DataFormatError, match=r"^<input>: label 'B-NP' is not one"):
        tags.index(vocab)

