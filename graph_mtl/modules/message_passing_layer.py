"""
One layer, one direction of the message-passing encoder: the node LSTMs of a topology, the
shared fusion weights and one aggregator per target task.

The fast path (see `MessagePassingLayer.forward`):

1. every node that some task of the batch listens to runs once over the whole batch as a plain
   `torch.nn.LSTM` (cuDNN on GPU, oneDNN/ATen on CPU) with that node's own weights -- a task
   node's `nn.LSTM` weights are at the same time the gate weights of that task's fusion LSTM;
2. for each group of instances of one target task (the encoder sorts the batch by task so that
   groups are contiguous slices), the aggregator prepares once per sentence what does not depend
   on the recurrence (projections of the messages and of x_t with their blocks of W), and the
   input-to-hidden products of the fusion LSTM for all steps are one matrix multiply;
3. only what depends on h_{t-1} stays in the loop over time (`fusion_lstm.fusion_recurrence`):
   U h_{t-1}, the aggregator's step (attention query W_h h_{t-1}, softmax, r_t) and the fusion
   (eqs. 9-11).

A target task without sources (empty list from the topology) is a plain LSTM: it runs through
`nn.LSTM` directly and r_t = 0.
"""
import logging
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from torch.nn import functional as F

from graph_mtl.modules.fusion_lstm import AutogradSteps, FusionWeights, fusion_recurrence, lstm_weights
from graph_mtl.modules.topologies.topology import Topology


logger = logging.getLogger(__name__)

# What the log says, once per aggregator class, about the path its steps take, by whether it has
# hand-written steps (`fast_steps`).
PATH_MESSAGES = {
    True: ": its hand-written steps (fast_steps)",
    False: " has no fast_steps: its step() is differentiated by autograd, one step at a time "
           "(correct, slower; see docs/plugins.md)",
}
# The aggregator classes whose path (hand-written steps or autograd) the log has named.
_logged_paths: Set[type] = set()


class Group(NamedTuple):
    """Instances `start:end` of the (task-sorted) batch belong to `task`; `length` is their max length."""

    task: str
    start: int
    end: int
    length: int


class GroupAttention(NamedTuple):
    """Attention weights of one group, `(end - start, length, entries)`, detached; with
    `attention_entropy`, the sum of their entropies (nats) over the group's tokens
    (differentiable) and the number of tokens."""

    group: Group
    kind: str
    sources: List[str]
    weights: torch.Tensor
    entropy: Optional[torch.Tensor] = None
    tokens: int = 0


class MessagePassingLayer(torch.nn.Module):
    """
    # Parameters

    tasks : `List[str]`
        The task nodes, in a fixed order.
    topology : `Topology`
    input_dim : `int`
    hidden_dim : `int`
        Hidden size of every node LSTM (task and virtual nodes); messages have this size too.
    task_message_gradients : `bool`, optional (default = `True`)
        Whether task k's loss reaches the LSTMs of the *task* nodes that send it messages (the
        paper's joint training: yes). `False` runs those source LSTMs without autograd (a
        stop-gradient on the messages h^(i)): task i's LSTM then learns only from task i's own
        batches, and a DC-MTL step skips the backward pass of its K - 1 source LSTMs. Virtual
        nodes (IC-MTL's shared LSTM) always get gradients: messages are all they produce.
    attention_entropy : `bool`, optional (default = `False`)
        Also return the entropy of each group's attention weights, differentiable (for a loss
        on it: the encoder's `attention_entropy`).
    read_messages : `bool`, optional (default = `True`)
        `False`: every task ignores its sources (r_t = 0, so its output is its own plain LSTM's,
        exactly as with W_f = 0) and no source node runs.
    own_input_dropout : `float`, optional (default = `0.0`, the paper: none)
        In training, dropout on the input x_t of a task's own (fusion) LSTM only, for tasks that
        have sources: the source LSTMs and the attention scores still see x_t intact, so a task
        whose own view of a word is dropped can get it from its messages. Meant to make the
        tasks rely on what they read (results/planted/README.md).

    # Attributes

    `nodes` (`ModuleDict` of `torch.nn.LSTM`, one per task and virtual node), `fusion`
    (`FusionWeights`: W_f, W_r, W_c; `None` when no task has sources) and `aggregators` (`ModuleDict`, one
    per target task with a non-empty source list).
    """

    def __init__(
        self,
        tasks: List[str],
        topology: Topology,
        input_dim: int,
        hidden_dim: int,
        task_message_gradients: bool = True,
        attention_entropy: bool = False,
        read_messages: bool = True,
        own_input_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= own_input_dropout <= 1.0:
            raise ConfigurationError(f"own_input_dropout must be in [0, 1], got {own_input_dropout}")
        self.tasks = list(tasks)
        self.task_message_gradients = task_message_gradients
        self.attention_entropy = attention_entropy
        self.read_messages = read_messages
        self.own_input_dropout = float(own_input_dropout)
        self.virtual_nodes = list(topology.virtual_nodes())
        self.input_dim = input_dim
        self.hidden_dim = hidden_dim
        self.graph: Dict[str, List[str]] = topology.graph(self.tasks)
        self.nodes = torch.nn.ModuleDict({name: torch.nn.LSTM(input_dim, hidden_dim, batch_first=True)
                                          for name in self.tasks + self.virtual_nodes})
        topology.begin_build()
        self.aggregators = torch.nn.ModuleDict({
            target: topology.build_aggregator(target, sources, input_dim, hidden_dim, hidden_dim)
            for target, sources in self.graph.items() if sources
        })
        self.fusion = FusionWeights(hidden_dim, hidden_dim) if len(self.aggregators) > 0 else None

    def forward(
        self, inputs: torch.Tensor, mask: torch.BoolTensor, groups: List[Group]
    ) -> Tuple[torch.Tensor, List[GroupAttention]]:
        """
        # Parameters

        inputs : `(batch, seq_len, input_dim)`, sorted by task so that `groups` are slices.
        mask : `(batch, seq_len)`, left-aligned (True on a prefix of each row).
        groups : the task groups, covering the batch in order.

        # Returns

        `(outputs, attention)`: outputs `(batch, seq_len, hidden_dim)`, 0 on padding; one
        `GroupAttention` per group whose aggregator returns weights.
        """
        seq_len = inputs.size(1)
        graph = self.graph if self.read_messages else {task: [] for task in self.graph}
        needed = [name for name in self.nodes if any(name in graph[g.task] for g in groups)]
        # Each needed node once over the whole batch, with its own nn.LSTM (fused kernel).
        states = {name: self._node_states(name, inputs) for name in needed}
        outputs = []
        attention = []
        for group in groups:
            x = inputs[group.start : group.end, : group.length]
            group_mask = mask[group.start : group.end, : group.length]
            sources = graph[group.task]
            if sources:
                messages = torch.stack(
                    [states[name][group.start : group.end, : group.length] for name in sources], dim=2
                )
                hidden, weights = self._fusion_recurrence(group.task, x, group_mask, messages)
                if weights is not None:
                    kind = self.aggregators[group.task].kind
                    entropy, tokens = None, 0
                    if self.attention_entropy:  # -sum w log w per token (0 and a finite gradient for w = 0)
                        log_weights = torch.log(weights.clamp_min(torch.finfo(weights.dtype).tiny))
                        token_entropy = -(weights * log_weights).sum(-1)
                        entropy = (token_entropy * group_mask.to(weights.dtype)).sum()
                        tokens = int(group_mask.sum())
                    attention.append(GroupAttention(group, kind, sources, weights.detach(), entropy, tokens))
            else:
                hidden = self.nodes[group.task](x)[0]
            hidden = hidden * group_mask.unsqueeze(-1).to(hidden.dtype)
            if group.length < seq_len:
                hidden = F.pad(hidden, (0, 0, 0, seq_len - group.length))
            outputs.append(hidden)
        output = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=0)
        return output, attention

    def _node_states(self, name: str, inputs: torch.Tensor) -> torch.Tensor:
        """The hidden states of node `name` over the batch, as messages."""
        if self.task_message_gradients or name not in self.tasks or not torch.is_grad_enabled():
            return self.nodes[name](inputs)[0]
        with torch.no_grad():
            return self.nodes[name](inputs)[0]

    def _fusion_recurrence(
        self, task: str, inputs: torch.Tensor, mask: torch.BoolTensor, messages: torch.Tensor
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The fusion LSTM of `task` over a homogeneous group; returns `(h, weights)`."""
        aggregator = self.aggregators[task]
        assert self.fusion is not None
        steps = aggregator.fast_steps(inputs, messages, mask)
        if type(aggregator) not in _logged_paths:
            _logged_paths.add(type(aggregator))
            logger.info("aggregator %s%s", type(aggregator).__qualname__, PATH_MESSAGES[steps is not None])
        if steps is None:
            steps = AutogradSteps(aggregator, aggregator.prepare(inputs, messages, mask))
        weight_ih, weight_hh, bias_ih, bias_hh = lstm_weights(self.nodes[task])
        own_inputs = F.dropout(inputs, self.own_input_dropout, self.training) if self.own_input_dropout else inputs
        return fusion_recurrence(
            steps, F.linear(own_inputs, weight_ih, bias_ih + bias_hh), weight_hh, *self.fusion.message_parameters(),
            self.fusion.gate_cell.weight,
        )
