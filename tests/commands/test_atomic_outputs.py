"""
graph_mtl.commands.atomic_outputs and .predict_manager: `allennlp predict --output-file`,
`allennlp evaluate`'s output files and `graph-mtl-report`'s predictions.jsonl are written to a temporary file and renamed at
the end: while the command runs, and after it fails, the output path holds the previous file
(a kill leaves only a `*.partial` file), never a truncated one that looks complete.
"""
import json
import os
import shutil
import sys

import pytest
from allennlp.commands import main

from graph_mtl.predictors import GraphMtlPredictor, InputLineError
from tests.predictors.tiny_models import PREDICT_FIXTURES


def run(monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", ["allennlp", *map(str, argv)])
    main()


def names(directory):
    return sorted(path.name for path in directory.iterdir())


@pytest.fixture
def folder(tmp_path):
    shutil.copy(PREDICT_FIXTURES / "input.jsonl", tmp_path / "input.jsonl")
    (tmp_path / "out").mkdir()
    return tmp_path


def watch_predictions(monkeypatch, path):
    """Records, at every prediction written, what `path` holds and what its folder lists."""
    seen = []
    dump_line = GraphMtlPredictor.dump_line

    def watching(self, output):
        seen.append((path.read_text() if path.exists() else None, names(path.parent)))
        return dump_line(self, output)

    monkeypatch.setattr(GraphMtlPredictor, "dump_line", watching)
    return seen


def test_predict_output_appears_only_when_complete(monkeypatch, dc_archive, folder):
    out = folder / "out" / "predictions.jsonl"
    out.write_text("previous run\n")
    seen = watch_predictions(monkeypatch, out)
    run(monkeypatch, "predict", dc_archive, folder / "input.jsonl", "--output-file", out, "--silent",
        "--batch-size", "2")
    lines = (folder / "input.jsonl").read_text().splitlines()
    assert len(seen) == len(lines) > 2
    for content, listing in seen:  # mid-run: the old file, and the new one under another name
        assert content == "previous run\n"
        assert len(listing) == 2 and listing[1].startswith("predictions.jsonl.") and listing[1].endswith(".partial")
    outputs = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(outputs) == len(lines) and all("error" not in o for o in outputs)
    assert names(out.parent) == ["predictions.jsonl"]


def test_predict_that_fails_part_way_keeps_the_previous_output(monkeypatch, dc_archive, folder):
    out = folder / "out" / "predictions.jsonl"
    out.write_text("previous run\n")
    bad = folder / "bad.jsonl"
    good = (folder / "input.jsonl").read_text().splitlines()
    bad.write_text("\n".join(good[:4] + ['{"task": "no-such-task", "sentence": "x"}'] + good[4:]) + "\n")
    with pytest.raises(InputLineError, match="input line 5"):
        run(monkeypatch, "predict", dc_archive, bad, "--output-file", out, "--silent", "--batch-size", "2")
    assert out.read_text() == "previous run\n"
    assert names(out.parent) == ["predictions.jsonl"]
    # no previous file: none is left behind
    out.unlink()
    with pytest.raises(InputLineError):
        run(monkeypatch, "predict", dc_archive, bad, "--output-file", out, "--silent", "--batch-size", "2")
    assert names(out.parent) == []


def test_evaluate_outputs_are_replaced_whole_or_not_at_all(monkeypatch, dc_archive, folder):
    metrics, predictions = folder / "out" / "metrics.json", folder / "out" / "predictions.jsonl"
    data = json.dumps({"books": str(PREDICT_FIXTURES / "books.task.train"),
                       "dvd": str(PREDICT_FIXTURES / "dvd.task.train"),
                       "chunk": str(PREDICT_FIXTURES / "chunk.txt"), "pos": str(PREDICT_FIXTURES / "chunk.txt")})
    run(monkeypatch, "evaluate", dc_archive, data, "--output-file", metrics,
        "--predictions-output-file", predictions)
    complete = metrics.read_text(), predictions.read_text()
    assert "chunk_accuracy" in json.loads(complete[0]) and complete[1].strip()
    assert names(metrics.parent) == ["metrics.json", "predictions.jsonl"]

    def replace(source, destination):
        raise OSError("the rename failed")

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="the rename failed"):
        run(monkeypatch, "evaluate", dc_archive, data, "--output-file", metrics,
            "--predictions-output-file", predictions)
    assert (metrics.read_text(), predictions.read_text()) == complete
    assert names(metrics.parent) == ["metrics.json", "predictions.jsonl"]


def test_report_predictions_keep_the_previous_file_when_the_report_fails(monkeypatch, dc_archive, folder):
    out = folder / "report"
    run(monkeypatch, "graph-mtl-report", dc_archive, folder / "input.jsonl", "--output-dir", out,
        "--max-figures", "1")
    before = {name: (out / name).read_bytes() for name in ("predictions.jsonl", "report.html", "summary.json")}
    bad = folder / "bad.jsonl"
    bad.write_text((folder / "input.jsonl").read_text() + '{"task": "no-such-task", "sentence": "x"}\n')
    with pytest.raises(InputLineError):
        run(monkeypatch, "graph-mtl-report", dc_archive, bad, "--output-dir", out, "--max-figures", "1")
    assert {name: (out / name).read_bytes() for name in before} == before
    assert not [name for name in names(out) + names(out / "figures") if name.endswith(".partial")]
