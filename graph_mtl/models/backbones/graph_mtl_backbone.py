"""
The shared part of a graph-mtl model: a token embedder and a sequence encoder. The encoder may be
a `MultiTaskEncoder` (DC-MTL, IC-MTL, SP-MTL, MT-CNN take the task of each instance) or a plain
`Seq2SeqEncoder` (FS-MTL's one shared LSTM).
"""
from typing import Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.modules import Backbone, Seq2SeqEncoder, TextFieldEmbedder
from allennlp.nn import util

from graph_mtl.modules.seq2seq_encoders.multitask_encoder import MultiTaskEncoder


@Backbone.register("graph_mtl")
class GraphMtlBackbone(Backbone):
    """
    Embeds the `tokens` of a batch and runs the encoder over them.

    Registered as a `Backbone` with name "graph_mtl".

    * If the encoder is a `MultiTaskEncoder`, the backbone passes it the task name of every
      instance (the `MultiTaskModel` gives the backbone the `task` list because this `forward`
      declares it; mixed-task batches are allowed), copies its `get_attention()` (`alpha`,
      `beta`, ...) into the outputs under the same keys and outputs its `get_aux_loss()`, when
      not `None`, as `aux_loss`; the `graph_mtl` model adds that to the task losses (SP-MTL's
      adversarial and orthogonality terms).
    * Any other `Seq2SeqEncoder` is called as `encoder(embedded, mask)`.

    # Parameters

    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        The (shared) lookup table.
    encoder : `Seq2SeqEncoder`
        A `MultiTaskEncoder`, or any AllenNLP `Seq2SeqEncoder` (task-unaware).
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
        multi_task = isinstance(self._encoder, MultiTaskEncoder)
        encoded = self._encoder(embedded, mask, task=task) if multi_task else self._encoder(embedded, mask)
        if self._encoder_dropout is not None:
            encoded = self._encoder_dropout(encoded)

        outputs: Dict[str, torch.Tensor] = {"encoded_text": encoded, "encoded_text_mask": mask}
        if multi_task:
            outputs.update(self._encoder.get_attention())
            aux_loss = self._encoder.get_aux_loss()
            if aux_loss is not None:
                outputs["aux_loss"] = aux_loss
        return outputs
