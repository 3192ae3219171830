"""CoNLL-2000 chunking: `word POS chunk` lines, chunk tags in IOB2."""
from typing import Any, Optional

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from graph_mtl.data.dataset_readers.conll_columns import ConllColumnsDatasetReader


@DatasetReader.register("conll2000_tagging")
class Conll2000DatasetReader(ConllColumnsDatasetReader):
    """
    Reads CoNLL-2000 chunking files (`train.txt`, `test.txt`): `word POS chunk`, one token per
    line, a blank line between sentences; chunk tags in IOB2 (`B-NP`, `I-NP`, `O`). The POS
    column comes from the Brill tagger (not gold).

    There is no dev file: carve one out of `train.txt` with `dev_size` (sentences) and the data
    paths `train.txt#train` / `train.txt#dev`.

    Registered as a `DatasetReader` with name "conll2000_tagging".

    # Parameters

    label_column : `str`, optional (default = `"chunk"`)
        `"chunk"` or `"pos"`.
    tag_scheme : `str`, optional (default = `"original"`)
        For chunks: `"original"` (IOB2 as in the file), `"IOB2"`/`"BIO"` or `"BIOUL"`. POS
        tags accept only `"original"`.
    label_namespace : `str`, optional (default = `"labels"`)
        Set it per task, e.g. `"chunk_tags"`.
    **kwargs
        As `TaskDatasetReader` (`token_indexers`, `max_tokens`, `split`, `dev_size`,
        `on_bad_line`, `encoding`, ...).
    """

    def __init__(
        self,
        label_column: str = "chunk",
        tag_scheme: Optional[str] = "original",
        label_namespace: str = "labels",
        **kwargs: Any,
    ) -> None:
        if label_column not in ("chunk", "pos"):
            raise ConfigurationError(
                f"conll2000_tagging: label_column must be 'chunk' or 'pos', got {label_column!r}"
            )
        super().__init__(
            columns=["word", "pos", "chunk"],
            label_column=label_column,
            source_scheme="IOB2" if label_column == "chunk" else None,
            tag_scheme=tag_scheme,
            label_namespace=label_namespace,
            **kwargs,
        )
