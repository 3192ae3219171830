from graph_mtl.commands.report import GraphMtlReport  # noqa: F401
