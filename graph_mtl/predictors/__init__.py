from graph_mtl.predictors.graph_mtl import GraphMtlPredictor  # noqa: F401
from graph_mtl.predictors.inputs import InputLineError, PredictionInput  # noqa: F401
from graph_mtl.predictors import predict_command

# `allennlp predict` reads the input of the graph_mtl predictor from bytes and names the file in
# a bad line's error (graph_mtl.predictors.predict_command says why that needs a patch).
predict_command.use_in_allennlp()
