import pytest
from allennlp.common.checks import ConfigurationError

from graph_mtl.data.dataset_readers import DataFormatError
from graph_mtl.data.dataset_readers.tag_schemes import canonical_scheme, convert_tags, to_iob2

# Hand-computed conversions.
IOB1 = ["I-LOC", "I-LOC", "B-LOC", "I-PER", "B-PER", "O", "I-ORG", "I-ORG", "I-ORG"]
IOB1_AS_IOB2 = ["B-LOC", "I-LOC", "B-LOC", "B-PER", "B-PER", "O", "B-ORG", "I-ORG", "I-ORG"]
IOB1_AS_BIOUL = ["B-LOC", "L-LOC", "U-LOC", "U-PER", "U-PER", "O", "B-ORG", "I-ORG", "L-ORG"]


def test_iob1_to_iob2_and_bioul():
    assert convert_tags(IOB1, "IOB1", "IOB2") == (IOB1_AS_IOB2, 0)
    assert convert_tags(IOB1, "IOB1", "BIOUL") == (IOB1_AS_BIOUL, 0)
    assert convert_tags(IOB1, "IOB1", "original") == (IOB1, 0)


def test_iob2_to_bioul():
    tags = ["B-NP", "I-NP", "I-NP", "B-VP", "O", "B-NP", "B-NP", "I-NP"]
    expected = ["B-NP", "I-NP", "L-NP", "U-VP", "O", "U-NP", "B-NP", "L-NP"]
    assert convert_tags(tags, "IOB2", "BIOUL") == (expected, 0)


def test_ill_formed_iob2_is_repaired_and_counted():
    tags, repaired = to_iob2(["O", "I-NP", "I-VP"], "IOB2")
    assert tags == ["O", "B-NP", "B-VP"] and repaired == 2


def test_invalid_tag_names_its_line():
    with pytest.raises(DataFormatError, match=r"^<input>:12: tag 'X-NP' is not a IOB2 span tag"):
        convert_tags(["B-NP", "X-NP"], "IOB2", "BIOUL", lines=[11, 12])


def test_scheme_names():
    assert canonical_scheme("bio") == "IOB2"
    assert canonical_scheme("bioul") == "BIOUL"
    assert canonical_scheme(None) == "original"
    with pytest.raises(ConfigurationError, match="unknown tag scheme 'BIOES'"):
        canonical_scheme("BIOES")
