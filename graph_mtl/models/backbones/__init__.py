from graph_mtl.models.backbones.graph_mtl_backbone import GraphMtlBackbone  # noqa: F401
