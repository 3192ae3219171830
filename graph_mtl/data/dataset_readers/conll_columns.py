"""
Column-formatted tagging files (CoNLL style): one token per line, columns separated by
whitespace or a delimiter, a blank line between sentences, optional `-DOCSTART-` lines.
"""
import logging
from typing import Any, List, Optional, Sequence, Tuple

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from graph_mtl.data.dataset_readers.errors import DataFormatError
from graph_mtl.data.dataset_readers.task_reader import Record, TaggingTaskReader, check_source_scheme
from graph_mtl.data.dataset_readers.text_files import read_lines

logger = logging.getLogger(__name__)

DOCSTART = "-DOCSTART-"


@DatasetReader.register("conll_columns")
class ConllColumnsDatasetReader(TaggingTaskReader):
    """
    Reads a column-formatted tagging file: one token per line, a blank line between sentences;
    lines whose first column is `-DOCSTART-` separate documents and are not tokens. Every
    token line must have exactly `len(columns)` columns, otherwise `DataFormatError` names
    file, line and both counts. One instance per sentence: `tokens` (the `word` column),
    `tags` (the `label_column`, in `label_namespace`) and `metadata` (`{"words": [...]}`).

    Registered as a `DatasetReader` with name "conll_columns"; `conll2000_tagging` and
    `conll2003_tagging` are this reader with the columns of those corpora fixed. Use it
    directly for other corpora, e.g. UD English-EWT's `word<TAB>tag` files:
    `{"type": "conll_columns", "columns": ["word", "tag"], "label_column": "tag",
    "delimiter": "\\t"}`.

    # Parameters

    columns : `List[str]`
        Required. Names of the columns in file order; one of them must be `"word"`.
    label_column : `str`
        Required. The column that gives the tags.
    source_scheme : `str`, optional (default = `None`)
        Span scheme of the label column (`"IOB1"` or `"IOB2"`), `None` for tags without spans
        (POS). Required for `tag_scheme` conversion; with it, every tag is checked.
    delimiter : `str`, optional (default = `None`)
        Column separator; `None` splits on any run of whitespace.
    tag_scheme : `str`, optional (default = `"original"`)
        `"original"`, `"IOB2"` (`"BIO"`) or `"BIOUL"`; see `TaggingTaskReader`.
    label_namespace : `str`, optional (default = `"labels"`)
        Set it per task, e.g. `"chunk_tags"`.
    **kwargs
        The other parameters of `TaskDatasetReader` (`token_indexers`, `tokenizer`,
        `max_tokens`, `split` with `dev_size` in sentences, `on_bad_line`, `encoding`, ...).
    """

    def __init__(
        self,
        columns: Optional[Sequence[str]] = None,
        label_column: Optional[str] = None,
        source_scheme: Optional[str] = None,
        delimiter: Optional[str] = None,
        tag_scheme: Optional[str] = "original",
        label_namespace: str = "labels",
        **kwargs: Any,
    ) -> None:
        # Both are required; they have a `None` default only so that the subclasses that fix
        # them (conll2000_tagging, conll2003_tagging) can be built from a config: AllenNLP's
        # from_params also asks a subclass taking **kwargs for its parent's required arguments.
        if columns is None or label_column is None:
            raise ConfigurationError("conll_columns needs both `columns` and `label_column`")
        self.columns = list(columns)
        if "word" not in self.columns:
            raise ConfigurationError(f"columns {self.columns} have no 'word' column")
        if label_column not in self.columns:
            raise ConfigurationError(
                f"label_column {label_column!r} is not one of the columns {self.columns}"
            )
        self.label_column = label_column
        self._source_scheme = check_source_scheme(source_scheme)
        self.delimiter = delimiter
        self._word_index = self.columns.index("word")
        self._label_index = self.columns.index(label_column)
        super().__init__(tag_scheme=tag_scheme, label_namespace=label_namespace, **kwargs)

    @property
    def source_scheme(self) -> Optional[str]:
        return self._source_scheme

    def _split_line(self, line: str) -> List[str]:
        if self.delimiter is None:
            return line.split()
        return [part.strip() for part in line.split(self.delimiter)]

    def _load_records(self, path: str, local_path: str) -> List[Record]:
        records: List[Record] = []
        sentence: List[Tuple[int, List[str]]] = []
        for number, line in enumerate(read_lines(local_path, self.encoding), start=1):
            if not line.strip():
                if sentence:
                    records.append(Record(sentence[0][0], sentence))
                    sentence = []
                continue
            parts = self._split_line(line)
            if parts[0] == DOCSTART:
                if sentence:
                    records.append(Record(sentence[0][0], sentence))
                    sentence = []
                continue
            sentence.append((number, parts))
        if sentence:
            records.append(Record(sentence[0][0], sentence))
        return records

    def _record_to_instance(self, record: Record) -> Instance:
        lines: List[int] = []
        words: List[str] = []
        tags: List[str] = []
        for number, parts in record.data:
            if len(parts) != len(self.columns):
                raise DataFormatError(
                    f"expected {len(self.columns)} columns ({' '.join(self.columns)}), found "
                    f"{len(parts)}: {' '.join(parts)!r}",
                    number,
                )
            if not parts[self._word_index] or not parts[self._label_index]:
                raise DataFormatError("empty word or tag column", number)
            lines.append(number)
            words.append(parts[self._word_index])
            tags.append(parts[self._label_index])
        return self.text_to_instance(words, tags, lines)
