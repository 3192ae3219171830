"""
`allennlp predict --output-file` and `allennlp evaluate --output-file / --predictions-output-file`
write their files atomically (`graph_mtl.common.atomic`): into a temporary file next to the
output (`<name>.<random>.partial`), renamed over it when the command has finished. A kill or an
error part-way leaves the previous file (or none) and no truncated output that looks complete:
a script that resumes by checking whether a prediction file exists (as
`benchmarks/planted_relation.py` does) would take that for finished. The price: the output
appears only at the end, and after an error (a bad input line with `on_error: raise`) the lines
predicted before it are not kept (`on_error: record` keeps every good line).

`use_in_allennlp()` (called when graph_mtl is imported) does this through the names the commands
look up when they run, without copying their code:

* `allennlp.commands.predict._PredictManager` (which `_predict` looks up when it runs) becomes a
  subclass that gives allennlp's writer the temporary path and renames it when `run()` returns;
* `SimpleEvaluator.__call__` (called by `allennlp evaluate` once per input file, with that
  file's output paths) gets temporary paths for both files and renames them when it returns.
"""
from contextlib import ExitStack
from typing import Any, Dict, Optional

from allennlp.evaluation.evaluator import SimpleEvaluator

from graph_mtl.common.atomic import atomic_path


def atomic_predict_manager(base: type) -> type:
    """A subclass of allennlp's `_PredictManager` (`base`) that writes `--output-file` atomically."""

    class AtomicPredictManager(base):  # type: ignore[valid-type,misc]
        graph_mtl_atomic = True

        def __init__(self, predictor: Any, input_file: str, output_file: Optional[str], *args: Any,
                     **kwargs: Any) -> None:
            self._graph_mtl_output = ExitStack()
            if output_file is not None:
                output_file = self._graph_mtl_output.enter_context(atomic_path(output_file))
            try:
                super().__init__(predictor, input_file, output_file, *args, **kwargs)
            except BaseException as error:
                self._graph_mtl_finish(error)
                raise

        def run(self) -> None:
            try:
                super().run()
            except BaseException as error:
                self._graph_mtl_finish(error)
                raise
            self._graph_mtl_finish(None)

        def _graph_mtl_finish(self, error: Optional[BaseException]) -> None:
            """Closes allennlp's handle; renames the temporary file into place, or (after
            `error`) removes it."""
            handle = getattr(self, "_output_file", None)
            if handle is not None and not handle.closed:
                handle.close()
            if error is None:
                self._graph_mtl_output.close()
            else:
                self._graph_mtl_output.__exit__(type(error), error, error.__traceback__)

    AtomicPredictManager.__name__ = AtomicPredictManager.__qualname__ = base.__name__
    AtomicPredictManager.__module__ = base.__module__
    return AtomicPredictManager


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
    """Points `allennlp predict` and `allennlp evaluate` at the atomic writers above; idempotent."""
    import allennlp.commands.predict as predict

    if not getattr(predict._PredictManager, "graph_mtl_atomic", False):  # noqa: SLF001
        predict._PredictManager = atomic_predict_manager(predict._PredictManager)  # noqa: SLF001
    if not getattr(SimpleEvaluator.__call__, "graph_mtl_atomic", False):
        SimpleEvaluator.__call__ = atomic_evaluator_call(SimpleEvaluator.__call__)  # type: ignore[method-assign]
