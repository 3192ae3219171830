#!/usr/bin/env python
"""
Word vectors made here, offline: word2vec (gensim) on the *training* text of a graph-mtl
config plus optional unlabelled text, written as a GloVe-format text file (`word v1 v2 ...`,
no header) that the configs read through `pretrained_file` (FDU-MTL configs: the
`FDU_MTL_VECTORS` variable; tagging configs: `TAGGING_VECTORS`).

Training text is read with the config's own dataset reader from its `train_data_path` only,
so the vectors see exactly the tokens the model trains on and never a dev or test line
(`validation_data_path` and `test_data_path` are not opened). Unlabelled files are plain text,
one document per line; they are lowercased (`--lowercase`, the FDU-MTL training text is
lowercase) and split by spaCy's rule-based English tokenizer (no model, no download), which
gives the training files' clitics ("do n't", "child 's").

    FDU_MTL_DIR=/work/shared/data/fdu-mtl python scripts/train_vectors.py \\
        --config training_configs/fdu_mtl/fs_mtl.jsonnet \\
        --unlabelled '/work/shared/data/fdu-mtl/*.task.unlabel' --lowercase \\
        --output vectors/fdu_mtl.w2v.200d.txt

(`make vectors` runs exactly this.) The same seed, files and options give a byte-identical
file: one worker thread, and gensim's per-word initial vectors seeded by a stable hash
instead of Python's per-process string hash. Next to the output, `<output>.json` records the
inputs, options, counts and gensim version.
"""
import argparse
import glob
import hashlib
import json
import logging
import sys
import time
import zlib
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger("graph_mtl.vectors")


def stable_hash(text: str) -> int:
    """A hash of `text` that is the same in every process (gensim seeds each word's initial
    vector with `hashfxn(word + str(seed))`; Python's `hash` differs between runs)."""
    return zlib.crc32(text.encode("utf-8"))


def training_sentences(config_path: str, overrides: str = "") -> Iterator[List[str]]:
    """
    The token lists of every training instance of `config_path`, read by the config's own
    dataset reader from its `train_data_path` (a path or, for multi-task configs, a dict of
    task -> path). Every TextField of an instance is one sentence.
    """
    import graph_mtl  # noqa: F401  (registers the readers; sets the optional vectors variables)
    from allennlp.common import Params
    from allennlp.data import DatasetReader
    from allennlp.data.fields import TextField

    params = Params.from_file(config_path, overrides)
    if "train_data_path" not in params:
        raise ValueError(f"{config_path}: no train_data_path in the config")
    train_path = params.pop("train_data_path")
    if isinstance(train_path, Params):
        train_path = train_path.as_dict(quiet=True)
    reader = DatasetReader.from_params(params.pop("dataset_reader"))
    if isinstance(train_path, dict):  # multi-task: one reader per task
        readers = getattr(reader, "readers", None)
        if readers is None:
            raise ValueError(f"{config_path}: train_data_path is a dict but the dataset reader "
                             f"({type(reader).__name__}) is not a multi-task reader")
        parts = [(readers[task], path) for task, path in sorted(train_path.items())]
    else:
        parts = [(reader, train_path)]
    for part_reader, path in parts:
        for instance in part_reader.read(path):
            for field in instance.fields.values():
                if isinstance(field, TextField):
                    yield [token.text for token in field.tokens]


def expand_globs(patterns: Sequence[str]) -> List[str]:
    files: List[str] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern))
        if not matched:
            raise FileNotFoundError(f"--unlabelled {pattern!r}: no such file")
        files.extend(matched)
    return files


def unlabelled_sentences(paths: Sequence[str], lowercase: bool) -> Iterator[List[str]]:
    """One token list per non-empty line of each file (spaCy's rule-based English tokenizer)."""
    import spacy

    from graph_mtl.data.dataset_readers.text_files import read_lines

    tokenizer = spacy.blank("en").tokenizer
    for path in paths:
        for line in read_lines(path):
            text = line.lower() if lowercase else line
            tokens = [token.text for token in tokenizer(text) if not token.is_space]
            if tokens:
                yield tokens


def train_word2vec(
    sentences: List[List[str]],
    dim: int,
    seed: int,
    epochs: int,
    window: int,
    min_count: int,
    negative: int,
    sg: bool,
) -> Any:
    from gensim.models import Word2Vec

    return Word2Vec(
        sentences=sentences,
        vector_size=dim,
        window=window,
        min_count=min_count,
        workers=1,  # more workers make the result depend on thread scheduling
        sg=1 if sg else 0,
        negative=negative,
        epochs=epochs,
        seed=seed,
        hashfxn=stable_hash,
    )


def write_glove_format(vectors: Any, path: Path) -> int:
    """Writes `word v1 ... vd` lines in gensim's frequency order (atomically); returns the number
    of words."""
    from graph_mtl.common.atomic import atomic_open

    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with atomic_open(path, "w", encoding="utf-8") as out:
        for word in vectors.index_to_key:
            if any(character.isspace() for character in word):
                continue  # cannot be written in the whitespace-separated format
            values = " ".join(f"{value:.6f}" for value in vectors[word])
            out.write(f"{word} {values}\n")
            count += 1
    return count


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(
        description="Train word2vec vectors on a config's training text (+ unlabelled text) "
        "and write a GloVe-format file.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--config", action="append", default=[],
                        help="graph-mtl training config whose train_data_path is read with its "
                        "dataset reader (repeatable); data variables come from the environment")
    parser.add_argument("--overrides", default="", help="allennlp -o overrides for --config")
    parser.add_argument("--unlabelled", action="append", default=[],
                        help="glob of plain-text files, one document per line (repeatable)")
    parser.add_argument("--lowercase", action="store_true", help="lowercase the unlabelled text")
    parser.add_argument("--lowercase-training", action="store_true",
                        help="lowercase the configs' training text too (for a model whose word "
                        "indexer lowercases: the `lowercase_tokens` setting)")
    parser.add_argument("--output", required=True, help="GloVe-format file to write")
    parser.add_argument("--dim", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=1,
                        help="words seen fewer times get no vector (the model then learns one "
                        "from its random initialisation)")
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("allennlp", "gensim.utils"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not args.config and not args.unlabelled:
        parser.error("give at least one --config or --unlabelled")

    started = time.time()
    sentences: List[List[str]] = []
    sources: List[Dict[str, Any]] = []
    for config in args.config:
        before = len(sentences)
        for sentence in training_sentences(config, args.overrides):
            sentences.append([token.lower() for token in sentence] if args.lowercase_training else sentence)
        sources.append({"config": config, "sentences": len(sentences) - before})
        logger.info("%s: %d training sentences", config, len(sentences) - before)
    unlabelled_files = expand_globs(args.unlabelled)
    for path in unlabelled_files:
        before = len(sentences)
        sentences.extend(unlabelled_sentences([path], args.lowercase))
        sources.append({"unlabelled": path, "sentences": len(sentences) - before})
    tokens = sum(len(sentence) for sentence in sentences)
    logger.info("%d sentences, %d tokens; training word2vec", len(sentences), tokens)
    model = train_word2vec(sentences, args.dim, args.seed, args.epochs, args.window,
                           args.min_count, args.negative, sg=not args.cbow)
    output = Path(args.output)
    words = write_glove_format(model.wv, output)
    import gensim

    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    record = {
        "output": str(output), "words": words, "sentences": len(sentences), "tokens": tokens,
        "sources": sources, "options": {k: v for k, v in vars(args).items() if k != "output"},
        "gensim": gensim.__version__, "sha256": digest,
        "seconds": round(time.time() - started, 1),
        "command": " ".join([Path(sys.argv[0]).name] + list(argv if argv is not None else sys.argv[1:])),
    }
    from graph_mtl.common.atomic import atomic_write_json

    atomic_write_json(output.with_name(output.name + ".json"), record, indent=2, trailing_newline=True)
    logger.info("wrote %d vectors of %d dimensions to %s (%.0f s)", words, args.dim, output,
                record["seconds"])
    return record


if __name__ == "__main__":
    main()
