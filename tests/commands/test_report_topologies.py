"""
`allennlp graph-mtl-report` for every kind of topology (issue 15 point 4): the built-in `direct`
and `indirect`, the `flat` and `hierarchical` plugins, and two test topologies (`two_hubs`,
`mixed`; see topology_reports.py) trained as tiny models. The predictions
name the nodes a task reads (`alpha_sources`, `beta_sources`), the report names them too and
says so plainly when a topology has no learned weights; beta profiles are measured against
uniform attention.
"""
import json

import numpy
import pytest

from graph_mtl.commands import figures
from tests.commands.html_checks import PNG_SIGNATURE, check_report_page
from tests.commands.topology_reports import (  # noqa: F401  (reports is a fixture)
    EXPECTED_GRAPHS,
    EXPECTED_WEIGHTS,
    TOPOLOGY_NAMES,
    MixedTopology,
    reports,
)


# ---------------------------------------------------------------------------- predictions
def test_predictions_name_the_nodes_beta_reads(reports):
    for output in reports["indirect"][2]:
        assert output["beta_sources"] == ["shared"]
        n = len(output["tokens"])
        assert len(output["beta"]) == n and all(len(row) == n for row in output["beta"])
    for output in reports["two_hubs"][2]:
        # one distribution over the positions of both nodes: left's n positions, then right's
        assert output["beta_sources"] == ["left", "right"]
        n = len(output["tokens"])
        assert all(len(row) == 2 * n and abs(sum(row) - 1) < 1e-4 for row in output["beta"])
    by_task = {o["task"]: o for o in reports["mixed"][2]}
    assert by_task["books"]["alpha_sources"] == ["dvd", "hub"] and "beta" not in by_task["books"]
    assert by_task["dvd"]["beta_sources"] == ["hub"] and "alpha" not in by_task["dvd"]
    for task in ("chunk", "pos"):  # a fixed mean, no messages: nothing to report
        assert not {"alpha", "beta", "alpha_sources", "beta_sources"} & set(by_task[task])
    for output in reports["flat"][2]:
        assert not {"alpha", "beta", "alpha_sources", "beta_sources"} & set(output)


def test_predictor_describes_encoder_topology_and_aggregators(reports):
    model = reports["mixed"][0]["communication"]
    assert model["encoder"] == "message_passing" and model["topology"] == "report_test_mixed"
    assert model["virtual_nodes"] == ["hub"]
    assert reports["indirect"][0]["communication"]["encoder"] == "ic_mtl"
    assert reports["indirect"][0]["communication"]["topology"] == "indirect"


# --------------------------------------------------------------------------------- report
@pytest.mark.parametrize("name", sorted(EXPECTED_GRAPHS))
def test_report_names_what_every_task_reads(reports, name):
    summary, page, _ = reports[name]
    info = summary["communication"]
    assert {t: row["sources"] for t, row in info["tasks"].items()} == EXPECTED_GRAPHS[name]
    assert {t: row["weights"] for t, row in info["tasks"].items()} == EXPECTED_WEIGHTS[name]
    if name not in ("direct", "indirect"):
        assert info["topology"] == TOPOLOGY_NAMES[name]
    check_report_page(page)
    assert "How the tasks communicate" in page
    assert "shared layer" not in page  # the old wording, whatever the topology
    if name != "indirect":
        assert "IC-MTL" not in page
    if name in ("indirect", "flat"):
        assert "virtual node shared" in page
    if name == "two_hubs":
        assert "Where words read the virtual nodes left, right" in page
    if name == "mixed":
        assert "Where words read the virtual node hub" in page
        assert "task dvd and virtual node hub" in page
        assert summary["relation_matrix"]["sources"][-1] == "hub"
    if name == "hierarchical":
        assert "receives no messages" in page
    if name == "indirect":
        assert "Where words read the virtual node shared" in page


def test_report_without_learned_weights_says_so(reports):
    summary, page, _ = reports["flat"]
    note = summary["communication"]["note"]
    assert note.startswith("The topology flat (encoder message_passing) has no learned communication "
                           "weights to draw")
    assert "MeanAggregator" in note
    assert summary["communication"]["learned_weights"] is False and summary["kinds"] == []
    assert '<p class="note">' in page and "has no learned communication weights to draw" in page
    for name in ("direct", "indirect", "hierarchical", "two_hubs", "mixed"):
        assert "note" not in reports[name][0]["communication"]


def test_no_weights_note_without_a_model_description(tmp_path):
    predictions = [{"line": 1, "task": "a", "tokens": ["x"], "label": "1"}]
    summary = figures.render_report(predictions, str(tmp_path))
    assert summary["communication"]["note"].startswith(
        "These predictions carry no learned communication weights (no alpha or beta)")
    info = figures.communication(predictions, {"tasks": ["a"], "encoder": "shared_private"})
    assert figures.no_weights_note(info).startswith("The encoder shared_private has no learned communication")


# ------------------------------------------------------------------ beta against uniform
def test_beta_profiles_against_uniform_by_hand():
    predictions = [
        # n = 2: word 0 reads only position 0, word 1 reads both equally
        {"task": "t", "tokens": ["a", "b"], "beta_sources": ["shared"], "beta": [[1.0, 0.0], [0.5, 0.5]]},
        # n = 3: uniform attention
        {"task": "t", "tokens": ["a", "b", "c"], "beta_sources": ["shared"], "beta": [[1 / 3] * 3] * 3},
    ]
    profile = figures.beta_profiles(predictions, max_offset=2, max_position=4)["t"]
    # n * beta per (word i, position j):  sentence 1: (0,0) 2, (0,1) 0, (1,0) 1, (1,1) 1;
    # sentence 2: 1 everywhere. Offsets j - i: -2: {1} -> 1; -1: {1 (s1), 1, 1} -> 1;
    # 0: {2, 1 (s1), 1, 1, 1} -> 6/5; +1: {0 (s1), 1, 1} -> 2/3; +2: {1} -> 1.
    assert profile["offset"] == pytest.approx([1.0, 1.0, 1.2, 2 / 3, 1.0])
    assert profile["offset_pairs"] == [1, 3, 5, 3, 1]
    # positions: 0: {2, 1 (s1), 1, 1, 1} -> 6/5; 1: {0, 1 (s1), 1, 1, 1} -> 4/5; 2: {1, 1, 1}; 3: none
    assert profile["position"][:3] == pytest.approx([1.2, 0.8, 1.0]) and profile["position"][3] is None
    assert profile["position_pairs"] == [5, 5, 3, 0]
    assert profile["baseline"] == figures.BETA_PROFILE_BASELINE == 1.0
    assert profile["words"] == 5 and profile["sentences"] == 2 and profile["sources"] == ["shared"]


def test_uniform_attention_is_a_flat_line_at_the_baseline_whatever_the_lengths():
    predictions = [{"task": "t", "tokens": ["w"] * n, "beta": [[1.0 / n] * n] * n} for n in (1, 2, 5, 9, 14)]
    profile = figures.beta_profiles(predictions, max_offset=10, max_position=30)["t"]
    assert [v for v in profile["offset"] if v is not None] == pytest.approx([1.0] * 21)
    assert [v for v in profile["position"] if v is not None] == pytest.approx([1.0] * 14)
    assert figures.draw_beta_profiles({"t": profile}).startswith(PNG_SIGNATURE)


def test_beta_profiles_sum_the_positions_of_several_sources():
    # n = 2, two sources, source-major rows: word 0 puts 0.5 on position 0 of each source
    predictions = [{"task": "t", "tokens": ["a", "b"], "beta_sources": ["l", "r"],
                    "beta": [[0.5, 0.0, 0.5, 0.0], [0.25, 0.25, 0.25, 0.25]]}]
    profile = figures.beta_profiles(predictions, max_offset=1, max_position=2)["t"]
    # per position (summed over sources) * n: word 0: [2, 0], word 1: [1, 1]
    assert profile["position"] == pytest.approx([1.5, 0.5])
    assert profile["offset"] == pytest.approx([1.0, 1.5, 0.0])
    assert profile["sources"] == ["l", "r"]


def test_report_states_the_beta_baseline(tmp_path):
    predictions = [{"line": 1, "task": "t", "tokens": ["a", "b"], "beta_sources": ["shared"],
                    "beta": [[0.5, 0.5], [0.5, 0.5]]}]
    summary = figures.render_report(predictions, str(tmp_path))
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["beta_profile"]["t"]["baseline"] == 1.0
    assert "uniform" in saved["beta_profile"]["t"]["measure"]
    assert summary["beta_profile"]["t"]["offset"][10] == 1.0
    page = (tmp_path / "report.html").read_text()
    assert "the dashed line at 1 is uniform attention" in page
    # uniform attention points at nothing: no "top positions" under the words (ties used to
    # list the first three words as if they were read most)
    assert "&rarr;" not in page and page.count("<small>uniform</small>") == 2
    check_report_page(page)


# --------------------------------------------------------------------- what a person sees
def test_near_uniform_relations_stay_pale():
    """A 0.37 against a uniform 1/3 (1.1x) is not drawn as dark as a real preference."""
    matrix = numpy.array([[numpy.nan, 0.32, 0.31, 0.37], [1 / 3, numpy.nan, 1 / 3, 1 / 3]])
    norm, spread = figures.relation_norm(figures.uniform_ratio(matrix))
    assert spread == pytest.approx(numpy.log2(1.25))
    assert norm(0.37 * 3) < 0.8  # the colour scale's top is 1.0


def test_report_page_structure_for_alpha_beta_and_errors(tmp_path):
    predictions = [
        {"line": 1, "task": "a", "tokens": ["x", "<y>"], "label": "1", "probs": {"0": 0.2, "1": 0.8},
         "alpha_sources": ["b", "hub"], "alpha": [[0.9, 0.1], [0.5, 0.5]]},
        {"line": 2, "task": "b", "tokens": ["z", "w"], "tags": ["B-NP", "O"], "tag_probs": [0.7, None],
         "beta_sources": ["hub"], "beta": [[0.9, 0.1], [0.5, 0.5]]},
        {"line": 3, "error": "input line 3: unknown task 'q'", "input": "{...}"},
    ]
    figures.render_report(predictions, str(tmp_path), model={
        "tasks": ["a", "b"], "encoder": "message_passing", "topology": "mine", "virtual_nodes": ["hub"],
        "sources": {"a": ["b", "hub"], "b": ["hub"]},
        "aggregators": {"a": {"class": "SourceAttentionAggregator", "kind": "sources"},
                        "b": {"class": "PositionAttentionAggregator", "kind": "positions"}}})
    page = (tmp_path / "report.html").read_text()
    parser = check_report_page(page)
    headings = [text for _, text in parser.headings]
    assert headings[1:] == ["How the tasks communicate", "Learned relations: what each task reads",
                            "Where words read the virtual node hub", "Sentences"]
    assert len(parser.images) == 4  # relation matrix, beta profile, line 1 alpha, line 2 beta
    # the tags stand under their words
    assert '<small class="tag">B-NP 0.70</small>' in page and '<small class="tag">O</small>' in page


@pytest.mark.parametrize("page, problem", [
    ("<!DOCTYPE html><html><body><h1>t</h1><td>x</td></body></html>", "outside a <tr>"),
    ('<!DOCTYPE html><html><body><h1>t</h1><img alt="a" src="data:image/png;base64,AAAA"></body></html>', "not a PNG"),
    ("<!DOCTYPE html><html><body><h1>t</h1><p>weights None</p></body></html>", "raw Python repr"),
    ("<!DOCTYPE html><html><body><h1>t</h1><div><p>x</div></body></html>", "closes"),
])
def test_the_page_checker_catches_what_it_should(page, problem):
    with pytest.raises(AssertionError, match=problem):
        check_report_page(page)
