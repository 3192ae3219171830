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
import itertools
from typing import Any, Dict, List, Optional, Union

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2seq_encoders.seq2seq_encoder import Seq2SeqEncoder

from graph_mtl.modules.message_passing_layer import Group, GroupAttention, MessagePassingLayer  # noqa: F401
from graph_mtl.modules.seq2seq_encoders.multitask_encoder import MultiTaskEncoder
from graph_mtl.modules.task_batching import left_aligned_lengths
from graph_mtl.modules.topologies.direct import DirectTopology
from graph_mtl.modules.topologies.indirect import IndirectTopology
from graph_mtl.modules.topologies.topology import Topology


def resolve_topology(topology: Union[Topology, str, None]) -> Topology:
    """A `Topology` from an instance, a registered name or `None` (`direct`)."""
    if isinstance(topology, Topology):
        return topology
    if topology is None or (isinstance(topology, str) and topology in Topology.list_available()):
        return Topology.by_name(topology or Topology.default_implementation)()
    raise ConfigurationError(
        f"topology must be a Topology or one of {sorted(Topology.list_available())}, got {topology!r}"
    )


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
    attention_entropy : `float`, optional (default = `0.0`, the paper: no such term)
        `get_aux_loss()` returns this times the mean entropy (nats) of the attention weights of
        the last batch (every token of a task with learned weights, every layer and direction),
        which the `graph_mtl` model adds to the loss: a positive value sharpens the attention, a
        negative one keeps it spread.
    read_messages : `bool`, optional (default = `True`)
        `False`: every task ignores its messages (r_t = 0: each task's output is its own LSTM's,
        as with W_f = 0). For measuring how much a trained model relies on what its tasks read:
        `allennlp evaluate ARCHIVE DATA --overrides '{"model.backbone.encoder.read_messages":
        false}'` against the same command without the override (the parameters are the same).
    own_input_dropout : `float`, optional (default = `0.0`, the paper: none)
        In training, dropout on the input of each task's own (fusion) LSTM only, in every layer
        and direction (after `dropout`): the source nodes and the attention still read the
        input intact, so a task must get what its own view lost from its messages (see
        `MessagePassingLayer`).
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
        attention_entropy: float = 0.0,
        read_messages: bool = True,
        own_input_dropout: float = 0.0,
    ) -> None:
        super().__init__(tasks, input_dim, hidden_dim)
        if num_layers < 1:
            raise ConfigurationError("num_layers must be at least 1")
        self.topology = resolve_topology(topology)
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        layer_inputs = [input_dim] + [hidden_dim * (2 if bidirectional else 1)] * (num_layers - 1)
        self.task_message_gradients = task_message_gradients

        def layers() -> torch.nn.ModuleList:
            return torch.nn.ModuleList(
                MessagePassingLayer(self.tasks, self.topology, dim, hidden_dim, task_message_gradients,
                                    attention_entropy != 0, read_messages, own_input_dropout)
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
        inverse = None
        if order != list(range(batch)):
            permutation = torch.tensor(order, device=inputs.device)
            inverse = torch.argsort(permutation)
            inputs, mask, lengths = (tensor.index_select(0, permutation) for tensor in (inputs, mask, lengths))
        length_list = lengths.tolist()
        groups: List[Group] = []
        for task_id, members in itertools.groupby(task_ids[index] for index in order):
            start = groups[-1].end if groups else 0
            end = start + len(list(members))
            groups.append(Group(self.tasks[task_id], start, end, max(max(length_list[start:end]), 1)))
        max_length = max((group.length for group in groups), default=1)

        reverse = reverse_index(lengths, max_length) if self.bidirectional else None
        output, layer_mask = inputs[:, :max_length], mask[:, :max_length]
        attention: Dict[str, List[GroupAttention]] = {"forward": [], "backward": []}
        every_group: List[GroupAttention] = []
        for layer_index in range(self.num_layers):
            layer_input = self.dropout(output) if self.dropout is not None else output
            output, attention["forward"] = self.forward_layers[layer_index](layer_input, layer_mask, groups)
            if self.backward_layers is not None:
                backward_output, attention["backward"] = self.backward_layers[layer_index](
                    gather_time(layer_input, reverse), layer_mask, groups
                )
                output = torch.cat([output, gather_time(backward_output, reverse)], dim=-1)
            every_group += attention["forward"] + attention["backward"]
        tokens = sum(item.tokens for item in every_group)
        self._mean_entropy = (
            sum(item.entropy for item in every_group) / tokens if self.attention_entropy and tokens else None
        )

        if max_length < seq_len:
            output = torch.nn.functional.pad(output, (0, 0, 0, seq_len - max_length))
        if inverse is not None:
            output = output.index_select(0, inverse)
        self._last_attention = {"mask": mask, "lengths": lengths, "inverse": inverse, **attention}
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
            mask = state["mask"]  # task-sorted, full length
            backward = reverse_index(state["lengths"], mask.size(1)) if self.bidirectional else None
            inverse = state["inverse"]
            self._attention_cache = {}
            for suffix, groups, reverse in (("", state["forward"], None), ("_backward", state["backward"], backward)):
                for key, value in self._assemble(groups, mask, reverse).items():
                    self._attention_cache[key + suffix] = value if inverse is None else value.index_select(0, inverse)
        return dict(self._attention_cache)

    def _assemble(
        self, groups: List[GroupAttention], mask: torch.BoolTensor, reverse: Optional[torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """The groups' weights as `alpha` / `alpha_virtual` / `beta...` tensors over the whole
        (task-sorted) batch, 0 on padding, re-reversed when `reverse` is given."""
        batch, seq_len = mask.shape
        result: Dict[str, torch.Tensor] = {}
        for item in groups:
            rows, length, weights = slice(item.group.start, item.group.end), item.group.length, item.weights
            new = lambda size: mask.new_zeros(batch, seq_len, size, dtype=weights.dtype)  # noqa: E731
            if item.kind == "sources":
                for key, names in (("alpha", self.tasks), ("alpha_virtual", self.virtual_nodes)):
                    columns = [i for i, name in enumerate(item.sources) if name in names]
                    if columns:
                        value = result.setdefault(key, new(len(names)))
                        value[rows, :length, [names.index(item.sources[i]) for i in columns]] = weights[:, :, columns]
            elif item.kind == "positions":
                num_sources = len(item.sources)
                key = "beta" if num_sources == 1 else f"beta_{'_'.join(item.sources)}"
                # the columns are positions x sources, position-major
                result.setdefault(key, new(seq_len * num_sources))[rows, :length, : length * num_sources] = weights
        for key, value in result.items():
            value = value * mask.unsqueeze(-1).to(value.dtype)
            if reverse is not None:
                value = gather_time(value, reverse, dim=1)
                if key.startswith("beta"):
                    value = gather_time(value.view(batch, seq_len, seq_len, -1), reverse, dim=2).reshape(batch, seq_len, -1)
            result[key] = value
        return result


def _with_topology(encoder: MessagePassingEncoder, topology: Topology, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The keyword arguments of `message_passing` for `dc_mtl` / `ic_mtl`, which fix their
    `topology`: a `topology` of the caller's, or a key that `message_passing` does not take, is a
    `ConfigurationError` (allennlp's `from_params` passes unknown keys on through `**kwargs`)."""
    name = type(encoder).__name__
    if "topology" in kwargs:
        raise ConfigurationError(
            f"{name} has the topology {type(topology).__name__} built in; for another topology use "
            f"the encoder type 'message_passing' with a 'topology'"
        )
    unknown = sorted(set(kwargs) - set(inspect.signature(MessagePassingEncoder).parameters))
    if unknown:
        raise ConfigurationError(f"{name}: unknown argument(s) {unknown}")
    return {**kwargs, "topology": topology}


@Seq2SeqEncoder.register("dc_mtl")
class DcMtlEncoder(MessagePassingEncoder):
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
        `attention_entropy` (a loss term on the entropy of alpha), `read_messages`,
        `own_input_dropout`.
    """

    def __init__(self, tasks: List[str], input_dim: int, hidden_dim: int, attention_dim: Optional[int] = None,
                 shared_attention: bool = False, temperature: float = 1.0, source_embeddings: bool = False,
                 **kwargs: Any) -> None:
        topology = DirectTopology(attention_dim, shared_attention, temperature, source_embeddings)
        super().__init__(tasks, input_dim, hidden_dim, **_with_topology(self, topology, kwargs))


@Seq2SeqEncoder.register("ic_mtl")
class IcMtlEncoder(MessagePassingEncoder):
    """
    IC-MTL (indirect communication through a shared LSTM, the virtual node `shared`):
    `message_passing` with the `indirect` topology.

    # Parameters

    tasks, input_dim, hidden_dim : see `message_passing`.
    attention_dim, shared_attention, temperature : as in `dc_mtl`.
    node_name : `str`, optional (default = `"shared"`)
        The shared LSTM's (virtual node's) name (see `IndirectTopology`).
    **kwargs
        Every other argument of `message_passing` but `topology`: `num_layers`, `bidirectional`,
        `dropout`, `task_message_gradients` (no task node sends messages in `indirect`, so it
        changes nothing here; the shared LSTM is always trained),
        `attention_entropy` (a loss term on the entropy of beta), `read_messages`,
        `own_input_dropout`.
    """

    def __init__(self, tasks: List[str], input_dim: int, hidden_dim: int, attention_dim: Optional[int] = None,
                 shared_attention: bool = False, temperature: float = 1.0, node_name: str = "shared",
                 **kwargs: Any) -> None:
        topology = IndirectTopology(attention_dim, shared_attention, node_name, temperature)
        super().__init__(tasks, input_dim, hidden_dim, **_with_topology(self, topology, kwargs))
