"""
Span tag schemes and conversion between them: IOB1 (CoNLL-2003's original), IOB2 (= BIO,
CoNLL-2000's) and BIOUL.
"""
from typing import List, Optional, Sequence, Tuple

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_utils.span_utils import to_bioul

from graph_mtl.data.dataset_readers.errors import DataFormatError

#: Schemes a file can be written in.
SOURCE_SCHEMES = ("IOB1", "IOB2")
#: Values of a reader's `tag_scheme`: keep the file's tags, or convert span tags.
TARGET_SCHEMES = ("original", "IOB2", "BIOUL")
_ALIASES = {"BIO": "IOB2", "IOB": "IOB2", "ORIGINAL": "original", "NONE": "original"}


def canonical_scheme(name: Optional[str], allowed: Sequence[str] = TARGET_SCHEMES) -> str:
    """
    Returns the canonical spelling of a tag scheme name (case-insensitive; `BIO` is `IOB2`,
    `None` is `original`), or raises `ConfigurationError` naming the allowed values.
    """
    key = "original" if name is None else str(name)
    canonical = _ALIASES.get(key.upper(), key.upper() if key.upper() in allowed else key)
    if canonical not in allowed:
        raise ConfigurationError(
            f"unknown tag scheme {name!r}: expected one of {', '.join(allowed)} "
            "(BIO is accepted for IOB2)"
        )
    return canonical


def _split_tag(tag: str) -> Tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, dash, label = tag.partition("-")
    if dash != "-" or prefix not in ("B", "I") or not label:
        raise ValueError(tag)
    return prefix, label


def to_iob2(
    tags: Sequence[str], source: str, lines: Optional[Sequence[int]] = None
) -> Tuple[List[str], int]:
    """
    Converts span tags written in `source` ("IOB1" or "IOB2") to IOB2 and checks them.

    Returns the IOB2 tags and the number of repaired tags: in IOB2 input, an `I-X` that does
    not continue a span of type `X` is ill-formed; it becomes `B-X` (callers log the count).
    A tag that is neither `O` nor `B-TYPE`/`I-TYPE` raises `DataFormatError` with the line
    from `lines` (one line number per tag), if given.
    """
    result: List[str] = []
    repaired = 0
    previous_label = ""  # label of the span the previous token is in, "" after O
    for index, tag in enumerate(tags):
        try:
            prefix, label = _split_tag(tag)
        except ValueError:
            raise DataFormatError(
                f"tag {tag!r} is not a {source} span tag (expected O, B-TYPE or I-TYPE)",
                lines[index] if lines is not None else None,
            )
        if prefix == "O":
            result.append("O")
        elif prefix == "B":
            result.append(tag)
        elif label == previous_label:
            result.append(tag)
        else:
            # I-X that starts a span: the normal IOB1 case, an ill-formed IOB2 one.
            if source == "IOB2":
                repaired += 1
            result.append("B-" + label)
        previous_label = label
    return result, repaired


def convert_tags(
    tags: Sequence[str], source: str, target: str, lines: Optional[Sequence[int]] = None
) -> Tuple[List[str], int]:
    """
    Converts span tags from `source` ("IOB1"/"IOB2") to `target` ("original", "IOB2",
    "BIOUL"). Returns the tags and the number of ill-formed tags repaired on the way (see
    `to_iob2`). With `target="original"` the tags are only checked.
    """
    iob2, repaired = to_iob2(tags, source, lines)
    if target == "original":
        return list(tags), repaired
    if target == "IOB2":
        return iob2, repaired
    if target == "BIOUL":
        return to_bioul(iob2, encoding="BIO"), repaired
    raise ConfigurationError(f"unknown tag scheme {target!r}: expected one of {TARGET_SCHEMES}")
