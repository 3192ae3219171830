"""Users' own tasks as JSON lines: `{"text": ..., "label": ...}` or `{"tokens": [...], "tags": [...]}`."""
import json
from typing import Any, List, Optional, Sequence, Union

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from graph_mtl.data.dataset_readers.errors import DataFormatError
from graph_mtl.data.dataset_readers.task_reader import (
    ClassificationTaskReader,
    DuplicateKeyError,
    Record,
    TaggingTaskReader,
    check_source_scheme,
    reject_duplicate_keys,
)
from graph_mtl.data.dataset_readers.text_files import read_lines

TASK_TYPES = ("auto", "classification", "tagging")


@DatasetReader.register("jsonl")
class JsonLinesDatasetReader(TaggingTaskReader, ClassificationTaskReader):
    """
    Reads a task of your own from a JSON-lines file, one JSON object per line (blank lines are
    ignored):

    * classification: `{"text": "a raw or tokenized sentence", "label": "pos"}`; `text` may
      also be a list of tokens. Instances: `tokens`, `label`, `metadata`.
    * tagging: `{"tokens": ["EU", "rejects"], "tags": ["B-ORG", "O"]}`. Instances: `tokens`,
      `tags`, `metadata`.

    Strings are split by the reader's `tokenizer` (whitespace by default; use
    `{"type": "spacy", "language": "blank:en"}` for raw text, offline). Labels and tags go to
    `label_namespace`. Invalid JSON, a missing or wrongly typed key, a token/tag count mismatch
    and a file mixing both kinds raise `DataFormatError` naming file and line.

    Registered as a `DatasetReader` with name "jsonl".

    # Parameters

    task_type : `str`, optional (default = `"auto"`)
        `"classification"`, `"tagging"`, or `"auto"`: decided by the first line's keys.
    text_key, label_key, tokens_key, tags_key : `str`, optional
        The keys (defaults `"text"`, `"label"`, `"tokens"`, `"tags"`). No shipped config
        renames them; they stay because this reader is for users' own data, whose JSON lines
        often name the fields otherwise (`"sentence"`, `"words"`, ...).
    source_scheme : `str`, optional (default = `None`)
        Span scheme of the tags (`"IOB1"`/`"IOB2"`), needed for `tag_scheme` conversion.
    tag_scheme : `str`, optional (default = `"original"`)
        `"original"`, `"IOB2"` or `"BIOUL"` (see `TaggingTaskReader`).
    label_namespace : `str`, optional (default = `"labels"`)
        Set it per task (`"<task>_labels"` / `"<task>_tags"`).
    labels : `List[str]`, optional (default = `None`)
        Classification: the task's labels (a label outside them is an error, not a new class);
        `None` accepts any well-formed string or integer label (see `ClassificationTaskReader`).
    **kwargs
        As `TaskDatasetReader` (`token_indexers`, `tokenizer`, `max_tokens`, `split`,
        `dev_size` in lines, `on_bad_line`, `encoding`, ...).
    """

    def __init__(
        self,
        task_type: str = "auto",
        text_key: str = "text",
        label_key: str = "label",
        tokens_key: str = "tokens",
        tags_key: str = "tags",
        source_scheme: Optional[str] = None,
        tag_scheme: Optional[str] = "original",
        label_namespace: str = "labels",
        labels: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> None:
        if task_type not in TASK_TYPES:
            raise ConfigurationError(f"unknown task_type {task_type!r}: expected one of {TASK_TYPES}")
        self.task_type = task_type
        self.text_key = text_key
        self.label_key = label_key
        self.tokens_key = tokens_key
        self.tags_key = tags_key
        self._source_scheme = check_source_scheme(source_scheme)
        super().__init__(tag_scheme=tag_scheme, label_namespace=label_namespace, labels=labels, **kwargs)

    @property
    def source_scheme(self) -> Optional[str]:
        return self._source_scheme

    def _load_records(self, path: str, local_path: str) -> List[Record]:
        records = [
            Record(number, line)
            for number, line in enumerate(read_lines(local_path, self.encoding), start=1)
            if line.strip()
        ]
        if self.task_type == "auto":
            for record in records:  # the first parsable line decides
                try:
                    first = self._parse(record)
                except DataFormatError:
                    continue  # reported (or skipped) when the record is read
                self.task_type = "tagging" if self.tokens_key in first else "classification"
                break
        return records

    def _parse(self, record: Record) -> dict:
        try:
            data = json.loads(record.data, object_pairs_hook=reject_duplicate_keys)
        except json.JSONDecodeError as error:
            raise DataFormatError(f"invalid JSON: {error.msg} (column {error.colno})", record.line)
        except DuplicateKeyError as error:
            raise DataFormatError(str(error), record.line)
        if not isinstance(data, dict):
            raise DataFormatError(f"expected a JSON object, found {type(data).__name__}", record.line)
        return data

    def _record_to_instance(self, record: Record) -> Instance:
        data = self._parse(record)

        def field(key: str, types: tuple, needs: str) -> Any:
            value = data.get(key)
            if not isinstance(value, types):
                raise DataFormatError(f"{self.task_type} line needs {key!r} ({needs}); keys: {sorted(data)}",
                                      record.line)
            return value

        try:
            if self.task_type == "tagging":
                tokens = field(self.tokens_key, (list, str), "a list of tokens")
                tags = field(self.tags_key, (list,), "a list of tags, one per token")
                return TaggingTaskReader.text_to_instance(self, tokens, tags)
            text = field(self.text_key, (list, str), "a string or a list of tokens")
            if self.label_key not in data or data[self.label_key] is None:
                raise DataFormatError(
                    f"classification line needs {self.label_key!r}; keys: {sorted(data)}", record.line
                )
            return ClassificationTaskReader.text_to_instance(self, text, data[self.label_key])
        except DataFormatError as error:
            if error.line is None:
                raise DataFormatError(error.problem, record.line)
            raise

    def text_to_instance(  # type: ignore[override]
        self,
        text: Union[str, Sequence[str]],
        label_or_tags: Optional[Union[str, int, Sequence[str]]] = None,
    ) -> Instance:
        """
        Classification: `text_to_instance(text, label=None)`; tagging:
        `text_to_instance(tokens, tags=None)`. With `task_type: "auto"` and no file read yet,
        a list of tags means tagging, anything else classification.
        """
        task_type = self.task_type
        if task_type == "auto":
            task_type = "tagging" if isinstance(label_or_tags, list) else "classification"
        if task_type == "tagging":
            return TaggingTaskReader.text_to_instance(self, text, label_or_tags)  # type: ignore[arg-type]
        return ClassificationTaskReader.text_to_instance(self, text, label_or_tags)  # type: ignore[arg-type]
