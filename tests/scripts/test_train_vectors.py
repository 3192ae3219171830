"""
scripts/train_vectors.py: word2vec on a config's training text + unlabelled text, written in
GloVe format, reproducible, never reading dev lines; the configs read the file through
FDU_MTL_VECTORS.
"""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
import torch
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.modules.token_embedders import Embedding

from tests.conftest import REPO_ROOT

TRAIN_LINES = [
    "1\tgreat book , i loved every page .",
    "0\tboring book , i hated it .",
    "1\twonderful story and great characters .",
    "0\tterrible plot , boring characters .",
]
DEV_LINES = ["1\tzzdevonly great read .", "0\tzzdevtoo bad ."]


def load_script():
    spec = importlib.util.spec_from_file_location("train_vectors", REPO_ROOT / "scripts" / "train_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    for domain in ("books", "dvd"):
        (data / f"{domain}.task.train").write_text("\n".join(TRAIN_LINES + DEV_LINES) + "\n")
    (data / "books.task.unlabel").write_text("Don't buy this BOOK, it's boring!\nA great, wonderful read.\n\n")
    config = tmp_path / "config.jsonnet"
    library = os.path.relpath(REPO_ROOT / "training_configs" / "lib" / "fdu_mtl.libsonnet", tmp_path)
    config.write_text(f"(import '{library}').config('fs_mtl', ['books', 'dvd'], {{dev_size: 2}})\n")
    monkeypatch.setenv("FDU_MTL_DIR", str(data))
    return config, data


def train(script, corpus, output: Path, *extra: str):
    config, data = corpus
    return script.main(["--config", str(config), "--unlabelled", str(data / "*.task.unlabel"),
                        "--lowercase", "--dim", "8", "--epochs", "3", "--output", str(output), *extra])


def read_glove(path: Path):
    vectors = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, *values = line.split(" ")
        vectors[word] = numpy.array([float(v) for v in values])
    return vectors


def test_vectors_are_reproducible_glove_format_and_never_see_dev_text(corpus, tmp_path):
    script = load_script()
    first = train(script, corpus, tmp_path / "a" / "vectors.txt")
    second = train(script, corpus, tmp_path / "b" / "vectors.txt")
    text = (tmp_path / "a" / "vectors.txt").read_bytes()
    assert text == (tmp_path / "b" / "vectors.txt").read_bytes()
    assert first["sha256"] == second["sha256"]

    vectors = read_glove(tmp_path / "a" / "vectors.txt")
    assert all(vector.shape == (8,) for vector in vectors.values())
    # training text of both domains (dev lines excluded) and the tokenized, lowercased unlabelled text
    assert {"great", "book", "loved", "wonderful", "terrible"} <= set(vectors)
    assert {"do", "n't", "it", "'s", "!"} <= set(vectors)
    assert "Don't" not in vectors and "BOOK" not in vectors
    assert not {"zzdevonly", "zzdevtoo"} & set(vectors)
    # 4 training lines x 2 domains + 2 non-empty unlabelled lines
    assert first["sentences"] == 10
    record = json.loads((tmp_path / "a" / "vectors.txt.json").read_text())
    assert record["words"] == len(vectors) and record["options"]["dim"] == 8

    other_seed = train(script, corpus, tmp_path / "c" / "vectors.txt", "--seed", "5")
    assert other_seed["sha256"] != first["sha256"]


def test_reproducible_across_processes(corpus, tmp_path):
    """gensim seeds each word's vector with a hash: Python's str hash differs per process."""
    config, data = corpus
    digests = []
    for index, hash_seed in enumerate(("1", "2")):
        output = tmp_path / f"p{index}.txt"
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "train_vectors.py"), "--config", str(config),
                        "--dim", "8", "--epochs", "2", "--output", str(output)],
                       env=env, check=True, capture_output=True, cwd=REPO_ROOT)
        digests.append(json.loads(output.with_name(output.name + ".json").read_text())["sha256"])
    assert digests[0] == digests[1]


def test_allennlp_embedding_reads_the_file(corpus, tmp_path):
    script = load_script()
    output = tmp_path / "vectors.txt"
    train(script, corpus, output)
    vectors = read_glove(output)
    vocab = Vocabulary()
    for word in ("great", "boring", "unseenword"):
        vocab.add_token_to_namespace(word, "tokens")
    embedding = Embedding.from_params(
        Params({"embedding_dim": 8, "pretrained_file": str(output), "trainable": False}), vocab=vocab)
    for word in ("great", "boring"):
        row = embedding.weight[vocab.get_token_index(word, "tokens")].detach().numpy()
        numpy.testing.assert_allclose(row, vectors[word], atol=1e-6)


def test_configs_name_the_file_through_fdu_mtl_vectors(monkeypatch, tmp_path):
    config = REPO_ROOT / "training_configs" / "fdu_mtl" / "dc_mtl.jsonnet"
    monkeypatch.setenv("FDU_MTL_DIR", str(tmp_path))
    embedder = ["model", "backbone", "text_field_embedder", "token_embedders", "tokens"]

    def tokens_embedder():
        params = Params.from_file(str(config)).as_dict()
        for key in embedder:
            params = params[key]
        return params

    monkeypatch.setenv("FDU_MTL_VECTORS", "")
    assert "pretrained_file" not in tokens_embedder()
    monkeypatch.setenv("FDU_MTL_VECTORS", "/some/vectors.txt")
    assert tokens_embedder()["pretrained_file"] == "/some/vectors.txt"


def test_graph_mtl_sets_the_optional_variables_only_when_unset(monkeypatch):
    from graph_mtl import config_variables

    monkeypatch.delenv("FDU_MTL_VECTORS", raising=False)
    monkeypatch.setenv("TAGGING_VECTORS", "/mine.txt")
    config_variables.apply_defaults()
    assert os.environ["FDU_MTL_VECTORS"] == ""
    assert os.environ["TAGGING_VECTORS"] == "/mine.txt"


def test_missing_unlabelled_files_are_an_error(corpus, tmp_path):
    script = load_script()
    with pytest.raises(FileNotFoundError, match="no such file"):
        script.main(["--unlabelled", str(tmp_path / "nothing*.txt"), "--output", str(tmp_path / "v.txt")])


def test_lowercase_training_lowercases_the_configs_text_too(corpus, tmp_path):
    """--lowercase touches only unlabelled text; --lowercase-training also the training text
    (for configs with `lowercase_tokens: true`), so no cased word is left."""
    config, data = corpus
    (data / "books.task.train").write_text("\n".join(["1\tGreat BOOK , Loved it ."] + TRAIN_LINES + DEV_LINES) + "\n")
    script = load_script()
    cased = read_glove(tmp_path / "cased.txt") if train(script, corpus, tmp_path / "cased.txt") else None
    assert {"Great", "BOOK", "Loved"} <= set(cased)
    train(script, corpus, tmp_path / "lower.txt", "--lowercase-training")
    lower = read_glove(tmp_path / "lower.txt")
    assert not {"Great", "BOOK", "Loved"} & set(lower)
    assert {"great", "book", "loved"} <= set(lower)
    assert all(word == word.lower() for word in lower)
