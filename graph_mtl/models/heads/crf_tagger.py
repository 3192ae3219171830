"""
The output layer of a tagging task (eq. 12 of Liu et al. 2019): a linear-chain CRF over the
backbone's encoded sequence, with decoding constrained to the tag encoding's legal transitions.
"""
from typing import Any, Dict, List, Optional, cast

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.heads.head import Head
from allennlp.modules import FeedForward
from allennlp.modules.conditional_random_field import allowed_transitions
from allennlp.training.metrics import CategoricalAccuracy, SpanBasedF1Measure
from torch.nn import functional as F

from graph_mtl.models.heads.feature_head import FeatureHead
from graph_mtl.modules.conditional_random_field import ConditionalRandomField

ENCODINGS = ("BIO", "IOB1", "BIOUL", "BMES")


@Head.register("crf_tagger")
class CrfTaggerHead(FeatureHead):
    """
    A CRF tagging head for one task of a multi-task model.

    Registered as a `Head` with name "crf_tagger".

    # Parameters

    vocab : `Vocabulary`
        Gives the tag set (namespace `label_namespace`).
    input_dim : `int`
        The feature size of the backbone's `encoded_text`.
    label_namespace : `str`, optional (default = `"tags"`)
        The task's tag namespace; by the project conventions `<task>_tags`.
    label_encoding : `str`, optional (default = `None`)
        The tag encoding (`"BIOUL"`, `"BIO"`, `"IOB1"` or `"BMES"`). Needed for constrained
        decoding and span F1; leave it out for tag sets without spans (POS).
    constrain_crf_decoding : `bool`, optional (default = `None`)
        Restrict Viterbi decoding to the transitions `allowed_transitions(label_encoding)`
        permits (e.g. no `O -> L-PER` in BIOUL). Defaults to whether `label_encoding` is given.
    calculate_span_f1 : `bool`, optional (default = `None`)
        Report span precision/recall/F1 (`SpanBasedF1Measure`). Defaults to whether
        `label_encoding` is given.
    include_start_end_transitions : `bool`, optional (default = `True`)
        Whether the CRF learns start and end transition scores.
    feedforward : `FeedForward`, optional (default = `None`)
        Applied to every encoded token before the tag projection.
    dropout : `float`, optional (default = `0.0`)
        Dropout on the encoded tokens.
    loss_reduction : `str`, optional (default = `"mean"`)
        `"mean"`: the loss is the negative log-likelihood averaged over the sentences of the
        batch (comparable with the classifier's mean cross entropy in a multi-task sum);
        `"sum"`: summed, as allennlp-models' `CrfTagger` does.
    verbose_metrics : `bool`, optional (default = `False`)
        Also report the per-label span precision/recall/F1.

    No shipped config sets `calculate_span_f1`, `feedforward` or `verbose_metrics` (the paper's
    tagger is one projection and a CRF, scored by overall span F1); they stay so that this
    head offers the options of allennlp-models' `CrfTagger`, which has all three, under the
    same names.
    """

    default_predictor = "sentence_tagger"

    def __init__(
        self,
        vocab: Vocabulary,
        input_dim: int,
        label_namespace: str = "tags",
        label_encoding: Optional[str] = None,
        constrain_crf_decoding: Optional[bool] = None,
        calculate_span_f1: Optional[bool] = None,
        include_start_end_transitions: bool = True,
        feedforward: Optional[FeedForward] = None,
        dropout: float = 0.0,
        loss_reduction: str = "mean",
        verbose_metrics: bool = False,
    ) -> None:
        super().__init__(vocab, input_dim, feedforward, dropout)
        if label_encoding is not None and label_encoding not in ENCODINGS:
            raise ConfigurationError(
                f"Unknown label_encoding {label_encoding!r}; use one of {ENCODINGS}"
            )
        if loss_reduction not in ("mean", "sum"):
            raise ConfigurationError(f"loss_reduction must be 'mean' or 'sum', not {loss_reduction!r}")
        if constrain_crf_decoding is None:
            constrain_crf_decoding = label_encoding is not None
        if calculate_span_f1 is None:
            calculate_span_f1 = label_encoding is not None
        if (constrain_crf_decoding or calculate_span_f1) and label_encoding is None:
            raise ConfigurationError(
                "constrain_crf_decoding and calculate_span_f1 need a label_encoding"
            )
        self._label_namespace = label_namespace
        self._loss_reduction = loss_reduction
        self._verbose_metrics = verbose_metrics
        self._num_tags = vocab.get_vocab_size(label_namespace)
        self._tag_projection = torch.nn.Linear(self.feature_dim, self._num_tags)

        constraints = None
        if constrain_crf_decoding:
            labels = vocab.get_index_to_token_vocabulary(label_namespace)
            constraints = allowed_transitions(label_encoding, labels)
        self.crf = ConditionalRandomField(
            self._num_tags, constraints, include_start_end_transitions=include_start_end_transitions
        )
        self._accuracy = CategoricalAccuracy()
        self._span_f1 = (
            SpanBasedF1Measure(vocab, tag_namespace=label_namespace, label_encoding=label_encoding)
            if calculate_span_f1
            else None
        )

    def forward(  # type: ignore
        self,
        encoded_text: torch.Tensor,
        encoded_text_mask: torch.BoolTensor,
        tags: Optional[torch.LongTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
        ignore_loss_on_o_tags: bool = False,
    ) -> Dict[str, Any]:
        """
        # Parameters

        encoded_text : `torch.Tensor`, `(batch, seq_len, input_dim)`, from the backbone.
        encoded_text_mask : `torch.BoolTensor`, `(batch, seq_len)`.
        tags : `torch.LongTensor`, optional, `(batch, seq_len)` gold tag indices.
        metadata : `List[Dict[str, Any]]`, optional; its `words` are copied to the output.
        ignore_loss_on_o_tags : `bool`, optional (default = `False`)
            Compute the loss only on the tokens whose gold tag is not `O` (used by
            `predictions_to_labeled_instances`, for interpretation).

        # Returns

        `logits` `(batch, seq_len, num_tags)`, `mask`, `tags` (the Viterbi paths, lists of tag
        indices of each instance's length), `loss` when `tags` is given, `words` when
        `metadata` is given.
        """
        mask = encoded_text_mask
        if self._dropout is not None:
            encoded_text = self._dropout(encoded_text)
        if self._feedforward is not None:
            encoded_text = self._feedforward(encoded_text)
        logits = self._tag_projection(encoded_text)
        best_paths = self.crf.viterbi_tags(logits, mask)
        predicted_tags = cast(List[List[int]], [path for path, _score in best_paths])
        output: Dict[str, Any] = {"logits": logits, "mask": mask, "tags": predicted_tags}

        if tags is not None:
            crf_mask = mask
            if ignore_loss_on_o_tags:
                o_index = self.vocab.get_token_index("O", namespace=self._label_namespace)
                crf_mask = mask & (tags != o_index)
            log_likelihood = self.crf(logits, tags, crf_mask)
            loss = -log_likelihood
            if self._loss_reduction == "mean":
                loss = loss / max(logits.size(0), 1)
            output["loss"] = loss

            # The Viterbi paths as one-hot "class probabilities" (0 on padding), for the metrics.
            padded = [path + [0] * (logits.size(1) - len(path)) for path in predicted_tags]
            paths = torch.tensor(padded, dtype=torch.long, device=logits.device).view(logits.shape[:2])
            predictions = F.one_hot(paths, self._num_tags).to(logits.dtype) * mask.unsqueeze(-1)
            self._accuracy(predictions, tags, mask)
            if self._span_f1 is not None:
                self._span_f1(predictions, tags, mask)
        if metadata is not None:
            output["words"] = [instance_metadata.get("words") for instance_metadata in metadata]
        return output

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """Replaces `tags` (lists of tag indices) by lists of tag strings."""
        tags = output_dict.get("tags")
        if tags is None:
            return output_dict
        index_to_tag = self.vocab.get_index_to_token_vocabulary(self._label_namespace)

        def decode(sequence: Any) -> List[str]:
            return [
                tag if isinstance(tag, str) else index_to_tag[int(tag)] for tag in sequence
            ]

        output_dict["tags"] = [decode(sequence) for sequence in tags]
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        metrics = {"accuracy": self._accuracy.get_metric(reset)}
        if self._span_f1 is not None:
            span_metrics = self._span_f1.get_metric(reset)
            if self._verbose_metrics:
                metrics.update(span_metrics)
            else:
                metrics.update(
                    {key: value for key, value in span_metrics.items() if "overall" in key}
                )
        return metrics
