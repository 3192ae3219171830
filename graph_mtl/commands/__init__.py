from graph_mtl.commands import atomic_outputs, paths, predict_manager  # noqa: F401
from graph_mtl.commands.report import GraphMtlReport  # noqa: F401
