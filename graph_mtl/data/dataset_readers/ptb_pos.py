"""Penn Treebank POS in `word_TAG` form: one sentence per line (e.g. `Secs19-21 - development`)."""
from typing import Any, List, Optional, Sequence

from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from graph_mtl.data.dataset_readers.errors import DataFormatError
from graph_mtl.data.dataset_readers.task_reader import Record, TaggingTaskReader
from graph_mtl.data.dataset_readers.text_files import read_lines

TRACE_TAG = "-NONE-"


@DatasetReader.register("ptb_pos")
class PtbPosDatasetReader(TaggingTaskReader):
    """
    Reads PTB POS files with one sentence per line, tokens separated by whitespace, each token
    `word_TAG`, split on the **last** `_` (so a word may contain `_`). Blank lines are ignored.
    Tokens tagged with one of `drop_tags` (trace elements, `-NONE-`) are dropped. A token
    without `_`, or with an empty word or tag, raises `DataFormatError` naming file, line and
    token. One instance per line: `tokens`, `tags` (in `label_namespace`), `metadata`
    (`{"words": [...]}`).

    Registered as a `DatasetReader` with name "ptb_pos".

    # Parameters

    label_namespace : `str`, optional (default = `"labels"`)
        Set it per task, e.g. `"pos_tags"`.
    drop_tags : `List[str]`, optional (default = `["-NONE-"]`)
        Tokens with these tags are removed.
    separator : `str`, optional (default = `"_"`)
        Between word and tag.

    No shipped config sets `drop_tags` or `separator` (the paper's PTB files use the
    defaults); they stay for the other releases of tagged PTB text (`word/TAG`; traces kept
    or more tags dropped).
    **kwargs
        As `TaskDatasetReader` (`token_indexers`, `max_tokens`, `split`, `dev_size` in
        sentences, `on_bad_line`, `encoding`, ...). `tag_scheme` must stay `"original"`.
    """

    def __init__(
        self,
        label_namespace: str = "labels",
        drop_tags: Optional[Sequence[str]] = (TRACE_TAG,),
        separator: str = "_",
        **kwargs: Any,
    ) -> None:
        super().__init__(label_namespace=label_namespace, **kwargs)
        self.drop_tags = set(drop_tags or ())
        self.separator = separator

    def _load_records(self, path: str, local_path: str) -> List[Record]:
        return [
            Record(number, line)
            for number, line in enumerate(read_lines(local_path, self.encoding), start=1)
            if line.strip()
        ]

    def _record_to_instance(self, record: Record) -> Instance:
        words: List[str] = []
        tags: List[str] = []
        for position, token in enumerate(record.data.split(), start=1):
            word, separator, tag = token.rpartition(self.separator)
            if not separator or not word or not tag:
                raise DataFormatError(
                    f"token {position} {token!r} is not word{self.separator}TAG", record.line
                )
            if tag in self.drop_tags:
                continue
            words.append(word)
            tags.append(tag)
        if not words:
            raise DataFormatError("sentence has no tokens besides dropped tags", record.line)
        return self.text_to_instance(words, tags, [record.line] * len(words))
