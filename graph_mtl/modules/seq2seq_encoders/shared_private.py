"""
SP-MTL, the shared-private baseline of Liu, Qiu & Huang (ACL 2017, "Adversarial Multi-task
Learning for Text Classification", ASP-MTL): one LSTM shared by all tasks plus one private LSTM
per task; an instance of task k is encoded as [private_k(x) ; shared(x)] at every position.

Two auxiliary losses keep the shared space task-invariant and the private spaces apart from it:

* adversarial: a task discriminator D (softmax layer) predicts the task from the pooled shared
  representation s; its cross entropy L_adv is minimised by D and, through a gradient reversal
  layer, maximised by the shared LSTM;
* orthogonality: L_diff = ||S^T H||_F^2, where the rows of S and H are the shared and private
  states of the instance's (unpadded) positions.

`get_aux_loss()` returns adversarial_weight * L_adv + orthogonality_weight * L_diff of the last
batch (both averaged over its instances); the `graph_mtl` backbone passes it on as `aux_loss`.
"""
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2seq_encoders.seq2seq_encoder import Seq2SeqEncoder

from graph_mtl.modules.seq2seq_encoders.multitask_encoder import MultiTaskEncoder
from graph_mtl.modules.seq2seq_encoders.padded_lstm import PaddedLstmSeq2SeqEncoder

from graph_mtl.models.heads.text_classifier import POOLINGS, pool_sequence


def encode_by_task(
    encoders: Mapping[str, Callable[[torch.Tensor, torch.BoolTensor], torch.Tensor]],
    tasks: Sequence[str],
    ids: Sequence[int],
    inputs: torch.Tensor,
    mask: torch.BoolTensor,
    outputs: torch.Tensor,
) -> torch.Tensor:
    """
    Run each task's encoder over the rows of the batch that belong to that task.

    # Parameters

    encoders : `Mapping[str, Callable]`
        One module per task name (e.g. a `torch.nn.ModuleDict`), called as
        `encoders[name](inputs, mask)` on that task's rows.
    tasks : `Sequence[str]`
        The task names, in the order `ids` indexes them.
    ids : `Sequence[int]`
        The task index of every instance (see `task_indices`).
    inputs : `torch.Tensor`, `(batch, seq_len, input_dim)`
    mask : `torch.BoolTensor`, `(batch, seq_len)`
    outputs : `torch.Tensor`, `(batch, seq_len, output_dim)`
        The starting values (usually zeros); not modified in place.

    # Returns

    `outputs` with the rows of every task's instances replaced by that task's encoder output.
    """
    for index, name in enumerate(tasks):
        rows = [row for row, task_id in enumerate(ids) if task_id == index]
        if not rows:
            continue
        rows_tensor = torch.tensor(rows, device=inputs.device)
        encoded = encoders[name](inputs.index_select(0, rows_tensor), mask.index_select(0, rows_tensor))
        outputs = outputs.index_copy(0, rows_tensor, encoded)
    return outputs


class GradientReversal(torch.autograd.Function):
    """Identity forward; multiplies the gradient by -scale backward."""

    @staticmethod
    def forward(ctx, inputs: torch.Tensor, scale: float) -> torch.Tensor:  # type: ignore
        ctx.scale = scale
        return inputs.view_as(inputs)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):  # type: ignore
        return -ctx.scale * grad_output, None


def reverse_gradient(inputs: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    return GradientReversal.apply(inputs, scale)


def lstm(input_dim: int, hidden_dim: int, num_layers: int, bidirectional: bool, dropout: float):
    # not allennlp's packed `lstm`: on CPU its backward is quadratic in the length (padded_lstm.py)
    return PaddedLstmSeq2SeqEncoder(
        input_dim,
        hidden_dim,
        num_layers=num_layers,
        bidirectional=bidirectional,
        dropout=dropout if num_layers > 1 else 0.0,
    )


@Seq2SeqEncoder.register("shared_private")
class SharedPrivateEncoder(MultiTaskEncoder):
    """
    The SP-MTL encoder: shared + private LSTMs with an adversarial task discriminator and an
    orthogonality penalty.

    Registered as a `Seq2SeqEncoder` with name "shared_private".

    # Parameters

    tasks : `List[str]`
        The task names; one private LSTM each (and the discriminator's classes, in this order).
    input_dim : `int`
    hidden_dim : `int`
        Hidden size of the shared and of every private LSTM.
    num_layers : `int`, optional (default = `1`)
    bidirectional : `bool`, optional (default = `False`)
        Output is then `[private fwd; private bwd; shared fwd; shared bwd]`.
    dropout : `float`, optional (default = `0.0`)
        Between stacked LSTM layers.
    adversarial_weight : `float`, optional (default = `0.05`)
        lambda of Liu et al. (2017); 0 disables the discriminator.
    orthogonality_weight : `float`, optional (default = `0.01`)
        gamma of Liu et al. (2017); 0 disables the penalty.
    gradient_reversal_scale : `float`, optional (default = `1.0`)
        The shared LSTM receives -scale times the discriminator's gradient.
    discriminator_pooling : `str`, optional (default = `"last"`)
        How the shared states are pooled for the discriminator (`last`, `max`, `mean`).
    """

    encoder_name = "shared_private"

    def __init__(
        self,
        tasks: List[str],
        input_dim: int,
        hidden_dim: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        adversarial_weight: float = 0.05,
        orthogonality_weight: float = 0.01,
        gradient_reversal_scale: float = 1.0,
        discriminator_pooling: str = "last",
    ) -> None:
        super().__init__(tasks, input_dim, hidden_dim)
        if discriminator_pooling not in POOLINGS:
            raise ConfigurationError(f"discriminator_pooling must be one of {POOLINGS}")
        self.bidirectional = bidirectional
        self.adversarial_weight = adversarial_weight
        self.orthogonality_weight = orthogonality_weight
        self.gradient_reversal_scale = gradient_reversal_scale
        self.discriminator_pooling = discriminator_pooling
        self.shared = lstm(input_dim, hidden_dim, num_layers, bidirectional, dropout)
        self.private = torch.nn.ModuleDict(
            {task: lstm(input_dim, hidden_dim, num_layers, bidirectional, dropout) for task in self.tasks}
        )
        self.component_dim = hidden_dim * (2 if bidirectional else 1)
        self.discriminator = (
            torch.nn.Linear(self.component_dim, len(self.tasks)) if adversarial_weight else None
        )
        self._aux_losses: Dict[str, torch.Tensor] = {}

    def get_output_dim(self) -> int:
        return 2 * self.component_dim

    def encode(self, inputs: torch.Tensor, mask: torch.BoolTensor, task_ids: List[int]) -> torch.Tensor:
        """
        `(batch, seq_len, 2 * hidden_dim * num_directions)`: private then shared states, 0 on
        padding (see `MultiTaskEncoder.forward`). The output is not [all forward; all backward],
        so `is_bidirectional()` is False: "last" pooling must not split it.
        """
        batch, seq_len, _ = inputs.shape
        shared = self.shared(inputs, mask)
        private = encode_by_task(
            self.private, self.tasks, task_ids, inputs, mask,
            shared.new_zeros(batch, seq_len, self.component_dim),
        )
        private = private * mask.unsqueeze(-1)
        shared = shared * mask.unsqueeze(-1)

        losses: Dict[str, torch.Tensor] = {}
        if self.discriminator is not None:
            pooled = pool_sequence(shared, mask, self.discriminator_pooling, self.bidirectional)
            logits = self.discriminator(reverse_gradient(pooled, self.gradient_reversal_scale))
            target = torch.tensor(task_ids, device=inputs.device)
            losses["adversarial"] = torch.nn.functional.cross_entropy(logits, target)
        if self.orthogonality_weight:
            # ||S^T H||_F^2 per instance; padded rows of S and H are 0 and add nothing.
            products = torch.bmm(shared.transpose(1, 2), private)
            losses["orthogonality"] = products.pow(2).sum(dim=(1, 2)).mean()
        self._aux_losses = losses
        return torch.cat([private, shared], dim=-1)

    def get_aux_losses(self) -> Dict[str, torch.Tensor]:
        """The unweighted auxiliary losses of the last batch (`adversarial`, `orthogonality`)."""
        return dict(self._aux_losses)

    def get_aux_loss(self) -> Optional[torch.Tensor]:
        """adversarial_weight * L_adv + orthogonality_weight * L_diff of the last batch."""
        total = None
        weights = {"adversarial": self.adversarial_weight, "orthogonality": self.orthogonality_weight}
        for name, value in self._aux_losses.items():
            term = weights[name] * value
            total = term if total is None else total + term
        return total
