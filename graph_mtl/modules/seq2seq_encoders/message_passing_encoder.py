"""
The message-passing encoder of Liu et al. (AAAI 2019), generic over the `Topology`, and the thin
`dc_mtl` (topology `direct`) and `ic_mtl` (topology `indirect`) names.

Design (see also docs/CONVENTIONS.md, "Message-passing encoder"):

* Every task node and every virtual node of the topology owns an LSTM (theta^(k), theta^(s)).
  A sentence of task k is encoded by task k's fusion LSTM (eqs. 9-11), whose gate weights are
  task k's LSTM weights; the messages r_t come from the source nodes given by
  `topology.sources(k, tasks)`, each run as a plain LSTM over the sentence, and are aggregated by
  the module `topology.build_aggregator(...)` built for target k.
* `bidirectional`: a second, independent copy of everything (node LSTMs, fusion weights,
  aggregators) reads each sentence right to left (the valid part of each row is reversed, so the
  backward source states h_t^(i) at position t summarise x_t..x_n); its outputs are re-reversed
  and concatenated after the forward ones.
* `num_layers`: layers are stacked; layer l > 1 is a full message-passing layer whose input (for
  the target and all its source nodes) is the previous layer's output for the instance's task.
* `dropout`: applied to the input of every layer (so with one layer, to the embeddings).
* Initialisation: PyTorch defaults (LSTM uniform in +-1/sqrt(hidden), Linear Kaiming-uniform,
  fusion gate bias 0). The paper's uniform [-0.1, 0.1] is set in configs with an AllenNLP
  `initializer`, e.g. `[".*encoder.*(weight|bias).*", {"type": "uniform", "a": -0.1, "b": 0.1}]`.
* Attention parameters (W, u of eq. 5) are per target task by default; the built-in topologies
  take `shared_attention: true` to share one W, u across targets (per layer and direction).
"""
import inspect
from typing import Any, Dict, List, Optional, Type, Union

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2seq_encoders.seq2seq_encoder import Seq2SeqEncoder

from graph_mtl.modules.message_passing_layer import Group, GroupAttention, MessagePassingLayer  # noqa: F401
from graph_mtl.modules.seq2seq_encoders.multitask_encoder import MultiTaskEncoder
from graph_mtl.modules.task_batching import left_aligned_lengths
from graph_mtl.modules.topologies.attention_topology import AttentionTopology
from graph_mtl.modules.topologies.direct import DirectTopology
from graph_mtl.modules.topologies.indirect import IndirectTopology
from graph_mtl.modules.topologies.topology import Topology


def resolve_topology(topology: Union[Topology, str, None]) -> Topology:
    """A `Topology` from an instance, a registered name or `None` (`direct`)."""
    if topology is None:
        topology = Topology.default_implementation
    if isinstance(topology, str):
        if topology not in Topology.list_available():
            raise ConfigurationError(
                f"unknown topology {topology!r}; available topologies: "
                f"{sorted(Topology.list_available())}"
            )
        return Topology.by_name(topology)()
    if not isinstance(topology, Topology):
        raise ConfigurationError(
            f"topology must be a Topology or one of {sorted(Topology.list_available())}, "
            f"got {topology!r}"
        )
    return topology


def reverse_index(lengths: torch.Tensor, seq_len: int) -> torch.Tensor:
    """
    `(batch, seq_len)` gather index that reverses the first `lengths[b]` positions of row b and
    leaves the padding in place. It is its own inverse.
    """
    positions = torch.arange(seq_len, device=lengths.device).unsqueeze(0)
    reversed_positions = lengths.unsqueeze(1) - 1 - positions
    return torch.where(positions < lengths.unsqueeze(1), reversed_positions, positions)


def gather_time(tensor: torch.Tensor, index: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """`tensor` reordered along `dim` (1 or 2) by the `(batch, seq_len)` index."""
    shape = [index.size(0)] + [1] * (tensor.dim() - 1)
    shape[dim] = index.size(1)
    expanded = index.view(shape).expand(*tensor.shape[:dim], index.size(1), *tensor.shape[dim + 1 :])
    return tensor.gather(dim, expanded)


@Seq2SeqEncoder.register("message_passing")
class MessagePassingEncoder(MultiTaskEncoder):
    """
    Multi-task sequence encoder with message passing between task LSTMs over a `Topology`.

    `forward(inputs, mask, task)` takes the task name of each instance (mixed batches allowed);
    after each forward `get_attention()` returns the attention weights of that batch.

    # Parameters

    tasks : `List[str]`
        The task names; one task node (LSTM) each. Order fixes the columns of `alpha`.
    input_dim : `int`
    hidden_dim : `int`
        Hidden size of every node LSTM (200 in the paper).
    topology : `Topology`, optional (default = `direct`)
        The communication graph, e.g. `{"type": "direct"}`, `{"type": "indirect"}` or a
        plugin's topology. A registered name (string) also works.
    num_layers : `int`, optional (default = `1`)
    bidirectional : `bool`, optional (default = `False`)
    dropout : `float`, optional (default = `0.0`)
        Dropout on the input of every layer.
    task_message_gradients : `bool`, optional (default = `True`)
        Whether task k's loss trains the LSTMs of the task nodes that send it messages (the
        paper: yes). `False` puts a stop-gradient on messages from task nodes: each task's LSTM
        learns from its own task only, and DC-MTL skips the backward pass of K - 1 LSTMs per
        batch. Virtual nodes (IC-MTL's shared LSTM) are always trained through their messages.
    recurrence : `str`, optional (default = `"fused"`)
        `"fused"`: an aggregator's part of each step runs its hand-written steps where it has
        them (the built-ins), else autograd over its `step`; `"autograd"`: autograd for every
        aggregator (see `MessagePassingLayer`).
    attention_entropy : `float`, optional (default = `0.0`, the paper: no such term)
        `get_aux_loss()` returns this times the mean entropy (nats) of the attention weights of
        the last batch (every token of a task with learned weights, every layer and direction),
        which the `graph_mtl` model adds to the loss: a positive value sharpens the attention, a
        negative one keeps it spread.
    """

    encoder_name = "the message-passing encoder"

    def __init__(
        self,
        tasks: List[str],
        input_dim: int,
        hidden_dim: int,
        topology: Topology = None,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        task_message_gradients: bool = True,
        recurrence: str = "fused",
        attention_entropy: float = 0.0,
    ) -> None:
        super().__init__(tasks, input_dim, hidden_dim)
        if num_layers < 1:
            raise ConfigurationError("num_layers must be at least 1")
        self.topology = resolve_topology(topology)
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self._task_index = {task: index for index, task in enumerate(self.tasks)}
        num_directions = 2 if bidirectional else 1
        layer_inputs = [input_dim] + [hidden_dim * num_directions] * (num_layers - 1)
        self.task_message_gradients = task_message_gradients

        def layers() -> torch.nn.ModuleList:
            return torch.nn.ModuleList(
                MessagePassingLayer(
                    self.tasks, self.topology, dim, hidden_dim,
                    task_message_gradients=task_message_gradients, recurrence=recurrence,
                    attention_entropy=attention_entropy != 0,
                )
                for dim in layer_inputs
            )

        self.forward_layers = layers()
        self.backward_layers = layers() if bidirectional else None
        self.dropout = torch.nn.Dropout(dropout) if dropout > 0 else None
        self.virtual_nodes = self.forward_layers[0].virtual_nodes
        self._last_attention: Optional[dict] = None
        self._attention_cache: Optional[Dict[str, torch.Tensor]] = None
        self.attention_entropy = float(attention_entropy)
        self._mean_entropy: Optional[torch.Tensor] = None

    def get_output_dim(self) -> int:
        return self.hidden_dim * (2 if self.bidirectional else 1)

    def is_bidirectional(self) -> bool:
        return self.bidirectional

    def graph(self) -> Dict[str, List[str]]:
        """`{target task: [source nodes]}` as the topology gave it."""
        return dict(self.forward_layers[0].graph)

    def aggregators(self) -> Dict[str, torch.nn.Module]:
        """`{target task: aggregator}` of the first layer, forward direction."""
        return dict(self.forward_layers[0].aggregators.items())

    def encode(self, inputs: torch.Tensor, mask: torch.BoolTensor, task_ids: List[int]) -> torch.Tensor:
        """
        `(batch, seq_len, output_dim)`, 0 on padding (see `MultiTaskEncoder.forward`); the
        padding of every row of `mask` must come after its tokens.
        """
        batch, seq_len, _ = inputs.shape
        lengths = left_aligned_lengths(mask, self.encoder_name)

        # Sort by task so each task's instances are one contiguous slice.
        order = sorted(range(batch), key=task_ids.__getitem__)
        permutation = None
        if order != list(range(batch)):
            permutation = torch.tensor(order, device=inputs.device)
            inputs = inputs.index_select(0, permutation)
            mask = mask.index_select(0, permutation)
            lengths = lengths.index_select(0, permutation)
        length_list = lengths.tolist()
        max_length = max(max(length_list), 1) if length_list else 1
        inputs = inputs[:, :max_length]
        mask = mask[:, :max_length]
        groups = []
        start = 0
        sorted_ids = [task_ids[index] for index in order]
        while start < batch:
            end = start
            while end < batch and sorted_ids[end] == sorted_ids[start]:
                end += 1
            group_length = max(max(length_list[start:end]), 1)
            groups.append(Group(self.tasks[sorted_ids[start]], start, end, group_length))
            start = end

        reverse = reverse_index(lengths, max_length) if self.bidirectional else None
        output = inputs
        attention_forward: List[GroupAttention] = []
        attention_backward: List[GroupAttention] = []
        every_group: List[GroupAttention] = []
        for layer_index in range(self.num_layers):
            layer_input = self.dropout(output) if self.dropout is not None else output
            output, attention_forward = self.forward_layers[layer_index](layer_input, mask, groups)
            every_group += attention_forward
            if self.backward_layers is not None:
                backward_output, attention_backward = self.backward_layers[layer_index](
                    gather_time(layer_input, reverse), mask, groups
                )
                every_group += attention_backward
                output = torch.cat([output, gather_time(backward_output, reverse)], dim=-1)
        tokens = sum(item.tokens for item in every_group)
        self._mean_entropy = (
            sum(item.entropy for item in every_group) / tokens if self.attention_entropy and tokens else None
        )

        if max_length < seq_len:
            output = torch.nn.functional.pad(output, (0, 0, 0, seq_len - max_length))
        inverse = None
        if permutation is not None:
            inverse = torch.empty_like(permutation)
            inverse[permutation] = torch.arange(batch, device=permutation.device)
            output = output.index_select(0, inverse)
        self._last_attention = {
            "forward": attention_forward,
            "backward": attention_backward,
            "mask": mask,
            "reverse": reverse,
            "inverse": inverse,
            "seq_len": seq_len,
        }
        self._attention_cache = None
        return output

    def get_aux_loss(self) -> Optional[torch.Tensor]:
        """`attention_entropy` x the mean attention entropy of the last batch (`None` when the
        option is 0 or the batch had no attention weights)."""
        if self._mean_entropy is None:
            return None
        return self.attention_entropy * self._mean_entropy

    def get_attention(self) -> Dict[str, torch.Tensor]:
        """
        The attention weights of the last batch (of the last layer), detached, in the original
        batch order (docs/CONVENTIONS.md):

        * `alpha`: `(batch, seq_len, num_tasks)` for `sources`-kind aggregators (DC-MTL),
          columns in `self.tasks` order, 0 for nodes that are not sources of the instance's
          task. If a topology makes virtual nodes sources of a `sources`-kind aggregator, their
          weights are in `alpha_virtual`, `(batch, seq_len, num_virtual_nodes)`, and each row of
          `alpha` and `alpha_virtual` together sums to 1.
        * `beta`: `(batch, seq_len, seq_len * num_sources)` for `positions`-kind aggregators
          (IC-MTL: one source, so `(batch, seq_len, seq_len)`).
        * `alpha_backward`, `beta_backward` (and `alpha_virtual_backward`) when bidirectional,
          indexed by the original positions.

        Rows of padded positions are all 0, and so are columns of padded positions.
        Instances whose task has no source (or an aggregator of kind `none`) have all-0 rows.
        """
        if self._last_attention is None:
            return {}
        if self._attention_cache is None:
            state = self._last_attention
            result: Dict[str, torch.Tensor] = {}
            for suffix, groups, reverse in (
                ("", state["forward"], None),
                ("_backward", state["backward"], state["reverse"]),
            ):
                result.update(self._assemble(groups, state["mask"], reverse, suffix))
            seq_len = state["seq_len"]
            for key, value in list(result.items()):
                pad_rows = seq_len - value.size(1)
                pad_cols = 0
                if key.startswith("beta"):
                    # the columns are positions (times the number of sources)
                    sources = value.size(2) // value.size(1)
                    pad_cols = pad_rows * sources
                if pad_rows:
                    value = torch.nn.functional.pad(value, (0, pad_cols, 0, pad_rows))
                if state["inverse"] is not None:
                    value = value.index_select(0, state["inverse"])
                result[key] = value
            self._attention_cache = result
        return dict(self._attention_cache)

    def _assemble(
        self,
        groups: List[GroupAttention],
        mask: torch.BoolTensor,
        reverse: Optional[torch.Tensor],
        suffix: str,
    ) -> Dict[str, torch.Tensor]:
        if not groups:
            return {}
        batch, seq_len = mask.shape
        result: Dict[str, torch.Tensor] = {}
        dtype = groups[0].weights.dtype
        for item in groups:
            group, weights = item.group, item.weights
            rows = slice(group.start, group.end)
            length = group.length
            if item.kind == "sources":
                task_columns = [i for i, name in enumerate(item.sources) if name in self._task_index]
                if task_columns:
                    alpha = result.setdefault(
                        "alpha", mask.new_zeros(batch, seq_len, len(self.tasks), dtype=dtype)
                    )
                    targets = [self._task_index[item.sources[i]] for i in task_columns]
                    alpha[rows, :length, targets] = weights[:, :, task_columns]
                virtual_columns = [i for i, name in enumerate(item.sources) if name in self.virtual_nodes]
                if virtual_columns:
                    alpha_virtual = result.setdefault(
                        "alpha_virtual",
                        mask.new_zeros(batch, seq_len, len(self.virtual_nodes), dtype=dtype),
                    )
                    targets = [self.virtual_nodes.index(item.sources[i]) for i in virtual_columns]
                    alpha_virtual[rows, :length, targets] = weights[:, :, virtual_columns]
            elif item.kind == "positions":
                num_sources = len(item.sources)
                key = "beta" if num_sources == 1 else f"beta_{'_'.join(item.sources)}"
                beta = result.setdefault(
                    key, mask.new_zeros(batch, seq_len, seq_len * num_sources, dtype=dtype)
                )
                beta[rows, :length, : length * num_sources] = weights
        float_mask = mask.to(dtype)
        for key, value in result.items():
            value = value * float_mask.unsqueeze(-1)
            if reverse is not None:
                value = gather_time(value, reverse, dim=1)
                if key.startswith("beta"):
                    sources = value.size(2) // seq_len
                    value = value.view(batch, seq_len, seq_len, sources)
                    value = gather_time(value, reverse, dim=2).reshape(batch, seq_len, -1)
            result[key] = value
        return {key + suffix: value for key, value in result.items()}


class _AttentionTopologyEncoder(MessagePassingEncoder):
    """
    `message_passing` with a fixed `AttentionTopology` subclass, `topology_type`, built from the
    attention arguments (the shared constructor of `dc_mtl` and `ic_mtl`); keyword arguments
    that `topology_type` takes go to it, every other one to `message_passing`.
    """

    topology_type: Type[AttentionTopology]

    def __init__(
        self,
        tasks: List[str],
        input_dim: int,
        hidden_dim: int,
        attention_dim: Optional[int] = None,
        shared_attention: bool = False,
        temperature: float = 1.0,
        **kwargs: Any,
    ) -> None:
        name = self.topology_type.__name__
        own = inspect.signature(self.topology_type).parameters
        options = {key: kwargs.pop(key) for key in list(kwargs) if key in own}
        unknown = sorted(set(kwargs) - set(inspect.signature(MessagePassingEncoder).parameters))
        if unknown:
            raise ConfigurationError(f"{type(self).__name__}: unknown argument(s) {unknown}")
        if "topology" in kwargs:
            raise ConfigurationError(
                f"{type(self).__name__} has the topology {name} built in; for another topology use "
                f"the encoder type 'message_passing' with a 'topology'"
            )
        topology = self.topology_type(attention_dim=attention_dim, shared_attention=shared_attention,
                                      temperature=temperature, **options)
        super().__init__(tasks, input_dim, hidden_dim, topology=topology, **kwargs)


@Seq2SeqEncoder.register("dc_mtl")
class DcMtlEncoder(_AttentionTopologyEncoder):
    """
    DC-MTL (direct communication): `message_passing` with the `direct` topology.

    # Parameters

    tasks, input_dim, hidden_dim : see `message_passing`.
    attention_dim : `int`, optional (default = `hidden_dim`)
    shared_attention : `bool`, optional (default = `False`)
        Share W, u of the attention between target tasks (default: one per target task).
    temperature : `float`, optional (default = `1.0`, the paper)
        Attention weights softmax(scores / temperature) (see `AttentionTopology`).
    source_embeddings : `bool`, optional (default = `False`, the paper)
        A learned vector per edge i -> k inside the score (see `DirectTopology`).
    **kwargs
        Every other argument of `message_passing` but `topology`: `num_layers`, `bidirectional`,
        `dropout`, `task_message_gradients` (`false` stops task k's loss at the other tasks'
        LSTMs: about half the cost of a DC-MTL step, benchmarks/results/SUMMARY.md),
        `recurrence`, `attention_entropy` (a loss term on the entropy of alpha).
    """

    topology_type = DirectTopology

    def __init__(self, *args: Any, source_embeddings: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, source_embeddings=source_embeddings, **kwargs)


@Seq2SeqEncoder.register("ic_mtl")
class IcMtlEncoder(_AttentionTopologyEncoder):
    """
    IC-MTL (indirect communication through a shared LSTM, the virtual node `shared`):
    `message_passing` with the `indirect` topology.

    # Parameters

    tasks, input_dim, hidden_dim : see `message_passing`.
    attention_dim, shared_attention, temperature : as in `dc_mtl`.
    **kwargs
        Every other argument of `message_passing` but `topology`: `num_layers`, `bidirectional`,
        `dropout`, `task_message_gradients` (no task node sends messages in `indirect`, so it
        changes nothing here; the shared LSTM is always trained), `recurrence`,
        `attention_entropy` (a loss term on the entropy of beta).
    """

    topology_type = IndirectTopology
