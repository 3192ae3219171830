"""
The shared part of a graph-mtl model: a token embedder and a sequence encoder. The encoder may be
a `MultiTaskEncoder` (DC-MTL, IC-MTL, SP-MTL, MT-CNN take the task of each instance) or a plain
`Seq2SeqEncoder` (FS-MTL's one shared LSTM).
"""
from typing import Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.data.vocabulary import DEFAULT_OOV_TOKEN
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
    word_dropout : `float`, optional (default = `0.0`)
        In training, each word id of the `word_dropout_indexer` indexer is replaced by the
        unknown word's id (`@@UNKNOWN@@` of `word_dropout_namespace`) with this probability (word
        dropout, Iyyer et al. 2015; Lample et al. 2016 replace singletons the same way). Without
        it the unknown word's embedding is never trained when the vocabulary holds every training
        word, so words unseen in training and without a pretrained vector meet an untrained
        vector at prediction time. Other indexers (characters) see the original tokens.
    word_dropout_indexer : `str`, optional (default = `"tokens"`)
        The token indexer whose ids `word_dropout` replaces.
    word_dropout_namespace : `str`, optional (default = `"tokens"`)
        That indexer's vocabulary namespace (it must have an unknown word).

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
        word_dropout: float = 0.0,
        word_dropout_indexer: str = "tokens",
        word_dropout_namespace: str = "tokens",
    ) -> None:
        super().__init__()
        if not 0.0 <= word_dropout < 1.0:
            raise ConfigurationError(f"word_dropout must be in [0, 1), got {word_dropout}")
        self._word_dropout = word_dropout
        self._word_dropout_indexer = word_dropout_indexer
        self._unknown_index: Optional[int] = None
        if word_dropout:
            if DEFAULT_OOV_TOKEN not in vocab.get_token_to_index_vocabulary(word_dropout_namespace):
                raise ConfigurationError(
                    f"word_dropout: the vocabulary namespace {word_dropout_namespace!r} has no "
                    f"{DEFAULT_OOV_TOKEN} token (a non-padded namespace, or the wrong name); "
                    f"set word_dropout_namespace to the words' namespace"
                )
            self._unknown_index = vocab.get_token_index(DEFAULT_OOV_TOKEN, word_dropout_namespace)
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

    def _drop_words(self, tokens: TextFieldTensors) -> TextFieldTensors:
        """`tokens` with each non-padding word id of the word-dropout indexer replaced by the
        unknown word's id with probability `word_dropout` (the other tensors as they are)."""
        if self._word_dropout_indexer not in tokens:
            raise ConfigurationError(
                f"word_dropout: the batch has no token indexer {self._word_dropout_indexer!r} "
                f"(it has {sorted(tokens)}); set word_dropout_indexer"
            )
        indexed = dict(tokens[self._word_dropout_indexer])
        key = "tokens" if "tokens" in indexed else next(iter(indexed))
        ids = indexed[key]
        dropped = (torch.rand(ids.shape, device=ids.device) < self._word_dropout) & (ids != 0)
        indexed[key] = ids.masked_fill(dropped, self._unknown_index)
        return {**tokens, self._word_dropout_indexer: indexed}

    def forward(  # type: ignore
        self, tokens: TextFieldTensors, task: Optional[List[str]] = None
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters

        tokens : `TextFieldTensors`, the batch's `tokens` field.
        task : `List[str]`, optional, the task name of each instance.
        """
        mask = util.get_text_field_mask(tokens)
        if self.training and self._word_dropout:
            tokens = self._drop_words(tokens)
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
