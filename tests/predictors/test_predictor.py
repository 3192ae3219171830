"""The graph_mtl predictor in-process, on tiny DC-MTL and IC-MTL models (see tiny_models.py)."""
import json

import pytest
from allennlp.predictors import Predictor

from graph_mtl.predictors import GraphMtlPredictor, InputLineError
from tests.predictors.tiny_models import PREDICT_FIXTURES, TASKS

INPUTS = [json.loads(line) for line in (PREDICT_FIXTURES / "input.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def dc(dc_archive):
    return Predictor.from_path(str(dc_archive), "graph_mtl")


@pytest.fixture(scope="module")
def ic(ic_archive):
    return Predictor.from_path(str(ic_archive), "graph_mtl")


def check_rows(rows, num_tokens, num_columns):
    assert len(rows) == num_tokens
    for row in rows:
        assert len(row) == num_columns
        assert sum(row) == pytest.approx(1.0, abs=1e-4)
        assert all(weight >= 0 for weight in row)


def test_mixed_tasks_come_back_in_input_order(dc):
    assert isinstance(dc, GraphMtlPredictor)
    outputs = dc.predict_batch_json([dict(i) for i in INPUTS])
    assert [o["task"] for o in outputs] == [i["task"] for i in INPUTS]
    # each output is the one the input gets alone (no rows mixed up between tasks)
    for given, output in zip(INPUTS, outputs):
        alone = dc.predict_json(dict(given))
        assert alone["tokens"] == output["tokens"]
        if "probs" in alone:
            assert alone["probs"] == pytest.approx(output["probs"], abs=1e-5)
        else:
            assert alone["tags"] == output["tags"]
    assert outputs[5]["meta"] == {"id": "r7"}


def test_dc_mtl_fields_and_alpha(dc):
    outputs = dc.predict_batch_json([dict(i) for i in INPUTS])
    for given, output in zip(INPUTS, outputs):
        task = given["task"]
        expected_tokens = given.get("tokens") or given["sentence"].split()
        assert output["tokens"] == expected_tokens
        assert output["alpha_sources"] == [t for t in TASKS if t != task]  # direct topology
        check_rows(output["alpha"], len(expected_tokens), len(TASKS) - 1)
        assert "beta" not in output
        if task in ("books", "dvd"):
            assert output["label"] in ("0", "1")
            assert set(output["probs"]) == {"0", "1"}
            assert sum(output["probs"].values()) == pytest.approx(1.0, abs=1e-4)
            assert output["label"] == max(output["probs"], key=output["probs"].get)
        else:
            assert len(output["tags"]) == len(expected_tokens) == len(output["tag_probs"])
            assert all(0.0 <= p <= 1.0 for p in output["tag_probs"])


def test_ic_mtl_beta_over_shared_positions(ic):
    outputs = ic.predict_batch_json([dict(i) for i in INPUTS])
    for output in outputs:
        n = len(output["tokens"])
        check_rows(output["beta"], n, n)
        assert "alpha" not in output


def test_sentences_are_tokenized_like_the_training_data(dc):
    # the readers split on whitespace (the benchmark files are tokenized), so extra spaces
    # vanish and punctuation stays attached exactly as in the data files
    reader = dc.reader_for("books")
    sentence = "the  novel was gripping, and clever ."
    expected = [t.text for t in reader._tokenizer.tokenize(sentence)]
    assert expected == sentence.split()
    by_sentence = dc.predict_json({"task": "books", "sentence": sentence})
    by_tokens = dc.predict_json({"task": "books", "tokens": expected})
    assert by_sentence["tokens"] == expected
    assert by_sentence["probs"] == by_tokens["probs"]


def test_bad_lines_raise_errors_naming_the_line(dc_archive):
    predictor = Predictor.from_path(str(dc_archive), "graph_mtl")
    predictor.load_line('{"task": "books", "sentence": "fine"}')
    with pytest.raises(InputLineError, match=r"input line 2: not valid JSON"):
        predictor.load_line('{"task": "books", "sentence": ')
    with pytest.raises(InputLineError, match=r"input line 3: unknown task 'kitchen'"):
        predictor.load_line('{"task": "kitchen", "sentence": "a pan"}')
    with pytest.raises(InputLineError, match=r"input line 4: empty sentence"):
        predictor.load_line('{"task": "books", "sentence": ""}')
    with pytest.raises(InputLineError, match="unknown task 'kitchen'"):
        predictor.predict_json({"task": "kitchen", "sentence": "a pan"})


def test_on_error_record_keeps_going(dc_archive):
    predictor = Predictor.from_path(
        str(dc_archive), "graph_mtl", on_error="record", task="books"
    )
    lines = ["a gripping novel", '{"task": "nope", "sentence": "x"}', "{bad json", "a dull plot"]
    outputs = predictor.predict_batch_json([predictor.load_line(line) for line in lines])
    assert [o["line"] for o in outputs] == [1, 2, 3, 4]
    assert "label" in outputs[0] and "label" in outputs[3]
    assert "input line 2: unknown task 'nope'" in outputs[1]["error"]
    assert "input line 3: not valid JSON" in outputs[2]["error"]


def test_unknown_default_task_is_rejected(dc_archive):
    from allennlp.common.checks import ConfigurationError

    with pytest.raises(ConfigurationError, match="not a task of this model"):
        Predictor.from_path(str(dc_archive), "graph_mtl", task="kitchen")


def test_misspelt_predictor_argument_is_named(dc_archive):
    from allennlp.common.checks import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"unknown predictor argument\(s\) \['tsk'\]"):
        Predictor.from_path(str(dc_archive), "graph_mtl", tsk="books")


def test_dataset_reader_instances_keep_gold_annotations(dc):
    # what `allennlp predict --use-dataset-reader --multitask-head chunk` feeds the predictor
    instances = list(dc._dataset_reader.read(str(PREDICT_FIXTURES / "chunk.txt"), force_task="chunk"))
    outputs = dc.predict_batch_instance(instances)
    assert len(outputs) == len(instances) == 6
    for instance, output in zip(instances, outputs):
        assert output["gold_tags"] == list(instance["tags"].labels)
        assert len(output["tags"]) == len(output["tokens"]) == len(output["alpha"])


def test_sentences_use_the_reader_tokenizer_of_the_archive(dc):
    # a model whose readers split raw text with spaCy (blank:en, offline) tokenizes predictions
    # the same way: "gripping," becomes two tokens here, one with the whitespace readers
    from allennlp.data.dataset_readers import MultiTaskDatasetReader
    from allennlp.data.tokenizers import SpacyTokenizer

    from graph_mtl.data.dataset_readers.fdu_mtl import FduMtlDatasetReader

    readers = {
        task: FduMtlDatasetReader(label_namespace=f"{task}_labels", tokenizer=SpacyTokenizer(language="blank:en"))
        for task in ("books", "dvd")
    }
    readers.update({task: dc._dataset_reader.readers[task].inner for task in ("chunk", "pos")})
    spacy_predictor = GraphMtlPredictor(dc._model, MultiTaskDatasetReader(readers))
    sentence = "the novel was gripping, and clever."
    output = spacy_predictor.predict_json({"task": "books", "sentence": sentence})
    assert output["tokens"] == ["the", "novel", "was", "gripping", ",", "and", "clever", "."]
    assert len(output["alpha"]) == 8
    assert dc.predict_json({"task": "books", "sentence": sentence})["tokens"] == sentence.split()
