"""
Input lines that are not valid UTF-8 in `allennlp predict` and `graph-mtl-report`: one bad line,
reported with file and line number (`on_error: raise`) or recorded while every good line is
still predicted (`on_error: record`); before, the whole command died in the file reader and
wrote no prediction at all.
"""
import json
import sys

import pytest
from allennlp.commands import main

from graph_mtl.predictors import InputLineError

LINES = [b'{"task": "chunk", "sentence": "He waved ."}',
         b'{"task": "chunk", "sentence": "caf\\xe9 \xe9t\xe9 ."}'.replace(b"\\xe9", b"\xe9"),
         b'{"task": "pos", "sentence": "The dog barks ."}']


def run(monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", ["allennlp", *map(str, argv)])
    main()


@pytest.fixture
def bad_input(tmp_path):
    path = tmp_path / "input.jsonl"
    path.write_bytes(b"\n".join(LINES) + b"\n")
    return path


def test_predict_raises_naming_file_and_line(monkeypatch, dc_archive, bad_input, tmp_path):
    with pytest.raises(InputLineError, match=r"input.jsonl, input line 2: not valid UTF-8 \(invalid continuation byte at byte 35 of the line\)"):
        run(monkeypatch, "predict", dc_archive, bad_input, "--output-file", tmp_path / "out.jsonl", "--silent")


def test_predict_records_the_bad_line_and_predicts_the_others(monkeypatch, dc_archive, bad_input, tmp_path):
    out = tmp_path / "out.jsonl"
    run(monkeypatch, "predict", dc_archive, bad_input, "--output-file", out, "--silent",
        "--predictor-args", json.dumps({"on_error": "record"}))
    outputs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [o["line"] for o in outputs] == [1, 2, 3]
    assert "not valid UTF-8" in outputs[1]["error"] and "tags" not in outputs[1]
    assert outputs[1]["input"].startswith('{"task": "chunk", "sentence": "caf\ufffd')
    assert len(outputs[0]["tags"]) == 3 and len(outputs[2]["tags"]) == 4


def test_report_records_or_raises(monkeypatch, dc_archive, bad_input, tmp_path):
    with pytest.raises(InputLineError, match=r"input.jsonl, input line 2: not valid UTF-8"):
        run(monkeypatch, "graph-mtl-report", dc_archive, bad_input, "--output-dir", tmp_path / "r1")
    run(monkeypatch, "graph-mtl-report", dc_archive, bad_input, "--output-dir", tmp_path / "r2",
        "--skip-bad-lines")
    outputs = [json.loads(line) for line in (tmp_path / "r2" / "predictions.jsonl").read_text().splitlines()]
    assert [("error" in o) for o in outputs] == [False, True, False]


def test_long_inputs_are_refused_by_default_and_allowed_on_request(dc_archive):
    from allennlp.common.checks import ConfigurationError
    from allennlp.models.archival import load_archive
    from allennlp.predictors import Predictor

    archive = load_archive(str(dc_archive))
    predictor = Predictor.from_archive(archive, "graph_mtl")
    assert predictor.max_tokens == 1000
    long_line = json.dumps({"task": "chunk", "sentence": " ".join(["word"] * 1001)})
    short_line = json.dumps({"task": "chunk", "sentence": " ".join(["word"] * 1000)})
    with pytest.raises(InputLineError, match=r"input line 1: 1001 tokens, more than the predictor's max_tokens \(1000\)"):
        predictor.predict_json(predictor.load_line(long_line))
    assert len(predictor.predict_json(predictor.load_line(short_line))["tags"]) == 1000
    recording = Predictor.from_archive(archive, "graph_mtl", extra_args={"on_error": "record", "max_tokens": 5})
    outputs = recording.predict_batch_json([recording.load_line(long_line), recording.load_line(
        json.dumps({"task": "chunk", "sentence": "He waved ."}))])
    assert "1001 tokens, more than the predictor's max_tokens (5)" in outputs[0]["error"]
    assert len(outputs[1]["tags"]) == 3
    unlimited = Predictor.from_archive(archive, "graph_mtl", extra_args={"max_tokens": None})
    assert len(unlimited.predict_json(unlimited.load_line(long_line))["tags"]) == 1001
    for bad in (0, -3, "many", True):
        with pytest.raises(ConfigurationError, match="max_tokens must be a positive integer or null"):
            Predictor.from_archive(archive, "graph_mtl", extra_args={"max_tokens": bad})


def test_duplicate_json_keys_in_a_prediction_input_are_an_error(dc_archive):
    from allennlp.models.archival import load_archive
    from allennlp.predictors import Predictor

    predictor = Predictor.from_archive(load_archive(str(dc_archive)), "graph_mtl")
    with pytest.raises(InputLineError, match=r"input line 1: key 'task' appears twice in one JSON object"):
        predictor.load_line('{"task": "chunk", "task": "pos", "sentence": "He waved ."}')
