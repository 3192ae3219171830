"""benchmarks/tagging_step.py on the tiny DC-MTL model of the predictor tests (two tagging tasks
with CRF heads beside two classification tasks): both decoders timed on the same batches."""
import json

from benchmarks import tagging_step
from tests.predictors.tiny_models import tiny_model


def test_tagging_step_report(tmp_path, tmp_path_factory):
    archive = tiny_model(tmp_path_factory, "dc_mtl")
    tagging_step.main([str(archive), "--batches", "3", "--repeats", "1", "--name", "tiny",
                       "--results-dir", str(tmp_path)])
    report = json.loads((tmp_path / "tiny.json").read_text())
    assert report["batches"] == 3 and report["tokens_per_batch"] > 0
    assert report["ms"]["allennlp"] > 0 and report["ms"]["batched"] > 0
    assert report["speedup"] == report["ms"]["allennlp"] / report["ms"]["batched"]
    assert "| allennlp `viterbi_tags` |" in (tmp_path / "tiny.md").read_text()
