"""
No command may write over what it reads. `allennlp predict --output-file input.jsonl` opens
(and so empties) its output before it reads the input, and exits 0 with both gone; the same
with the model archive as output, with `allennlp evaluate`'s output files, and with
`graph-mtl-report` reading a `predictions.jsonl` of its own output folder. Each is refused
here, before anything is opened, with a message naming both paths.
"""
import json
import os
from typing import Any, Dict, Iterable, List, Optional, Tuple

from allennlp.common.checks import ConfigurationError

from graph_mtl.commands.quiet import quiet_if_silent


def same_file(first: str, second: str) -> bool:
    """Whether two paths name one file (after links and `..`; hard links too when both exist)."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def refuse_overwriting_inputs(
    command: str, outputs: Iterable[Tuple[str, Optional[str]]], inputs: Iterable[Tuple[str, Optional[str]]]
) -> None:
    """`ConfigurationError` when an output path (label, path) names an input (label, path)."""
    inputs = [(label, path) for label, path in inputs if path]
    for out_label, out_path in outputs:
        if not out_path:
            continue
        for in_label, in_path in inputs:
            if same_file(out_path, in_path):
                raise ConfigurationError(
                    f"{command}: {out_label} {out_path} is the same file as {in_label} {in_path}; "
                    f"writing it would destroy what the command reads. Choose another {out_label}."
                )


def data_paths(input_file: str) -> List[str]:
    """The files of an `allennlp evaluate` input: a path, comma-separated paths, or a JSON
    object / list of paths (graph_mtl's multi-task form)."""
    text = input_file.strip()
    if text.startswith(("{", "[")):
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            return [input_file]
        values = parsed.values() if isinstance(parsed, dict) else parsed
        return [str(v) for v in values if isinstance(v, str)]
    return [part for part in input_file.split(",") if part]


def guard_allennlp_commands() -> None:
    """Makes `allennlp predict` and `allennlp evaluate` check their paths first (they call
    these module functions by name at run time). Called when graph_mtl is imported; idempotent."""
    import allennlp.commands.evaluate as evaluate
    import allennlp.commands.predict as predict

    if not getattr(predict._get_predictor, "graph_mtl_guarded", False):  # noqa: SLF001
        get_predictor = predict._get_predictor  # noqa: SLF001

        def _get_predictor(args: Any) -> Any:
            refuse_overwriting_inputs(
                "allennlp predict",
                [("--output-file", getattr(args, "output_file", None))],
                [("the input file", args.input_file), ("the model archive", args.archive_file),
                 ("--weights-file", getattr(args, "weights_file", None))],
            )
            quiet_if_silent(args)  # --silent: no INFO log of the archive (graph_mtl.commands.quiet)
            return get_predictor(args)

        _get_predictor.graph_mtl_guarded = True  # type: ignore[attr-defined]
        predict._get_predictor = _get_predictor  # noqa: SLF001

    if not getattr(evaluate.evaluate_from_archive, "graph_mtl_guarded", False):
        evaluate_from_archive = evaluate.evaluate_from_archive

        def guarded_evaluate_from_archive(**kwargs: Any) -> Dict[str, Any]:
            outputs = [(flag, path) for flag, key in (("--output-file", "metrics_output_file"),
                                                       ("--predictions-output-file", "predictions_output_file"))
                       for path in (kwargs.get(key) or "").split(",")]
            inputs = [("the input file", path) for path in data_paths(kwargs.get("input_file") or "")]
            inputs += [("the model archive", kwargs.get("archive_file")),
                       ("--weights-file", kwargs.get("weights_file"))]
            refuse_overwriting_inputs("allennlp evaluate", outputs, inputs)
            return evaluate_from_archive(**kwargs)

        guarded_evaluate_from_archive.graph_mtl_guarded = True  # type: ignore[attr-defined]
        evaluate.evaluate_from_archive = guarded_evaluate_from_archive
