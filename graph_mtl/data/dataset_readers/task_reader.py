"""
The base of graph-mtl's dataset readers: one task per reader, instances in the field layout of
docs/CONVENTIONS.md, a per-task `label_namespace`, dev splits carved out of a file by a path
suffix, truncation to `max_tokens` that is always logged, and malformed input reported with
file and line (raised, or skipped with a warning when `on_bad_line` is "skip").
"""
import logging
import random
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.fields import Field, MetadataField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import Token, Tokenizer, WhitespaceTokenizer

from graph_mtl.data.dataset_readers.errors import DataFormatError
from graph_mtl.data.fields import TaskLabelField, TaskSequenceLabelField
from graph_mtl.data.dataset_readers.tag_schemes import SOURCE_SCHEMES, canonical_scheme, convert_tags

logger = logging.getLogger(__name__)

SPLITS = ("all", "train", "dev")
ON_BAD_LINE = ("raise", "skip")
#: Separates a file path from a split name in a data path: `books.task.train#dev`.
SPLIT_SEPARATOR = "#"


@dataclass
class Record:
    """One unit of a data file (a line, or the lines of a sentence) before it is parsed."""

    line: int
    data: Any


@dataclass
class ReadStats:
    """What one pass over a file did besides producing instances (logged at its end)."""

    instances: int = 0
    truncated: int = 0
    repaired_tags: int = 0
    skipped: List[str] = field(default_factory=list)


def split_data_path(file_path: Union[str, PathLike], default_split: str = "all") -> Tuple[str, str]:
    """
    Splits `"<path>#<split>"` into the path and the split (`all`, `train` or `dev`). A path
    without a recognised `#<split>` suffix is returned whole with `default_split`.
    """
    text = str(file_path)
    head, separator, tail = text.rpartition(SPLIT_SEPARATOR)
    if separator and tail in SPLITS:
        return head, tail
    return text, default_split


#: The readers' default `max_tokens`: a safety limit, not a modelling choice.
DEFAULT_MAX_TOKENS = 10_000


class TaskDatasetReader(DatasetReader):
    """
    Base class of the graph-mtl readers (not registered itself). Subclasses implement
    `_load_records` (the file's records, with line numbers) and `_record_to_instance` (parse
    one record, raising `DataFormatError` with a line number when it is unusable).

    # Parameters

    label_namespace : `str`, optional (default = `"labels"`)
        Vocabulary namespace of the labels or tags. Give every task its own, ending in
        `labels` or `tags` (`books_labels`, `ner_tags`), per docs/CONVENTIONS.md.
    token_indexers : `Dict[str, TokenIndexer]`, optional (default = `{"tokens": SingleIdTokenIndexer()}`)
    tokenizer : `Tokenizer`, optional (default = `WhitespaceTokenizer()`)
        Splits raw text into tokens (text files of classification tasks, and raw sentences given
        to `text_to_instance`). The benchmark files are tokenized, so whitespace is right for
        them; for raw text use `{"type": "spacy", "language": "blank:en"}` (offline).
    max_tokens : `int`, optional (default = `10000`)
        Truncate every instance to this many tokens (tags are truncated with them). The number
        of truncated instances is logged as a warning at the end of every file. The default is a
        safety limit far above any sentence of the benchmarks (FDU-MTL's longest review has
        5,940 tokens): one 200,000-token line would otherwise stall training; give a larger
        number to go beyond it.
    split : `str`, optional (default = `"all"`)
        `"all"`: every record of the file; `"dev"`: the last `dev_size` records (or, with
        `dev_seed`, a seeded random sample of them); `"train"`: all other records. A data path may override it with a suffix:
        `"fdu-mtl/books.task.train#dev"`, `"...#train"`, `"...#all"`, so one reader object can
        serve the training and the validation path of a task.
    dev_size : `int`, optional (default: the reader's own, e.g. 200 for FDU-MTL, else `None`)
        Records (lines or sentences) held out as dev by the `train`/`dev` splits.
    dev_seed : `int`, optional (default = `None`)
        `None`: dev is the last `dev_size` records (FDU-MTL's convention). An integer: dev is
        `dev_size` records drawn at random with this seed (the same records for every model and
        every training seed: the draw depends only on `dev_seed` and the number of records), kept
        in file order; train is the rest, in file order. For files without a dev convention
        whose end is not a random sample (CoNLL-2000's `train.txt` runs through WSJ 15-18 in order).
    on_bad_line : `str`, optional (default = `"raise"`)
        What to do with a malformed or unusable record: `"raise"` a `DataFormatError` naming
        file, line and problem, or `"skip"` it with a warning naming the same (the end-of-file
        summary repeats the count). Records are never dropped silently.
    encoding : `str`, optional (default = `"auto"`)
        `"auto"` reads UTF-8 and falls back, per line and with a warning, to Windows-1252 or
        to UTF-8 with replacement characters (see `graph_mtl.data.dataset_readers.text_files`).
        Any other value is a codec used strictly (an undecodable line raises with its number).
    **kwargs
        Passed to `DatasetReader` (e.g. `max_instances`).
    """

    default_dev_size: Optional[int] = None

    def __init__(
        self,
        label_namespace: str = "labels",
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        tokenizer: Optional[Tokenizer] = None,
        max_tokens: Optional[int] = DEFAULT_MAX_TOKENS,
        split: str = "all",
        dev_size: Optional[int] = None,
        dev_seed: Optional[int] = None,
        on_bad_line: str = "raise",
        encoding: str = "auto",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("manual_distributed_sharding", True)
        kwargs.setdefault("manual_multiprocess_sharding", True)
        super().__init__(**kwargs)
        if split not in SPLITS:
            raise ConfigurationError(f"unknown split {split!r}: expected one of {SPLITS}")
        if on_bad_line not in ON_BAD_LINE:
            raise ConfigurationError(
                f"unknown on_bad_line {on_bad_line!r}: expected one of {ON_BAD_LINE}"
            )
        if max_tokens is not None and max_tokens < 1:
            raise ConfigurationError(f"max_tokens must be at least 1, got {max_tokens}")
        dev_size = self.default_dev_size if dev_size is None else dev_size
        if dev_size is not None and dev_size < 1:
            raise ConfigurationError(f"dev_size must be at least 1, got {dev_size}")
        self.label_namespace = label_namespace
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self._tokenizer = tokenizer or WhitespaceTokenizer()
        self.max_tokens = max_tokens
        self.split = split
        self.dev_size = dev_size
        self.dev_seed = dev_seed
        self.on_bad_line = on_bad_line
        self.encoding = encoding
        #: Instances truncated by `text_to_instance` outside file reads (e.g. predictions).
        self.truncated_outside_reads = 0
        self._stats: Optional[ReadStats] = None
        #: What the last complete read of a file did (instances, truncated, skipped records).
        self.last_read_stats: Optional[ReadStats] = None

    # ----------------------------------------------------------------------------- subclasses
    def _local_path(self, path: str) -> str:
        """The local file for a data path (through allennlp's `cached_path`)."""
        try:
            return cached_path(path)
        except FileNotFoundError as error:
            raise FileNotFoundError(f"{path}: no such file ({error})") from error

    def _load_records(self, path: str, local_path: str) -> List[Record]:
        raise NotImplementedError

    def _record_to_instance(self, record: Record) -> Instance:
        raise NotImplementedError

    # ------------------------------------------------------------------------------- reading
    def _read(self, file_path: Union[str, PathLike]) -> Iterable[Instance]:
        path, split = split_data_path(file_path, self.split)
        local_path = self._local_path(path)
        try:
            records = self._load_records(path, local_path)
        except DataFormatError as error:
            raise error.with_file(path)
        if not records:
            raise DataFormatError("file is empty: it holds no instances", 1, path)
        records = self._select_split(records, split, path)

        stats = ReadStats()
        self._stats = stats
        try:
            for record in self.shard_iterable(records):
                try:
                    instance = self._record_to_instance(record)
                except DataFormatError as error:
                    error.with_file(path)
                    if error.line is None:
                        error = DataFormatError(error.problem, record.line, error.file)
                    if self.on_bad_line == "raise":
                        raise error
                    stats.skipped.append(str(error))
                    logger.warning("skipping unusable record (on_bad_line=skip): %s", error)
                    continue
                stats.instances += 1
                for name in ("label", "tags"):
                    field = instance.fields.get(name)
                    if isinstance(field, (TaskLabelField, TaskSequenceLabelField)):
                        field.source = (path, record.line)
                yield instance
        finally:
            self._stats = None
        self._log_stats(path, split, stats)

    def _select_split(self, records: List[Record], split: str, path: str) -> List[Record]:
        if split == "all":
            return records
        if self.dev_size is None:
            raise ConfigurationError(
                f"{path}#{split}: the {split!r} split needs this reader's dev_size (the number "
                "of final records held out as dev)"
            )
        if len(records) <= self.dev_size:
            raise DataFormatError(
                f"has {len(records)} records, too few to hold out the last {self.dev_size} as dev",
                None,
                path,
            )
        if self.dev_seed is None:
            return records[-self.dev_size :] if split == "dev" else records[: -self.dev_size]
        held_out = set(random.Random(self.dev_seed).sample(range(len(records)), self.dev_size))
        return [record for index, record in enumerate(records) if (index in held_out) == (split == "dev")]

    def _log_stats(self, path: str, split: str, stats: ReadStats) -> None:
        where = path if split == "all" else f"{path}#{split}"
        worker = self.get_worker_info()
        if worker is not None:
            where = f"{where} (worker {worker.id})"
        if stats.skipped:
            logger.warning(
                "%s: skipped %d unusable record(s) (on_bad_line=skip): %s",
                where,
                len(stats.skipped),
                "; ".join(stats.skipped[:5]) + (" ..." if len(stats.skipped) > 5 else ""),
            )
        if stats.truncated:
            logger.warning(
                "%s: truncated %d of %d instances to max_tokens=%d",
                where,
                stats.truncated,
                stats.instances,
                self.max_tokens,
            )
        if stats.repaired_tags:
            logger.warning(
                "%s: %d ill-formed span tag(s) (I-X not continuing a span of type X)",
                where,
                stats.repaired_tags,
            )
        self.last_read_stats = stats

    # ----------------------------------------------------------------------- instance helpers
    def _truncate(self, words: List[str], *others: Optional[List[Any]]) -> Tuple[List[str], ...]:
        if self.max_tokens is None or len(words) <= self.max_tokens:
            return (words, *others)
        if self._stats is not None:
            self._stats.truncated += 1
        else:
            self.truncated_outside_reads += 1
            if self.truncated_outside_reads == 1 or self.truncated_outside_reads % 1000 == 0:
                logger.warning(
                    "%s: truncated %d input(s) to max_tokens=%d so far",
                    type(self).__name__,
                    self.truncated_outside_reads,
                    self.max_tokens,
                )
        cut = self.max_tokens
        return (words[:cut], *(other[:cut] if other is not None else None for other in others))

    def _tokenize(self, text: Union[str, Sequence[str]]) -> List[str]:
        if isinstance(text, str):
            return [token.text for token in self._tokenizer.tokenize(text)]
        return [str(word) for word in text]

    def _text_field(self, words: List[str]) -> TextField:
        # No indexers here: multi-process loading requires them to be added by
        # `apply_token_indexers` (which `DatasetReader.read` and predictors call).
        return TextField([Token(word) for word in words])

    def apply_token_indexers(self, instance: Instance) -> None:
        instance["tokens"].token_indexers = self._token_indexers  # type: ignore[attr-defined]


def reject_duplicate_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    """`object_pairs_hook` for `json.loads`: a key given twice in one object is an error (JSON
    would silently keep the last value)."""
    result: Dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


class DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key {key!r} appears twice in one JSON object")
        self.key = key


class ClassificationTaskReader(TaskDatasetReader):
    """
    A `TaskDatasetReader` for sentence classification: fields `tokens`, `label` (in
    `label_namespace`) and `metadata` (`{"words": [...]}`).

    A label is a string or an integer (kept as its text). Never a new class from a malformed
    label: a boolean, a float (`1.0`, `nan`), an empty label, one with surrounding spaces or
    control characters raises `DataFormatError`, and with `labels` declared so does any label
    outside them (`7`, `-1`, `01`, `+1` for `["0", "1"]`).

    # Parameters

    labels : `List[str]`, optional (default = `None`)
        The task's labels; `None` accepts any well-formed label.
    **kwargs
        As `TaskDatasetReader`.
    """

    def __init__(self, labels: Optional[Sequence[str]] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if labels is not None:
            labels = [str(label) for label in labels]
            if not labels or len(set(labels)) != len(labels):
                raise ConfigurationError(f"labels must be a non-empty list without repeats, got {labels}")
        self.labels: Optional[List[str]] = labels

    def label_text(self, label: Any) -> str:
        """The label as the vocabulary stores it, or `DataFormatError` (no line number)."""
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise DataFormatError(
                f"label {label!r} is a {type(label).__name__}; labels are strings or integers"
            )
        text = str(label)
        if not text or text != text.strip() or not text.isprintable():
            raise DataFormatError(f"label {text!r} is empty or has spaces or control characters around it")
        if self.labels is not None and text not in self.labels:
            raise DataFormatError(f"label {text!r} is not one of the task's labels {self.labels}")
        return text

    def text_to_instance(  # type: ignore[override]
        self, text: Union[str, Sequence[str]], label: Optional[Union[str, int]] = None
    ) -> Instance:
        """
        `text` is a raw string (split by the reader's tokenizer) or a list of tokens; `label`
        is optional (prediction).
        """
        words = self._tokenize(text)
        if not words:
            raise DataFormatError("empty text: no tokens")
        (words,) = self._truncate(words)
        fields: Dict[str, Field] = {
            "tokens": self._text_field(words),
            "metadata": MetadataField({"words": words}),
        }
        if label is not None:
            fields["label"] = TaskLabelField(self.label_text(label), label_namespace=self.label_namespace)
        return Instance(fields)


class TaggingTaskReader(TaskDatasetReader):
    """
    A `TaskDatasetReader` for sequence tagging: fields `tokens`, `tags` (in `label_namespace`)
    and `metadata` (`{"words": [...]}`).

    # Parameters

    tag_scheme : `str`, optional (default = `"original"`)
        `"original"` keeps the tags as in the file; `"IOB2"` (alias `"BIO"`) or `"BIOUL"`
        convert span tags (chunks, entities) from the file's scheme. Only for span tags: a
        reader of POS tags raises `ConfigurationError` for anything but `"original"`.
    **kwargs
        As `TaskDatasetReader`.
    """

    def __init__(self, tag_scheme: Optional[str] = "original", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tag_scheme = canonical_scheme(tag_scheme)
        if self.tag_scheme != "original" and self.source_scheme is None:
            raise ConfigurationError(
                f"tag_scheme {tag_scheme!r} converts span tags, but {type(self).__name__} reads "
                "tags without a span scheme here (e.g. POS tags); use tag_scheme \"original\""
            )

    @property
    def source_scheme(self) -> Optional[str]:
        """The span scheme of the tags in the file (`IOB1`/`IOB2`), or `None` (e.g. POS)."""
        return None

    def text_to_instance(  # type: ignore[override]
        self,
        tokens: Union[str, Sequence[str]],
        tags: Optional[Sequence[str]] = None,
        lines: Optional[Sequence[int]] = None,
    ) -> Instance:
        """
        `tokens` is a list of tokens or a raw sentence (split by the reader's tokenizer);
        `tags` (optional, for prediction) are in the file's scheme and are converted to
        `tag_scheme`. `lines` (one line number per token) only improves error messages.
        """
        words = self._tokenize(tokens)
        if not words:
            raise DataFormatError("empty sentence: no tokens", lines[0] if lines else None)
        tag_list: Optional[List[str]] = None
        if tags is not None:
            tag_list = [str(tag) for tag in tags]
            if len(tag_list) != len(words):
                raise DataFormatError(
                    f"{len(words)} tokens but {len(tag_list)} tags",
                    lines[0] if lines else None,
                )
        # Truncate before converting, so a span cut by max_tokens still ends well-formed.
        words, tag_list = self._truncate(words, tag_list)
        if tag_list is not None and self.source_scheme is not None:
            tag_list, repaired = convert_tags(tag_list, self.source_scheme, self.tag_scheme, lines)
            if repaired and self._stats is not None:
                self._stats.repaired_tags += repaired
        text_field = self._text_field(words)
        fields: Dict[str, Field] = {
            "tokens": text_field,
            "metadata": MetadataField({"words": words}),
        }
        if tag_list is not None:
            fields["tags"] = TaskSequenceLabelField(tag_list, text_field, self.label_namespace)
        return Instance(fields)


def check_source_scheme(name: Optional[str]) -> Optional[str]:
    """Canonical name of a file's span scheme (`IOB1`/`IOB2`), `None` for none."""
    if name is None:
        return None
    return canonical_scheme(name, SOURCE_SCHEMES)
