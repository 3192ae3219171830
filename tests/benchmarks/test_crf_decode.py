"""benchmarks/crf_decode.py on tiny sizes: both decoders timed on every task, the report written."""
import json

from benchmarks import crf_decode


def test_crf_decode_report(tmp_path):
    crf_decode.main(["--batch-size", "3", "--batches", "2", "--repeats", "1", "--name", "tiny",
                     "--results-dir", str(tmp_path)])
    report = json.loads((tmp_path / "tiny.json").read_text())
    assert set(report["tasks"]) == {"chunk", "ner", "pos"}
    for task, row in report["tasks"].items():
        assert all(row["ms"][key] > 0 for key in ("allennlp", "batched", "likelihood"))
        assert row["speedup"] == row["ms"]["allennlp"] / row["ms"]["batched"]
        assert row["sentences"] == 6 and 0 <= row["ties"] <= 6
    assert report["tasks"]["ner"]["num_tags"] == 17 and report["tasks"]["ner"]["constrained"]
    assert "| ner | 17 (BIOUL, constrained) |" in (tmp_path / "tiny.md").read_text()
