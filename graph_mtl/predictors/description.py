"""
What the `graph_mtl` predictor says about a model's communication (its `describe()`, which
`graph-mtl-report` writes): the multi-task encoder, its topology, virtual nodes, the nodes each
task reads and their aggregators, all from the `MultiTaskEncoder` interface.
"""
from typing import Any, Dict, List, Optional

import torch
from allennlp.common.registrable import Registrable
from allennlp.models import Model
from allennlp.modules.seq2seq_encoders import Seq2SeqEncoder

from graph_mtl.modules.seq2seq_encoders.multitask_encoder import MultiTaskEncoder
from graph_mtl.modules.topologies.topology import Topology


def find_multitask_encoder(model: torch.nn.Module) -> Optional[MultiTaskEncoder]:
    """The `MultiTaskEncoder` of `model` (its backbone's encoder), if it has one."""
    return next((module for module in model.modules() if isinstance(module, MultiTaskEncoder)), None)


def registered_name(obj: Any, base: type) -> Optional[str]:
    """The name `type(obj)` is registered under in allennlp's registry of `base`, if any."""
    for name, (cls, _) in Registrable._registry.get(base, {}).items():
        if cls is type(obj):
            return name
    return None


def source_graph(encoder: Optional[MultiTaskEncoder]) -> Dict[str, List[str]]:
    """`{target task: [source nodes]}` of the encoder (task and virtual nodes, its order); `{}`
    for an encoder whose tasks pass no messages."""
    if encoder is None:
        return {}
    return {task: list(sources) for task, sources in encoder.graph().items()}


def describe_model(model: Model, encoder: Optional[MultiTaskEncoder]) -> Dict[str, Any]:
    """
    What the report says about the model's communication: `tasks`, `encoder` (registered name
    of the backbone's encoder), and for a message-passing encoder `topology` (registered name),
    `virtual_nodes`, `sources` (`{task: [source nodes]}`) and `aggregators`
    (`{task: {"class", "kind"}}`, kind `sources`, `positions` or `none`).
    """
    info: Dict[str, Any] = {"tasks": list(getattr(model, "_heads", {}) or {})}
    shown = encoder if encoder is not None else getattr(getattr(model, "_backbone", None), "_encoder", None)
    if shown is not None:
        info["encoder"] = registered_name(shown, Seq2SeqEncoder) or type(shown).__name__
    sources = source_graph(encoder)
    if encoder is None or not sources:
        return info
    if encoder.topology is not None:
        info["topology"] = registered_name(encoder.topology, Topology) or type(encoder.topology).__name__
    info["virtual_nodes"] = list(encoder.virtual_nodes)
    info["sources"] = sources
    kinds = {
        str(task): {"class": type(module).__name__, "kind": str(getattr(module, "kind", "unknown"))}
        for task, module in encoder.aggregators().items()
    }
    if kinds:
        info["aggregators"] = kinds
    return info

