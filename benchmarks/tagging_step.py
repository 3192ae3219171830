#!/usr/bin/env python
"""
One training step of a trained tagging model (a Table 4 archive) on real batches, with allennlp's
per-sentence Viterbi decoder in its CRF heads against graph-mtl's batched one.

The archive's own config gives the reader and the loader; the batches are the first `--batches`
of its loader over the validation files (homogeneous, bucketed, seeded: tasks mixed as in
training). A step is what the trainer does per batch: zero the gradients, forward in training
mode (loss, the Viterbi paths for the metrics), backward; no optimizer step, so both decoders
see the same weights. Rounds alternate the two decoders over the same batches; the losses of the
two must be identical (checked).

Results: benchmarks/results/<name>.md and .json (milliseconds of process CPU time per step,
median of --repeats rounds; 1 torch thread unless --threads).
"""
import argparse
import datetime
import itertools
import json
import os
import statistics
import sys
import time
from typing import Dict, List, Optional

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.timing import emit_results, git_commit  # noqa: E402


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", help="a model.tar.gz of a tagging model (CRF heads)")
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-path", default=None,
                        help="a JSON {task: file} to read instead of the archive's validation files")
    parser.add_argument("--name", default=None, help="write benchmarks/results/<name>.md/.json")
    parser.add_argument("--results-dir", default=os.path.join(ROOT, "benchmarks", "results"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    import graph_mtl  # noqa: F401  (registers the components)
    from allennlp.data import DataLoader, DatasetReader
    from allennlp.models.archival import load_archive
    from allennlp.modules import conditional_random_field as allennlp_crf

    from graph_mtl.modules.conditional_random_field import ConditionalRandomField

    load_start = os.getloadavg()
    archive = load_archive(args.archive)
    model, config = archive.model, archive.config.duplicate()
    reader = DatasetReader.from_params(config.get("validation_dataset_reader", config["dataset_reader"]).duplicate())
    data_path = json.loads(args.data_path) if args.data_path else config["validation_data_path"]
    loader = DataLoader.from_params(config["data_loader"].duplicate(), reader=reader, data_path=data_path)
    loader.index_with(model.vocab)
    batches = list(itertools.islice(iter(loader), args.batches))
    crfs = [module for module in model.modules() if isinstance(module, ConditionalRandomField)]
    if not crfs:
        raise SystemExit(f"{args.archive}: no CRF head")
    model.train()

    def step_all(decoder: type) -> List[float]:
        for crf in crfs:
            crf.__class__ = decoder
        losses = []
        for batch in batches:
            model.zero_grad(set_to_none=True)
            output = model(**batch)
            output["loss"].backward()
            losses.append(output["loss"].detach().item())
        return losses

    decoders = {"allennlp": allennlp_crf.ConditionalRandomField, "batched": ConditionalRandomField}
    torch.manual_seed(0)
    reference = step_all(decoders["allennlp"])
    torch.manual_seed(0)
    if step_all(decoders["batched"]) != reference:
        raise RuntimeError("the two decoders gave different losses (they must not touch the loss)")
    times: Dict[str, List[float]] = {name: [] for name in decoders}
    for _ in range(args.repeats):
        for name, decoder in decoders.items():
            torch.manual_seed(0)
            start = time.process_time()
            step_all(decoder)
            times[name].append((time.process_time() - start) / len(batches) * 1000)
    for crf in crfs:
        crf.__class__ = ConditionalRandomField
    medians = {name: statistics.median(values) for name, values in times.items()}
    tokens = sum(int(batch["tokens"]["tokens"]["tokens"].ne(0).sum()) for batch in batches) / len(batches)
    commit = git_commit(ROOT)
    report = {
        "date_utc": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
        "command": "python benchmarks/tagging_step.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "commit": commit, "threads": args.threads, "archive": args.archive, "batches": len(batches),
        "tokens_per_batch": tokens, "load_average_start": load_start,
        "load_average_end": os.getloadavg(), "ms": medians, "all_ms": times,
        "speedup": medians["allennlp"] / medians["batched"],
        "saved_share": 1 - medians["batched"] / medians["allennlp"],
    }
    lines = [
        f"# A tagging model's training step, by Viterbi decoder, {report['date_utc']} UTC (commit {commit})", "",
        f"Command: `{report['command']}`; {args.threads} torch thread(s); load average "
        f"{load_start[0]:.2f} at the start, {report['load_average_end'][0]:.2f} at the end; "
        f"{len(batches)} batches of the archive's validation files ({tokens:.0f} tokens per batch on "
        f"average), forward + backward, milliseconds of process CPU time per step (median of "
        f"{args.repeats} alternated rounds). Same losses with both decoders (checked).", "",
        "| allennlp `viterbi_tags` | batched `viterbi_tags` | allennlp / batched | share of the step saved |",
        "|---|---|---|---|",
        f"| {medians['allennlp']:.1f} | {medians['batched']:.1f} | {report['speedup']:.2f}x | "
        f"{100 * report['saved_share']:.0f}% |",
    ]
    emit_results(lines, report, args.results_dir, args.name)


if __name__ == "__main__":
    main()
