from graph_mtl.models import heads  # noqa: F401
