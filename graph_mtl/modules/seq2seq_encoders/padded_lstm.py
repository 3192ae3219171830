"""
`padded_lstm`: an LSTM `Seq2SeqEncoder` that runs `torch.nn.LSTM` on the padded batch instead of a
`PackedSequence`.

Why: allennlp's `lstm` (`PytorchSeq2SeqWrapper`) sorts and packs every batch. On CPU a packed
`nn.LSTM` does not use oneDNN's fused kernel but a per-step loop whose backward zero-fills a
full-size gradient for every step (`slice_backward`), so its cost is quadratic in the sentence
length: fwd+bwd of an LSTM-200 over 8 sentences took 29 / 197 / 565 / 5,985 ms packed and
12 / 29 / 84 / 204 ms padded at 50 / 150 / 400 / 1,000 tokens on this project's CPU (1 thread).
With length-bucketed batches (`graph_mtl_multitask`'s `bucketing`) the padding is ~6%, so
computing it costs less than packing saves.

The result is the packed LSTM's, exactly: padding comes after the tokens, so the left-to-right
states of the tokens never see it; a bidirectional encoder runs its right-to-left LSTM on each
row's tokens reversed in place (padding stays at the end) and reverses the outputs back. Outputs
are 0 on padding, as allennlp's wrapper returns them.
"""
from typing import Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2seq_encoders.seq2seq_encoder import Seq2SeqEncoder

from graph_mtl.modules.seq2seq_encoders.message_passing_encoder import gather_time, reverse_index
from graph_mtl.modules.task_batching import bool_mask, left_aligned_lengths


@Seq2SeqEncoder.register("padded_lstm")
class PaddedLstmSeq2SeqEncoder(Seq2SeqEncoder):
    """
    An LSTM over the padded batch (oneDNN's kernel on CPU, cuDNN on GPU), equal to allennlp's
    `lstm` encoder with the same weights and without its packing (see the module docstring).
    Masks must be left-aligned (tokens first, then padding), as every allennlp `TextField`
    mask is.

    Registered as a `Seq2SeqEncoder` with name "padded_lstm".

    # Parameters

    input_size : `int`
        Dimension of the inputs.
    hidden_size : `int`
        Hidden size of each direction.
    num_layers : `int`, optional (default = `1`)
        Stacked layers.
    bias : `bool`, optional (default = `True`)
    dropout : `float`, optional (default = `0.0`)
        Dropout on the outputs of every layer but the last (as `torch.nn.LSTM`'s `dropout`).
    bidirectional : `bool`, optional (default = `False`)
        Outputs are `[left-to-right; right-to-left]` states, `2 * hidden_size` wide. A
        unidirectional encoder is one `torch.nn.LSTM` (`_module`, the parameter names of
        allennlp's `lstm`); a bidirectional one has one single-layer `torch.nn.LSTM` per layer
        and direction (`_forward_layers`, `_backward_layers`).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__(stateful=False)
        if num_layers < 1:
            raise ConfigurationError(f"num_layers must be at least 1, got {num_layers}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigurationError(f"dropout must be in [0, 1), got {dropout}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self._module: Optional[torch.nn.LSTM] = None
        self._forward_layers: Optional[torch.nn.ModuleList] = None
        self._backward_layers: Optional[torch.nn.ModuleList] = None
        if bidirectional:
            sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
            self._forward_layers = torch.nn.ModuleList(
                torch.nn.LSTM(size, hidden_size, bias=bias, batch_first=True) for size in sizes
            )
            self._backward_layers = torch.nn.ModuleList(
                torch.nn.LSTM(size, hidden_size, bias=bias, batch_first=True) for size in sizes
            )
            self._dropout = torch.nn.Dropout(dropout) if dropout > 0 and num_layers > 1 else None
        else:
            self._module = torch.nn.LSTM(
                input_size, hidden_size, num_layers, bias=bias, batch_first=True, dropout=dropout
            )
            self._dropout = None

    def get_input_dim(self) -> int:
        return self.input_size

    def get_output_dim(self) -> int:
        return self.hidden_size * (2 if self.bidirectional else 1)

    def is_bidirectional(self) -> bool:
        return self.bidirectional

    def forward(self, inputs: torch.Tensor, mask: Optional[torch.BoolTensor] = None) -> torch.Tensor:
        """
        # Parameters

        inputs : `(batch, seq_len, input_size)`
        mask : `(batch, seq_len)`, True on tokens, which come before the padding.

        # Returns

        `(batch, seq_len, output_dim)`, 0 on padding.
        """
        mask = bool_mask(inputs, mask)
        lengths = left_aligned_lengths(mask, "padded_lstm")
        seq_len = inputs.size(1)
        # Nothing to compute beyond the longest sentence of the batch.
        length = max(int(lengths.max()), 1) if lengths.numel() else 1
        states = inputs[:, :length]
        if self._module is not None:
            states = self._module(states)[0]
        else:
            assert self._forward_layers is not None and self._backward_layers is not None
            reverse = reverse_index(lengths, length)
            for layer, (left, right) in enumerate(zip(self._forward_layers, self._backward_layers)):
                if layer > 0 and self._dropout is not None:
                    states = self._dropout(states)
                forward_states = left(states)[0]
                backward_states = gather_time(right(gather_time(states, reverse))[0], reverse)
                states = torch.cat([forward_states, backward_states], dim=-1)
        states = states * mask[:, :length].unsqueeze(-1).to(states.dtype)
        if length < seq_len:
            states = torch.nn.functional.pad(states, (0, 0, 0, seq_len - length))
        return states
