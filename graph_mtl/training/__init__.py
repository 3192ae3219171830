from graph_mtl.training.metrics import (  # noqa: F401
    TaskAverage,
    aggregate_task_metrics,
    default_task_averages,
)
from graph_mtl.training.checkpointer import GraphMtlCheckpointer  # noqa: F401
from graph_mtl.training import atomic_files  # noqa: F401
from graph_mtl.training import progress  # noqa: E402

# many-task progress bars fit a terminal line (graph_mtl.training.progress)
progress.use_in_allennlp()
