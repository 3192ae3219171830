"""
The FDU-MTL sentiment benchmark (Liu, Qiu & Huang 2017): 16 domains, one file per domain and
split, one `label<TAB>text` line per review.
"""
import logging
from typing import Any, List, Optional

from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from graph_mtl.data.dataset_readers.errors import DataFormatError
from graph_mtl.data.dataset_readers.task_reader import ClassificationTaskReader, Record
from graph_mtl.data.dataset_readers.text_files import read_lines

logger = logging.getLogger(__name__)


@DatasetReader.register("fdu_mtl")
class FduMtlDatasetReader(ClassificationTaskReader):
    """
    Reads one FDU-MTL domain file (`<domain>.task.train` or `.task.test`): one example per
    line, `label<TAB>text`, the label an integer (0 negative, 1 positive), the text lowercased
    and tokenized (split on any whitespace: imdb has double spaces, MR trailing ones).

    Instances: `tokens` (TextField), `label` (LabelField in `label_namespace`, the label as a
    string, `"0"`/`"1"`), `metadata` (`{"words": [...]}`).

    The standard dev split (the last 200 lines of `.task.train`; the rest is train) is read
    from the same file: write the data path as `books.task.train#train` and
    `books.task.train#dev`, or set `split`. The dev block is the last `dev_size` *lines*,
    unusable ones included, so the split never shifts.

    Encodings are mixed (MR files are Windows-1252, dvd.task.train has one broken UTF-8
    sequence): with `encoding: "auto"` each file reads without error, and every fallback is
    logged with its line numbers.

    Unusable lines (no tab, a label that is not an integer, no text as in
    sports_outdoors.task.train line 1121 `0<TAB>`) raise `DataFormatError`
    (`<file>:<line>: <problem>`) by default; with `on_bad_line: "skip"` they are skipped with a
    warning naming file and line.

    Registered as a `DatasetReader` with name "fdu_mtl".

    # Parameters

    label_namespace : `str`, optional (default = `"labels"`)
        Set it per task, e.g. `"books_labels"`.
    labels : `List[str]`, optional (default = `["0", "1"]`)
        The labels a line may have (FDU-MTL: 0 negative, 1 positive); anything else (`7`, `-1`,
        `01`, `+1`, `1.0`) is a `DataFormatError`, never a new class. `null`: any integer
        written plainly.
    dev_size : `int`, optional (default = `200`)
        Lines held out by the `dev` split.
    **kwargs
        The other parameters of `TaskDatasetReader`: `token_indexers`, `tokenizer`
        (default whitespace), `max_tokens`, `split`, `on_bad_line`, `encoding`,
        `max_instances`.
    """

    default_dev_size = 200

    def __init__(
        self,
        label_namespace: str = "labels",
        labels: Optional[List[str]] = ("0", "1"),  # type: ignore[assignment]
        **kwargs: Any,
    ) -> None:
        super().__init__(label_namespace=label_namespace, labels=labels, **kwargs)

    def _load_records(self, path: str, local_path: str) -> List[Record]:
        return [
            Record(number, line)
            for number, line in enumerate(read_lines(local_path, self.encoding), start=1)
        ]

    def _record_to_instance(self, record: Record) -> Instance:
        line: str = record.data
        label, tab, text = line.partition("\t")
        if not tab:
            shown = line if len(line) <= 40 else line[:40] + "..."
            raise DataFormatError(
                f"no tab between label and text (expected 'label<TAB>text'): {shown!r}",
                record.line,
            )
        label = label.strip()
        if self.labels is None and not (label.isascii() and label.lstrip("-").isdigit()
                                        and str(int(label)) == label):
            raise DataFormatError(f"label {label!r} is not an integer written plainly", record.line)
        if not text.strip():
            raise DataFormatError(
                f"empty text after label {label!r} (unusable example; set "
                'on_bad_line: "skip" to skip such lines with a warning)',
                record.line,
            )
        try:
            return self.text_to_instance(text, label)
        except DataFormatError as error:
            raise DataFormatError(error.problem, record.line)
