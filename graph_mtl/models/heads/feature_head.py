"""The part of a head that reads the backbone's features (shared by the heads of this package)."""
from typing import Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.heads.head import Head
from allennlp.modules import FeedForward


class FeatureHead(Head):
    """
    Base of the heads (not registered itself): the feature size of the backbone's `encoded_text`,
    an optional `feedforward` over the features and dropout on them (each head decides where
    it applies them).

    # Parameters

    vocab : `Vocabulary`
    input_dim : `int`
        The feature size of the backbone's `encoded_text`.
    feedforward : `FeedForward`, optional (default = `None`)
        Must read `input_dim`; the features the head's output layer reads then have its output
        size (`self.feature_dim`).
    dropout : `float`, optional (default = `0.0`)

    Raises `ConfigurationError` if the feedforward's input dimension is not `input_dim`.
    """

    def __init__(
        self, vocab: Vocabulary, input_dim: int, feedforward: Optional[FeedForward] = None, dropout: float = 0.0
    ) -> None:
        super().__init__(vocab)
        if feedforward is not None and feedforward.get_input_dim() != input_dim:
            raise ConfigurationError(
                f"feedforward input dim {feedforward.get_input_dim()} != input_dim {input_dim}"
            )
        self._input_dim = input_dim
        self._feedforward = feedforward
        self._dropout = torch.nn.Dropout(dropout) if dropout > 0 else None
        self.feature_dim = input_dim if feedforward is None else feedforward.get_output_dim()

    def get_input_dim(self) -> int:
        return self._input_dim
