"""`allennlp graph-mtl-report`: HTML with every sentence, valid PNG figures, no network assets."""
import html
import json
import re
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import numpy  # noqa: E402
import pytest  # noqa: E402

from graph_mtl.commands.figures import relation_matrix, render_report, word_shares  # noqa: E402
from graph_mtl.commands.report import make_report  # noqa: E402
from tests.conftest import REPO_ROOT, failing_replace_onto, venv_bin  # noqa: E402
from tests.predictors.tiny_models import PREDICT_FIXTURES, TASKS, subprocess_env  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def input_sentences():
    sentences = []
    for line in (PREDICT_FIXTURES / "input.jsonl").read_text().splitlines():
        data = json.loads(line)
        sentences.append(" ".join(data.get("tokens") or data["sentence"].split()))
    return sentences


def check_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), path
    image = matplotlib.image.imread(str(path))
    assert image.ndim == 3 and image.shape[0] > 10 and image.shape[1] > 10


def check_self_contained(page):
    assert "<script" not in page.lower()
    # every image is embedded; nothing is fetched (no http(s) src/href, no CSS url(...))
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "url(" not in page
    assert page.count('src="data:image/png;base64,') >= 1


def test_the_allennlp_report_command_runs(dc_archive, tmp_path):
    # the subcommand is found through the start-up hook (graph_mtl_startup.py); that `allennlp
    # --help` lists it is tested from an empty folder in tests/test_readme_commands.py
    out_dir = tmp_path / "report"
    result = subprocess.run(
        [venv_bin("allennlp"), "graph-mtl-report", str(dc_archive), str(PREDICT_FIXTURES / "input.jsonl"),
         "--output-dir", str(out_dir), "--batch-size", "3"],
        cwd=REPO_ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Wrote" in result.stdout

    page = (out_dir / "report.html").read_text()
    for sentence in input_sentences():
        assert html.escape(sentence) in page
    check_self_contained(page)
    pngs = sorted((out_dir / "figures").glob("*.png"))
    names = {p.name for p in pngs}
    assert "relation_matrix.png" in names
    assert len([n for n in names if n.endswith("_alpha.png")]) == len(input_sentences())
    for png in pngs:
        check_png(png)
    predictions = [json.loads(l) for l in (out_dir / "predictions.jsonl").read_text().splitlines()]
    assert [p["line"] for p in predictions] == list(range(1, len(input_sentences()) + 1))
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["relation_matrix"]["sources"] == TASKS
    # the matrix rows are the mean alpha of each target task: they sum to 1, and a task never
    # reads itself in DC-MTL (direct topology)
    for target, row in zip(summary["relation_matrix"]["targets"], summary["relation_matrix"]["matrix"]):
        assert row[TASKS.index(target)] in (None, 0.0)
        assert abs(sum(v for v in row if v is not None) - 1.0) < 1e-3


def test_ic_mtl_report_draws_beta_arcs(ic_archive, tmp_path):
    summary = make_report(
        str(ic_archive), str(PREDICT_FIXTURES / "input.txt"), str(tmp_path), task="dvd",
        max_figures=2,
    )
    page = (tmp_path / "report.html").read_text()
    for line in (PREDICT_FIXTURES / "input.txt").read_text().splitlines():
        if line.strip():
            assert html.escape(" ".join(line.split())) in page
    check_self_contained(page)
    assert summary["kinds"] == ["beta"]
    assert [p.rsplit("/", 1)[-1] for p in summary["pngs"]] == [
        "beta_profile.png", "line00001_beta.png", "line00002_beta.png"
    ]
    # file-level profile against uniform attention: every word's weights sum to 1, so over all
    # (word, position) pairs the mean of beta * n is exactly the baseline 1 (uniform)
    profile = summary["beta_profile"]["dvd"]
    assert profile["baseline"] == 1.0 and profile["words"] > 0 and profile["sources"] == ["shared"]
    for name in ("offset", "position"):
        pairs = profile[f"{name}_pairs"]
        weighted = sum(v * c for v, c in zip(profile[name], pairs) if c)
        assert abs(weighted / sum(pairs) - 1.0) < 1e-3
    for png in summary["pngs"]:
        check_png(tmp_path / "figures" / png.rsplit("/", 1)[-1])


def test_render_report_from_predictions(tmp_path):
    predictions = [
        {"line": 1, "task": "a", "tokens": ["x", "<y>"], "label": "1", "probs": {"0": 0.2, "1": 0.8},
         "alpha_sources": ["b", "c"], "alpha": [[0.9, 0.1], [0.5, 0.5]]},
        {"line": 2, "task": "b", "tokens": ["z"], "tags": ["O"], "tag_probs": [0.7],
         "alpha_sources": ["a", "c"], "alpha": [[0.25, 0.75]]},
        {"line": 3, "error": "input line 3: unknown task 'q'", "input": "{...}"},
    ]
    summary = render_report(predictions, str(tmp_path))
    page = (tmp_path / "report.html").read_text()
    assert "x &lt;y&gt;" in page and "input line 3: unknown task" in page
    targets, sources, matrix, counts = relation_matrix(predictions)
    assert (targets, sources, counts) == (["b", "a"], ["b", "a", "c"], {"a": 2, "b": 1})
    assert numpy.allclose(matrix[1], [0.7, numpy.nan, 0.3], equal_nan=True)
    assert numpy.allclose(matrix[0], [numpy.nan, 0.25, 0.75], equal_nan=True)
    shares = word_shares(predictions[0])
    assert shares[0]["top"][0] == ("b", 0.9) and shares[1]["share"] == 0.0
    assert shares[0]["share"] > 0.7
    for png in summary["pngs"]:
        check_png(tmp_path / "figures" / png.rsplit("/", 1)[-1])


def test_relation_matrix_in_model_order_keeps_tasks_that_receive_nothing():
    # hierarchical-style graph: "low" reads nothing, "high" reads "low" and "mid"
    predictions = [
        {"task": "low", "tokens": ["x"], "label": "1"},
        {"task": "high", "tokens": ["x", "y"], "alpha_sources": ["low", "mid"],
         "alpha": [[1.0, 0.0], [0.5, 0.5]]},
    ]
    targets, sources, matrix, counts = relation_matrix(predictions, task_order=["low", "mid", "high"])
    assert sources == ["low", "mid", "high"] and targets == ["low", "high"]
    assert numpy.isnan(matrix[0]).all()
    assert numpy.allclose(matrix[1], [0.75, 0.25, numpy.nan], equal_nan=True)


def test_relation_matrix_colours_centre_on_uniform_and_entropy_per_target(tmp_path):
    from graph_mtl.commands.figures import alpha_entropy, relation_norm, uniform_ratio

    matrix = numpy.array([[numpy.nan, 0.5, 0.25, 0.25], [1 / 3, numpy.nan, 1 / 3, 1 / 3]])
    ratio = uniform_ratio(matrix)
    assert numpy.allclose(ratio, [[numpy.nan, 1.5, 0.75, 0.75], [1, numpy.nan, 1, 1]], equal_nan=True)
    norm, spread = relation_norm(ratio)
    assert spread == max(abs(numpy.log2(1.5)), abs(numpy.log2(0.75)))
    assert norm(1.0) == 0.5  # uniform is the centre (white) of the diverging scale
    assert norm(2 ** spread) == 1.0 and norm(2 ** -spread) == 0.0
    predictions = [
        {"line": 1, "task": "a", "tokens": ["x", "y"], "alpha_sources": ["b", "c"], "alpha": [[0.5, 0.5], [1.0, 0.0]]},
        {"line": 2, "task": "b", "tokens": ["z"], "alpha_sources": ["a", "c"], "alpha": [[0.9, 0.1]]},
    ]
    entropies = alpha_entropy(predictions)
    assert entropies["a"] == numpy.float64((1.0 + 0.0) / 2)
    expected_b = -(0.9 * numpy.log(0.9) + 0.1 * numpy.log(0.1)) / numpy.log(2)
    assert abs(entropies["b"] - expected_b) < 1e-12
    summary = render_report(predictions, str(tmp_path))
    header, *rows = (tmp_path / "relation_matrix.tsv").read_text().splitlines()
    assert header.split("\t")[-1] == "entropy_vs_uniform"
    by_target = {row.split("\t")[0]: row.split("\t") for row in rows}
    assert float(by_target["a"][-1]) == 0.5 and abs(float(by_target["b"][-1]) - expected_b) < 1e-6
    assert summary["relation_matrix"]["entropy_vs_uniform"]["a"] == 0.5
    assert "white = uniform" in (tmp_path / "report.html").read_text()


def test_figures_per_task_picks_sentences_of_every_task(tmp_path):
    predictions = [{"line": n, "task": "a" if n <= 5 else "b", "tokens": ["x"], "alpha_sources": ["s", "t"],
                    "alpha": [[0.5, 0.5]]} for n in range(1, 11)]
    summary = render_report(predictions, str(tmp_path / "per-task"), figures_per_task=2)
    assert sorted(p.rsplit("/", 1)[-1] for p in summary["pngs"] if "line" in p) == [
        "line00001_alpha.png", "line00002_alpha.png", "line00006_alpha.png", "line00007_alpha.png"]
    summary = render_report(predictions, str(tmp_path / "first"), max_figures=3)
    assert sorted(p.rsplit("/", 1)[-1] for p in summary["pngs"] if "line" in p) == [
        "line00001_alpha.png", "line00002_alpha.png", "line00003_alpha.png"]


def alpha_predictions(weight):
    return [{"line": 1, "task": "a", "tokens": ["x", "y"], "alpha_sources": ["b", "c"],
             "alpha": [[weight, 1 - weight], [0.5, 0.5]]},
            {"line": 2, "task": "b", "tokens": ["z"], "alpha_sources": ["a", "c"], "alpha": [[1 - weight, weight]]}]


REPORT_FILES = ["relation_matrix.png", "relation_matrix.tsv", "line00001_alpha.png", "report.html", "summary.json"]


def report_files(directory):
    return {path.name: path.read_bytes() for path in directory.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def new_report(tmp_path_factory):
    directory = tmp_path_factory.mktemp("new_report")
    render_report(alpha_predictions(0.6), str(directory))
    return report_files(directory)


@pytest.mark.parametrize("name", REPORT_FILES)
def test_every_report_file_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch, new_report, name):
    """The report's writes go through graph_mtl.common.atomic: when the rename of one file fails
    (as a kill before it would), that file keeps its previous content and no temporary file stays."""
    render_report(alpha_predictions(0.9), str(tmp_path))
    old = report_files(tmp_path)
    assert set(REPORT_FILES) <= set(old) and old[name] != new_report[name]
    failing_replace_onto(monkeypatch, name)
    with pytest.raises(OSError, match=f"cannot rename onto {name}"):
        render_report(alpha_predictions(0.6), str(tmp_path))
    now = report_files(tmp_path)
    assert now[name] == old[name]
    assert set(now) == set(old)  # nothing else, in particular no *.partial file
