"""
`allennlp predict` as graph-mtl runs it: `use_in_allennlp()` (called when graph_mtl is imported)
puts one subclass of allennlp's `_PredictManager` in its place (`allennlp.commands.predict` looks
the name up when the command runs), which

* writes `--output-file` atomically (`graph_mtl.common.atomic`): allennlp's writer gets a
  temporary file next to the output (`<name>.<random>.partial`), renamed over it when `run()`
  returns; a kill or an error part-way leaves the previous file (or none), never a truncated one
  that looks complete (a script that resumes by checking whether a prediction file exists, as
  `benchmarks/planted_relation.py` does, would take it for finished). The price: the output
  appears only at the end, and after an error (a bad input line with `on_error: raise`) the lines
  predicted before it are not kept (`on_error: record` keeps every good line);
* reads the input of the `graph_mtl` predictor line by line from bytes: a line that is not valid
  UTF-8 is one bad line, handled by the predictor's `on_error` like any other, and the error of a
  bad line names the file (`input.jsonl, input line 2: ...`; `<stdin>` for `-`). Every other
  predictor, and stdin, keep allennlp's own loop.

Why this needs allennlp's class replaced (no extension point of allennlp 2.10.1 does it):

* `_get_json_data` opens the input itself, as strict UTF-8 text (`open_compressed`), and iterates
  it: a byte that is not UTF-8 raises `UnicodeDecodeError` inside that loop before any predictor
  method runs, and ends the command (no prediction is written), whatever `on_error` says;
* the predictor is built by `Predictor.from_archive(archive, name, dataset_reader_to_load,
  extra_args)` from `--predictor-args` alone and then gets one line at a time (`load_line`) and
  JSON dicts: nothing it is given names the input file;
* a plugin `Subcommand` registered as `predict` is never used by `allennlp predict`: allennlp
  builds the parser of its own subcommands before it imports plugins (it imports them first only
  for an unknown subcommand), and the parsed `func` is its own `_predict`, which writes the
  output through `_PredictManager`.
"""
from contextlib import ExitStack
from typing import Any, Iterator, Optional

from allennlp.common.file_utils import cached_path
from allennlp.common.util import JsonDict

from graph_mtl.common.atomic import atomic_path
from graph_mtl.predictors.graph_mtl import GraphMtlPredictor
from graph_mtl.predictors.inputs import InputLineError, read_lines


def graph_mtl_predict_manager(base: type) -> type:
    """The subclass of allennlp's `_PredictManager` (`base`) described above."""

    class GraphMtlPredictManager(base):  # type: ignore[valid-type,misc]
        graph_mtl_predict_manager = True

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

        def _get_json_data(self) -> Iterator[JsonDict]:
            try:
                if self._input_file == "-" or not isinstance(self._predictor, GraphMtlPredictor):
                    yield from super()._get_json_data()
                else:  # line by line from bytes: a line that is not UTF-8 is one bad line
                    for _, line in read_lines(cached_path(self._input_file)):
                        yield self._predictor.load_line(line)
            except InputLineError as error:
                if error.source is not None:
                    raise
                source = "<stdin>" if self._input_file == "-" else str(self._input_file)
                raise error.in_file(source) from None

    GraphMtlPredictManager.__name__ = GraphMtlPredictManager.__qualname__ = base.__name__
    GraphMtlPredictManager.__module__ = base.__module__
    return GraphMtlPredictManager


def use_in_allennlp() -> None:
    """Puts `GraphMtlPredictManager` in the place of allennlp's `_PredictManager`; idempotent."""
    import allennlp.commands.predict as predict

    if not getattr(predict._PredictManager, "graph_mtl_predict_manager", False):  # noqa: SLF001
        predict._PredictManager = graph_mtl_predict_manager(predict._PredictManager)  # noqa: SLF001
