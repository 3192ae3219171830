from graph_mtl.commands import atomic_outputs, paths  # noqa: F401
from graph_mtl.commands.report import GraphMtlReport  # noqa: F401
