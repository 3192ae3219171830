"""
POS tags from Penn Treebank files as NLTK ships them: bracketed trees (`.mrg`) or the tagged
version (`.pos`, `word/TAG` with `[ ... ]` NP brackets), e.g. NLTK's WSJ sample.
"""
import glob
import os
import re
from typing import Any, List, Optional, Sequence, Tuple

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from graph_mtl.data.dataset_readers.errors import DataFormatError
from graph_mtl.data.dataset_readers.task_reader import Record, TaggingTaskReader
from graph_mtl.data.dataset_readers.text_files import read_lines

TRACE_TAG = "-NONE-"
FORMATS = ("auto", "mrg", "pos")
_PRETERMINAL = re.compile(r"\(([^\s()]+)\s+([^\s()]+)\)")
#: A preterminal with a tag and no word, `(NN )`: an error, not a silently shorter sentence.
_EMPTY_PRETERMINAL = re.compile(r"\(([^\s()]+)\s*\)")


@DatasetReader.register("ptb_treebank_pos")
class PtbTreebankPosDatasetReader(TaggingTaskReader):
    """
    Reads POS-tagged sentences from Penn Treebank files:

    * `.mrg`: bracketed parse trees, one top-level `( ... )` per sentence; the tagged words
      are the preterminals `(TAG word)`.
    * `.pos`: the tagged version, `word/TAG` tokens (split on the last `/`), NP chunks in
      `[ ... ]` (ignored), sentences separated by blank lines, `=====` lines between
      paragraphs.

    Trace elements (`-NONE-`, 6,592 of them in NLTK's WSJ sample) are dropped, as in the PTB
    POS benchmark files. The data path is one file, a directory (its `*.mrg` files, or its
    `*.pos` files when `format` is `"pos"`, in name order) or a glob pattern. Errors name the
    actual file and line (unbalanced brackets, a token without `/TAG`).

    Registered as a `DatasetReader` with name "ptb_treebank_pos".

    # Parameters

    label_namespace : `str`, optional (default = `"labels"`)
        Set it per task, e.g. `"pos_tags"`.
    format : `str`, optional (default = `"auto"`)
        `"mrg"`, `"pos"`, or `"auto"`: by file extension (`.pos` is tagged, anything else
        trees); for a directory, `"auto"` reads the `.mrg` files.
    drop_tags : `List[str]`, optional (default = `["-NONE-"]`)
        Tokens with these tags are removed. No shipped config sets it; it stays, as in
        `ptb_pos`, for a treebank whose traces should be kept or other tags dropped.
    **kwargs
        As `TaskDatasetReader` (`token_indexers`, `max_tokens`, `split`, `dev_size` in
        sentences, `on_bad_line`, `encoding`, ...). `tag_scheme` must stay `"original"`.
    """

    def __init__(
        self,
        label_namespace: str = "labels",
        format: str = "auto",
        drop_tags: Optional[Sequence[str]] = (TRACE_TAG,),
        **kwargs: Any,
    ) -> None:
        super().__init__(label_namespace=label_namespace, **kwargs)
        if format not in FORMATS:
            raise ConfigurationError(f"unknown format {format!r}: expected one of {FORMATS}")
        self.format = format
        self.drop_tags = set(drop_tags or ())

    def _files(self, path: str, local_path: str) -> List[str]:
        if os.path.isdir(local_path):
            extension = ".pos" if self.format == "pos" else ".mrg"
            files = sorted(glob.glob(os.path.join(local_path, "*" + extension)))
            if not files:
                raise DataFormatError(f"directory has no *{extension} files", None, path)
            return files
        return [local_path]

    def _local_path(self, path: str) -> str:
        if any(char in path for char in "*?[") and not os.path.exists(path):
            if not glob.glob(path):
                raise FileNotFoundError(f"{path}: no file matches this pattern")
            return path
        return super()._local_path(path)

    def _load_records(self, path: str, local_path: str) -> List[Record]:
        if any(char in local_path for char in "*?[") and not os.path.exists(local_path):
            files = sorted(glob.glob(local_path))
        else:
            files = self._files(path, local_path)
        records: List[Record] = []
        for file_name in files:
            file_format = self.format
            if file_format == "auto":
                file_format = "pos" if file_name.endswith(".pos") else "mrg"
            lines = read_lines(file_name, self.encoding)
            if file_format == "mrg":
                records.extend(self._mrg_records(file_name, lines))
            else:
                records.extend(self._pos_records(file_name, lines))
        return records

    @staticmethod
    def _mrg_records(file_name: str, lines: List[str]) -> List[Record]:
        records: List[Record] = []
        depth = 0
        start = 0
        parts: List[str] = []
        for number, line in enumerate(lines, start=1):
            if depth == 0:
                if not line.strip():
                    continue
                start = number
                parts = []
            parts.append(line)
            for char in line:
                if char == "(":
                    depth += 1
                elif char == ")":
                    depth -= 1
                    if depth < 0:
                        raise DataFormatError("')' without a matching '('", number, file_name)
            if depth == 0:
                text = " ".join(parts)
                if "(" not in text:
                    raise DataFormatError(f"text outside a tree: {line.strip()!r}", number, file_name)
                records.append(Record(start, (file_name, text)))
        if depth != 0:
            raise DataFormatError(
                f"tree starting here is not closed ({depth} '(' still open at end of file)",
                start,
                file_name,
            )
        return records

    @staticmethod
    def _pos_records(file_name: str, lines: List[str]) -> List[Record]:
        records: List[Record] = []
        sentence: List[Tuple[int, str]] = []
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("======"):
                if sentence:
                    records.append(Record(sentence[0][0], (file_name, sentence)))
                    sentence = []
                continue
            sentence.append((number, stripped))
        if sentence:
            records.append(Record(sentence[0][0], (file_name, sentence)))
        return records

    def _record_to_instance(self, record: Record) -> Instance:
        file_name, data = record.data
        words: List[str] = []
        tags: List[str] = []
        if isinstance(data, str):  # a tree
            empty = _EMPTY_PRETERMINAL.search(data)
            if empty:
                raise DataFormatError(
                    f"preterminal {empty.group(0)!r} has a tag but no word", record.line, file_name
                )
            for tag, word in _PRETERMINAL.findall(data):
                if tag not in self.drop_tags:
                    words.append(word)
                    tags.append(tag)
        else:
            for number, line in data:
                for token in line.split():
                    if token in ("[", "]"):
                        continue
                    word, slash, tag = token.rpartition("/")
                    if not slash or not word or not tag:
                        raise DataFormatError(
                            f"token {token!r} is not word/TAG", number, file_name
                        )
                    if tag not in self.drop_tags:
                        words.append(word)
                        tags.append(tag)
        if not words:
            raise DataFormatError("sentence has no tagged words", record.line, file_name)
        try:
            return self.text_to_instance(words, tags)
        except DataFormatError as error:
            raise DataFormatError(error.problem, record.line, file_name)
