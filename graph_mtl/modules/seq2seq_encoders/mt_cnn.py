"""
MT-CNN, the multi-task convolutional baseline of Collobert & Weston (ICML 2008, "A Unified
Architecture for Natural Language Processing"): the lookup table (the backbone's embedder) is
shared by all tasks, the convolutional layers above it are task-specific, and each task has its
own output layer (its head; max pooling over time for a sentence classifier, as in the paper).

Each convolution is a window of `window_size` tokens (odd, centred on the token) with
"same" padding, so the output has one vector per token; padding positions are zeroed before
every layer so they never leak into the windows of real tokens. `shared_layers` > 0 shares the
first layers across tasks too.
"""
from typing import List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2seq_encoders.seq2seq_encoder import Seq2SeqEncoder
from allennlp.nn import Activation

from graph_mtl.modules.seq2seq_encoders.multitask_encoder import MultiTaskEncoder
from graph_mtl.modules.seq2seq_encoders.shared_private import encode_by_task


class ConvolutionStack(torch.nn.Module):
    """`num_layers` masked 1-d convolutions with "same" padding and an activation."""

    def __init__(
        self, input_dim: int, num_filters: int, num_layers: int, window_size: int,
        activation: Activation, dropout: float,
    ) -> None:
        super().__init__()
        dims = [input_dim] + [num_filters] * num_layers
        self.convolutions = torch.nn.ModuleList(
            torch.nn.Conv1d(dims[i], dims[i + 1], window_size, padding=window_size // 2)
            for i in range(num_layers)
        )
        self.activation = activation
        self.dropout = torch.nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, inputs: torch.Tensor, mask: torch.BoolTensor) -> torch.Tensor:
        outputs = inputs
        keep = mask.unsqueeze(-1)
        for convolution in self.convolutions:
            outputs = outputs * keep
            if self.dropout is not None:
                outputs = self.dropout(outputs)
            outputs = self.activation(convolution(outputs.transpose(1, 2)).transpose(1, 2))
        return outputs * keep


@Seq2SeqEncoder.register("mt_cnn")
class MultiTaskCnnEncoder(MultiTaskEncoder):
    """
    Task-specific convolutional layers over a shared lookup table.

    Registered as a `Seq2SeqEncoder` with name "mt_cnn".

    # Parameters

    tasks : `List[str]`
    input_dim : `int`
    hidden_dim : `int`
        Number of filters of every convolutional layer (the output dimension).
    num_layers : `int`, optional (default = `1`)
        Convolutional layers per task (after the shared ones).
    window_size : `int`, optional (default = `3`)
        Odd window width of the convolutions.
    shared_layers : `int`, optional (default = `0`)
        Convolutional layers shared by all tasks, below the task-specific ones.
    activation : `Activation`, optional (default = `"tanh"`)
    dropout : `float`, optional (default = `0.0`)
        On the input of every convolutional layer.
    """

    encoder_name = "mt_cnn"

    def __init__(
        self,
        tasks: List[str],
        input_dim: int,
        hidden_dim: int,
        num_layers: int = 1,
        window_size: int = 3,
        shared_layers: int = 0,
        activation: Optional[Activation] = None,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(tasks, input_dim, hidden_dim)
        if window_size < 1 or window_size % 2 == 0:
            raise ConfigurationError(f"window_size must be odd, got {window_size}")
        if num_layers < 1 or shared_layers < 0:
            raise ConfigurationError("mt_cnn needs num_layers >= 1 and shared_layers >= 0")
        activation = activation or Activation.by_name("tanh")()
        self.shared = (
            ConvolutionStack(input_dim, hidden_dim, shared_layers, window_size, activation, dropout)
            if shared_layers
            else None
        )
        private_input = hidden_dim if shared_layers else input_dim
        self.private = torch.nn.ModuleDict(
            {
                task: ConvolutionStack(private_input, hidden_dim, num_layers, window_size, activation, dropout)
                for task in self.tasks
            }
        )

    def get_output_dim(self) -> int:
        return self.hidden_dim

    def encode(self, inputs: torch.Tensor, mask: torch.BoolTensor, task_ids: List[int]) -> torch.Tensor:
        """`(batch, seq_len, hidden_dim)`, 0 on padding (see `MultiTaskEncoder.forward`)."""
        batch, seq_len, _ = inputs.shape
        if self.shared is not None:
            inputs = self.shared(inputs, mask)
        return encode_by_task(
            self.private, self.tasks, task_ids, inputs, mask,
            inputs.new_zeros(batch, seq_len, self.hidden_dim),
        )
