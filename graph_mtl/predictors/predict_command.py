"""
`allennlp predict` with the `graph_mtl` predictor: the input file is read line by line from bytes
(a line that is not valid UTF-8 is one bad line, handled by the predictor's `on_error` like any
other) and the error of a bad line names the file (`input.jsonl, input line 2: ...`).

This is the one place the predictor changes allennlp, and it has to: `use_in_allennlp()` replaces
`allennlp.commands.predict._PredictManager._get_json_data` (for the `graph_mtl` predictor only;
every other predictor, and stdin, get allennlp's own loop, stdin errors naming `<stdin>`). Why no
extension point of allennlp 2.10.1 does it:

* `_get_json_data` opens the input itself, as strict UTF-8 text (`open_compressed`), and iterates
  it: a byte that is not UTF-8 raises `UnicodeDecodeError` inside that loop before any predictor
  method runs, and ends the command (no prediction is written), whatever `on_error` says.
* The predictor is built by `Predictor.from_archive(archive, name, dataset_reader_to_load,
  extra_args)` from `--predictor-args` alone and then gets one line at a time (`load_line`) and
  JSON dicts (`predict_json`, `predict_batch_json`): nothing it is given names the input file.
* A plugin `Subcommand` registered as `predict` is never used by `allennlp predict`: allennlp
  builds the parser of its own subcommands before it imports plugins (it imports them first only
  for an unknown subcommand), and the parsed `func` is its own `_predict`.
"""
from typing import Iterator

from allennlp.common.file_utils import cached_path
from allennlp.common.util import JsonDict

from graph_mtl.predictors.graph_mtl import GraphMtlPredictor
from graph_mtl.predictors.inputs import InputLineError, read_lines


def use_in_allennlp() -> None:
    """Makes `allennlp predict` read its input as described above; idempotent."""
    from allennlp.commands.predict import _PredictManager

    original = _PredictManager._get_json_data
    if getattr(original, "_graph_mtl_names_input_file", False):
        return

    def _get_json_data(self: _PredictManager) -> Iterator[JsonDict]:
        try:
            if self._input_file == "-" or not isinstance(self._predictor, GraphMtlPredictor):
                yield from original(self)
            else:  # line by line from bytes: a line that is not UTF-8 is one bad line
                for _, line in read_lines(cached_path(self._input_file)):
                    yield self._predictor.load_line(line)
        except InputLineError as error:
            if error.source is not None:
                raise
            source = "<stdin>" if self._input_file == "-" else str(self._input_file)
            raise error.in_file(source) from None

    _get_json_data._graph_mtl_names_input_file = True  # type: ignore[attr-defined]
    _PredictManager._get_json_data = _get_json_data  # type: ignore[method-assign]
