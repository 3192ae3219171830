"""
`allennlp graph-mtl-report`: predictions plus pictures of the learned communication.

```
allennlp graph-mtl-report model.tar.gz input.jsonl --output-dir report/
allennlp graph-mtl-report model.tar.gz sentences.txt --task books --output-dir report/
```

Writes into the output directory:

* `predictions.jsonl`: the `graph_mtl` predictor's output, one line per input line, in order;
* `report.html`: a self-contained page (no scripts, no network; figures embedded): first how
  the tasks communicate (encoder, topology, and for every task the tasks and virtual nodes it
  reads, with which weights; a topology without learned weights, e.g. one built on
  `MeanAggregator`, says so in a sentence); then every input sentence, its prediction and its
  weights: with alpha (DC-MTL, `hierarchical`) each word shaded by how much it draws from
  particular sources with its top-3 sources, and the relation matrix (mean alpha over the
  file); with beta (IC-MTL) arcs from each word to the positions of the node(s) it reads
  (`beta_sources`) where above uniform, the sentence's beta matrix against uniform, and over
  the file where words read those nodes (mean beta / uniform 1/n by relative and absolute
  position: 1 = uniform attention, whatever the sentence lengths);
* `figures/*.png`: the same figures as PNG files (`relation_matrix.png`,
  `beta_profile.png`, `lineNNNNN_alpha.png`, `lineNNNNN_beta.png`), `relation_matrix.tsv` and
  `summary.json`.

Each file is written atomically (`graph_mtl.common.atomic`): a kill or an error part-way leaves
the previous version of a file (or none), never a truncated one.
"""
import argparse
import logging
import os
from typing import Any, Dict, List, Optional

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError, check_for_gpu
from allennlp.common.util import lazy_groups_of
from allennlp.predictors import Predictor

from graph_mtl.commands.paths import refuse_overwriting_inputs
from graph_mtl.common.atomic import atomic_open
from graph_mtl.models.archival import load_archive
from graph_mtl.predictors.inputs import INPUT_FORMATS, InputLineError, read_lines

logger = logging.getLogger(__name__)


@Subcommand.register("graph-mtl-report")
class GraphMtlReport(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Predict on a file with a graph-mtl model and write an HTML report with PNG figures "
            "of the learned communication: which tasks and virtual nodes each task reads, alpha "
            "(DC-MTL and other topologies attending over sources) with the relation matrix, beta "
            "(IC-MTL: attention over the positions of a virtual node) against uniform attention."
        )
        subparser = parser.add_parser(
            self.name,
            description=description,
            help="Predict on a file and draw the learned task communication (HTML + PNG).",
        )
        subparser.add_argument("archive_file", type=str, help="the model archive (model.tar.gz)")
        subparser.add_argument(
            "input_file",
            type=str,
            help='JSON lines ({"task": ..., "sentence": ...} or "tokens") or plain text, one '
            "sentence per line (then give --task)",
        )
        subparser.add_argument("--output-dir", "-s", type=str, required=True, help="where to write")
        subparser.add_argument("--task", type=str, default=None, help="task of plain-text lines")
        subparser.add_argument(
            "--input-format", type=str, choices=INPUT_FORMATS, default="auto",
            help="how to read lines: auto (JSON if it starts with '{'), json or text",
        )
        subparser.add_argument("--batch-size", type=int, default=32, help="sentences per forward pass")
        subparser.add_argument("--cuda-device", type=int, default=-1, help="GPU id, -1 for CPU")
        subparser.add_argument("--weights-file", type=str, default=None, help="other weights file")
        subparser.add_argument("-o", "--overrides", type=str, default="", help="config overrides")
        subparser.add_argument(
            "--max-figures", type=int, default=50,
            help="draw per-sentence PNG figures for at most this many sentences",
        )
        subparser.add_argument(
            "--figures-per-task", type=int, default=None,
            help="draw figures for the first N sentences of every task (not only the first lines "
            "of the file); --max-figures still caps the total",
        )
        subparser.add_argument(
            "--skip-bad-lines", action="store_true",
            help="report bad input lines in the output instead of stopping at the first one",
        )
        subparser.add_argument("--title", type=str, default=None, help="title of the report")
        subparser.set_defaults(func=report_from_args)
        return subparser


def report_from_args(args: argparse.Namespace) -> Dict[str, Any]:
    summary = make_report(
        archive_file=args.archive_file,
        input_file=args.input_file,
        output_dir=args.output_dir,
        task=args.task,
        input_format=args.input_format,
        batch_size=args.batch_size,
        cuda_device=args.cuda_device,
        weights_file=args.weights_file,
        overrides=args.overrides,
        max_figures=args.max_figures,
        figures_per_task=args.figures_per_task,
        on_error="record" if args.skip_bad_lines else "raise",
        title=args.title,
    )
    print(f"Wrote {summary['html']} ({summary['sentences']} sentences, {len(summary['pngs'])} PNG files)")
    return summary


#: The files a report writes into its --output-dir (besides figures/).
REPORT_FILES = ("predictions.jsonl", "report.html", "summary.json", "relation_matrix.tsv")


def make_report(
    archive_file: str,
    input_file: str,
    output_dir: str,
    task: str = None,
    input_format: str = "auto",
    batch_size: int = 32,
    cuda_device: int = -1,
    weights_file: str = None,
    overrides: str = "",
    max_figures: int = 50,
    figures_per_task: Optional[int] = None,
    on_error: str = "raise",
    title: str = None,
) -> Dict[str, Any]:
    from graph_mtl.commands.figures import render_report  # matplotlib only when drawing

    check_for_gpu(cuda_device)
    written = [("--output-dir file", os.path.join(output_dir, name)) for name in REPORT_FILES]
    inputs = [("the input file", input_file), ("the model archive", archive_file),
              ("--weights-file", weights_file)]
    refuse_overwriting_inputs("allennlp graph-mtl-report", written, inputs)
    figures = os.path.realpath(os.path.join(output_dir, "figures"))
    for label, path in inputs:
        if path and os.path.realpath(path).startswith(figures + os.sep):
            raise ConfigurationError(
                f"allennlp graph-mtl-report: {label} {path} is inside {figures}, where the report "
                "writes its figures; move it or choose another --output-dir."
            )
    archive = load_archive(
        archive_file, weights_file=weights_file, cuda_device=cuda_device, overrides=overrides
    )
    predictor = Predictor.from_archive(
        archive,
        "graph_mtl",
        extra_args={"task": task, "input_format": input_format, "on_error": on_error},
    )
    os.makedirs(output_dir, exist_ok=True)
    predictions: List[Dict[str, Any]] = []
    predictions_path = os.path.join(output_dir, "predictions.jsonl")
    with atomic_open(predictions_path, "w", encoding="utf-8") as out:
        try:
            for batch in lazy_groups_of(read_lines(input_file), batch_size):
                inputs = []
                for _, line in batch:
                    inputs.append(predictor.load_line(line))
                for output in predictor.predict_batch_json(inputs):
                    predictions.append(output)
                    out.write(predictor.dump_line(output))
        except InputLineError as error:
            raise (error if error.source is not None else error.in_file(input_file)) from None
    summary = render_report(
        predictions,
        output_dir,
        title=title or f"graph-mtl report: {os.path.basename(input_file)}",
        source=f"model {archive_file}; input {input_file}",
        max_figures=max_figures,
        figures_per_task=figures_per_task,
        task_order=getattr(predictor, "_encoder_tasks", None),
        model=predictor.describe() if callable(getattr(predictor, "describe", None)) else None,
    )
    summary["predictions"] = predictions_path
    return summary
