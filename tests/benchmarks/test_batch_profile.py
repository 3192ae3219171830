"""benchmarks/batch_profile.py and benchmarks/embedding_update.py on tiny sizes: every part is
measured and written, the parts add up."""
import json

from benchmarks import batch_profile, embedding_update


def test_batch_profile_parts_add_up(tmp_path):
    batch_profile.main(["--tasks", "3", "--lengths", "3", "--batch", "2", "--repeats", "1",
                        "--name", "tiny", "--results-dir", str(tmp_path)])
    report = json.loads((tmp_path / "tiny.json").read_text())
    dc, ic = report["results"]["dc_mtl"]["3"], report["results"]["ic_mtl"]["3"]
    assert dc["sources"] == 2 and ic["sources"] == 1  # DC: the other tasks; IC: the shared LSTM
    for part in (dc, ic):
        assert part["total"] > 0 and part["source_lstms"] > 0 and part["source_forward"] > 0
        assert abs(part["fusion_and_attention"] - (part["total"] - part["source_lstms"])) < 1e-9
    assert dc["total_stopgrad"] > 0 and "total_stopgrad" not in ic
    assert "| dc_mtl (2 source LSTMs) | 3 |" in (tmp_path / "tiny.md").read_text()


def test_embedding_update_variants(tmp_path):
    embedding_update.main(["--vocab", "500", "--vocab-min2", "200", "--dim", "8", "--length", "5",
                           "--steps", "2", "--repeats", "1", "--name", "tiny", "--results-dir", str(tmp_path)])
    report = json.loads((tmp_path / "tiny.json").read_text())
    rows = {name: r["rows"] for name, r in report["results"].items()}
    assert rows == {"dense_adadelta": 500, "dense_adam": 500, "min_count2_adadelta": 200,
                    "sparse_dense_sparse_adam": 500, "sparse_sgd": 500, "frozen": 500}
    assert all(r["ms_per_batch"] > 0 for r in report["results"].values())
