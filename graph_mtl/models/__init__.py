from graph_mtl.models import heads, backbones  # noqa: F401
from graph_mtl.models.graph_mtl_model import GraphMtlModel  # noqa: F401
