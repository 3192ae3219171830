"""
The output layer of a classification task (eq. 12 of Liu et al. 2019): a softmax classifier on a
sentence representation pooled from the backbone's encoded sequence.
"""
from typing import Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.heads.head import Head
from allennlp.modules import FeedForward
from allennlp.nn import util
from allennlp.training.metrics import CategoricalAccuracy

from graph_mtl.models.heads.feature_head import FeatureHead

POOLINGS = ("last", "max", "mean")


def pool_sequence(
    encoded_text: torch.Tensor, mask: torch.BoolTensor, pooling: str, bidirectional: bool = False
) -> torch.Tensor:
    """
    Turns `(batch, seq_len, dim)` into `(batch, dim)`, ignoring padding.

    `last` is the state at the last unpadded position; with `bidirectional`, the first half of
    the features is taken at the last position and the second half (the backward direction) at
    the first position. `max` and `mean` pool over the unpadded positions.
    """
    if pooling == "last":
        return util.get_final_encoder_states(encoded_text, mask, bidirectional=bidirectional)
    if pooling == "max":
        pooled = util.masked_max(encoded_text, mask.unsqueeze(-1), dim=1)
        # An all-padding row (an empty sentence) gives -inf features: use zeros instead.
        return pooled.masked_fill(~mask.any(dim=1, keepdim=True), 0.0)
    if pooling == "mean":
        return util.masked_mean(encoded_text, mask.unsqueeze(-1), dim=1)
    raise ConfigurationError(f"Unknown pooling {pooling!r}; use one of {POOLINGS}")


@Head.register("text_classifier")
class TextClassifierHead(FeatureHead):
    """
    A softmax classifier over a pooled sentence representation, for one task of a multi-task
    model (the task is the head's name in the model's `heads`).

    Registered as a `Head` with name "text_classifier".

    # Parameters

    vocab : `Vocabulary`
        Gives the number of labels (size of `label_namespace`) and, in
        `make_output_human_readable`, the label strings.
    input_dim : `int`
        The feature size of the backbone's `encoded_text`.
    pooling : `str`, optional (default = `"last"`)
        How the sentence representation is taken from the sequence: `"last"` (the hidden state
        at the last token, as in the paper), `"max"` or `"mean"` over the tokens.
    bidirectional : `bool`, optional (default = `False`)
        With `pooling="last"`: the encoder is bidirectional, so take the backward half of the
        features at the first token.
    feedforward : `FeedForward`, optional (default = `None`)
        Applied to the pooled vector before the output layer.
    dropout : `float`, optional (default = `0.0`)
        Dropout on the pooled vector (and before the output layer).
    label_namespace : `str`, optional (default = `"labels"`)
        The task's label namespace; by the project conventions `<task>_labels`.
    num_labels : `int`, optional (default = `None`)
        Number of classes; by default the size of `label_namespace`.

    No shipped config sets `feedforward` or `num_labels` (the paper's classifier is one output
    layer over the vocabulary's labels); they stay so that this head offers the options of
    allennlp's `ClassifierHead` (allennlp.models.heads), which has both, under the same names.
    """

    default_predictor = "text_classifier"

    def __init__(
        self,
        vocab: Vocabulary,
        input_dim: int,
        pooling: str = "last",
        bidirectional: bool = False,
        feedforward: Optional[FeedForward] = None,
        dropout: float = 0.0,
        label_namespace: str = "labels",
        num_labels: Optional[int] = None,
    ) -> None:
        super().__init__(vocab, input_dim, feedforward, dropout)
        if pooling not in POOLINGS:
            raise ConfigurationError(f"Unknown pooling {pooling!r}; use one of {POOLINGS}")
        self._pooling = pooling
        self._bidirectional = bidirectional
        self._label_namespace = label_namespace
        self._num_labels = num_labels or vocab.get_vocab_size(label_namespace)
        self._output_layer = torch.nn.Linear(self.feature_dim, self._num_labels)
        self._accuracy = CategoricalAccuracy()
        self._loss = torch.nn.CrossEntropyLoss()

    def forward(  # type: ignore
        self,
        encoded_text: torch.Tensor,
        encoded_text_mask: torch.BoolTensor,
        label: Optional[torch.IntTensor] = None,
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters

        encoded_text : `torch.Tensor`, `(batch, seq_len, input_dim)`, from the backbone.
        encoded_text_mask : `torch.BoolTensor`, `(batch, seq_len)`.
        label : `torch.IntTensor`, optional, `(batch,)` gold label indices.

        # Returns

        `logits` and `probs`, `(batch, num_labels)`; `loss` (mean cross entropy) when `label`
        is given.
        """
        encoding = pool_sequence(encoded_text, encoded_text_mask, self._pooling, self._bidirectional)
        if self._dropout is not None:
            encoding = self._dropout(encoding)
        if self._feedforward is not None:
            encoding = self._feedforward(encoding)
            if self._dropout is not None:
                encoding = self._dropout(encoding)
        logits = self._output_layer(encoding)
        output = {"logits": logits, "probs": torch.nn.functional.softmax(logits, dim=-1)}
        if label is not None:
            output["loss"] = self._loss(logits, label.long().view(-1))
            self._accuracy(logits, label)
        return output

    def make_output_human_readable(
        self, output_dict: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """Adds `label`: the most probable label string of each instance (if `probs` is there)."""
        probs = output_dict.get("probs")
        if probs is None:
            return output_dict
        if not isinstance(probs, torch.Tensor):
            probs = torch.as_tensor(probs)
        if probs.dim() == 1:
            probs = probs.unsqueeze(0)
        index_to_label = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
        labels: List[str] = [
            index_to_label.get(int(index), str(int(index))) for index in probs.argmax(dim=-1)
        ]
        output_dict["label"] = labels
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return {"accuracy": self._accuracy.get_metric(reset)}
