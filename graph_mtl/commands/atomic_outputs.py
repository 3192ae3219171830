"""
`allennlp evaluate --output-file / --predictions-output-file` write their files atomically
(`graph_mtl.common.atomic`): into a temporary file next to the output (`<name>.<random>.partial`),
renamed over it when the command has finished, so that a kill or an error part-way leaves the
previous file (or none), never a truncated one that looks complete. (`allennlp predict
--output-file`: `graph_mtl.commands.predict_manager`.)

`use_in_allennlp()` (called when graph_mtl is imported) does this through the name the command
calls, without copying its code: `SimpleEvaluator.__call__` (called by `allennlp evaluate` once per
input file, with that file's output paths) gets temporary paths for both files and renames them
when it returns.
"""
from contextlib import ExitStack
from typing import Any, Dict

from allennlp.evaluation.evaluator import SimpleEvaluator

from graph_mtl.common.atomic import atomic_path


def atomic_evaluator_call(original: Any) -> Any:
    """`SimpleEvaluator.__call__` (`original`) writing its metrics and predictions files atomically."""

    def __call__(self: SimpleEvaluator, model: Any, data_loader: Any, batch_weight_key: str = None,
                 metrics_output_file: Any = None, predictions_output_file: Any = None) -> Dict[str, Any]:
        with ExitStack() as outputs:
            if metrics_output_file is not None:
                metrics_output_file = outputs.enter_context(atomic_path(metrics_output_file))
            if predictions_output_file is not None:
                predictions_output_file = outputs.enter_context(atomic_path(predictions_output_file))
            return original(self, model, data_loader, batch_weight_key,
                            metrics_output_file=metrics_output_file,
                            predictions_output_file=predictions_output_file)

    __call__.graph_mtl_atomic = True  # type: ignore[attr-defined]
    __call__.__doc__ = original.__doc__
    return __call__


def use_in_allennlp() -> None:
    """Points `allennlp evaluate` at the atomic writer above; idempotent."""
    if not getattr(SimpleEvaluator.__call__, "graph_mtl_atomic", False):
        SimpleEvaluator.__call__ = atomic_evaluator_call(SimpleEvaluator.__call__)  # type: ignore[method-assign]
