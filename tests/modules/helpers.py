from typing import List

import torch

from benchmarks import step_aggregators
from graph_mtl.modules.seq2seq_encoders import MessagePassingEncoder

TASKS = ["books", "dvd", "music"]


def make_encoder(topology="direct", bidirectional=False, num_layers=1, tasks=None, input_dim=4,
                 hidden_dim=3, init=0.5, seed=0, steps="fused", **kwargs) -> MessagePassingEncoder:
    """A small float64 encoder with parameters uniform in +-init. `steps="autograd"`: its built-in
    aggregators are their step versions (benchmarks/step_aggregators.py: `prepare` / `step` by
    autograd, as a plugin's), the second oracle of the hand-written steps."""
    torch.manual_seed(seed)
    encoder = MessagePassingEncoder(
        tasks or TASKS, input_dim, hidden_dim, topology=topology, num_layers=num_layers,
        bidirectional=bidirectional, **kwargs
    ).double()
    if init is not None:
        with torch.no_grad():
            for parameter in encoder.parameters():
                parameter.uniform_(-init, init)
    use_step_versions(encoder, steps)
    return encoder


def use_step_versions(module: torch.nn.Module, steps: str = "autograd") -> torch.nn.Module:
    """`steps="autograd"`: every built-in aggregator inside `module` becomes its step version (for
    good); `"fused"`: nothing changes."""
    assert steps in ("fused", "autograd"), steps
    if steps == "autograd":
        step_aggregators.use_step_versions(module)
    return module


def lengths_mask(lengths: List[int], seq_len: int = None) -> torch.BoolTensor:
    seq_len = seq_len or max(lengths)
    return torch.arange(seq_len).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)


def random_inputs(lengths: List[int], input_dim: int = 4, seq_len: int = None, seed: int = 1):
    generator = torch.Generator().manual_seed(seed)
    mask = lengths_mask(lengths, seq_len)
    inputs = torch.randn(*mask.shape, input_dim, generator=generator, dtype=torch.float64)
    # Garbage on padding: it must not matter.
    return inputs, mask
