"""
Optional variables of the training configs.

The configs in `training_configs/` read data folders and files with jsonnet's `std.extVar`,
which AllenNLP fills from the environment. jsonnet has no default for a missing variable
(`std.extVar` of an unset name is an error), so the *optional* ones get their default here:
importing `graph_mtl` (which `allennlp train/evaluate/predict` do before they read a config,
through `.allennlp_plugins` or `--include-package graph_mtl`) sets each of them to its
default when the environment does not. Required variables (data folders, `TASK`) are not
touched: a config that needs them still fails with jsonnet's "undefined external variable".

`use_import_path()` lets a config anywhere import the config library shipped in the package
(`graph_mtl/configs/*.libsonnet`, also reachable in a checkout as `training_configs/lib`):
`local custom = import 'graph_mtl/configs/custom.libsonnet';` works from any directory, with
`allennlp train` or `Params.from_file`, because AllenNLP's jsonnet evaluation gets the folder
that holds the installed `graph_mtl` package as an import path.
"""
import functools
import os
from typing import Any, Dict, List

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


CONFIG_LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")


def import_paths() -> List[str]:
    """The jsonnet import paths graph_mtl adds: the folder that holds the `graph_mtl` package, so
    that `import 'graph_mtl/configs/<name>.libsonnet'` resolves from any config."""
    return [os.path.dirname(os.path.dirname(CONFIG_LIBRARY))]


def use_import_path() -> None:
    """Makes `allennlp.common.params.evaluate_file` (what `Params.from_file` and every allennlp
    command read configs with) search `import_paths()` after the importing file's folder.
    Idempotent; a `jpathdir` given by the caller comes first."""
    from allennlp.common import params

    evaluate = params.evaluate_file
    if getattr(evaluate, "graph_mtl_import_path", False):
        return

    @functools.wraps(evaluate)
    def evaluate_file(filename: str, **kwargs: Any) -> str:
        given = kwargs.pop("jpathdir", None)
        given = [] if given is None else [given] if isinstance(given, str) else list(given)
        return evaluate(filename, jpathdir=given + import_paths(), **kwargs)

    evaluate_file.graph_mtl_import_path = True  # type: ignore[attr-defined]
    params.evaluate_file = evaluate_file
