"""
`MultiTaskEncoder`, the interface of graph-mtl's task-aware sequence encoders (`message_passing`,
`dc_mtl`, `ic_mtl`, `shared_private`, `mt_cnn`, and a plugin's own): what the `graph_mtl`
backbone and predictor use, and the checks every such encoder needs (task names, mask, the
task index of each instance).

A plain allennlp `Seq2SeqEncoder` (e.g. FS-MTL's one shared `lstm`) is not a `MultiTaskEncoder`:
the backbone calls it without the task argument and reads no attention or auxiliary loss from it.
"""
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from allennlp.modules.seq2seq_encoders.seq2seq_encoder import Seq2SeqEncoder

from graph_mtl.modules.task_batching import bool_mask, check_task_names, task_indices


class MultiTaskEncoder(Seq2SeqEncoder):
    """
    A `Seq2SeqEncoder` that encodes each instance as its task: `forward(inputs, mask, task)` takes
    the task name of every instance of the batch (mixed batches allowed).

    Subclasses implement `encode` (the mask and the task names already checked, one task index
    per instance) and `get_output_dim`; they override `get_attention` if they learn attention
    weights between tasks, `get_aux_loss` if they have auxiliary losses, and `graph`,
    `virtual_nodes`, `topology` and `aggregators` if they pass messages over a graph of nodes.
    The `graph_mtl` backbone copies `get_attention()` into its outputs and outputs
    `get_aux_loss()` as `aux_loss`; the `graph_mtl` predictor reads the rest.

    # Parameters

    tasks : `List[str]`
        The task names, distinct; their order fixes the task indices (and the columns of an
        attention over tasks).
    input_dim : `int`
    hidden_dim : `int`
        The encoder's hidden size (each subclass says how its output dimension follows from it).
    """

    #: the encoder as its error messages name it
    encoder_name = "the multi-task encoder"

    def __init__(self, tasks: List[str], input_dim: int, hidden_dim: int) -> None:
        super().__init__(stateful=False)
        check_task_names(tasks, self.encoder_name)
        self.tasks: List[str] = list(tasks)
        self.input_dim = input_dim
        self.hidden_dim = hidden_dim
        #: nodes of the communication graph that are not tasks (IC-MTL's `shared` LSTM)
        self.virtual_nodes: List[str] = []
        #: the `Topology` of a message-passing encoder (`None`: no communication graph)
        self.topology: Optional[Any] = None

    def get_input_dim(self) -> int:
        return self.input_dim

    def is_bidirectional(self) -> bool:
        return False

    def forward(  # type: ignore[override]
        self,
        inputs: torch.Tensor,
        mask: Optional[torch.BoolTensor] = None,
        task: Union[None, str, Sequence[str]] = None,
    ) -> torch.Tensor:
        """
        # Parameters

        inputs : `torch.Tensor`, `(batch, seq_len, input_dim)`
        mask : `torch.BoolTensor`, optional, `(batch, seq_len)`, True on tokens (default: none
            padded).
        task : `Union[None, str, Sequence[str]]`
            One task name per instance, or one name for the whole batch; may be omitted when the
            encoder has a single task. An unknown name or a wrong count is a `ValueError`.

        # Returns

        `(batch, seq_len, output_dim)`, 0 on padding.
        """
        mask = bool_mask(inputs, mask)
        return self.encode(inputs, mask, task_indices(task, self.tasks, inputs.size(0), self.encoder_name))

    def encode(self, inputs: torch.Tensor, mask: torch.BoolTensor, task_ids: List[int]) -> torch.Tensor:
        """
        `forward` after its checks: `mask` is a `BoolTensor`, `task_ids[b]` the index in
        `self.tasks` of instance b's task.
        """
        raise NotImplementedError

    def get_attention(self) -> Dict[str, torch.Tensor]:
        """The attention weights of the last batch by name (`alpha`, `beta`, ...; see
        docs/CONVENTIONS.md); `{}` for an encoder without attention."""
        return {}

    def get_aux_loss(self) -> Optional[torch.Tensor]:
        """The weighted auxiliary loss of the last batch (e.g. SP-MTL's adversarial and
        orthogonality terms), which the model adds to its loss; `None` if there is none."""
        return None

    def graph(self) -> Dict[str, List[str]]:
        """`{target task: [source nodes]}` of the encoder's communication graph (task names and
        `virtual_nodes`); `{}` for an encoder whose tasks do not pass messages."""
        return {}

    def aggregators(self) -> Dict[str, torch.nn.Module]:
        """The module that aggregates the messages to each target task (first layer, forward
        direction); `{}` for an encoder whose tasks do not pass messages."""
        return {}
