"""
benchmarks/planted_relation.py: the generator writes what its rule says, the measures match
scipy and hand computation on made-up attention, and the quick version runs end to end
(`allennlp train` + `allennlp predict` of DC-MTL and IC-MTL and a single-task baseline).
"""
import json
import math

import pytest
from scipy import stats

from benchmarks import planted_relation as bench


def test_generator_follows_the_planted_rule(tmp_path):
    design = bench.Design(groups=2, big_size=30, small_tasks=1, small_size=5, distractors=1,
                          distractor_size=10, dev_size=7, cues=3, fillers=50)
    tasks = bench.generate(design, tmp_path / "a", seed=3)
    assert [t.name for t in tasks] == ["g0big", "g0small0", "g1big", "g1small0", "distractor0"]
    assert [t.group for t in tasks] == [0, 0, 1, 1, 2]
    for task in tasks:
        lines = [json.loads(line) for line in (tmp_path / "a" / f"{task.name}.train.jsonl").read_text().splitlines()]
        assert len(lines) == task.train_size
        for line in lines:
            words = line["text"].split()
            positive, negative = bench.cue_words(task.group, 3)
            assert line["label"] == str(int(sum(w in positive for w in words) > sum(w in negative for w in words)))
        assert len((tmp_path / "a" / f"{task.name}.dev.jsonl").read_text().splitlines()) == 7
    again = bench.generate(design, tmp_path / "b", seed=3)
    assert [t.fillers for t in again] == [t.fillers for t in tasks]
    assert (tmp_path / "a" / "g1big.train.jsonl").read_text() == (tmp_path / "b" / "g1big.train.jsonl").read_text()
    relation = bench.planted(tasks)
    assert relation["g0small0"] == {"g0big": 1, "g1big": 0, "g1small0": 0, "distractor0": 0}
    assert sum(relation["distractor0"].values()) == 0


def test_split_cues_deal_each_rule_out_among_its_group_for_training_only(tmp_path):
    design = bench.Design(groups=2, big_size=60, small_tasks=2, small_size=40, distractors=1,
                          distractor_size=30, dev_size=60, cues=4, fillers=50, split_cues=True)
    tasks = bench.generate(design, tmp_path, seed=5)

    def cues_in(task, split):
        positive, negative = bench.cue_words(task.group, design.cues)
        seen = set()
        for line in (tmp_path / f"{task.name}.{split}.jsonl").read_text().splitlines():
            record = json.loads(line)
            words = record["text"].split()
            assert record["label"] == str(bench.label_of(words, task.group, design.cues))
            seen |= {w for w in words if w in positive or w in negative}
        return seen

    for group in (0, 1):
        members = [t for t in tasks if t.group == group]
        shares = [cues_in(t, "train") for t in members]
        # the big task (index 0) trains on cues 0 and 3, the small ones on 1 and 2
        assert shares == [{f"r{group}{p}{i}" for p in ("pos", "neg") for i in indices}
                          for indices in ((0, 3), (1,), (2,))]
        for task in members:  # dev sentences draw on the whole rule
            assert cues_in(task, "dev") == set(sum(bench.cue_words(group, design.cues), []))
    distractor = tasks[-1]
    assert cues_in(distractor, "train") == set(sum(bench.cue_words(distractor.group, design.cues), []))
    with pytest.raises(ValueError, match="2 cues per polarity cannot be dealt out to 3 tasks"):
        bench.Design(cues=2, small_tasks=2, split_cues=True).tasks()


def test_ranks_and_correlations_match_scipy():
    values = [0.3, 0.1, 0.3, 0.7, 0.1, 0.2]
    assert bench.ranks(values) == list(stats.rankdata(values))
    other = [1, 0, 1, 1, 0, 0]
    assert bench.spearman(values, other) == pytest.approx(stats.spearmanr(values, other)[0])
    # the maximum against a 0/1 matrix: any perfect separation without ties of its own
    truth = [1, 0, 0, 1, 0, 0, 0, 0]
    perfect = [0.9, 0.1, 0.2, 0.8, 0.3, 0.05, 0.15, 0.25]
    assert bench.max_spearman(truth) == pytest.approx(stats.spearmanr(perfect, truth)[0])
    assert bench.max_spearman(truth) < 1


def output(task, sources, rows):
    return {"task": task, "alpha_sources": sources, "alpha": rows, "tokens": ["x"] * len(rows)}


def test_alpha_measures_against_hand_computation():
    relation = {"a": {"b": 1, "c": 0, "d": 0}, "b": {"a": 1, "c": 0, "d": 0},
                "c": {"a": 0, "b": 0, "d": 0}, "d": {"a": 0, "b": 0, "c": 0}}
    uniform = [1 / 3] * 3
    outputs = [
        output("a", ["b", "c", "d"], [[0.6, 0.2, 0.2], [0.8, 0.1, 0.1]]),  # mean 0.7, 0.15, 0.15
        output("b", ["a", "c", "d"], [[0.2, 0.5, 0.3]]),  # mate below a non-mate
        output("c", ["a", "b", "d"], [uniform]),
        output("d", ["a", "b", "c"], [uniform, uniform]),
    ]
    measures = bench.alpha_measures(outputs, relation)
    assert measures["matrix"]["a"] == pytest.approx({"b": 0.7, "c": 0.15, "d": 0.15})
    a = measures["targets"]["a"]
    assert a["mates_above_all_others"] is True and a["top_are_mates"] is True
    expected_entropy = statistics_mean([entropy([0.6, 0.2, 0.2]), entropy([0.8, 0.1, 0.1])]) / math.log(3)
    assert a["entropy_vs_uniform"] == pytest.approx(expected_entropy)
    b = measures["targets"]["b"]
    assert b["mates_above_all_others"] is False and b["top_are_mates"] is False
    assert measures["targets"]["c"]["entropy_vs_uniform"] == pytest.approx(1.0)
    assert measures["targets"]["c"]["mates_above_all_others"] is None
    assert measures["rows_separated"] == 1 and measures["rows_with_mates"] == 2
    assert measures["mean_alpha_mates"] == pytest.approx((0.7 + 0.2) / 2)
    cells = [0.7, 0.15, 0.15, 0.2, 0.5, 0.3] + [1 / 3] * 6
    truth = [1, 0, 0, 1, 0, 0] + [0] * 6
    assert measures["rank_correlation"] == pytest.approx(stats.spearmanr(cells, truth)[0])
    assert measures["uniform"] == pytest.approx(1 / 3)


def entropy(row):
    return -sum(p * math.log(p) for p in row if p > 0)


def statistics_mean(values):
    return sum(values) / len(values)


def test_beta_mass_on_the_cue_words():
    design = bench.Design(cues=2)
    tasks = [bench.Task("t", 0, 1, False)]
    out = {"task": "t", "tokens": ["w1", "r0pos1", "w2", "r1neg0"], "beta": [[0.1, 0.6, 0.2, 0.1], [0.25] * 4]}
    measures = bench.beta_measures([out], tasks, design)
    assert measures["t"]["beta_mass_on_cues"] == pytest.approx((0.6 + 0.25) / 2)
    assert measures["t"]["uniform_mass_on_cues"] == pytest.approx(0.25)


def test_quick_benchmark_runs_end_to_end(tmp_path):
    report = bench.main(["--quick", "--seeds", "1", "--output-dir", str(tmp_path / "out"),
                         "--results", str(tmp_path / "report")])
    seed = report["seeds"][0]
    alpha = seed["models"]["dc_mtl"]["alpha"]
    for row in alpha["matrix"].values():
        assert sum(row.values()) == pytest.approx(1.0, abs=1e-3)
    assert all(0 < t["entropy_vs_uniform"] <= 1 + 1e-6 for t in alpha["targets"].values())
    assert set(seed["models"]["ic_mtl"]["beta"]) == set(report["tasks"])
    assert set(seed["single"]) == set(report["small_tasks"]) == {"g0small0", "g1small0"}
    assert all(0 <= acc <= 1 for acc in seed["single"].values())
    for kind, record in seed["models"].items():
        reliance = record["reliance"]
        assert set(reliance) == set(report["tasks"])
        # as trained, the predictor reproduces the trainer's best-epoch dev accuracy (another
        # code path: predict over the dev file, gold labels read back from the data)
        for task, values in reliance.items():
            assert values["with"] == pytest.approx(record["dev_accuracy"][task], abs=1e-9), (kind, task)
            assert 0 <= values["without"] <= 1
        # W_f is drawn at random and trained: without it every task's predicted probabilities
        # move (by ~1e-5 in this 8-d, one-epoch model; the predictor rounds them to 1e-6)
        assert all(values["probability_shift"] > 0 for values in reliance.values()), reliance
    text = (tmp_path / "report.md").read_text()
    assert "rank correlation with the planted matrix" in text and "single-task LSTM" in text
    assert "dc_mtl without messages" in text
    assert json.loads((tmp_path / "report.json").read_text())["planted"]["g0big"]["g0small0"] == 1
