import pytest
from allennlp.common.checks import ConfigurationError

from graph_mtl.data.dataset_readers import DataFormatError, PtbPosDatasetReader, PtbTreebankPosDatasetReader
from tests.data.helpers import fixture, tags, words


def test_word_tag_lines_split_on_the_last_underscore_and_drop_traces():
    instances = list(PtbPosDatasetReader(label_namespace="pos_tags").read(fixture("ptb", "sample.pos")))
    assert len(instances) == 3  # the blank line is not a sentence
    assert words(instances[0]) == ["Otto", "Brightwell", ",", "38", ",", "paints", "lighthouses", "."]
    assert tags(instances[1]) == ["NNP", "NNP", "VBZ", "NN", "."]  # *T*-1_-NONE- dropped
    assert words(instances[2]) == ["snake_case_word", "1\\/2"]
    assert tags(instances[2]) == ["NN", "CD"]
    assert instances[0]["tags"]._label_namespace == "pos_tags"


def test_token_without_tag_names_file_line_and_token():
    with pytest.raises(DataFormatError, match=r"bad_token.pos:2: token 2 'broken' is not word_TAG"):
        list(PtbPosDatasetReader().read(fixture("ptb", "bad_token.pos")))


def test_pos_tags_have_no_span_scheme():
    with pytest.raises(ConfigurationError, match="span tags"):
        PtbPosDatasetReader(tag_scheme="BIOUL")


def test_treebank_mrg_directory_drops_none_traces():
    instances = list(PtbTreebankPosDatasetReader().read(fixture("ptb", "treebank")))
    assert [words(i) for i in instances] == [
        ["Marta", "Quillfeather", "might", "repaint", "the", "gazebo", "."],
        ["seems", "sturdy", "."],
        ["He", "left", "."],
    ]
    assert tags(instances[1]) == ["VBZ", "JJ", "."]


def test_treebank_pos_file_and_glob():
    tagged = list(PtbTreebankPosDatasetReader().read(fixture("ptb", "treebank", "wsj_0001.pos")))
    assert [tags(i) for i in tagged] == [["NNP", "NNP", "MD", "VB", "DT", "NN", "."], ["VBZ", "JJ", "."]]
    globbed = list(PtbTreebankPosDatasetReader().read(fixture("ptb", "treebank", "wsj_000*.mrg")))
    assert len(globbed) == 3


def test_unclosed_tree_names_file_and_line():
    with pytest.raises(DataFormatError, match=r"unclosed.mrg:1: tree starting here is not closed"):
        list(PtbTreebankPosDatasetReader().read(fixture("ptb", "unclosed.mrg")))
