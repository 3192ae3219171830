"""
`allennlp predict` with the graph_mtl predictor: the real command line in a subprocess once
(JSON lines, --batch-size, --silent), and the same command's code in-process for the other
cases (AllenNLP's `main` with sys.argv set), which saves a ~10 s start-up each.
"""
import json
import subprocess
import sys

import pytest
from allennlp.commands import main

from graph_mtl.predictors import InputLineError

from tests.conftest import REPO_ROOT, venv_bin
from tests.predictors.tiny_models import PREDICT_FIXTURES, TASKS, subprocess_env


def allennlp(*args, check=True):
    result = subprocess.run(
        [venv_bin("allennlp"), *map(str, args)],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"allennlp {args} failed:\n{result.stderr[-3000:]}")
    return result


def allennlp_in_process(monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", ["allennlp", *map(str, args)])
    main()


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_predict_jsonl_round_trip_dc_mtl(dc_archive, tmp_path):
    out = tmp_path / "out.jsonl"
    inputs = read_jsonl(PREDICT_FIXTURES / "input.jsonl")
    result = allennlp(
        "predict", dc_archive, PREDICT_FIXTURES / "input.jsonl",  # default predictor: graph_mtl
        "--batch-size", "3", "--output-file", out, "--silent",
    )
    assert "prediction:" not in result.stdout  # --silent
    outputs = read_jsonl(out)
    assert len(outputs) == len(inputs)
    assert [o["line"] for o in outputs] == list(range(1, len(inputs) + 1))
    assert [o["task"] for o in outputs] == [i["task"] for i in inputs]
    for given, output in zip(inputs, outputs):
        tokens = given.get("tokens") or given["sentence"].split()
        assert output["tokens"] == tokens
        assert len(output["alpha"]) == len(tokens)
        assert output["alpha_sources"] == [t for t in TASKS if t != given["task"]]
        for row in output["alpha"]:
            assert abs(sum(row) - 1.0) < 1e-4
        if given["task"] in ("books", "dvd"):
            assert {"label", "probs"} <= set(output)
        else:
            assert len(output["tags"]) == len(output["tag_probs"]) == len(tokens)


def test_predict_plain_text_ic_mtl(ic_archive, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out.jsonl"
    sentences = [l.strip() for l in (PREDICT_FIXTURES / "input.txt").read_text().splitlines() if l.strip()]
    allennlp_in_process(
        monkeypatch, "predict", ic_archive, PREDICT_FIXTURES / "input.txt", "--predictor",
        "graph_mtl", "--predictor-args", '{"task": "books"}', "--output-file", out,
    )
    assert capsys.readouterr().out.count("prediction:") == len(sentences)  # not silent: echoed
    outputs = read_jsonl(out)
    assert [o["tokens"] for o in outputs] == [s.split() for s in sentences]
    assert {o["task"] for o in outputs} == {"books"}
    for output in outputs:
        n = len(output["tokens"])
        assert len(output["beta"]) == n
        for row in output["beta"]:
            assert len(row) == n and abs(sum(row) - 1.0) < 1e-4


def test_predict_bad_line_fails_naming_it(dc_archive, tmp_path, monkeypatch):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"task": "books", "sentence": "a fine novel"}\n'
        '{"task": "kitchen", "sentence": "a pan"}\n'
    )
    with pytest.raises(InputLineError, match=r"bad\.jsonl, input line 2: unknown task 'kitchen'"):
        allennlp_in_process(
            monkeypatch, "predict", dc_archive, bad, "--predictor", "graph_mtl",
            "--output-file", tmp_path / "out.jsonl", "--silent", "--batch-size", "2",
        )
