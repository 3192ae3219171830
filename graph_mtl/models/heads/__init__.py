from graph_mtl.models.heads.text_classifier import TextClassifierHead  # noqa: F401
from graph_mtl.models.heads.crf_tagger import CrfTaggerHead  # noqa: F401
