"""
Every config in training_configs/ trains for one epoch on tiny fixtures (fixtures/configs/data,
the same folder layout as the real data), is archived, loads back, and predicts exactly as before
the reload, through allennlp's default predictors of each head and the graph_mtl predictor.

The configs carry the paper's sizes (200); `shrink` scales every dimension down by 50 (200 ->
4, 400 -> 8) so a step takes milliseconds. Dimensions in the configs are all multiples of 200,
so derived sizes (a BiLSTM head's 400) stay consistent.

Each test takes one optimizer step (a `uniform` task sampler with `instances_per_epoch` equal
to the batch size) and validates on every task's two dev instances.
"""
import copy
import os
import shutil
import subprocess
import sys
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
import torch
from allennlp.commands.train import train_model
from allennlp.common import Params
from allennlp.common.util import sanitize
from allennlp.data import Batch
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from tests.conftest import FIXTURES, REPO_ROOT

CONFIG_DIR = REPO_ROOT / "training_configs"
#: The paper's tables (training_configs/plugins/ has its own tests with the plugins).
CONFIGS = sorted(
    str(p.relative_to(CONFIG_DIR))
    for table in ("fdu_mtl", "tagging")
    for p in (CONFIG_DIR / table).glob("*.jsonnet")
)
DATA = FIXTURES / "configs" / "data"
ENV = {
    "FDU_MTL_DIR": str(DATA / "fdu-mtl"),
    "CONLL2000_DIR": str(DATA / "conll2000"),
    "CONLL2003_DIR": str(DATA / "conll2003"),
    "PTB_POS_DIR": str(DATA / "ptb-pos"),
}
DIMENSION_KEYS = {"embedding_dim", "hidden_dim", "hidden_size", "input_size", "input_dim"}
SCALE = 50
#: Tasks whose predictions are compared before/after reload and run through the predictor.
CHECKED_TASKS = 3


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny tensors on a shared 2-core machine: intra-op threads only add contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def shrink(value: Any) -> Any:
    """Scale every dimension down by SCALE, set fixture dev sizes and one epoch."""
    if isinstance(value, dict):
        shrunk = {}
        for key, item in value.items():
            if key in DIMENSION_KEYS and isinstance(item, int):
                assert item % SCALE == 0, f"{key}={item} is not a multiple of {SCALE}"
                shrunk[key] = item // SCALE
            elif key == "dev_size":
                shrunk[key] = 2
            else:
                shrunk[key] = shrink(item)
        return shrunk
    if isinstance(value, list):
        return [shrink(item) for item in value]
    return value


def config_params(name: str, monkeypatch) -> Params:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TASK", "books" if name.startswith("fdu_mtl") else "ner")
    params = Params.from_file(str(CONFIG_DIR / name)).as_dict(quiet=True)
    params = shrink(params)
    params["trainer"]["num_epochs"] = 1
    # One optimizer step: one batch drawn by a sampler.
    params["data_loader"]["sampler"] = {"type": "uniform"}
    params["data_loader"]["instances_per_epoch"] = params["data_loader"]["batch_size"]
    params["trainer"]["enable_default_callbacks"] = False
    return Params(params)


def test_every_model_of_both_tables_has_a_config():
    expected = {
        f"{table}/{model}.jsonnet"
        for table in ("fdu_mtl", "tagging")
        for model in (
            "single_lstm", "single_bilstm", "single_stacked_lstm",
            "mt_cnn", "fs_mtl", "sp_mtl", "dc_mtl", "ic_mtl",
        )
    }
    assert expected <= set(CONFIGS)


def test_paper_defaults(monkeypatch):
    params = Params.from_file(str(CONFIG_DIR / "fdu_mtl" / "dc_mtl.jsonnet"), ext_vars=ENV).as_dict()
    assert len(params["model"]["heads"]) == 16
    assert params["model"]["backbone"]["encoder"]["hidden_dim"] == 200
    assert params["data_loader"]["batch_size"] == 8
    assert params["trainer"]["optimizer"] == {"type": "dense_sparse_adam", "lr": 0.001}
    assert params["model"]["backbone"]["text_field_embedder"]["token_embedders"]["tokens"]["sparse"] is True
    for loader in ("data_loader", "validation_data_loader"):
        assert params[loader]["bucketing"] is True and params[loader]["sorting_keys"] == ["tokens"]
        assert params[loader]["padding_noise"] == 0.05
    assert params["model"]["initializer"]["regexes"][0][1] == {"type": "uniform", "a": -0.1, "b": 0.1}
    assert params["trainer"]["validation_metric"] == "+average_accuracy"
    tagging = Params.from_file(str(CONFIG_DIR / "tagging" / "ic_mtl.jsonnet"), ext_vars=ENV).as_dict()
    assert tagging["model"]["heads"]["ner"]["label_encoding"] == "BIOUL"
    assert tagging["dataset_reader"]["readers"]["ner"]["tag_scheme"] == "BIOUL"
    assert "label_encoding" not in tagging["model"]["heads"]["pos"]
    assert tagging["trainer"]["validation_metric"] == "+average_score"


def outputs_of(model, instances) -> List[Dict[str, Any]]:
    model.eval()
    with torch.no_grad():
        return sanitize(model.forward_on_instances(instances))


def read_validation_instances(archive, params: Params) -> List:
    reader = archive.validation_dataset_reader
    instances = []
    for task, path in params["validation_data_path"].items():
        instances.extend(reader.read(path, force_task=task))
    return instances


@pytest.mark.parametrize("name", CONFIGS)
def test_config_trains_saves_loads_and_predicts_identically(name, monkeypatch, tmp_path):
    params = config_params(name, monkeypatch)
    params_copy = copy.deepcopy(params)
    serialization_dir = tmp_path / "model"
    model = train_model(params, str(serialization_dir))
    metrics = (serialization_dir / "metrics.json").read_text()
    assert "validation_average_" in metrics

    archive = load_archive(str(serialization_dir / "model.tar.gz"))
    instances = read_validation_instances(archive, params_copy)
    tasks = {instance["task"].metadata for instance in instances}
    assert tasks == set(params_copy["validation_data_path"].as_dict())
    checked = sorted(tasks)[:CHECKED_TASKS]
    for task in checked:
        own = [instance for instance in instances if instance["task"].metadata == task]
        before = outputs_of(model, own)
        after = outputs_of(archive.model, own)
        assert before == after
        key = f"{task}_label" if f"{task}_label" in after[0] else f"{task}_tags"
        assert key in after[0]

    # allennlp's `multitask` predictor, through each head's default predictor, and the
    # model's default predictor (`graph_mtl`).
    multitask = Predictor.from_archive(archive, "multitask")
    default = Predictor.from_archive(archive)
    assert type(default).__name__ == "GraphMtlPredictor"
    for task in checked:
        words = " ".join(next(i for i in instances if i["task"].metadata == task)["metadata"]["words"])
        prediction = multitask.predict_json({"task": task, "sentence": words})
        assert f"{task}_label" in prediction or f"{task}_tags" in prediction
        assert default.predict_json({"task": task, "sentence": words})


def test_settings_reach_every_place(monkeypatch):
    """The real-data check's configs (results/fdu4) change sizes, tasks and truncation consistently."""
    monkeypatch.setenv("TASK", "dvd")
    for name in ("single_lstm", "fs_mtl", "dc_mtl", "ic_mtl"):
        params = Params.from_file(str(REPO_ROOT / "results" / "fdu4" / f"{name}.jsonnet"), ext_vars=ENV).as_dict()
        tasks = ["dvd"] if name == "single_lstm" else ["books", "dvd", "electronics", "kitchen_housewares"]
        assert sorted(params["model"]["heads"]) == tasks
        assert all(head["input_dim"] == 64 and head["pooling"] == "last" for head in params["model"]["heads"].values())
        assert all(reader["max_tokens"] == 100 for reader in params["dataset_reader"]["readers"].values())
        assert params["model"]["backbone"]["text_field_embedder"]["token_embedders"]["tokens"]["embedding_dim"] == 64
        assert params["trainer"]["optimizer"]["type"] == "adam"


def _lib_config(tmp_path, settings: str, kind: str = "fs_mtl") -> Dict[str, Any]:
    config = tmp_path / "config.jsonnet"
    lib = CONFIG_DIR / "lib"
    config.write_text(
        f"local common = import '{lib}/common.libsonnet';\n"
        f"(import '{lib}/fdu_mtl.libsonnet').config('{kind}', ['books', 'dvd'], {settings})\n"
    )
    return Params.from_file(str(config), ext_vars=ENV).as_dict()


def test_paper_recipe_and_embedding_update_settings(tmp_path):
    def embedder(params):
        return params["model"]["backbone"]["text_field_embedder"]["token_embedders"]["tokens"]

    # FS-MTL's LSTM runs on the padded batch (allennlp's packed `lstm` has a quadratic CPU backward)
    assert _lib_config(tmp_path, "{}")["model"]["backbone"]["encoder"]["type"] == "padded_lstm"
    paper = _lib_config(tmp_path, "common.paper_recipe")
    assert paper["trainer"]["optimizer"] == {"type": "adadelta", "lr": 1.0, "rho": 0.95, "eps": 1e-6}
    assert embedder(paper)["sparse"] is False
    # 'auto' follows the optimizer
    assert embedder(_lib_config(tmp_path, "{optimizer: {type: 'adam', lr: 0.01}}"))["sparse"] is False
    assert embedder(_lib_config(tmp_path, "{optimizer: {type: 'sgd', lr: 0.1}}"))["sparse"] is True
    unbucketed = _lib_config(tmp_path, "{bucketing: false}")
    assert "bucketing" not in unbucketed["data_loader"] and "bucketing" not in unbucketed["validation_data_loader"]
    with pytest.raises(Exception, match="sparse_embeddings: true needs an optimizer that applies sparse gradients"):
        _lib_config(tmp_path, "common.paper_recipe + {sparse_embeddings: true}")
    with pytest.raises(Exception, match="sparse_embeddings must be 'auto', true or false"):
        _lib_config(tmp_path, "{sparse_embeddings: 'yes'}")


def test_task_sampler_settings(tmp_path):
    from allennlp.data import DataLoader, DatasetReader, Vocabulary

    default = _lib_config(tmp_path, "{}")
    assert not {"sampler", "instances_per_epoch"} & set(default["data_loader"])  # every instance once
    uniform = _lib_config(tmp_path, "{task_sampler: 'uniform', instances_per_epoch: 40, batch_size: 4, dev_size: 2}")
    assert uniform["data_loader"]["sampler"] == {"type": "uniform"}
    assert uniform["data_loader"]["instances_per_epoch"] == 40
    assert "sampler" not in uniform["validation_data_loader"]
    annealed = _lib_config(tmp_path, "{task_sampler: {type: 'annealed', min_alpha: 0}, num_epochs: 7}")
    assert annealed["data_loader"]["sampler"] == {"type": "annealed", "min_alpha": 0, "num_epochs": 7}
    assert "instances_per_epoch" not in annealed["data_loader"]
    kept = _lib_config(tmp_path, "{task_sampler: {type: 'annealed', num_epochs: 3}, num_epochs: 7}")
    assert kept["data_loader"]["sampler"]["num_epochs"] == 3
    with pytest.raises(Exception, match="instances_per_epoch needs a task_sampler"):
        _lib_config(tmp_path, "{instances_per_epoch: 40}")
    with pytest.raises(Exception, match="task_sampler must be null, a sampler name or an object with a type"):
        _lib_config(tmp_path, "{task_sampler: {temperature: 2}}")

    # The resolved config builds a loader that draws the tasks as asked (the fixture's domains
    # have the same size: once per epoch they come equally often; weighted 3:1 they do not).
    def task_counts(config: Dict[str, Any], epochs: int = 20) -> Dict[str, int]:
        params = Params(copy.deepcopy(config))
        reader = DatasetReader.from_params(params.pop("dataset_reader"))
        loader = DataLoader.from_params(params.pop("data_loader"), reader=reader,
                                        data_path=config["train_data_path"])
        loader.index_with(Vocabulary.from_instances(loader.iter_instances()))
        counts: Dict[str, int] = {}
        for _ in range(epochs):
            for batch in loader:
                for task in batch["task"]:
                    counts[task] = counts.get(task, 0) + 1
        return counts

    whole = task_counts(_lib_config(tmp_path, "{batch_size: 4, dev_size: 2}"), epochs=1)
    assert whole["books"] == whole["dvd"] > 0
    weighted = task_counts(_lib_config(
        tmp_path, "{task_sampler: {type: 'weighted', weights: {books: 3, dvd: 1}}, instances_per_epoch: 40, batch_size: 4, dev_size: 2}"
    ))
    assert sum(weighted.values()) == 20 * 40
    assert 0.65 < weighted["books"] / (20 * 40) < 0.85, weighted  # 0.75 expected
    assert sum(task_counts(uniform, epochs=1).values()) == 40


def test_logging_callbacks(tmp_path):
    trainer = _lib_config(tmp_path, "{}")["trainer"]
    assert trainer["enable_default_callbacks"] is False
    assert trainer["callbacks"] == [{"type": "console_logger", "should_log_inputs": False}, {"type": "tensorboard"}]
    assert _lib_config(tmp_path, "{tensorboard: false}")["trainer"]["callbacks"] == [
        {"type": "console_logger", "should_log_inputs": False}]


def test_task_message_gradients_setting(tmp_path):
    default = _lib_config(tmp_path, "{}", "dc_mtl")["model"]["backbone"]["encoder"]
    assert "task_message_gradients" not in default  # the encoder's default: the paper's joint training
    stopped = _lib_config(tmp_path, "{task_message_gradients: false}", "dc_mtl")["model"]["backbone"]["encoder"]
    assert stopped["task_message_gradients"] is False


@pytest.mark.parametrize("kind", ["dc_mtl", "ic_mtl"])
def test_attention_settings(tmp_path, kind):
    default = _lib_config(tmp_path, "{}", kind)["model"]["backbone"]["encoder"]
    # the paper's attention: nothing in the resolved config (old runs keep their stamps)
    assert not {"temperature", "attention_dim", "attention_entropy", "own_input_dropout"} & set(default)
    encoder = _lib_config(
        tmp_path, "{attention_temperature: 0.25, attention_dim: 64, attention_entropy: -0.1, own_input_dropout: 0.3}",
        kind,
    )["model"]["backbone"]["encoder"]
    assert (encoder["temperature"], encoder["attention_dim"], encoder["attention_entropy"]) == (0.25, 64, -0.1)
    assert encoder["own_input_dropout"] == 0.3
    from allennlp.modules.seq2seq_encoders import Seq2SeqEncoder

    built = Seq2SeqEncoder.from_params(Params(encoder))
    aggregator = next(iter(built.forward_layers[0].aggregators.values()))
    assert aggregator.temperature == 0.25 and aggregator.scorer.attention_dim == 64
    assert built.attention_entropy == -0.1
    assert all(layer.own_input_dropout == 0.3 for layer in built.forward_layers)
    assert "source_embeddings" not in default
    if kind == "dc_mtl":
        encoder = _lib_config(tmp_path, "{source_embeddings: true}", kind)["model"]["backbone"]["encoder"]
        aggregator = next(iter(Seq2SeqEncoder.from_params(Params(encoder)).forward_layers[0].aggregators.values()))
        assert aggregator.source_embeddings is not None
    else:
        with pytest.raises(Exception, match="source_embeddings is a DC-MTL setting"):
            _lib_config(tmp_path, "{source_embeddings: true}", kind)


def _tagging_config(tmp_path, settings: str, kind: str) -> Dict[str, Any]:
    config = tmp_path / "tagging.jsonnet"
    lib = CONFIG_DIR / "lib"
    config.write_text(f"(import '{lib}/tagging.libsonnet').config('{kind}', settings={settings})\n")
    return Params.from_file(str(config), ext_vars=ENV).as_dict()


CHAR_CNN = "{encoder: 'cnn', embedding_dim: 3, output_dim: 5, window: 2}"
CHAR_LSTM = "{encoder: 'lstm', embedding_dim: 3, output_dim: 6}"


@pytest.mark.parametrize("kind,chars", [(kind, CHAR_CNN) for kind in (
    "lstm", "bilstm", "stacked_lstm", "mt_cnn", "fs_mtl", "sp_mtl", "dc_mtl", "ic_mtl")]
    + [("dc_mtl", CHAR_LSTM), ("fs_mtl", CHAR_LSTM)])
def test_character_features_with_every_encoder(kind, chars, tmp_path):
    """Character features (shared by all tasks) next to the word embedding: the encoder reads
    embedding_dim + the character encoder's output; the model trains, archives, reloads and
    predicts raw sentences with the characters of unseen words."""
    settings = (f"{{embedding_dim: 4, hidden_dim: 4, chunk_dev_size: 2, num_epochs: 1, "
                f"char_features: {chars}}}")
    params = _tagging_config(tmp_path, settings, kind)
    char_dim = 5 if "cnn" in chars else 6
    backbone = params["model"]["backbone"]
    embedders = backbone["text_field_embedder"]["token_embedders"]
    assert embedders["token_characters"]["type"] == "character_encoding"
    encoder = backbone["encoder"]
    assert encoder.get("input_dim", encoder.get("input_size")) == 4 + char_dim
    for reader in params["dataset_reader"]["readers"].values():
        assert set(reader["token_indexers"]) == {"tokens", "token_characters"}
    params["trainer"]["enable_default_callbacks"] = False
    serialization_dir = tmp_path / "model"
    model = train_model(Params(params), str(serialization_dir))
    grads = [p.grad for n, p in model.named_parameters() if "token_characters" in n and p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads)  # the character encoder learns

    archive = load_archive(str(serialization_dir / "model.tar.gz"))
    predictor = Predictor.from_archive(archive)
    sentence = "Zyxwvut unseenword runs ."
    for task in ("chunk", "ner", "pos"):
        prediction = predictor.predict_json({"task": task, "sentence": sentence})
        assert len(prediction["tags"]) == 4
    # the characters of unseen words reach the model: two unseen words with different spellings
    # get different embeddings, while the word embedding maps both to @@UNKNOWN@@
    embedder = archive.model._backbone._text_field_embedder  # noqa: SLF001
    vocab = archive.model.vocab
    indexer_chars = [[vocab.get_token_index(c, "token_characters") for c in word] for word in ("qqq", "zzz")]
    width = max(len(w) for w in indexer_chars)
    tensor = torch.tensor([[w + [0] * (width - len(w)) for w in indexer_chars]])
    unknown = vocab.get_token_index("@@UNKNOWN@@", "tokens")
    embedded = embedder({"tokens": {"tokens": torch.tensor([[unknown, unknown]])},
                         "token_characters": {"token_characters": tensor}})
    assert embedded.shape[-1] == 4 + char_dim
    assert not torch.allclose(embedded[0, 0], embedded[0, 1])


def test_character_settings_are_checked(tmp_path):
    with pytest.raises(Exception, match="char_features must be null or an object with encoder"):
        _tagging_config(tmp_path, "{char_features: {encoder: 'gru'}}", "fs_mtl")
    with pytest.raises(Exception, match="needs an even output_dim"):
        _tagging_config(tmp_path, "{char_features: {encoder: 'lstm', output_dim: 5}}", "fs_mtl")
    plain = _tagging_config(tmp_path, "{}", "fs_mtl")
    assert set(plain["model"]["backbone"]["text_field_embedder"]["token_embedders"]) == {"tokens"}
    assert all("token_indexers" not in r for r in plain["dataset_reader"]["readers"].values())


@pytest.mark.parametrize("chars", [None, CHAR_CNN])
def test_lowercase_tokens_match_lowercased_vectors(chars, tmp_path):
    """`lowercase_tokens: true`: the word vocabulary is lowercase, so lowercased pretrained
    vectors (train_vectors.py --lowercase-training) cover "Fennwick" and "PORTHAVEN"; the
    characters keep their case."""
    vectors = tmp_path / "lower.txt"
    vectors.write_text("fennwick 1 2 3 4\nporthaven -1 -2 -3 -4\n")
    settings = (f"{{embedding_dim: 4, hidden_dim: 4, chunk_dev_size: 2, num_epochs: 1, "
                f"lowercase_tokens: true, train_embeddings: false, pretrained_file: '{vectors}'"
                + (f", char_features: {chars}" if chars else "") + "}")
    params = _tagging_config(tmp_path, settings, "fs_mtl")
    for reader in params["dataset_reader"]["readers"].values():
        assert reader["token_indexers"]["tokens"] == {"type": "single_id", "lowercase_tokens": True}
    params["trainer"]["enable_default_callbacks"] = False
    model = train_model(Params(params), str(tmp_path / "model"))
    words = model.vocab.get_token_to_index_vocabulary("tokens")
    assert "fennwick" in words and "porthaven" in words
    assert not any(word != word.lower() for word in words if not word.startswith("@@"))
    weight = model._backbone._text_field_embedder.token_embedder_tokens.weight  # noqa: SLF001
    assert weight[words["fennwick"]].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert weight[words["porthaven"]].tolist() == [-1.0, -2.0, -3.0, -4.0]
    if chars:
        characters = model.vocab.get_token_to_index_vocabulary("token_characters")
        assert "F" in characters and "P" in characters
    with pytest.raises(Exception, match="lowercase_tokens must be true or false"):
        _tagging_config(tmp_path, "{lowercase_tokens: 'yes'}", "fs_mtl")


def test_vocabulary_of_training_words_and_vectors(tmp_path):
    """`vocabulary: 'train_and_vectors'`: the embedding rows are the training words and every
    word of the vectors, so a validation word found in neither is read as @@UNKNOWN@@ (as at
    prediction time) where allennlp's default gives it a row of its own; `word_dropout`
    reaches the backbone."""
    data = tmp_path / "ptb-pos"
    data.mkdir()
    shutil.copy(DATA / "ptb-pos" / "Secs0-18 - training", data)
    (data / "Secs19-21 - development").write_text("The_DT zorbly_NN barks_VBZ ._.\n")
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("qqvectoronly 1 2 3 4\nthe 0 0 0 1\n")
    config = tmp_path / "pos.jsonnet"
    lib = CONFIG_DIR / "lib"
    vocabularies = {}
    for name in ("train_and_dev", "train_and_vectors"):
        config.write_text(
            f"(import '{lib}/tagging.libsonnet').config('bilstm', ['pos'], settings={{"
            f"embedding_dim: 4, hidden_dim: 4, num_epochs: 1, lowercase_tokens: true, "
            f"pretrained_file: '{vectors}', vocabulary: '{name}', word_dropout: 0.1}})\n"
        )
        params = Params.from_file(str(config), ext_vars={**ENV, "PTB_POS_DIR": str(data)}).as_dict()
        assert params["model"]["backbone"]["word_dropout"] == 0.1
        params["trainer"]["enable_default_callbacks"] = False
        model = train_model(Params(params), str(tmp_path / name))
        vocabularies[name] = set(model.vocab.get_token_to_index_vocabulary("tokens"))
    everything, training = vocabularies["train_and_dev"], vocabularies["train_and_vectors"]
    assert "zorbly" in everything and "zorbly" not in training
    assert "qqvectoronly" in training and "qqvectoronly" not in everything
    assert everything - {"zorbly"} == training - {"qqvectoronly"}
    default = _tagging_config(tmp_path, "{}", "fs_mtl")
    assert "vocabulary" not in default and "datasets_for_vocab_creation" not in default
    assert "word_dropout" not in default["model"]["backbone"]
    with pytest.raises(Exception, match="vocabulary must be one of"):
        _tagging_config(tmp_path, "{vocabulary: 'dev'}", "fs_mtl")


def _custom_config(tmp_path, kind: str, tasks: str, settings: str = "{}") -> Dict[str, Any]:
    config = tmp_path / "custom.jsonnet"
    config.write_text(f"(import '{CONFIG_DIR / 'lib' / 'custom.libsonnet'}').config('{kind}', {tasks}, {settings})\n")
    return Params.from_file(str(config)).as_dict()


JSONL = FIXTURES / "data" / "jsonl"
CUSTOM_TASKS = (
    f"{{reviews: {{type: 'classification', train: '{JSONL / 'cls_a.jsonl'}', dev: '{JSONL / 'cls_a.jsonl'}', "
    f"labels: ['neg', 'pos']}}, people: {{type: 'tagging', train: '{JSONL / 'tag_c.jsonl'}', "
    f"dev: '{JSONL / 'tag_c.jsonl'}', source_scheme: 'IOB1'}}}}"
)


@pytest.mark.parametrize("kind", ["dc_mtl", "fs_mtl"])
def test_custom_library_trains_your_own_tasks(kind, tmp_path):
    """training_configs/lib/custom.libsonnet: a classification and a tagging task of your own,
    named by you, from JSON-lines files; the model trains and predicts both."""
    params = _custom_config(tmp_path, kind, CUSTOM_TASKS,
                            "{embedding_dim: 4, hidden_dim: 4, num_epochs: 1, batch_size: 2}")
    readers = params["dataset_reader"]["readers"]
    assert readers["reviews"]["labels"] == ["neg", "pos"]
    assert readers["people"]["tag_scheme"] == "BIOUL"
    heads = params["model"]["heads"]
    assert heads["people"]["label_encoding"] == "BIOUL" and heads["reviews"]["type"] == "text_classifier"
    assert params["model"]["task_averages"]["average_score"]["metric"] == {
        "people": "f1-measure-overall", "reviews": "accuracy"}
    params["trainer"]["enable_default_callbacks"] = False
    train_model(Params(params), str(tmp_path / "model"))
    metrics = json.loads((tmp_path / "model" / "metrics.json").read_text())
    assert "best_validation_average_score" in metrics
    predictor = Predictor.from_archive(load_archive(str(tmp_path / "model" / "model.tar.gz")))
    assert predictor.predict_json({"task": "reviews", "sentence": "item 9 is good"})["label"] in ("neg", "pos")
    assert len(predictor.predict_json({"task": "people", "sentence": "Ann met Bob"})["tags"]) == 3


def test_custom_library_checks_the_tasks(tmp_path):
    with pytest.raises(Exception, match="task a: give type"):
        _custom_config(tmp_path, "fs_mtl", "{a: {train: 'x', dev: 'y'}}")
    with pytest.raises(Exception, match="task a: give its train and dev files"):
        _custom_config(tmp_path, "fs_mtl", "{a: {type: 'tagging', train: 'x'}}")
    with pytest.raises(Exception, match="may not be empty or contain a dot"):
        _custom_config(tmp_path, "fs_mtl", "{'a.b': {type: 'tagging', train: 'x', dev: 'y'}}")
    with pytest.raises(Exception, match="no task given"):
        _custom_config(tmp_path, "fs_mtl", "{}")


def test_fs_mtl_reads_in_the_direction_of_the_other_multitask_models(tmp_path):
    """Like-for-like baselines: with `bidirectional: true` FS-MTL's shared LSTM is bidirectional
    as DC-MTL's, IC-MTL's and SP-MTL's are (its CRF heads read both directions); by default all
    are left to right, as the paper's equations."""
    default = _tagging_config(tmp_path, "{}", "fs_mtl")
    assert default["model"]["backbone"]["encoder"]["bidirectional"] is False
    both = _tagging_config(tmp_path, "{bidirectional: true}", "fs_mtl")
    assert both["model"]["backbone"]["encoder"]["bidirectional"] is True
    assert {h["input_dim"] for h in both["model"]["heads"].values()} == {2 * 200}
    dc = _tagging_config(tmp_path, "{bidirectional: true}", "dc_mtl")
    assert {h["input_dim"] for h in dc["model"]["heads"].values()} == {2 * 200}
    assert _lib_config(tmp_path, "{bidirectional: true}", "fs_mtl")["model"]["heads"]["books"]["bidirectional"] is True


def test_readme_own_tasks_example_trains_from_any_folder(tmp_path):
    """The README's "Your own tasks" config, copied into a folder outside the checkout, imports
    the library as `graph_mtl/configs/custom.libsonnet` and trains with `allennlp train`."""
    readme = (REPO_ROOT / "README.md").read_text()
    block = readme.split("<!-- own-tasks-example -->", 1)[1].split("```jsonnet\n", 1)[1].split("```", 1)[0]
    assert "import 'graph_mtl/configs/custom.libsonnet'" in block
    (tmp_path / "my_tasks.jsonnet").write_text(block)
    data = tmp_path / "data"
    data.mkdir()
    for name, fixture in [("reviews", "cls_a.jsonl"), ("people", "tag_c.jsonl")]:
        for split in ("train", "dev"):
            shutil.copy(JSONL / fixture, data / f"{name}.{split}.jsonl")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "allennlp"), "train", "my_tasks.jsonnet", "-s", "runs/my_tasks",
         "--include-package", "graph_mtl", "-o", '{"trainer.num_epochs": 1}'],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((tmp_path / "runs" / "my_tasks" / "metrics.json").read_text())
    assert {"best_validation_reviews_accuracy", "best_validation_people_f1-measure-overall"} <= set(metrics)
    config = json.loads((tmp_path / "runs" / "my_tasks" / "config.json").read_text())
    assert config["model"]["backbone"]["encoder"]["type"] == "dc_mtl"
    # quiet logs: no dump of the first batch's tensors; TensorBoard event files written
    log = (tmp_path / "runs" / "my_tasks" / "out.log").read_text() + result.stderr
    assert "Batch inputs" not in log and "batch_input/" not in log
    assert list((tmp_path / "runs" / "my_tasks" / "log" / "train").glob("events.out.tfevents.*"))
    assert list((tmp_path / "runs" / "my_tasks" / "log" / "validation").glob("events.out.tfevents.*"))


def test_config_library_is_package_data_and_on_the_import_path(tmp_path):
    from graph_mtl import config_variables

    library = Path(config_variables.CONFIG_LIBRARY)
    assert library == REPO_ROOT / "graph_mtl" / "configs"
    assert (CONFIG_DIR / "lib").resolve() == library  # the checkout's training_configs/lib
    assert {p.name for p in library.glob("*.libsonnet")} >= {"common.libsonnet", "custom.libsonnet", "fdu_mtl.libsonnet"}
    config = tmp_path / "x.jsonnet"
    config.write_text("(import 'graph_mtl/configs/common.libsonnet').defaults { extra: 1 }\n")
    assert Params.from_file(str(config)).as_dict()["extra"] == 1
    # the caller's own import paths come first
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "lib.libsonnet").write_text("{ mine: true }\n")
    config.write_text("import 'lib.libsonnet'\n")
    from allennlp.common import params as allennlp_params

    assert json.loads(allennlp_params.evaluate_file(str(config), jpathdir=str(tmp_path / "mine"))) == {"mine": True}
