"""scripts/tagging_errors.py: token accuracy by training frequency and vector coverage on a tiny
tagging model, against counts made by hand and tags predicted through the predictor's JSON path."""
import importlib.util
import json

import pytest
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from tests.conftest import REPO_ROOT
from tests.predictors.tiny_models import tiny_model


def load_script():
    spec = importlib.util.spec_from_file_location("tagging_errors", REPO_ROOT / "scripts" / "tagging_errors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def conll(sentences):
    return "\n\n".join("\n".join(f"{w} {p} {c}" for w, p, c in s) for s in sentences) + "\n"


TRAIN = [
    [("the", "DT", "B-NP"), ("llama", "NN", "I-NP"), ("sneezes", "VBZ", "B-VP"), (".", ".", "O")],
    [("The", "DT", "B-NP"), ("llama", "NN", "I-NP"), ("naps", "VBZ", "B-VP"), (".", ".", "O")],
    [("the", "DT", "B-NP"), ("cat", "NN", "I-NP")] * 60 + [(".", ".", "O")],
]
DEV = [
    [("The", "DT", "B-NP"), ("llama", "NN", "I-NP"), ("yodels", "VBZ", "B-VP"), (".", ".", "O")],
    [("A", "DT", "B-NP"), ("cat", "NN", "I-NP"), ("naps", "VBZ", "B-VP"), ("furry", "JJ", "B-ADJP")],
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory, one_torch_thread):
    return tiny_model(tmp_path_factory, "dc_mtl")


def test_bins_and_accuracy_against_hand_counts_and_the_predictor(archive, tmp_path):
    script = load_script()
    train, dev, vectors = tmp_path / "train.txt", tmp_path / "dev.txt", tmp_path / "vectors.txt"
    train.write_text(conll(TRAIN))
    dev.write_text(conll(DEV))
    vectors.write_text("3 2\nyodels 0.1 0.2\ncat 0.3 0.4\nllama 0.5 0.6\n")  # word2vec header
    report = script.main([str(archive), "--task", "pos", "--train", f"{train}#all", "--dev", f"{dev}#all",
                          "--vectors", str(vectors), "--batch-size", "1", "--output", str(tmp_path / "errors")])

    # By hand (the tiny model's indexer keeps case): the 8 dev tokens' training counts.
    #   The 1, llama 2, yodels 0, . 3 | A 0, cat 60, naps 1, furry 0
    assert report["lowercased"] is False
    tokens = {row["bin"]: row["tokens"] for row in report["by_frequency"]}
    assert tokens == {"unseen in training": 3, "seen 1-2 times": 3, "seen 3-10 times": 1, "seen 11-100 times": 1}
    both = {row["bin_vector"]: row["tokens"] for row in report["by_frequency_and_vector"]}
    assert both == {"unseen in training, has a vector": 1, "unseen in training, no vector": 2,
                    "seen 1-2 times, has a vector": 1, "seen 1-2 times, no vector": 2,
                    "seen 3-10 times, no vector": 1, "seen 11-100 times, has a vector": 1}

    # The accuracy: the same model's tags through the predictor's JSON input.
    predictor = Predictor.from_archive(load_archive(str(archive)), "graph_mtl")
    correct = total = 0
    for sentence in DEV:
        output = predictor.predict_json({"task": "pos", "tokens": [w for w, _, _ in sentence]})
        correct += sum(tag == gold for tag, (_, gold, _) in zip(output["tags"], sentence))
        total += len(sentence)
    assert report["tokens"] == total == 8
    assert report["accuracy"] == pytest.approx(correct / total)
    errors = sum(row["tokens"] * (1 - row["accuracy"]) for row in report["by_frequency"])
    assert errors == pytest.approx(total - correct)
    if errors:
        assert sum(row["error_share"] for row in report["by_frequency"]) == pytest.approx(1.0)

    written = json.loads((tmp_path / "errors.json").read_text())
    assert written["by_frequency"] == report["by_frequency"]
    assert "| unseen in training | 3 |" in (tmp_path / "errors.md").read_text()


def test_an_unknown_task_is_refused_with_the_model_tasks(archive, tmp_path):
    with pytest.raises(SystemExit, match="no task 'ner'.*'pos'"):
        load_script().main([str(archive), "--task", "ner", "--train", "x", "--dev", "y"])
