import pytest
from allennlp.common.checks import ConfigurationError

from graph_mtl.data.dataset_readers import (
    Conll2000DatasetReader,
    Conll2003DatasetReader,
    ConllColumnsDatasetReader,
    DataFormatError,
)
from tests.data.helpers import fixture, tags, words

CONLL2000 = fixture("conll2000", "train.txt")
CONLL2003 = fixture("conll2003", "eng.sample")


def test_conll2000_chunks_original_and_bioul():
    original = list(Conll2000DatasetReader(label_namespace="chunk_tags").read(CONLL2000))
    assert len(original) == 3
    assert words(original[2]) == ["He", "waved", "."]
    assert tags(original[0]) == ["B-NP", "B-PP", "B-NP", "I-NP", "B-VP", "I-VP", "I-VP", "O"]
    assert original[0]["tags"]._label_namespace == "chunk_tags"
    assert original[0]["metadata"]["words"][0] == "Fondness"
    bioul = list(Conll2000DatasetReader(tag_scheme="BIOUL").read(CONLL2000))
    assert tags(bioul[0]) == ["U-NP", "U-PP", "B-NP", "L-NP", "B-VP", "I-VP", "L-VP", "O"]
    assert tags(bioul[1]) == ["O", "U-PP", "B-NP", "L-NP", "B-NP", "L-NP", "O"]
    assert tags(bioul[2]) == ["U-NP", "U-VP", "O"]


def test_conll2000_pos_column():
    instances = list(Conll2000DatasetReader(label_column="pos").read(CONLL2000))
    assert tags(instances[2]) == ["PRP", "VBD", "."]
    with pytest.raises(ConfigurationError, match="POS"):
        Conll2000DatasetReader(label_column="pos", tag_scheme="BIOUL")


def test_conll2000_dev_split_in_sentences():
    reader = Conll2000DatasetReader(dev_size=1)
    assert len(list(reader.read(CONLL2000 + "#train"))) == 2
    assert [words(i) for i in reader.read(CONLL2000 + "#dev")] == [["He", "waved", "."]]


def test_conll2003_skips_docstart_and_converts_iob1():
    reader = Conll2003DatasetReader(label_namespace="ner_tags")
    original = list(reader.read(CONLL2003))
    assert len(original) == 3  # -DOCSTART- lines are no sentences
    assert words(original[1]) == ["Tamsin", "Quillfeather"]
    assert tags(original[2]) == ["O", "I-LOC", "I-LOC", "B-LOC", "I-PER", "B-PER", "O", "O"]
    iob2 = list(Conll2003DatasetReader(tag_scheme="BIO").read(CONLL2003))
    assert tags(iob2[2]) == ["O", "B-LOC", "I-LOC", "B-LOC", "B-PER", "B-PER", "O", "O"]
    bioul = list(Conll2003DatasetReader(tag_scheme="BIOUL").read(CONLL2003))
    assert tags(bioul[0]) == ["U-ORG", "O", "U-MISC", "O", "O", "O", "U-MISC", "O", "O"]
    assert tags(bioul[1]) == ["B-PER", "L-PER"]
    assert tags(bioul[2]) == ["O", "B-LOC", "L-LOC", "U-LOC", "U-PER", "U-PER", "O", "O"]


def test_conll2003_chunk_and_pos_columns():
    chunks = list(Conll2003DatasetReader(label_column="chunk", tag_scheme="BIOUL").read(CONLL2003))
    assert tags(chunks[0]) == ["U-NP", "U-VP", "B-NP", "L-NP", "B-VP", "L-VP", "B-NP", "L-NP", "O"]
    pos = list(Conll2003DatasetReader(label_column="pos").read(CONLL2003))
    assert tags(pos[1]) == ["NNP", "NNP"]


def test_unknown_tag_scheme_and_column_are_configuration_errors():
    with pytest.raises(ConfigurationError, match="unknown tag scheme 'BIOES'"):
        Conll2003DatasetReader(tag_scheme="BIOES")
    with pytest.raises(ConfigurationError, match="label_column"):
        Conll2003DatasetReader(label_column="lemma")


def test_column_count_mismatch_names_file_and_line():
    with pytest.raises(DataFormatError, match=r"bad_columns.sample:4: expected 4 columns \(word pos chunk ner\), found 3"):
        list(Conll2003DatasetReader().read(fixture("conll2003", "bad_columns.sample")))
    with pytest.raises(DataFormatError, match=r"bad_columns.txt:2: expected 3 columns"):
        list(Conll2000DatasetReader().read(fixture("conll2000", "bad_columns.txt")))


def test_invalid_tag_names_file_and_line():
    with pytest.raises(DataFormatError, match=r"bad_tag.txt:2: tag 'X-PP' is not a IOB2 span tag"):
        list(Conll2000DatasetReader().read(fixture("conll2000", "bad_tag.txt")))


def test_empty_file_raises(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(DataFormatError, match=r"empty.txt:1: file is empty"):
        list(Conll2000DatasetReader().read(str(empty)))


def test_generic_column_reader_with_tab_delimiter(tmp_path):
    data = tmp_path / "ud.tsv"
    data.write_text("From\tIN\nthe\tDT\n\nHi\tUH\n")
    reader = ConllColumnsDatasetReader(columns=["word", "tag"], label_column="tag", delimiter="\t")
    instances = list(reader.read(str(data)))
    assert [tags(i) for i in instances] == [["IN", "DT"], ["UH"]]


def test_tagging_text_to_instance_and_truncation():
    reader = Conll2003DatasetReader(tag_scheme="BIOUL", max_tokens=2)
    # truncation cuts the span; it is converted after the cut, so it still ends with L-
    instance = reader.text_to_instance(["Tamsin", "J.", "Quillfeather"], ["I-PER", "I-PER", "I-PER"])
    assert words(instance) == ["Tamsin", "J."] and tags(instance) == ["B-PER", "L-PER"]
    raw = reader.text_to_instance("Tamsin Quillfeather")
    assert "tags" not in raw.fields and raw["metadata"]["words"] == ["Tamsin", "Quillfeather"]
    with pytest.raises(DataFormatError, match="3 tokens but 2 tags"):
        Conll2003DatasetReader().text_to_instance(["a", "b", "c"], ["O", "O"])


@pytest.mark.parametrize(
    "params,path,count",
    [
        ({"type": "conll2000_tagging", "label_column": "chunk", "tag_scheme": "BIOUL"}, CONLL2000, 3),
        ({"type": "conll2003_tagging", "label_column": "ner", "tag_scheme": "BIOUL"}, CONLL2003, None),
    ],
)
def test_named_conll_readers_build_from_a_config(params, path, count):
    from allennlp.common import Params
    from allennlp.data import DatasetReader

    reader = DatasetReader.from_params(Params(dict(params, label_namespace="x_tags")))
    instances = list(reader.read(path))
    assert instances
    if count is not None:
        assert len(instances) == count
    assert all(instance["tags"]._label_namespace == "x_tags" for instance in instances)


def test_generic_column_reader_requires_columns_and_label_column():
    from allennlp.common import Params
    from allennlp.common.checks import ConfigurationError
    from allennlp.data import DatasetReader

    with pytest.raises(ConfigurationError, match="columns"):
        DatasetReader.from_params(Params({"type": "conll_columns", "label_column": "tag"}))


def test_seeded_dev_split_is_a_random_sample_in_file_order(tmp_path):
    """dev_seed: dev is a seeded random sample of dev_size sentences (not the file's end),
    train the rest; together they are the file, each once, in file order."""
    import random

    path = tmp_path / "train.txt"
    path.write_text("".join(f"w{i} NN B-NP\n\n" for i in range(20)))
    reader = Conll2000DatasetReader(dev_size=5, dev_seed=7)
    dev = [words(i)[0] for i in reader.read(str(path) + "#dev")]
    train = [words(i)[0] for i in reader.read(str(path) + "#train")]
    expected = sorted(random.Random(7).sample(range(20), 5))
    assert dev == [f"w{i}" for i in expected]
    assert dev != [f"w{i}" for i in range(15, 20)]
    assert train == [f"w{i}" for i in range(20) if i not in expected]
    again = Conll2000DatasetReader(dev_size=5, dev_seed=7)
    assert [words(i)[0] for i in again.read(str(path) + "#dev")] == dev
    other = Conll2000DatasetReader(dev_size=5, dev_seed=8)
    assert [words(i)[0] for i in other.read(str(path) + "#dev")] != dev
