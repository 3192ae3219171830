"""Helpers shared by the heads."""
from typing import Optional

from allennlp.common.checks import ConfigurationError
from allennlp.modules import FeedForward


def feedforward_output_dim(feedforward: Optional[FeedForward], input_dim: int) -> int:
    """
    The size of a head's features after its optional `feedforward`, which must read `input_dim`.

    # Parameters

    feedforward : `FeedForward`, optional
        The head's feedforward, or `None`.
    input_dim : `int`
        The feature size of the backbone's `encoded_text`.

    # Returns

    `feedforward.get_output_dim()`, or `input_dim` without a feedforward. Raises
    `ConfigurationError` if the feedforward's input dimension is not `input_dim`.
    """
    if feedforward is None:
        return input_dim
    if feedforward.get_input_dim() != input_dim:
        raise ConfigurationError(
            f"feedforward input dim {feedforward.get_input_dim()} != input_dim {input_dim}"
        )
    return feedforward.get_output_dim()
