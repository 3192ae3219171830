from graph_mtl.predictors.graph_mtl import GraphMtlPredictor  # noqa: F401
from graph_mtl.predictors.inputs import InputLineError, PredictionInput  # noqa: F401
