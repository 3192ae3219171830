#!/usr/bin/env python
"""
Reads every data file under the benchmark data folder with graph-mtl's readers and prints the
number of instances (and tokens) per task and split, next to the counts SOURCES.md gives.

    .venv/bin/python scripts/count_instances.py [--data-dir ../shared/data]

Exit status 1 if any count differs from SOURCES.md. Files that are missing (the held-back
test splits) are listed as such; unlabelled FDU-MTL files have no labels, so no reader reads
them: their lines are counted instead.
"""
import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FDU_TRAIN_LINES = {
    "apparel": 1600, "baby": 1500, "books": 1600, "camera_photo": 1597, "dvd": 1600,
    "electronics": 1598, "health_personal_care": 1600, "imdb": 1600,
    "kitchen_housewares": 1600, "magazines": 1570, "MR": 1600, "music": 1600,
    "software": 1515, "sports_outdoors": 1600, "toys_games": 1600, "video": 1600,
}  # fmt: skip
FDU_DEV = 200
FDU_TEST = 400

# (task, split, relative path, reader name, reader kwargs, expected sentences, expected tokens)
TAGGING: List[Tuple[str, str, str, str, Dict[str, Any], int, Optional[int]]] = [
    ("chunk (CoNLL-2000)", "train", "conll2000/train.txt", "conll2000_tagging", {"tag_scheme": "BIOUL"}, 8936, 211727),
    ("chunk (CoNLL-2000)", "test", "conll2000/test.txt", "conll2000_tagging", {"tag_scheme": "BIOUL"}, 2012, 47377),
    ("ner (CoNLL-2003)", "train", "conll2003/eng.train", "conll2003_tagging", {"tag_scheme": "BIOUL"}, 14041, 203621),
    ("ner (CoNLL-2003)", "dev", "conll2003/eng.testa", "conll2003_tagging", {"tag_scheme": "BIOUL"}, 3250, 51362),
    ("ner (CoNLL-2003)", "test", "conll2003/eng.testb", "conll2003_tagging", {"tag_scheme": "BIOUL"}, 3453, 46435),
    ("pos (PTB WSJ)", "train", "ptb-pos/Secs0-18 - training", "ptb_pos", {}, 38219, 912344),
    ("pos (PTB WSJ)", "dev", "ptb-pos/Secs19-21 - development", "ptb_pos", {}, 5527, 131768),
    ("pos (PTB WSJ)", "test", "ptb-pos/Secs22-24 - testing", "ptb_pos", {}, 5462, 129654),
    ("pos (NLTK WSJ sample, .mrg)", "train-part", "ptb-pos/nltk_treebank_sample/combined", "ptb_treebank_pos", {}, 3914, 94084),
    # tagged/ is an older tagging layer than combined/ (e.g. particles IN instead of RP, extra
    # quote tokens; 104 of 199 files differ) and its blank lines are not sentence ends:
    # SOURCES.md gives no counts for it. Use combined/ for training.
    ("pos (NLTK WSJ sample, .pos)", "train-part", "ptb-pos/nltk_treebank_sample/tagged", "ptb_treebank_pos", {"format": "pos"}, -1, None),
]  # fmt: skip
UD_COUNTS = {"train": (12543, 204607), "dev": (2002, 25150), "test": (2077, 25097)}


def count(reader: Any, path: str) -> Tuple[int, int, int, int]:
    """instances, tokens, skipped, truncated"""
    instances = tokens = 0
    for instance in reader.read(path):
        instances += 1
        tokens += len(instance["tokens"])
    stats = reader.last_read_stats
    return instances, tokens, len(stats.skipped), stats.truncated


def main(argv: Optional[Iterable[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    args = parser.parse_args(argv)
    data = Path(args.data_dir)
    if not data.is_dir():
        print(f"no data folder {data}", file=sys.stderr)
        return 2

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    import graph_mtl  # noqa: F401  (registers the readers)
    from allennlp.data import DatasetReader

    def reader(name: str, **kwargs: Any) -> Any:
        return DatasetReader.by_name(name)(**kwargs)

    rows: List[Tuple[str, ...]] = []
    mismatches = 0
    started = time.time()

    def add(task: str, split: str, file: str, result: Optional[Tuple[int, int, int, int]],
            expected_instances: Optional[int], expected_tokens: Optional[int], note: str = "") -> None:
        nonlocal mismatches
        if result is None:
            shown = f"{expected_instances:,}" if expected_instances and expected_instances > 0 else "-"
            rows.append((task, split, file, "-", "-", "-", shown, "missing (held back)"))
            return
        instances, tokens, skipped, truncated = result
        checks = []
        if expected_instances is not None and expected_instances >= 0:
            checks.append(instances + skipped == expected_instances)
        if expected_tokens is not None:
            checks.append(tokens == expected_tokens)
        status = ("OK" if all(checks) else "MISMATCH") if checks else "(no reference)"
        if checks and not all(checks):
            mismatches += 1
        if note:
            status = f"{status} {note}"
        expected = "/".join(
            f"{value:,}" for value in (expected_instances, expected_tokens) if value is not None and value >= 0
        )
        rows.append((task, split, file, f"{instances:,}", f"{tokens:,}", str(skipped), expected or "-", status))

    # FDU-MTL
    fdu = data / "fdu-mtl"
    fdu_totals = {"train": 0, "dev": 0, "test": 0}
    for domain, lines in FDU_TRAIN_LINES.items():
        fdu_reader = reader("fdu_mtl", label_namespace=f"{domain}_labels", on_bad_line="skip")
        train_file = fdu / f"{domain}.task.train"
        for split, expected in (("train", lines - FDU_DEV), ("dev", FDU_DEV)):
            result = count(fdu_reader, f"{train_file}#{split}") if train_file.exists() else None
            note = f"({result[2]} unusable line skipped)" if result and result[2] else ""
            add(domain, split, f"fdu-mtl/{domain}.task.train#{split}", result, expected, None, note)
            fdu_totals[split] += result[0] if result else 0
        test_file = fdu / f"{domain}.task.test"
        result = count(fdu_reader, str(test_file)) if test_file.exists() else None
        add(domain, "test", f"fdu-mtl/{domain}.task.test", result, FDU_TEST, None)
        fdu_totals["test"] += result[0] if result else 0

    # tagging corpora
    for task, split, relative, name, kwargs, sentences, tokens in TAGGING:
        path = data / relative
        result = count(reader(name, **kwargs), str(path)) if path.exists() else None
        add(task, split, relative, result, sentences, tokens)

    # UD English-EWT substitute (word<TAB>tag)
    for tagset in ("ppos", "upos"):
        for split, (sentences, tokens) in UD_COUNTS.items():
            relative = f"ud-english-ewt-pos/en-ud-{split}.{tagset}.tsv"
            path = data / relative
            ud_reader = reader("conll_columns", columns=["word", "tag"], label_column="tag", delimiter="\t")
            result = count(ud_reader, str(path)) if path.exists() else None
            add(f"pos (UD-EWT {tagset})", split, relative, result, sentences, tokens)

    headers = ("task", "split", "file", "instances", "tokens", "skipped", "SOURCES.md", "check")
    widths = [max(len(str(row[i])) for row in rows + [headers]) for i in range(len(headers))]
    numeric = {3, 4, 5}
    def fmt(row: Tuple[str, ...]) -> str:
        return "  ".join(
            str(cell).rjust(widths[i]) if i in numeric else str(cell).ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
    print(fmt(headers))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(fmt(row))
    print()
    print(
        f"FDU-MTL totals: train {fdu_totals['train']:,} instances (SOURCES.md 22,180 lines), "
        f"dev {fdu_totals['dev']:,} (3,200), test {fdu_totals['test']:,} (6,400, held back)"
    )
    unlabelled = sorted(fdu.glob("*.task.unlabel"))
    if unlabelled:
        line_counts = {p.name.split(".")[0]: sum(1 for _ in open(p, "rb")) for p in unlabelled}
        print(
            f"FDU-MTL unlabelled files (no labels, not read by a reader; lines): total "
            f"{sum(line_counts.values()):,} (SOURCES.md 30,475); "
            + ", ".join(f"{k} {v}" for k, v in line_counts.items())
        )
    print(f"{mismatches} mismatch(es); read in {time.time() - started:.0f} s")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
