"""
The topology abstraction: which nodes send messages to a task node, and how the messages that
arrive are turned into the aggregated message r_t that the task's fusion LSTM reads (eqs. 9-11).

Nodes are of two kinds:

* task nodes, one per task, each owning an LSTM (theta^(k)). Their hidden states h_t^(i) are the
  messages of DC-MTL (eqs. 3-6);
* virtual nodes declared by the topology (for example IC-MTL's shared "mailbox" LSTM, theta^(s)),
  each an LSTM over the sentence that every task can read (eqs. 7-8).

A `Topology` only describes the graph and builds one `MessageAggregator` per target task; the
message-passing encoder owns the LSTMs, runs the source nodes over the sentence and calls the
aggregator once per time step of the target task's fusion LSTM. New topologies (flat,
hierarchical, users' own) are new `Topology` subclasses, registered under a name, with no change
to the encoder.
"""
from typing import Any, Dict, List, Optional, Tuple

import torch
from allennlp.common import Registrable
from allennlp.common.checks import ConfigurationError


NODE_NAME_RULE = (
    "a node name (a task, or a virtual node from Topology.virtual_nodes()) must be a non-empty "
    "string without '.' that is not an attribute of torch.nn.ModuleDict (such as 'keys', "
    "'items', 'values', 'update', 'pop', 'clear', 'training'), and each virtual node is declared "
    "once and is not a task name; see docs/plugins.md, 'Virtual nodes'"
)
"""The names the encoder can use as keys of its `torch.nn.ModuleDict` of node LSTMs."""


def check_node_names(topology: "Topology", tasks: List[str], virtual_nodes: List[Any]) -> None:
    """`ConfigurationError` naming `NODE_NAME_RULE` for the first task or virtual node name that
    breaks it (torch would raise a bare `KeyError` / `TypeError` from inside the encoder), or for
    virtual nodes declared twice or named like a task."""
    attributes = torch.nn.ModuleDict()
    for kind, names in (("task name", tasks), ("virtual node", virtual_nodes)):
        for name in names:
            if not isinstance(name, str):
                problem = f"is a {type(name).__name__}, not a string"
            elif not name:
                problem = "is empty"
            elif "." in name:
                problem = "contains '.'"
            elif hasattr(attributes, name):
                problem = "is an attribute of torch.nn.ModuleDict"
            elif kind == "virtual node" and virtual_nodes.count(name) > 1:
                problem = "is declared more than once"
            elif kind == "virtual node" and name in tasks:
                problem = "is also a task name"
            else:
                continue
            source = f"topology {type(topology).__name__}: " if kind == "virtual node" else ""
            raise ConfigurationError(f"{source}{kind} {name!r} {problem}; {NODE_NAME_RULE}")


class MessageAggregator(torch.nn.Module):
    """
    Aggregates the messages arriving at one target task node into r_t.

    The encoder first runs every source node over the whole sentence, giving
    `messages` of shape `(batch, seq_len, num_sources, message_dim)` (the states h_t^(i) of the
    `num_sources` source nodes, in the order `Topology.sources` returned them). It calls
    `prepare` once per sentence (the place for work that does not depend on the recurrence,
    such as projecting every message with its part of W), then `step` once per time step with
    the target's previous hidden state. `prepare` returns the tensors `step` reads in tuples,
    lists or dicts: the fusion recurrence differentiates `step` by autograd one step at a time,
    on detached copies of those tensors (`graph_mtl.modules.fusion_lstm.AutogradSteps`). A step
    should read its own slice (prepare per-step views with `unbind(1)`): indexing a whole
    `(batch, seq_len, ...)` tensor at every step makes a full-size gradient per step.

    `recompute_steps = True` (class attribute) makes the recurrence keep no step's graph and run
    `step` again in the backward pass: for steps with large intermediate tensors (attention over
    every position), less memory for a second forward; `step` must then be deterministic
    (randomness such as dropout belongs in `prepare`).

    `kind` says what the returned weights range over, so that outputs can be named and shown:
    `"sources"` (one weight per source node at step t, the alpha of DC-MTL), `"positions"` (one
    weight per position of the source sequence, the beta of IC-MTL) or `"none"` (no learned
    weights, e.g. a fixed mean).
    """

    kind: str = "none"
    recompute_steps: bool = False

    def prepare(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> Any:
        """
        # Parameters

        inputs : `torch.Tensor`, `(batch, seq_len, input_dim)` -- the x_t of the target task.
        messages : `torch.Tensor`, `(batch, seq_len, num_sources, message_dim)`.
        mask : `torch.BoolTensor`, `(batch, seq_len)` -- True on real tokens.

        # Returns

        Whatever `step` needs (a tensor, a tuple or a dict).
        """
        raise NotImplementedError

    def step(
        self, prepared: Any, timestep: int, hidden: torch.Tensor
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """
        # Parameters

        prepared : what `prepare` returned.
        timestep : `int` -- t, the position being computed.
        hidden : `torch.Tensor`, `(batch, hidden_dim)` -- h_{t-1}^(k) of the target task.

        # Returns

        r_t : `torch.Tensor`, `(batch, message_dim)`.
        weights : `torch.Tensor` or `None` -- `(batch, num_sources)` for kind `"sources"`,
            `(batch, seq_len * num_sources)` for kind `"positions"`; each row sums to 1 over
            the entries that are not masked, and masked entries are exactly 0.
        """
        raise NotImplementedError

    def forward(self, prepared: Any, timestep: int, hidden: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """`step` (what `torch.func.functional_call` runs for `AutogradSteps`)."""
        return self.step(prepared, timestep, hidden)

    def fast_steps(self, inputs: torch.Tensor, messages: torch.Tensor, mask: torch.BoolTensor) -> Optional[Any]:
        """
        Optional: hand-written forward and backward steps, a
        `graph_mtl.modules.fusion_lstm.AggregatorSteps` built from the same arguments as
        `prepare` (the built-in aggregators have these instead of `prepare` / `step`). `None`
        (this default): the fusion recurrence differentiates `step` by autograd one step at a
        time (`AutogradSteps`, see `recompute_steps` above): correct, and slower.
        """
        return None


class Topology(Registrable):
    """
    A communication graph over tasks. Subclasses are registered with
    `@Topology.register("name")` and chosen in a config by
    `"topology": {"type": "name", ...}` inside the message-passing encoder.

    Subclasses implement `sources` and `build_aggregator`; they override `virtual_nodes` if
    the graph has shared nodes and `validate` to reject bad configurations.
    """

    default_implementation = "direct"

    def virtual_nodes(self) -> List[str]:
        """Names of the virtual (shared) nodes this topology needs; each becomes an LSTM."""
        return []

    def validate(self, tasks: List[str]) -> None:
        """Raise `ConfigurationError` if the topology does not fit these task names."""
        return None

    def sources(self, target: str, tasks: List[str]) -> List[str]:
        """
        The nodes (task names or names from `virtual_nodes()`) that send messages to
        `target`, in a fixed order. An empty list means the task receives no messages
        (r_t = 0, the fusion LSTM is then a plain LSTM).
        """
        raise NotImplementedError

    def build_aggregator(
        self, target: str, sources: List[str], input_dim: int, hidden_dim: int, message_dim: int
    ) -> MessageAggregator:
        """
        Build the module that turns the messages from `sources` into r_t for `target`.
        Called once per target task with a non-empty source list, for each layer and
        direction of the encoder (after `begin_build`). Not called for targets without sources.
        """
        raise NotImplementedError

    def begin_build(self) -> None:
        """
        Optional hook: the encoder calls it before it builds the aggregators of one layer and
        direction (then `build_aggregator` for every target of that layer and direction).
        A topology that shares one module between the aggregators of several targets creates
        (or forgets) it here, so that layers and directions do not share it. Default: nothing.
        """
        return None

    def graph(self, tasks: List[str]) -> Dict[str, List[str]]:
        """
        The whole graph as `{target: [sources]}`, checked: `validate`, the node names
        (`check_node_names`), then every source a node and none of a target's repeated; a
        `ConfigurationError` otherwise.
        """
        self.validate(tasks)
        virtual_nodes = list(self.virtual_nodes())
        check_node_names(self, tasks, virtual_nodes)
        nodes = list(tasks) + virtual_nodes
        graph = {target: list(self.sources(target, tasks)) for target in tasks}
        for target, sources in graph.items():
            unknown = [name for name in sources if name not in nodes]
            if unknown or len(set(sources)) != len(sources):
                problem = f"the unknown source(s) {unknown}" if unknown else f"a repeated source: {sources}"
                raise ConfigurationError(
                    f"topology {type(self).__name__} gives task {target!r} {problem}; the nodes are {nodes}"
                )
        return graph
