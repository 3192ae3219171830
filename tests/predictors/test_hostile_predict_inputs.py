"""
Hostile prediction inputs, each with its expected outcome, through `allennlp predict` and
`allennlp graph-mtl-report` (in-process, one file of all cases, `on_error: record`): a good line
is predicted; a bad one is an error naming its line and problem while every other line is still
predicted. Nothing crashes the command, nothing is taken silently and wrongly. (The readers'
corpus: tests/data/dataset_readers/test_hostile_inputs.py.)
"""
import json
import sys
from typing import List, Tuple, Union

import pytest
from allennlp.commands import main

LONG = " ".join(["word"] * 1001)

#: (case, raw line, expected): expected is "label", "tags:<n>" (predicted), or an error regex.
CASES: List[Tuple[str, Union[str, bytes], str]] = [
    ("classification", '{"task": "books", "sentence": "a fine read ."}', "label"),
    ("tagging with tokens", '{"task": "chunk", "tokens": ["He", "waved", "."]}', "tags:3"),
    ("tokens as a string", '{"task": "chunk", "tokens": "He waved"}', "tags:2"),
    ("text key", '{"task": "books", "text": "good"}', "label"),
    ("extra keys pass through", '{"task": "books", "sentence": "x", "id": 7}', "label"),
    ("our own line key is ignored", '{"line": 99, "task": "pos", "sentence": "The dog"}', "tags:2"),
    ("emoji", '{"task": "books", "sentence": "\\ud83d\\ude00 great"}', "label"),
    ("a token with a space", '{"task": "chunk", "tokens": ["New York", "is"]}', "tags:2"),
    ("plain text without a task", "just some words", r"not valid JSON .*give the task once"),
    ("unknown task", '{"task": "nope", "sentence": "x"}', r"unknown task 'nope'; the model's tasks are"),
    ("task in another case", '{"task": "BOOKS", "sentence": "x"}', r"unknown task 'BOOKS'"),
    ("task with a space", '{"task": " books", "sentence": "x"}', r"unknown task ' books'"),
    ("no task", '{"sentence": "x"}', r'no "task" in the JSON object'),
    ("empty object", "{}", r'no "task" in the JSON object'),
    ("task not a string", '{"task": 1, "sentence": "x"}', r'"task" must be a string'),
    ("no text", '{"task": "books"}', r'no "sentence" \(raw text\) or "tokens"'),
    ("sentence and tokens", '{"task": "books", "sentence": "x", "tokens": ["x"]}', r"give only one of"),
    ("tokens null beside a sentence", '{"task": "books", "sentence": "x", "tokens": null}', r"give only one of"),
    ("tokens not strings", '{"task": "chunk", "tokens": [1, 2]}', r'"tokens" must be a list of strings'),
    ("tokens nested", '{"task": "chunk", "tokens": [["a"]]}', r'"tokens" must be a list of strings'),
    ("empty token", '{"task": "chunk", "tokens": ["a", ""]}', r'"tokens" contains empty strings'),
    ("no tokens", '{"task": "chunk", "tokens": []}', r'"tokens" is an empty list'),
    ("blank sentence", '{"task": "books", "sentence": "   "}', r'empty sentence: "sentence" has no words'),
    ("sentence a number", '{"task": "books", "sentence": 5}', r'"sentence" must be a string, got 5'),
    ("sentence an object", '{"task": "books", "sentence": {"a": 1}}', r'"sentence" must be a string'),
    ("JSON array", "[1, 2]", r"expected a JSON object .* got a JSON list"),
    ("JSON number", "42", r"got a JSON int"),
    ("JSON string", '"books"', r"got a JSON str"),
    ("JSON null", "null", r"got a JSON NoneType"),
    ("duplicate key", '{"task": "books", "sentence": "x", "task": "dvd"}', r"key 'task' appears twice"),
    ("truncated JSON", '{"task": "books", "sentence": "x"', r"not valid JSON"),
    ("NUL in a sentence", '{"task": "books", "sentence": "a\\u0000b"}', r'"sentence" has a NUL character'),
    ("NUL in a token", '{"task": "chunk", "tokens": ["a\\u0000"]}', r'"tokens" has a NUL character'),
    ("lone surrogate", '{"task": "books", "sentence": "bad \\ud800 text"}', r"lone surrogate"),
    ("too long", json.dumps({"task": "books", "sentence": LONG}), r"1001 tokens, more than the predictor's max_tokens \(1000\)"),
    ("nested too deeply", "[" * 100000 + "]" * 100000, r"(JSON nested too deeply|got a JSON list)"),
    ("not UTF-8", b'{"task": "books", "sentence": "caf\xe9"}', r"not valid UTF-8"),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "input.jsonl"
    lines = [case[1] if isinstance(case[1], bytes) else case[1].encode("utf-8") for case in CASES]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def check(outputs, label):
    assert [o["line"] for o in outputs] == list(range(1, len(CASES) + 1)), label
    for (case, _, expected), output in zip(CASES, outputs):
        if expected == "label":
            assert "error" not in output and output["label"] in ("0", "1"), (label, case, output)
        elif expected.startswith("tags:"):
            assert "error" not in output and len(output["tags"]) == int(expected[5:]), (label, case, output)
        else:
            assert "error" in output, (label, case, output)
            import re

            assert re.search(expected, output["error"]), (label, case, output["error"])
            assert output["error"].startswith(f"input line {output['line']}:") or \
                f"input line {output['line']}:" in output["error"], (label, case, output["error"])


def run(monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", ["allennlp", *map(str, argv)])
    main()


def test_predict_corpus(monkeypatch, dc_archive, corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    run(monkeypatch, "predict", dc_archive, corpus, "--output-file", out, "--silent",
        "--predictor-args", json.dumps({"on_error": "record"}))
    check([json.loads(line) for line in out.read_text().splitlines()], "predict")


def test_report_corpus(monkeypatch, dc_archive, corpus, tmp_path):
    run(monkeypatch, "graph-mtl-report", dc_archive, corpus, "--output-dir", tmp_path / "report",
        "--skip-bad-lines", "--max-figures", "2")
    check([json.loads(line) for line in (tmp_path / "report" / "predictions.jsonl").read_text().splitlines()], "report")
    assert "not valid UTF-8" in (tmp_path / "report" / "report.html").read_text()


def test_the_corpus_is_big_enough():
    from tests.data.dataset_readers.test_hostile_inputs import CASES as READER_CASES

    assert len(CASES) + len(READER_CASES) >= 60
