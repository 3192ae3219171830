"""scripts/attention_summary.py: entropy and relation numbers against hand computation, and the
whole command on a DC-MTL archive trained on three fixture domains."""
import importlib.util
import json
import math

import pytest

from tests.conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "fixtures" / "transfer"


def load(name):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_summary_numbers_against_hand_computation():
    script = load("attention_summary")
    outputs = [
        {"task": "a", "alpha_sources": ["b", "c"], "alpha": [[0.5, 0.5], [0.9, 0.1]]},
        {"task": "a", "alpha_sources": ["b", "c"], "alpha": [[0.7, 0.3]]},
        {"task": "b", "beta": [[1.0, 0.0], [0.25, 0.75]]},
    ]
    summary = script.summarise(outputs)["tasks"]
    a = summary["a"]
    assert a["alpha"]["b"] == pytest.approx((0.5 + 0.9 + 0.7) / 3)
    assert a["top_sources"][0] == "b"
    h = lambda p: -sum(x * math.log(x) for x in p if x > 0)  # noqa: E731
    expected = (h([0.5, 0.5]) + h([0.9, 0.1]) + h([0.7, 0.3])) / 3
    assert a["alpha_entropy"] == pytest.approx(expected)
    assert a["entropy_ratio"] == pytest.approx(expected / math.log(2))
    # beta: the first token sees one position (skipped), the second two positions
    assert summary["b"]["beta_entropy_ratio"] == pytest.approx(h([0.25, 0.75]) / math.log(2))
    assert summary["b"]["beta_self"] == pytest.approx(0.75)


def test_on_a_trained_dc_mtl_archive(tmp_path):
    runner = load("reproduce")
    settings = {"num_epochs": 1, "embedding_dim": 8, "hidden_dim": 6, "dev_size": 4, "batch_size": 4}
    assert runner.main(["table1", "--tasks", "books,dvd,electronics", "--models", "dc_mtl", "--seeds", "1",
                        "--data-dir", str(FIXTURES), "--vectors", "", "--settings", json.dumps(settings),
                        "--results-dir", str(tmp_path / "r"), "--output-dir", str(tmp_path / "o"),
                        "--poll", "0.5"]) == 0
    script = load("attention_summary")
    summary = script.main([str(tmp_path / "o" / "dc_mtl-s1" / "model.tar.gz"), "--data-dir", str(FIXTURES),
                           "--dev-size", "4", "--output", str(tmp_path / "att")])
    tasks = summary["tasks"]
    assert sorted(tasks) == ["books", "dvd", "electronics"]
    for target, item in tasks.items():
        assert item["sentences"] == 4
        assert sorted(item["alpha"]) == sorted(set(tasks) - {target})
        assert sum(item["alpha"].values()) == pytest.approx(1.0, abs=1e-5)
        assert 0.0 < item["entropy_ratio"] <= 1.0 + 1e-6
    assert json.loads((tmp_path / "att.json").read_text())["tasks"] == json.loads(json.dumps(tasks))
    assert "| books |" in (tmp_path / "att.md").read_text()
    # two disjoint halves (--offset): token-weighted, their mean alpha is the whole dev's
    halves = [script.main([str(tmp_path / "o" / "dc_mtl-s1" / "model.tar.gz"), "--data-dir", str(FIXTURES),
                           "--dev-size", "4", "--limit", "2", "--offset", str(offset),
                           "--output", str(tmp_path / f"half{offset}")])["tasks"] for offset in (0, 2)]
    for target, item in tasks.items():
        first, second = halves[0][target], halves[1][target]
        assert first["sentences"] == second["sentences"] == 2
        assert first["tokens"] + second["tokens"] == item["tokens"] and first["tokens"] > 0 < second["tokens"]
        for source, weight in item["alpha"].items():
            combined = (first["alpha"][source] * first["tokens"] + second["alpha"][source] * second["tokens"])
            assert combined / item["tokens"] == pytest.approx(weight, abs=1e-5)
        assert first["alpha"] != second["alpha"]
    # without --data-dir: the archive's own validation_data_path and readers (any task kind)
    from_config = script.main([str(tmp_path / "o" / "dc_mtl-s1" / "model.tar.gz"), "--output", str(tmp_path / "att2")])
    assert json.loads(json.dumps(from_config["tasks"])) == json.loads(json.dumps(tasks))
    last = script.main([str(tmp_path / "o" / "dc_mtl-s1" / "model.tar.gz"), "--offset", "3",
                        "--output", str(tmp_path / "att-last")])["tasks"]
    assert [item["sentences"] for item in last.values()] == [1, 1, 1]
    for bad in (["--offset", "-1"], ["--limit", "0"]):
        with pytest.raises(SystemExit):
            script.main([str(tmp_path / "o" / "dc_mtl-s1" / "model.tar.gz"), *bad, "--output", str(tmp_path / "bad")])
    # a dev review longer than the predictor's default limit (1000 tokens) is read whole
    import shutil

    from graph_mtl.predictors.inputs import InputLineError

    long_dir = tmp_path / "long"
    shutil.copytree(FIXTURES, long_dir)
    lines = (long_dir / "books.task.train").read_text().splitlines()
    lines[-1] = "1\t" + " ".join(["great"] * 1200)
    (long_dir / "books.task.train").write_text("\n".join(lines) + "\n")
    arguments = [str(tmp_path / "o" / "dc_mtl-s1" / "model.tar.gz"), "--data-dir", str(long_dir),
                 "--dev-size", "4", "--output", str(tmp_path / "att3")]
    assert script.main(arguments)["tasks"]["books"]["sentences"] == 4
    with pytest.raises(InputLineError, match="more than the predictor's max_tokens"):
        script.main(arguments + ["--max-tokens", "1000"])
