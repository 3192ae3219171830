"""
The encoders the benchmark times, imported so that only torch is required.

graph_mtl's encoder modules import three small things from AllenNLP (`ConfigurationError`,
`Registrable` for the `Topology` registry, the `Seq2SeqEncoder` base class), and
`graph_mtl/__init__.py` pulls in the whole AllenNLP stack (data, models, training). The benchmark
must also run on a machine that has only Python and torch (the GPU image), so:

* if `allennlp` imports, the real package is used (`import graph_mtl`, everything registered);
* otherwise (or with `standalone=True`), a tiny stand-in for those three AllenNLP names is put in
  `sys.modules`, and `graph_mtl`, `graph_mtl.modules` and `graph_mtl.modules.seq2seq_encoders`
  are created as empty packages pointing at the source folders, so that their `__init__` files
  (which import AllenNLP-heavy siblings) do not run. The encoder code itself is the repository's,
  unchanged: `graph_mtl/modules/{fusion_lstm, message_passing_layer,
  task_batching, aggregators, topologies, seq2seq_encoders/{multitask_encoder, message_passing_encoder}}.py`;
  `benchmarks/step_aggregators.py` (the `--generic` path) imports from them the same way.

SP-MTL (`shared_private.py`) needs AllenNLP's `PytorchSeq2SeqWrapper` and the classifier head's
pooling, so in standalone mode it is replaced by `TorchSharedPrivate` below, the same
computation in plain torch (shared + private LSTM, discriminator on the last shared state with
gradient reversal, orthogonality penalty). No vendoring step is needed: carrying the repository
(or just `benchmarks/` and `graph_mtl/modules/`) is enough.
"""
import importlib
import os
import sys
import types
from typing import Dict, List

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _allennlp_available() -> bool:
    try:
        import allennlp  # noqa: F401
    except Exception:
        return False
    return True


class _ConfigurationError(Exception):
    pass


class _Registrable:
    """The part of `allennlp.common.Registrable` that the encoder modules use."""

    _registry: Dict[type, Dict[str, type]] = {}
    default_implementation = None

    @classmethod
    def register(cls, name: str, exist_ok: bool = False):
        registry = _Registrable._registry.setdefault(cls, {})

        def add(subclass):
            registry[name] = subclass
            return subclass

        return add

    @classmethod
    def by_name(cls, name: str):
        return _Registrable._registry.get(cls, {})[name]

    @classmethod
    def list_available(cls) -> List[str]:
        return list(_Registrable._registry.get(cls, {}))


class _Seq2SeqEncoder(torch.nn.Module, _Registrable):
    def __init__(self, stateful: bool = False) -> None:
        super().__init__()
        self.stateful = stateful


def _install_shims() -> None:
    def module(name, **attrs):
        mod = types.ModuleType(name)
        mod.__dict__.update(attrs)
        sys.modules[name] = mod
        return mod

    if "allennlp" not in sys.modules:
        module("allennlp", __path__=[])
        module("allennlp.common", __path__=[], Registrable=_Registrable)
        module("allennlp.common.checks", ConfigurationError=_ConfigurationError)
        module("allennlp.modules", __path__=[])
        module("allennlp.modules.seq2seq_encoders", __path__=[])
        module("allennlp.modules.seq2seq_encoders.seq2seq_encoder", Seq2SeqEncoder=_Seq2SeqEncoder)
    base = os.path.join(ROOT, "graph_mtl")
    for name, path in (
        ("graph_mtl", base),
        ("graph_mtl.modules", os.path.join(base, "modules")),
        ("graph_mtl.modules.seq2seq_encoders", os.path.join(base, "modules", "seq2seq_encoders")),
    ):
        if name not in sys.modules:
            module(name, __path__=[path])


class TorchSharedPrivate(torch.nn.Module):
    """SP-MTL in plain torch (standalone mode), the computation of `SharedPrivateEncoder`."""

    def __init__(self, tasks: List[str], input_dim: int, hidden_dim: int,
                 adversarial_weight: float = 0.05, orthogonality_weight: float = 0.01) -> None:
        super().__init__()
        self.tasks = list(tasks)
        self.shared = torch.nn.LSTM(input_dim, hidden_dim, batch_first=True)
        self.private = torch.nn.ModuleDict(
            {t: torch.nn.LSTM(input_dim, hidden_dim, batch_first=True) for t in self.tasks}
        )
        self.discriminator = torch.nn.Linear(hidden_dim, len(self.tasks))
        self.adversarial_weight = adversarial_weight
        self.orthogonality_weight = orthogonality_weight
        self._aux = None

    def forward(self, inputs, mask, task):
        ids = [self.tasks.index(name) for name in task]
        shared = self.shared(inputs)[0]
        private = torch.zeros_like(shared)
        for index, name in enumerate(self.tasks):
            rows = [row for row, task_id in enumerate(ids) if task_id == index]
            if rows:
                rows_tensor = torch.tensor(rows, device=inputs.device)
                encoded = self.private[name](inputs.index_select(0, rows_tensor))[0]
                private = private.index_copy(0, rows_tensor, encoded)
        float_mask = mask.unsqueeze(-1).to(shared.dtype)
        shared, private = shared * float_mask, private * float_mask
        last = mask.sum(1) - 1
        pooled = shared[torch.arange(shared.size(0), device=shared.device), last]
        reversed_pooled = _Reverse.apply(pooled)
        target = torch.tensor(ids, device=inputs.device)
        adversarial = torch.nn.functional.cross_entropy(self.discriminator(reversed_pooled), target)
        orthogonality = torch.bmm(shared.transpose(1, 2), private).pow(2).sum(dim=(1, 2)).mean()
        self._aux = self.adversarial_weight * adversarial + self.orthogonality_weight * orthogonality
        return torch.cat([private, shared], dim=-1)

    def get_aux_loss(self):
        return self._aux


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs):
        return inputs.view_as(inputs)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Encoders:
    """Constructors of the timed encoders; `mode` says where they came from."""

    def __init__(self, standalone: bool = False) -> None:
        if standalone or not _allennlp_available():
            _install_shims()
            self.mode = "standalone (torch + graph_mtl/modules only; AllenNLP stand-ins)"
            self.shared_private_class = TorchSharedPrivate
            self.sp_mtl_source = "benchmarks/encoders.py TorchSharedPrivate (plain-torch SP-MTL)"
        else:
            importlib.import_module("graph_mtl")
            from graph_mtl.modules.seq2seq_encoders.shared_private import SharedPrivateEncoder

            self.mode = "allennlp (graph_mtl package imported)"
            self.shared_private_class = SharedPrivateEncoder
            self.sp_mtl_source = "graph_mtl SharedPrivateEncoder"
        # The order of graph_mtl/modules/__init__.py (topologies before aggregators: they import
        # each other).
        importlib.import_module("graph_mtl.modules.topologies")
        encoder_module = importlib.import_module(
            "graph_mtl.modules.seq2seq_encoders.message_passing_encoder"
        )
        self.MessagePassingEncoder = encoder_module.MessagePassingEncoder

    def topologies(self) -> List[str]:
        """The registered topology names (the built-ins, and with AllenNLP the installed plugins')."""
        return list(importlib.import_module("graph_mtl.modules.topologies").Topology.list_available())

    def message_passing(self, topology: str, tasks: List[str], dim: int, hidden: int):
        return self.MessagePassingEncoder(tasks, dim, hidden, topology=topology)

    def autograd_steps(self, model: torch.nn.Module, enabled: bool = True):
        """A context manager: within it the built-in aggregators of `model` run as their step
        versions (benchmarks/step_aggregators.py), a plugin aggregator's path."""
        return importlib.import_module("benchmarks.step_aggregators").autograd_steps(model, enabled)

    def message_passing_without_attention(self, topology: str, tasks: List[str], dim: int, hidden: int):
        """
        The `message_passing` encoder of `topology` with every attention aggregator replaced by
        `MeanAggregator` (r_t = the mean of the source states at step t): the same source LSTMs and
        fusion LSTM, no attention. Not a model anyone should train; its time is what the encoder
        costs apart from the attention, the floor that no attention kernel can go below.
        """
        topologies = importlib.import_module("graph_mtl.modules.topologies")
        aggregators = importlib.import_module("graph_mtl.modules.aggregators.attention")
        base = topologies.Topology.by_name(topology)

        class WithoutAttention(base):  # type: ignore[misc, valid-type]
            def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
                return aggregators.MeanAggregator()

        return self.MessagePassingEncoder(tasks, dim, hidden, topology=WithoutAttention())

    def gated_max_plugin(self, tasks: List[str], dim: int, hidden: int):
        """
        The `message_passing` encoder with the aggregator plugin of docs/plugins.md ("Writing
        your own aggregator", `GatedMaxAggregator`: r_t = sigmoid(w . h_{t-1} + b) * max_i
        h_t^(i), every task reading all the others): `prepare` and `step` only, no
        `fast_steps`, so the recurrence differentiates its `step` by autograd (`AutogradSteps`),
        the path every third-party aggregator takes. The same code as the guide's example
        (tests/benchmarks/test_encoder_speed.py compares the two).
        """
        topologies = importlib.import_module("graph_mtl.modules.topologies")

        class GatedMaxAggregator(topologies.MessageAggregator):
            kind = "none"

            def __init__(self, hidden_dim: int) -> None:
                super().__init__()
                self.gate = torch.nn.Linear(hidden_dim, 1)

            def prepare(self, inputs, messages, mask):
                return messages.max(dim=2).values.unbind(1)

            def step(self, prepared, timestep, hidden):
                return torch.sigmoid(self.gate(hidden)) * prepared[timestep], None

        class GatedMaxTopology(topologies.Topology):
            def sources(self, target, tasks):
                return [task for task in tasks if task != target]

            def build_aggregator(self, target, sources, input_dim, hidden_dim, message_dim):
                return GatedMaxAggregator(hidden_dim)

        return self.MessagePassingEncoder(tasks, dim, hidden, topology=GatedMaxTopology())

    def shared_private(self, tasks: List[str], dim: int, hidden: int):
        return self.shared_private_class(tasks, dim, hidden)
