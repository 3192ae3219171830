"""
The shared part of a graph-mtl model: a token embedder and a sequence encoder. The encoder may be
task-aware (DC-MTL, IC-MTL, SP-MTL, MT-CNN take the task of each instance) or not (FS-MTL's one
shared LSTM).
"""
import inspect
from typing import Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.modules import Backbone, Seq2SeqEncoder, TextFieldEmbedder
from allennlp.nn import util

ATTENTION_KEYS_DOC = "alpha, beta, alpha_backward, beta_backward (see docs/CONVENTIONS.md)"


def forward_declares(module: torch.nn.Module, argument: str) -> bool:
    """Whether `module.forward` has a parameter named `argument`."""
    return argument in inspect.signature(module.forward).parameters


@Backbone.register("graph_mtl")
class GraphMtlBackbone(Backbone):
    """
    Embeds the `tokens` of a batch and runs the encoder over them.

    Registered as a `Backbone` with name "graph_mtl".

    * If the encoder's `forward` declares a `task` argument, the backbone passes it the task
      name of every instance (the `MultiTaskModel` gives the backbone the `task` list because
      this `forward` declares it). Mixed-task batches are allowed.
    * If the encoder has `get_attention()`, its dictionary (`alpha`, `beta`, ...) is copied into
      the outputs under the same keys.
    * If the encoder has `get_aux_loss()` and it returns a tensor, it is output as `aux_loss`;
      the `graph_mtl` model adds it to the task losses (SP-MTL's adversarial and orthogonality
      terms).

    # Parameters

    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        The (shared) lookup table.
    encoder : `Seq2SeqEncoder`
        Any AllenNLP `Seq2SeqEncoder`, task-aware or not.
    embedding_dropout : `float`, optional (default = `0.0`)
        Dropout on the embedded tokens.
    encoder_dropout : `float`, optional (default = `0.0`)
        Dropout on the encoded tokens.

    # Outputs

    `encoded_text` `(batch, seq_len, encoder output dim)`, `encoded_text_mask`
    `(batch, seq_len)`, the encoder's attention tensors and `aux_loss` when it has them.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        encoder: Seq2SeqEncoder,
        embedding_dropout: float = 0.0,
        encoder_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if text_field_embedder.get_output_dim() != encoder.get_input_dim():
            raise ConfigurationError(
                f"text field embedder output dim {text_field_embedder.get_output_dim()} != "
                f"encoder input dim {encoder.get_input_dim()}"
            )
        self.vocab = vocab
        self._text_field_embedder = text_field_embedder
        self._encoder = encoder
        self._embedding_dropout = torch.nn.Dropout(embedding_dropout) if embedding_dropout else None
        self._encoder_dropout = torch.nn.Dropout(encoder_dropout) if encoder_dropout else None
        self._encoder_takes_task = forward_declares(encoder, "task")

    @property
    def encoder(self) -> Seq2SeqEncoder:
        return self._encoder

    @property
    def text_field_embedder(self) -> TextFieldEmbedder:
        return self._text_field_embedder

    def get_output_dim(self) -> int:
        return self._encoder.get_output_dim()

    def forward(  # type: ignore
        self, tokens: TextFieldTensors, task: Optional[List[str]] = None
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters

        tokens : `TextFieldTensors`, the batch's `tokens` field.
        task : `List[str]`, optional, the task name of each instance.
        """
        mask = util.get_text_field_mask(tokens)
        embedded = self._text_field_embedder(tokens)
        if self._embedding_dropout is not None:
            embedded = self._embedding_dropout(embedded)
        if self._encoder_takes_task:
            encoded = self._encoder(embedded, mask, task=task)
        else:
            encoded = self._encoder(embedded, mask)
        if self._encoder_dropout is not None:
            encoded = self._encoder_dropout(encoded)

        outputs: Dict[str, torch.Tensor] = {"encoded_text": encoded, "encoded_text_mask": mask}
        get_attention = getattr(self._encoder, "get_attention", None)
        if callable(get_attention):
            for key, value in (get_attention() or {}).items():
                if value is not None:
                    outputs[key] = value
        get_aux_loss = getattr(self._encoder, "get_aux_loss", None)
        if callable(get_aux_loss):
            aux_loss = get_aux_loss()
            if aux_loss is not None:
                outputs["aux_loss"] = aux_loss
        return outputs
