"""
The graph-mtl model: AllenNLP's `MultiTaskModel` with the fixes and additions the paper's
training objective needs.

* Loss = sum_k lambda_k L_k (eq. 14) over the tasks present in the batch, plus the backbone's
  auxiliary loss (`aux_loss`, e.g. SP-MTL's adversarial and orthogonality terms).
* Inputs are sliced per head without mutating the batch: allennlp 2.10.1 writes the sliced
  tensors of the first head back into the shared `TextFieldTensors` dict, so a second head that
  reads a text field in a mixed-task batch gets the wrong rows (allennlp issue #5331).
* Arguments that are not per-instance (a `FlagField` batch is one bool) are passed through
  unsliced instead of crashing.
* `make_output_human_readable` gives each head only the keys of its own `<task>_` prefix
  (allennlp matches on the bare head name, so a head `pos` would also see `position_*`;
  the longest matching head name wins).
* `get_metrics` adds task averages (`average_accuracy`, ...) for `validation_metric`.
"""
import logging
from typing import Any, Dict, List, Mapping, Optional, Set

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.heads import Head
from allennlp.models.model import Model
from allennlp.models.multitask import MultiTaskModel
from allennlp.modules import Backbone
from allennlp.nn import InitializerApplicator

from graph_mtl.modules.seq2seq_encoders.multitask_encoder import MultiTaskEncoder
from graph_mtl.training import progress
from graph_mtl.training.metrics import TaskAverage, aggregate_task_metrics, default_task_averages

logger = logging.getLogger(__name__)


def select_instances(value: Any, indices: torch.LongTensor, batch_size: int) -> Any:
    """
    The rows `indices` of a batched model input, built as new objects (the input is not
    modified). Tensors and lists whose first dimension is the batch are sliced; dicts (such as
    `TextFieldTensors`) are sliced recursively; anything else is returned unchanged.
    """
    if isinstance(value, torch.Tensor):
        if value.dim() == 0 or value.size(0) != batch_size:
            return value
        return value.index_select(0, indices.to(value.device))
    if isinstance(value, Mapping):
        return {key: select_instances(item, indices, batch_size) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and len(value) == batch_size:
        return [value[i] for i in indices.tolist()]
    return value


@Model.register("graph_mtl")
class GraphMtlModel(MultiTaskModel):
    """
    A multi-task model: one backbone (`graph_mtl`: embedder + shared or task-aware encoder)
    and one head per task, named by the task.

    Registered as a `Model` with name "graph_mtl".

    # Parameters

    vocab : `Vocabulary`
    backbone : `Backbone`
    heads : `Dict[str, Head]`
        One head per task; the key is the task name carried by the instances' `task` field.
    loss_weights : `Dict[str, float]`, optional (default = `1.0` for every task)
        lambda_k of eq. 14. Tasks left out get weight 1.
    aux_loss_weight : `float`, optional (default = `1.0`)
        Multiplies the backbone's `aux_loss` before it is added to the task losses (the
        encoder itself weights its own terms).
    task_averages : `Dict[str, TaskAverage]`, optional
        Aggregate metrics added to `get_metrics`, keyed by the name they are reported under;
        default `average_accuracy`, `average_error` (1 - average accuracy) and `average_f1`
        (over heads with span F1).
    arg_name_mapping, allowed_arguments : see allennlp's `MultiTaskModel`. No shipped config
        sets them (the heads take the backbone's outputs by their own names); they stay
        because they are `MultiTaskModel`'s, which this model extends and passes them to.
    initializer : `InitializerApplicator`, optional

    The default predictor is `graph_mtl` (graph_mtl.predictors: input order, attention
    weights); allennlp's `multitask` predictor also works, through each head's
    `default_predictor` (`text_classifier`, `sentence_tagger`).
    """

    default_predictor = "graph_mtl"

    def __init__(
        self,
        vocab: Vocabulary,
        backbone: Backbone,
        heads: Dict[str, Head],
        *,
        loss_weights: Optional[Dict[str, float]] = None,
        aux_loss_weight: float = 1.0,
        task_averages: Optional[Dict[str, TaskAverage]] = None,
        arg_name_mapping: Optional[Dict[str, Dict[str, str]]] = None,
        allowed_arguments: Optional[Dict[str, Set[str]]] = None,
        initializer: InitializerApplicator = InitializerApplicator(),
        **kwargs,
    ) -> None:
        unknown = sorted(set(loss_weights or {}) - set(heads))
        if unknown:
            raise ConfigurationError(f"loss_weights names unknown task(s) {unknown}")
        encoder = getattr(backbone, "encoder", None)  # any allennlp Backbone may be given
        if isinstance(encoder, MultiTaskEncoder):
            encoder_tasks = encoder.tasks
            # Catch a misspelt task name at construction, not at the first batch of training.
            missing = sorted(set(heads) - set(encoder_tasks))
            if missing:
                raise ConfigurationError(
                    f"model.heads has task(s) {missing} that the encoder does not know; the "
                    f"encoder's tasks are {list(encoder_tasks)} and the heads' {sorted(heads)}"
                )
        super().__init__(
            vocab,
            backbone,
            heads,
            loss_weights=None,
            arg_name_mapping=arg_name_mapping,
            allowed_arguments=allowed_arguments,
            initializer=initializer,
            **kwargs,
        )
        self._loss_weights = {name: float((loss_weights or {}).get(name, 1.0)) for name in heads}
        self._aux_loss_weight = aux_loss_weight
        self._task_averages = (
            default_task_averages() if task_averages is None else dict(task_averages)
        )

    def forward(self, **kwargs) -> Dict[str, torch.Tensor]:  # type: ignore
        """
        Takes the batch's fields (`tokens`, `task`, `label` / `tags`, `metadata`, ...).

        # Returns

        The backbone's outputs (`encoded_text`, attention weights, `aux_loss`, ...), each
        head's outputs prefixed `<task>_`, and `loss` = sum_k lambda_k L_k (+ weighted
        `aux_loss`) when at least one head computed a loss.
        """
        if "task" not in kwargs:
            raise ValueError(
                "Instances for multitask training need a MetadataField named 'task' that names "
                "their task (the multitask dataset reader adds it)."
            )
        tasks: List[str] = list(kwargs["task"])
        batch_size = len(tasks)
        unknown = sorted(set(tasks) - set(self._heads))
        if unknown:
            raise ValueError(f"Batch has task(s) {unknown} with no head; heads: {sorted(self._heads)}")
        task_rows: Dict[str, List[int]] = {}
        for row, task in enumerate(tasks):
            task_rows.setdefault(task, []).append(row)

        backbone_outputs = self._backbone(**self._get_arguments(kwargs, "backbone"))
        combined_arguments = {**backbone_outputs, **kwargs}
        outputs: Dict[str, Any] = {**backbone_outputs}
        loss: Optional[torch.Tensor] = None
        for head_name, head in self._heads.items():
            if head_name not in task_rows:
                continue
            head_arguments = self._get_arguments(combined_arguments, head_name)
            if len(task_rows[head_name]) != batch_size:
                indices = torch.tensor(task_rows[head_name], dtype=torch.long)
                head_arguments = {
                    key: select_instances(value, indices, batch_size)
                    for key, value in head_arguments.items()
                }
            head_outputs = head(**head_arguments)
            for key, value in head_outputs.items():
                outputs[f"{head_name}_{key}"] = value
            if "loss" in head_outputs:
                self._heads_called.add(head_name)
                head_loss = self._loss_weights[head_name] * head_outputs["loss"]
                loss = head_loss if loss is None else loss + head_loss

        if loss is not None:
            aux_loss = backbone_outputs.get("aux_loss")
            if aux_loss is not None and self._aux_loss_weight:
                loss = loss + self._aux_loss_weight * aux_loss
            outputs["loss"] = loss
        return outputs

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        output_dict = self._backbone.make_output_human_readable(output_dict)
        # Each `<task>_<key>` output goes to the head with the longest matching `<task>_`
        # prefix, so heads named `books` and `books_2` do not see each other's outputs.
        by_longest = sorted(self._heads, key=len, reverse=True)
        head_outputs: Dict[str, Dict[str, Any]] = {}
        for key, value in output_dict.items():
            for head_name in by_longest:
                if key.startswith(f"{head_name}_"):
                    head_outputs.setdefault(head_name, {})[key[len(head_name) + 1 :]] = value
                    break
        for head_name, outputs in head_outputs.items():
            readable = self._heads[head_name].make_output_human_readable(outputs)
            for key, value in readable.items():
                output_dict[f"{head_name}_{key}"] = value
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        task_metrics = {
            head_name: self._heads[head_name].get_metrics(reset)
            for head_name in sorted(self._heads_called)
        }
        metrics = {
            f"{head_name}_{key}": value
            for head_name, head_metrics in task_metrics.items()
            for key, value in head_metrics.items()
        }
        progress.note_task_metrics(task_metrics)  # the progress bar shows these as ranges
        metrics.update(aggregate_task_metrics(task_metrics, self._task_averages))
        if reset:
            self._heads_called.clear()
        return metrics
