#!/usr/bin/env python
"""
What a CRF tagging head pays per batch for Viterbi decoding, allennlp's per-sentence decoder
against graph-mtl's batched one (graph_mtl/modules/conditional_random_field.py), with the CRF's
log-likelihood (forward + backward, the part of the loss) beside them for scale.

The head decodes every batch, in training too (its metrics read the Viterbi paths). Shapes are
those of Table 4's tasks (`--tasks`): batches of 16 sentences around the mean length of each
training file (CoNLL-2000 chunking 23.7 tokens, CoNLL-2003 NER 14.5, WSJ 0-18 POS 23.9; lengths
drawn within +-20% of it, as a bucketed batch has), BIOUL tags for chunking (11 types, 45 tags,
constrained) and NER (4 types, 17 tags, constrained), 45 POS tags (unconstrained). Both decoders
run on the same batches, alternated, and must find paths of the same score (checked).

Results: benchmarks/results/<name>.md and .json (milliseconds per batch: median over --repeats
rounds of --batches batches, process CPU time, 1 torch thread unless --threads).
"""
import argparse
import datetime
import os
import statistics
import sys
import time
from typing import Dict, List, Optional

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.timing import emit_results, git_commit  # noqa: E402

# (number of tags, span types for BIOUL constraints or 0, mean sentence length of the training file)
TASKS = {"chunk": (45, 11, 23.7), "ner": (17, 4, 14.5), "pos": (45, 0, 23.9)}


def bioul_labels(types: int) -> Dict[int, str]:
    labels = ["O"] + [f"{prefix}-T{i}" for i in range(types) for prefix in "BILU"]
    return dict(enumerate(labels))


def batches(task: str, count: int, batch_size: int, seed: int) -> List[tuple]:
    num_tags, _, mean = TASKS[task]
    generator = torch.Generator().manual_seed(seed)
    result = []
    for _ in range(count):
        low, high = max(1, round(mean * 0.8)), round(mean * 1.2)
        lengths = torch.randint(low, high + 1, (batch_size,), generator=generator)
        mask = torch.arange(int(lengths.max())).unsqueeze(0) < lengths.unsqueeze(1)
        logits = torch.randn(batch_size, mask.size(1), num_tags, generator=generator) * 3
        tags = torch.randint(num_tags, mask.shape, generator=generator)
        result.append((logits, mask, tags))
    return result


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--name", default=None, help="write benchmarks/results/<name>.md/.json")
    parser.add_argument("--results-dir", default=os.path.join(ROOT, "benchmarks", "results"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from allennlp.modules import conditional_random_field as allennlp_crf

    from graph_mtl.modules.conditional_random_field import ConditionalRandomField

    load_start = os.getloadavg()
    rows = {}
    for task in args.tasks:
        num_tags, types, _ = TASKS[task]
        constraints = allennlp_crf.allowed_transitions("BIOUL", bioul_labels(types)) if types else None
        torch.manual_seed(0)
        crf = ConditionalRandomField(num_tags, constraints)
        data = batches(task, args.batches, args.batch_size, seed=1)

        def allennlp_decode() -> list:
            return [allennlp_crf.ConditionalRandomField.viterbi_tags(crf, logits, mask) for logits, mask, _ in data]

        def batched_decode() -> list:
            return [crf.viterbi_tags(logits, mask) for logits, mask, _ in data]

        def likelihood() -> None:
            for logits, mask, tags in data:
                logits = logits.detach().requires_grad_()
                (-crf(logits, tags, mask)).backward()

        theirs = [pair for batch in allennlp_decode() for pair in batch]
        ours = [pair for batch in batched_decode() for pair in batch]
        if [score for _, score in theirs] != [score for _, score in ours]:
            raise RuntimeError(f"{task}: the two decoders find paths of different scores")
        # equal float32 scores, other paths: a tie, which allennlp's topk and torch's max break differently
        ties = sum(their_path != our_path for (their_path, _), (our_path, _) in zip(theirs, ours))
        times: Dict[str, List[float]] = {"allennlp": [], "batched": [], "likelihood": []}
        for _ in range(args.repeats):  # alternated, so that a change of load hits all three
            for key, run in (("allennlp", allennlp_decode), ("batched", batched_decode), ("likelihood", likelihood)):
                start = time.process_time()
                run()
                times[key].append((time.process_time() - start) / args.batches * 1000)
        medians = {key: statistics.median(values) for key, values in times.items()}
        tokens = sum(int(mask.sum()) for _, mask, _ in data) / args.batches
        rows[task] = {"num_tags": num_tags, "constrained": bool(types), "tokens_per_batch": tokens,
                      "ms": medians, "all_ms": times, "ties": ties,
                      "sentences": len(ours), "speedup": medians["allennlp"] / medians["batched"]}
    commit = git_commit(ROOT)
    report = {
        "date_utc": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
        "command": "python benchmarks/crf_decode.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "commit": commit, "threads": args.threads, "batch_size": args.batch_size,
        "load_average_start": load_start, "load_average_end": os.getloadavg(), "tasks": rows,
    }
    lines = [
        f"# CRF decoding per batch, {report['date_utc']} UTC (commit {commit})", "",
        f"Command: `{report['command']}`; {args.threads} torch thread(s); load average "
        f"{load_start[0]:.2f} at the start, {report['load_average_end'][0]:.2f} at the end; "
        f"batches of {args.batch_size}, milliseconds of process CPU time per batch (median of "
        f"{args.repeats} alternated rounds of {args.batches} batches). Both decoders find paths of the same "
        f"score (checked, float32); a different path at the same score is a tie, broken differently.", "",
        "| task | tags | tokens / batch | allennlp `viterbi_tags` | batched `viterbi_tags` | allennlp / batched | CRF log-likelihood, forward + backward | ties |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task, row in rows.items():
        ms = row["ms"]
        lines.append(
            f"| {task} | {row['num_tags']}{' (BIOUL, constrained)' if row['constrained'] else ''} | "
            f"{row['tokens_per_batch']:.0f} | {ms['allennlp']:.1f} | {ms['batched']:.2f} | "
            f"{row['speedup']:.1f}x | {ms['likelihood']:.1f} | {row['ties']} of {row['sentences']} |"
        )
    emit_results(lines, report, args.results_dir, args.name)


if __name__ == "__main__":
    main()
