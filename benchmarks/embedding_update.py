#!/usr/bin/env python
"""
What one training batch pays for the word embeddings, per way of updating them.

A batch of the paper's size (8 sentences of `--length` tokens) looks up rows of a `--vocab` x
`--dim` embedding matrix (FDU-MTL's whitespace vocabulary of the 16 training files: 79,861 types;
40,273 with count >= 2), the loss is a fixed random projection of the looked-up vectors, and the
step is: zero the gradients, forward, backward, optimizer step. Only the embedding is in the
model, so the time is the embedding's share of a real training step (forward lookups, the
gradient, the optimizer's pass over the parameters it updates). Variants:

* `dense_adadelta`: the paper's recipe (AdaDelta lr 1.0 over the whole matrix every batch)
* `dense_adam`: Adam (lr 1e-3), dense
* `min_count2_adadelta`: the paper's optimizer, vocabulary cut to types seen twice (--vocab-min2 rows)
* `sparse_dense_sparse_adam`: `sparse: true` embedding + allennlp's `dense_sparse_adam`
  (lazy Adam: only the rows of the batch are updated)
* `sparse_sgd`: `sparse: true` embedding + SGD
* `frozen`: `trainable: false` (pretrained vectors kept fixed): lookups only

Results: benchmarks/results/<name>.md and .json (per-batch milliseconds, median of --repeats runs
of --steps steps each, process CPU time, 1 torch thread unless --threads).
"""
import argparse
import os
import statistics
import sys
import time
from typing import Callable, Dict, List, Tuple

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.timing import emit_results, run_report  # noqa: E402


def make_variant(name: str, vocab: int, vocab_min2: int, dim: int) -> Tuple[torch.nn.Embedding, object]:
    from allennlp.training.optimizers import DenseSparseAdam

    rows = vocab_min2 if name == "min_count2_adadelta" else vocab
    sparse = name.startswith("sparse_")
    embedding = torch.nn.Embedding(rows, dim, sparse=sparse)
    if name == "frozen":
        embedding.weight.requires_grad_(False)
        return embedding, None
    params = [embedding.weight]
    if name in ("dense_adadelta", "min_count2_adadelta"):
        optimizer = torch.optim.Adadelta(params, lr=1.0, rho=0.95, eps=1e-6)
    elif name == "dense_adam":
        optimizer = torch.optim.Adam(params, lr=1e-3)
    elif name == "sparse_dense_sparse_adam":
        optimizer = DenseSparseAdam([("weight", embedding.weight)], lr=1e-3)
    elif name == "sparse_sgd":
        optimizer = torch.optim.SGD(params, lr=0.1)
    else:
        raise ValueError(name)
    return embedding, optimizer


def time_variant(name: str, args: argparse.Namespace) -> Dict[str, float]:
    torch.manual_seed(0)
    embedding, optimizer = make_variant(name, args.vocab, args.vocab_min2, args.dim)
    rows = embedding.num_embeddings
    projection = torch.randn(args.dim)
    generator = torch.Generator().manual_seed(1)
    # Zipf-like token ids, as in text: most tokens are frequent types
    ranks = torch.arange(1, rows + 1, dtype=torch.float)
    weights = 1.0 / ranks

    def step() -> None:
        ids = torch.multinomial(weights, args.batch * args.length, replacement=True, generator=generator)
        ids = ids.view(args.batch, args.length)
        if optimizer is not None:
            optimizer.zero_grad()
        vectors = embedding(ids)
        loss = (vectors * projection).sum()
        if optimizer is not None:
            loss.backward()
            optimizer.step()

    for _ in range(3):
        step()
    runs: List[float] = []
    for _ in range(args.repeats):
        start = time.process_time()
        for _ in range(args.steps):
            step()
        runs.append((time.process_time() - start) / args.steps * 1000)
    return {"rows": rows, "ms_per_batch": statistics.median(runs), "runs_ms": runs}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vocab", type=int, default=79861)
    parser.add_argument("--vocab-min2", type=int, default=40273)
    parser.add_argument("--dim", type=int, default=200)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--length", type=int, default=120)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--variants", nargs="+", default=[
        "dense_adadelta", "dense_adam", "min_count2_adadelta", "sparse_dense_sparse_adam",
        "sparse_sgd", "frozen"])
    parser.add_argument("--name", default=None, help="write benchmarks/results/<name>.md/.json")
    parser.add_argument("--results-dir", default=os.path.join(ROOT, "benchmarks", "results"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    load_start = os.getloadavg()
    results = {name: time_variant(name, args) for name in args.variants}
    report = run_report("embedding_update.py", sys.argv[1:] if argv is None else argv, args.threads, load_start,
                        ROOT, batch=args.batch, length=args.length, dim=args.dim, results=results)
    commit = report["commit"]
    base = results.get("dense_adadelta", {}).get("ms_per_batch")
    lines = [
        f"# Embedding update cost per batch, {report['date_utc']} UTC (commit {commit})", "",
        f"Command: `{report['command']}`; {args.threads} torch thread(s); load average "
        f"{load_start[0]:.2f} at the start, {report['load_average_end'][0]:.2f} at the end.", "",
        f"Batch of {args.batch} x {args.length} token ids (Zipf-distributed), {args.dim}-d embedding; "
        "one step = zero_grad + lookup + backward + optimizer step; median of "
        f"{args.repeats} runs of {args.steps} steps, process CPU time.", "",
        "| variant | rows | ms per batch | vs dense AdaDelta | per FDU-MTL epoch (2,775 batches) |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        ratio = f"{r['ms_per_batch'] / base:.3f}" if base else "-"
        lines.append(f"| {name} | {r['rows']:,} | {r['ms_per_batch']:.2f} | {ratio} | "
                     f"{r['ms_per_batch'] * 2775 / 1000:.0f} s |")
    emit_results(lines, report, args.results_dir, args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
