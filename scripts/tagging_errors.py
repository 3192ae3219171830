#!/usr/bin/env python
"""
Where a trained tagger's errors are: token accuracy on one task's dev data by how often each word
was seen in that task's training data (unseen, 1-2, 3-10, 11-100, more), and whether the word has
a pretrained vector, with each group's share of the tokens and of the errors.

    python scripts/tagging_errors.py output/table4/cpu/dc_mtl-s13/model.tar.gz --task pos \\
        --vectors vectors/tagging.lower.w2v.200d.txt --output results/table4/pos-errors-dc_mtl-s13

The dev and training files are the ones in the archive's config (`validation_data_path` /
`train_data_path` of the task; `--dev` / `--train` override them, with the same `#dev` /
`#train` suffixes the configs use); both are read by the archive's own dataset reader, so the
tokens are exactly what the model saw. Words are compared lowercased when the archive's token
indexer lowercases them. Writes `<output>.md` and `<output>.json`.
"""
import argparse
import collections
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set

REPO_ROOT = Path(__file__).resolve().parent.parent

BINS = [("unseen in training", 0, 0), ("seen 1-2 times", 1, 2), ("seen 3-10 times", 3, 10),
        ("seen 11-100 times", 11, 100), ("seen > 100 times", 101, None)]


def frequency_bin(count: int) -> str:
    for name, low, high in BINS:
        if count >= low and (high is None or count <= high):
            return name
    raise AssertionError(count)


def vector_words(path: str) -> Set[str]:
    """The words of a vector file, read as allennlp reads a `pretrained_file` (GloVe or word2vec
    text, header line skipped, archives too), so "has a vector" means what the model loaded."""
    from allennlp.modules.token_embedders.embedding import EmbeddingsTextFile

    with EmbeddingsTextFile(path) as lines:
        return {line.split(" ", 1)[0] for line in lines if line.strip()}


def summarize(rows: Iterable[Dict[str, Any]], key: str, order: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    """Per value of `rows[key]`: tokens, correct, accuracy, share of tokens and of errors."""
    tokens: Dict[str, int] = collections.Counter()
    correct: Dict[str, int] = collections.Counter()
    for row in rows:
        tokens[row[key]] += 1
        correct[row[key]] += int(row["correct"])
    total = sum(tokens.values())
    errors = total - sum(correct.values())
    groups = order if order is not None else sorted(tokens)
    return [
        {
            key: group,
            "tokens": tokens[group],
            "accuracy": correct[group] / tokens[group] if tokens[group] else None,
            "token_share": tokens[group] / total if total else 0.0,
            "error_share": (tokens[group] - correct[group]) / errors if errors else 0.0,
        }
        for group in groups if tokens[group]
    ]


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", help="model.tar.gz of a graph_mtl tagging model")
    parser.add_argument("--task", required=True, help="a tagging task of the model")
    parser.add_argument("--dev", default=None, help="dev file (default: the archive config's)")
    parser.add_argument("--train", default=None, help="training file (default: the archive config's)")
    parser.add_argument("--vectors", default=None, help="pretrained vector file: split by has-a-vector too")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--output", default=None, help="write <output>.md and <output>.json")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO_ROOT))
    import graph_mtl  # noqa: F401
    from allennlp.data.fields import MetadataField
    from allennlp.models.archival import load_archive
    from allennlp.predictors import Predictor

    from graph_mtl.common.atomic import atomic_write_json, atomic_write_text

    archive = load_archive(args.archive)
    config = archive.config.as_dict(quiet=True)
    train_path = args.train or config["train_data_path"][args.task]
    dev_path = args.dev or config["validation_data_path"][args.task]
    readers = archive.validation_dataset_reader.readers
    if args.task not in readers:
        raise SystemExit(f"{args.archive}: no task {args.task!r}; its tasks: {sorted(readers)}")
    reader = readers[args.task]
    indexer = config["dataset_reader"]["readers"][args.task].get("token_indexers", {}).get("tokens", {})
    lowercase = bool(indexer.get("lowercase_tokens", False))
    norm = (lambda word: word.lower()) if lowercase else (lambda word: word)  # noqa: E731

    counts: Dict[str, int] = collections.Counter(
        norm(token.text) for instance in reader.read(train_path) for token in instance["tokens"].tokens
    )
    vectors = vector_words(args.vectors) if args.vectors else None
    predictor = Predictor.from_archive(archive, "graph_mtl")

    rows: List[Dict[str, Any]] = []
    batch: List[Any] = []

    def flush() -> None:
        for instance, output in zip(batch, predictor.predict_batch_instance(batch)):
            words = [token.text for token in instance["tokens"].tokens]
            gold = list(instance["tags"].labels)
            predicted = output["tags"]
            if len(predicted) != len(gold):
                raise SystemExit(f"{len(predicted)} predicted tags for {len(gold)} tokens: {' '.join(words)}")
            for word, gold_tag, tag in zip(words, gold, predicted):
                count = counts.get(norm(word), 0)
                rows.append({
                    "bin": frequency_bin(count),
                    "vector": "no vector" if vectors is None or norm(word) not in vectors else "has a vector",
                    "correct": tag == gold_tag,
                })
        batch.clear()

    for instance in reader.read(dev_path):
        if "task" not in instance.fields:
            instance.add_field("task", MetadataField(args.task))
        batch.append(instance)
        if len(batch) == args.batch_size:
            flush()
    if batch:
        flush()

    accuracy = sum(row["correct"] for row in rows) / len(rows)
    by_bin = summarize(rows, "bin", [name for name, _, _ in BINS])
    for row in rows:
        row["bin_vector"] = f"{row['bin']}, {row['vector']}"
    both_order = [f"{name}, {v}" for name, _, _ in BINS for v in ("has a vector", "no vector")]
    by_both = summarize(rows, "bin_vector", both_order) if vectors is not None else []
    report = {"archive": args.archive, "task": args.task, "dev": dev_path, "train": train_path,
              "lowercased": lowercase, "vectors": args.vectors, "tokens": len(rows), "accuracy": accuracy,
              "by_frequency": by_bin, "by_frequency_and_vector": by_both}

    def table(groups: List[Dict[str, Any]], key: str, title: str) -> List[str]:
        lines = [f"| {title} | tokens | token share | accuracy | share of errors |", "|---|---|---|---|---|"]
        for group in groups:
            lines.append(f"| {group[key]} | {group['tokens']:,} | {100 * group['token_share']:.2f}% | "
                         f"{100 * group['accuracy']:.2f} | {100 * group['error_share']:.1f}% |")
        return lines

    lines = [f"# Token accuracy of `{args.task}` by training frequency: `{args.archive}`", "",
             f"Dev `{dev_path}` ({len(rows):,} tokens, accuracy {100 * accuracy:.2f}); counts from "
             f"`{train_path}` ({len(counts):,} word types{', lowercased' if lowercase else ''})"
             + (f"; vectors `{args.vectors}`" if args.vectors else "") + ".", ""]
    lines += table(by_bin, "bin", "word in training")
    if by_both:
        lines += [""] + table(by_both, "bin_vector", "word in training, in the vectors")
    command = "python scripts/tagging_errors.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines += ["", f"Command: `{command}`"]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.output:
        atomic_write_text(Path(args.output + ".md"), text)
        atomic_write_json(Path(args.output + ".json"), report, indent=1)
    return report


if __name__ == "__main__":
    main()
