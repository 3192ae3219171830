import pytest

from graph_mtl.data.dataset_readers import DataFormatError, JsonLinesDatasetReader
from tests.data.helpers import fixture, tags, words


def test_classification_lines():
    reader = JsonLinesDatasetReader(label_namespace="mine_labels")
    instances = list(reader.read(fixture("jsonl", "cls_a.jsonl")))
    assert len(instances) == 40
    assert words(instances[0]) == ["item", "0", "is", "good"]
    assert instances[1]["label"].label == "neg"
    assert instances[0]["label"]._label_namespace == "mine_labels"
    tokenized = list(JsonLinesDatasetReader().read(fixture("jsonl", "cls_b.jsonl")))
    assert words(tokenized[1]) == ["thing", "1", "great"] and tokenized[1]["label"].label == "1"


def test_tagging_lines_with_conversion():
    reader = JsonLinesDatasetReader(source_scheme="IOB1", tag_scheme="BIOUL")
    instances = list(reader.read(fixture("jsonl", "tag_c.jsonl")))
    assert len(instances) == 5
    assert tags(instances[0]) == ["U-PER", "O", "U-PER", "O"]
    assert set(instances[0].fields) == {"tokens", "tags", "metadata"}


@pytest.mark.parametrize(
    "name, message",
    [
        ("bad_json.jsonl", r"bad_json.jsonl:3: invalid JSON"),
        ("bad_count.jsonl", r"bad_count.jsonl:2: 3 tokens but 1 tags"),
        ("bad_mixed.jsonl", r"bad_mixed.jsonl:2: classification line needs 'text'"),
    ],
)
def test_malformed_lines_name_file_and_line(name, message):
    with pytest.raises(DataFormatError, match=message):
        list(JsonLinesDatasetReader().read(fixture("jsonl", name)))


def test_text_to_instance_without_reading():
    reader = JsonLinesDatasetReader(task_type="tagging")
    assert "tags" not in reader.text_to_instance("Ann met Bob").fields
    classifier = JsonLinesDatasetReader(task_type="classification")
    assert classifier.text_to_instance("a b", "x")["label"].label == "x"


def test_bad_lines_can_be_skipped_with_a_warning(caplog):
    reader = JsonLinesDatasetReader(on_bad_line="skip")
    instances = list(reader.read(fixture("jsonl", "bad_count.jsonl")))
    assert len(instances) == 1 and tags(instances[0]) == ["O", "O"]
    assert "bad_count.jsonl:2: 3 tokens but 1 tags" in caplog.text
