"""CoNLL-2003 English NER in its original layout: `word POS chunk NER`, IOB1, `-DOCSTART-`."""
from typing import Any, Optional

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from graph_mtl.data.dataset_readers.conll_columns import ConllColumnsDatasetReader


@DatasetReader.register("conll2003_tagging")
class Conll2003DatasetReader(ConllColumnsDatasetReader):
    """
    Reads the original CoNLL-2003 files (`eng.train`, `eng.testa` = dev, `eng.testb` = test):
    `word POS chunk NER`, one token per line, a blank line between sentences, and
    `-DOCSTART- -X- O O` lines between documents (skipped: they are not sentences). Chunk and
    NER tags are IOB1 (`I-` everywhere, `B-` only between two adjacent spans of one type).
    One instance per sentence (eng.train: 14,041).

    Unlike allennlp's `conll2003` reader, malformed lines raise `DataFormatError` with file and
    line, tags are checked, and the label namespace is set per task.

    Registered as a `DatasetReader` with name "conll2003_tagging".

    # Parameters

    label_column : `str`, optional (default = `"ner"`)
        `"ner"`, `"chunk"` or `"pos"`.
    tag_scheme : `str`, optional (default = `"original"`)
        For NER and chunks: `"original"` (IOB1, as in the file), `"IOB2"`/`"BIO"` or
        `"BIOUL"`. POS tags accept only `"original"`.
    label_namespace : `str`, optional (default = `"labels"`)
        Set it per task, e.g. `"ner_tags"`.
    **kwargs
        As `TaskDatasetReader` (`token_indexers`, `max_tokens`, `split`, `dev_size`,
        `on_bad_line`, `encoding`, ...).
    """

    def __init__(
        self,
        label_column: str = "ner",
        tag_scheme: Optional[str] = "original",
        label_namespace: str = "labels",
        **kwargs: Any,
    ) -> None:
        if label_column not in ("ner", "chunk", "pos"):
            raise ConfigurationError(
                "conll2003_tagging: label_column must be 'ner', 'chunk' or 'pos', got "
                f"{label_column!r}"
            )
        super().__init__(
            columns=["word", "pos", "chunk", "ner"],
            label_column=label_column,
            source_scheme=None if label_column == "pos" else "IOB1",
            tag_scheme=tag_scheme,
            label_namespace=label_namespace,
            **kwargs,
        )
