"""
Hostile input files for every reader, each with its expected outcome: read correctly (the
instances given), or a `DataFormatError` naming file, line and problem. Nothing is taken
silently and wrongly: no new class from a malformed label, no BOM glued to a token, no file of
CR-only lines read as one instance, no NUL byte inside a token.
"""
from typing import Any, Callable, List, Optional, Tuple

import pytest
from allennlp.common.checks import ConfigurationError

from graph_mtl.data.dataset_readers import (
    Conll2000DatasetReader,
    Conll2003DatasetReader,
    DataFormatError,
    FduMtlDatasetReader,
    JsonLinesDatasetReader,
    PtbPosDatasetReader,
    PtbTreebankPosDatasetReader,
)
from tests.data.helpers import tags, words


def fdu() -> FduMtlDatasetReader:
    return FduMtlDatasetReader()


def jsonl(**kwargs: Any) -> Callable[[], JsonLinesDatasetReader]:
    return lambda: JsonLinesDatasetReader(**kwargs)


def labels(instances) -> List[str]:
    return [instance["label"].label for instance in instances]


#: (case, reader factory, file bytes, expected): expected is an error regex (str, matched
#: against "<file>:<line>: <problem>") or a function checking the instances.
CASES: List[Tuple[str, Callable[[], Any], bytes, Any]] = [
    # FDU-MTL labels: declared ["0", "1"]; anything else is an error, never a new class
    ("fdu label 7", fdu, b"1\tgood\n7\tbad\n", r":2: label '7' is not one of the task's labels"),
    ("fdu label -1", fdu, b"-1\tbad\n", r":1: label '-1' is not one of"),
    ("fdu label 01", fdu, b"01\tbad\n", r":1: label '01' is not one of"),
    ("fdu label +1", fdu, b"+1\tgood\n", r":1: label '\+1' is not one of"),
    ("fdu label 1.0", fdu, b"1.0\tgood\n", r":1: label '1.0' is not one of"),
    ("fdu label True", fdu, b"True\tgood\n", r":1: label 'True' is not one of"),
    ("fdu label nan", fdu, b"nan\tgood\n", r":1: label 'nan' is not one of"),
    ("fdu arabic-indic digit", fdu, "\u0661\tgood\n".encode(), r":1: label '\u0661' is not one of"),
    ("fdu fullwidth digit", fdu, "\uff11\tgood\n".encode(), r":1: label '\uff11' is not one of"),
    ("fdu empty label", fdu, b"\tgood\n", r":1: label '' is empty"),
    ("fdu no tab", fdu, b"1 good\n", r":1: no tab between label and text"),
    ("fdu empty text", fdu, b"1\t \n", r":1: empty text after label '1'"),
    ("fdu label with spaces is trimmed", fdu, b" 1 \tgood\n", lambda i: labels(i) == ["1"]),
    ("fdu undeclared labels: plain integers", lambda: FduMtlDatasetReader(labels=None),
     b"7\tx\n-1\ty\n", lambda i: labels(i) == ["7", "-1"]),
    ("fdu undeclared labels: 01 refused", lambda: FduMtlDatasetReader(labels=None), b"01\tx\n",
     r":1: label '01' is not an integer written plainly"),
    ("fdu undeclared labels: +1 refused", lambda: FduMtlDatasetReader(labels=None), b"+1\tx\n",
     r":1: label '\+1' is not an integer written plainly"),
    ("fdu undeclared labels: non-ASCII digit refused", lambda: FduMtlDatasetReader(labels=None),
     "\u0661\tx\n".encode(), r":1: label '\u0661' is not an integer written plainly"),
    # byte-level hazards, through the shared line reader
    ("fdu UTF-8 BOM", fdu, b"\xef\xbb\xbf1\tgood\n0\tbad\n", lambda i: labels(i) == ["1", "0"]),
    ("fdu CR-only lines", fdu, b"1\tgood one\r0\tbad one\r",
     lambda i: labels(i) == ["1", "0"] and words(i[1]) == ["bad", "one"]),
    ("fdu CRLF lines", fdu, b"1\tgood\r\n0\tbad\r\n", lambda i: words(i[0]) == ["good"]),
    ("fdu CR inside a line", fdu, b"1\tgood\n0\tbad\rworse\n", r":2: carriage return inside the line"),
    ("fdu NUL byte", fdu, b"1\tgood\n0\tb\x00ad\n", r":2: NUL byte at byte 4"),
    ("fdu empty file", fdu, b"", r":1: file is empty"),
    # JSON lines
    ("jsonl label true", jsonl(), b'{"text": "a b", "label": true}\n', r":1: label True is a bool"),
    ("jsonl label 1.0", jsonl(), b'{"text": "a b", "label": 1.0}\n', r":1: label 1.0 is a float"),
    ("jsonl label NaN", jsonl(), b'{"text": "a b", "label": NaN}\n', r":1: label nan is a float"),
    ("jsonl label list", jsonl(), b'{"text": "a b", "label": [1]}\n', r":1: label \[1\] is a list"),
    ("jsonl label empty", jsonl(), b'{"text": "a b", "label": ""}\n', r":1: label '' is empty"),
    ("jsonl label with a newline", jsonl(), b'{"text": "a b", "label": "pos\\n"}\n',
     r":1: label 'pos\\n' is empty or has spaces or control characters"),
    ("jsonl label missing", jsonl(), b'{"text": "a b", "label": "pos"}\n{"text": "c"}\n',
     r":2: classification line needs 'label'"),
    ("jsonl label null", jsonl(), b'{"text": "a b", "label": null}\n', r":1: classification line needs 'label'"),
    ("jsonl declared labels", jsonl(labels=["pos", "neg"]), b'{"text": "a", "label": "neutral"}\n',
     r":1: label 'neutral' is not one of the task's labels \['pos', 'neg'\]"),
    ("jsonl integer labels kept as text", jsonl(), b'{"text": "a", "label": 3}\n', lambda i: labels(i) == ["3"]),
    ("jsonl tags missing", jsonl(), b'{"tokens": ["a", "b"], "tags": ["X", "Y"]}\n{"tokens": ["c"]}\n',
     r":2: tagging line needs 'tags'"),
    ("jsonl tag count", jsonl(), b'{"tokens": ["a", "b"], "tags": ["X"]}\n', r":1: 2 tokens but 1 tags"),
    ("jsonl invalid JSON", jsonl(), b'{"text": "a", "label": "x"\n', r":1: invalid JSON"),
    ("jsonl not an object", jsonl(), b'["a", "b"]\n', r":1: expected a JSON object, found list"),
    ("jsonl BOM", jsonl(), b'\xef\xbb\xbf{"text": "a", "label": "x"}\n', lambda i: labels(i) == ["x"]),
    ("jsonl NUL byte", jsonl(), b'{"text": "a\x00", "label": "x"}\n', r":1: NUL byte"),
    # CoNLL and PTB
    ("conll2003 BOM before -DOCSTART-", lambda: Conll2003DatasetReader(),
     b"\xef\xbb\xbf-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n",
     lambda i: len(i) == 1 and words(i[0]) == ["EU"]),
    ("conll2000 NUL in a token", lambda: Conll2000DatasetReader(), b"He PRP B-NP\nwa\x00ved VBD B-VP\n",
     r":2: NUL byte"),
    ("conll2000 CR-only file", lambda: Conll2000DatasetReader(), b"He PRP B-NP\rwaved VBD B-VP\r\rOk UH O\r",
     lambda i: [words(x) for x in i] == [["He", "waved"], ["Ok"]] and tags(i[0]) == ["B-NP", "B-VP"]),
    ("ptb-pos NUL", lambda: PtbPosDatasetReader(), b"The_DT do\x00g_NN\n", r":1: NUL byte"),
    ("ptb-pos BOM", lambda: PtbPosDatasetReader(), b"\xef\xbb\xbfThe_DT dog_NN\n",
     lambda i: words(i[0]) == ["The", "dog"]),
    ("treebank preterminal without a word", lambda: PtbTreebankPosDatasetReader(format="mrg"),
     b"( (S (NP (DT The) (NN dog)) (VP (VBZ barks)) (. .)) )\n( (S (NP (DT The) (NN )) (VP (VBZ barks))) )\n",
     r":2: preterminal '\(NN \)' has a tag but no word"),
    ("treebank trees read", lambda: PtbTreebankPosDatasetReader(format="mrg"),
     b"( (S (NP (DT The) (NN dog)) (VP (VBZ barks)) (. .)) )\n",
     lambda i: words(i[0]) == ["The", "dog", "barks", "."] and tags(i[0]) == ["DT", "NN", "VBZ", "."]),
    ("jsonl duplicate key", jsonl(), b'{"text": "a", "label": "x", "label": "y"}\n',
     r":1: key 'label' appears twice in one JSON object"),
]


@pytest.mark.parametrize("case,reader,content,expected", CASES, ids=[case[0] for case in CASES])
def test_hostile_input(case, reader, content, expected, tmp_path):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    if isinstance(expected, str):
        with pytest.raises(DataFormatError, match=expected) as raised:
            list(reader().read(str(path)))
        assert str(path) in str(raised.value)
    else:
        instances = list(reader().read(str(path)))
        assert expected(instances), [words(i) for i in instances]


def test_declared_labels_are_checked():
    with pytest.raises(ConfigurationError, match="labels must be a non-empty list without repeats"):
        FduMtlDatasetReader(labels=["0", "0"])
    with pytest.raises(ConfigurationError, match="labels must be a non-empty list"):
        JsonLinesDatasetReader(labels=[])


def test_labels_reach_the_jsonl_reader_from_a_config():
    from allennlp.common import Params
    from allennlp.data import DatasetReader

    reader = DatasetReader.from_params(Params({"type": "jsonl", "labels": ["pos", "neg"]}))
    assert reader.labels == ["pos", "neg"]
    fdu_reader = DatasetReader.from_params(Params({"type": "fdu_mtl"}))
    assert fdu_reader.labels == ["0", "1"]


def test_a_huge_line_is_truncated_by_default(tmp_path, caplog):
    """One 200,000-token review used to stall training: the readers cut at 10,000 tokens by
    default (and say so); any real benchmark sentence is far shorter."""
    import logging

    path = tmp_path / "huge.task.train"
    path.write_text("1\t" + " ".join(["word"] * 200_000) + "\n0\tshort one\n")
    with caplog.at_level(logging.WARNING):
        instances = list(FduMtlDatasetReader().read(str(path)))
    assert [len(i["tokens"]) for i in instances] == [10_000, 2]
    assert "truncated 1 of 2 instances to max_tokens=10000" in caplog.text
    assert [len(i["tokens"]) for i in FduMtlDatasetReader(max_tokens=300_000).read(str(path))] == [200_000, 2]
