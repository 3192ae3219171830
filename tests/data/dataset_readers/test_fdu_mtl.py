import logging

import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader, Vocabulary

from graph_mtl.data.dataset_readers import DataFormatError, FduMtlDatasetReader
from tests.data.helpers import fixture, words

BOOKS = fixture("fdu", "books.task.train")


def test_reads_all_lines_with_labels_words_and_metadata():
    reader = FduMtlDatasetReader(label_namespace="books_labels")
    instances = list(reader.read(BOOKS))
    assert len(instances) == 10
    assert [i["label"].label for i in instances] == ["1", "0"] * 5
    assert instances[0]["label"]._label_namespace == "books_labels"
    # any whitespace splits: double/triple spaces and the trailing space leave no empty token
    assert words(instances[1]) == ["boring", "and", "far", "too", "long", "."]
    assert words(instances[0])[-1] == "."
    assert instances[1]["metadata"]["words"] == words(instances[1])
    assert set(instances[0].fields) == {"tokens", "label", "metadata"}


def test_dev_split_is_last_lines_by_path_suffix_and_by_parameter():
    reader = FduMtlDatasetReader(dev_size=3)
    train = list(reader.read(BOOKS + "#train"))
    dev = list(reader.read(BOOKS + "#dev"))
    everything = list(reader.read(BOOKS + "#all"))
    assert (len(train), len(dev), len(everything)) == (7, 3, 10)
    assert [words(i) for i in train + dev] == [words(i) for i in everything]
    assert words(dev[-1]) == ["the", "ending", "ruined", "it"]
    by_param = FduMtlDatasetReader(dev_size=3, split="dev")
    assert [words(i) for i in by_param.read(BOOKS)] == [words(i) for i in dev]
    # the default dev size is the benchmark's 200 lines: too many for this file
    with pytest.raises(DataFormatError, match="too few"):
        list(FduMtlDatasetReader().read(BOOKS + "#dev"))


def test_dev_split_counts_unusable_lines_so_the_split_never_shifts():
    reader = FduMtlDatasetReader(dev_size=2, on_bad_line="skip")
    train = list(reader.read(fixture("fdu", "empty_text.task.train") + "#train"))
    dev = list(reader.read(fixture("fdu", "empty_text.task.train") + "#dev"))
    assert [words(i) for i in train] == [["good"], ["bad"]]
    assert [words(i) for i in dev] == [["nice"]]  # line 3 (empty) is the first dev line


def test_mixed_encodings_are_read_and_reported(caplog):
    reader = FduMtlDatasetReader()
    with caplog.at_level(logging.WARNING):
        mr = list(reader.read(fixture("fdu", "mr_cp1252.task.train")))
        broken = list(reader.read(fixture("fdu", "broken_utf8.task.train")))
    assert words(mr[0]) == ["a", "cliché", "but", "charming", "film", "\u2013", "really"]
    assert len(broken) == 3 and words(broken[0])[0] == "café"
    assert words(broken[1])[2].startswith("clich") and "\ufffd" in words(broken[1])[2]
    assert "mr_cp1252.task.train: 1 line(s) are not valid UTF-8 (line 1); decoded them as cp1252" in caplog.text
    assert "broken_utf8.task.train: 1 line(s) are not valid UTF-8 (line 2)" in caplog.text


def test_strict_encoding_names_the_line():
    with pytest.raises(DataFormatError, match=r"mr_cp1252.task.train:1: cannot decode as utf-8"):
        list(FduMtlDatasetReader(encoding="utf-8").read(fixture("fdu", "mr_cp1252.task.train")))


def test_empty_text_raises_with_file_and_line_by_default():
    with pytest.raises(DataFormatError, match=r"empty_text.task.train:3: empty text after label '0'"):
        list(FduMtlDatasetReader().read(fixture("fdu", "empty_text.task.train")))


def test_empty_text_is_skipped_with_a_warning_naming_file_and_line(caplog):
    reader = FduMtlDatasetReader(on_bad_line="skip")
    with caplog.at_level(logging.WARNING):
        instances = list(reader.read(fixture("fdu", "empty_text.task.train")))
    assert len(instances) == 3
    assert "empty_text.task.train:3: empty text" in caplog.text
    assert "skipped 1 unusable record(s)" in caplog.text
    assert reader.last_read_stats.skipped and reader.last_read_stats.instances == 3


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing_tab.task.train", r"missing_tab.task.train:2: no tab between label and text"),
        ("bad_label.task.train", r"bad_label.task.train:3: label 'positive' is not one of the task's labels \['0', '1'\]"),
        ("empty.task.train", r"empty.task.train:1: file is empty"),
    ],
)
def test_malformed_files_raise_with_file_and_line(name, message):
    with pytest.raises(DataFormatError, match=message):
        list(FduMtlDatasetReader().read(fixture("fdu", name)))


def test_bad_options_are_configuration_errors():
    with pytest.raises(ConfigurationError, match="on_bad_line"):
        FduMtlDatasetReader(on_bad_line="ignore")
    with pytest.raises(ConfigurationError, match="split"):
        FduMtlDatasetReader(split="test")


def test_max_tokens_truncates_and_logs_the_count(caplog):
    reader = FduMtlDatasetReader(max_tokens=4)
    with caplog.at_level(logging.WARNING):
        instances = list(reader.read(BOOKS))
    assert max(len(i["tokens"]) for i in instances) == 4
    assert instances[0]["metadata"]["words"] == ["great", "book", ",", "i"]
    assert reader.last_read_stats.truncated == 8  # lengths 7 6 6 5 4 5 9 5 5 4
    assert "truncated 8 of 10 instances to max_tokens=4" in caplog.text


def test_text_to_instance_for_prediction():
    reader = FduMtlDatasetReader(max_tokens=3)
    from_text = reader.text_to_instance("a  truly great read")
    from_tokens = reader.text_to_instance(["a", "truly", "great", "read"], 1)
    assert words(from_text) == ["a", "truly", "great"] == words(from_tokens)
    assert "label" not in from_text.fields and from_tokens["label"].label == "1"
    assert reader.truncated_outside_reads == 2
    reader.apply_token_indexers(from_text)
    vocab = Vocabulary()
    from_text.index_fields(vocab)


def test_from_params_and_spacy_blank_tokenizer_offline():
    reader = DatasetReader.from_params(
        Params(
            {
                "type": "fdu_mtl",
                "label_namespace": "dvd_labels",
                "tokenizer": {"type": "spacy", "language": "blank:en"},
            }
        )
    )
    assert isinstance(reader, FduMtlDatasetReader)
    assert words(reader.text_to_instance("Don't panic.")) == ["Do", "n't", "panic", "."]
