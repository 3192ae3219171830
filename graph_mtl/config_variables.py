"""
Optional variables of the training configs.

The configs in `training_configs/` read data folders and files with jsonnet's `std.extVar`,
which AllenNLP fills from the environment. jsonnet has no default for a missing variable
(`std.extVar` of an unset name is an error), so the *optional* ones get their default here:
importing `graph_mtl` (which `allennlp train/evaluate/predict` do before they read a config,
through `.allennlp_plugins` or `--include-package graph_mtl`) sets each of them to its
default when the environment does not. Required variables (data folders, `TASK`) are not
touched: a config that needs them still fails with jsonnet's "undefined external variable".
"""
import os
from typing import Dict

# name -> (default, what it means)
OPTIONAL_CONFIG_VARIABLES: Dict[str, str] = {
    # GloVe-format vectors (scripts/train_vectors.py, `make vectors`) for the FDU-MTL configs;
    # empty: embeddings learned from random initialisation.
    "FDU_MTL_VECTORS": "",
    # The same for the tagging configs (chunk, NER, POS).
    "TAGGING_VECTORS": "",
}


def apply_defaults() -> None:
    """Sets every optional config variable that the environment leaves unset to its default."""
    for name, default in OPTIONAL_CONFIG_VARIABLES.items():
        os.environ.setdefault(name, default)
