"""
Label fields that know where their labels came from: indexing a label the vocabulary does not
have (`allennlp evaluate` on a file with a label the model never saw) raises `DataFormatError`
naming the file, the line, the label and the labels the model knows, instead of allennlp's
bare `KeyError: '7'`.
"""
from typing import Dict, Optional, Tuple

from allennlp.data.fields import LabelField, SequenceLabelField
from allennlp.data.vocabulary import Vocabulary

from graph_mtl.data.dataset_readers.errors import DataFormatError


def _unknown(label: str, namespace: str, vocab: Vocabulary, source: Optional[Tuple[str, int]]) -> DataFormatError:
    known: Dict[str, int] = vocab.get_token_to_index_vocabulary(namespace)
    shown = sorted(known)[:20]
    more = f" and {len(known) - 20} more" if len(known) > 20 else ""
    file, line = source if source is not None else (None, None)
    return DataFormatError(
        f"label {label!r} is not one the model was trained with (its {namespace} are {shown}{more})",
        line,
        file,
    )


class TaskLabelField(LabelField):
    """A `LabelField` whose `source` (file, line) names the record it came from."""

    source: Optional[Tuple[str, int]] = None

    def index(self, vocab: Vocabulary) -> None:
        try:
            super().index(vocab)
        except KeyError:
            raise _unknown(str(self.label), self._label_namespace, vocab, self.source) from None


class TaskSequenceLabelField(SequenceLabelField):
    """A `SequenceLabelField` whose `source` (file, line) names the sentence it came from."""

    source: Optional[Tuple[str, int]] = None

    def index(self, vocab: Vocabulary) -> None:
        known = vocab.get_token_to_index_vocabulary(self._label_namespace)
        for tag in self.labels:
            if tag not in known:
                raise _unknown(str(tag), self._label_namespace, vocab, self.source)
        super().index(vocab)
