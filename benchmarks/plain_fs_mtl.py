#!/usr/bin/env python
"""
A plain PyTorch FS-MTL training epoch on the batches of a graph-mtl config: the reference that
makes the cost of the framework (AllenNLP's trainer, model, heads, metrics, data pipeline) a
measured ratio.

Two steps, so that the timed loop imports nothing from AllenNLP:

1. `export-plan`: builds the config's training data loader (`graph_mtl_multitask`, same seed, so
   the same epoch-0 batches `allennlp train` runs: bucketed or not) and writes every batch's
   task, words and labels, plus the size of the vocabulary `allennlp train` would build
   (training + validation data, as allennlp does), to a JSON file. Uses AllenNLP.
2. `train`: torch only. One epoch over those batches with the same model as the config's FS-MTL:
   an embedding of the same size (`sparse` as in the config), one LSTM (`hidden_dim`) over the
   padded batch or, with `--lstm-input packed`, over a `pack_padded_sequence`, the last state of
   each sentence, a linear layer and softmax per task,
   cross-entropy; Adam on the dense parameters and `SparseAdam` on a sparse embedding (what
   allennlp's `dense_sparse_adam` does), or the config's optimizer for a dense embedding
   (`adam` / `adadelta`). Words are looked up and padded inside the loop, as allennlp
   tensorizes inside its loop. Denormal floats are flushed to zero as in every graph_mtl process
   (`graph_mtl.common.denormals`; `GRAPH_MTL_FLUSH_DENORMALS=0` turns both off). Writes wall and
   CPU time of the epoch (batches only).

    python benchmarks/plain_fs_mtl.py export-plan training_configs/fdu_mtl/fs_mtl.jsonnet plan.json
    OMP_NUM_THREADS=2 python benchmarks/plain_fs_mtl.py train plan.json result.json

`benchmarks/epoch_time.py --plain-reference` runs both next to the `allennlp train` epoch.
"""
import argparse
import json
import os
import sys
import time
from typing import Any, Dict, List


def export_plan(config: str, output: str, overrides: str = "") -> Dict[str, Any]:
    from allennlp.common import Params
    from allennlp.data import DataLoader, DatasetReader, Vocabulary

    import graph_mtl  # noqa: F401  (registers the readers and the loader)

    params = Params.from_file(config, overrides)
    reader = DatasetReader.from_params(params.pop("dataset_reader"))
    loader = DataLoader.from_params(params.pop("data_loader"), reader=reader,
                                    data_path=params.pop("train_data_path"))
    validation_path = params.pop("validation_data_path", None)
    instances = list(loader.iter_instances())
    if validation_path:
        validation = DataLoader.from_params(
            params.get("validation_data_loader").duplicate(), reader=reader, data_path=validation_path)
        instances += list(validation.iter_instances())
    vocab = Vocabulary.from_instances(instances)
    model = params.pop("model")
    backbone = model["backbone"]
    embedder = backbone["text_field_embedder"]["token_embedders"]["tokens"]
    encoder = backbone["encoder"]
    if encoder.get("type") not in ("lstm", "padded_lstm") or encoder.get("bidirectional", False) \
            or encoder.get("num_layers", 1) != 1:
        raise SystemExit(f"{config}: the plain reference is FS-MTL's one unidirectional LSTM; got {encoder.as_dict()}")
    optimizer = params.pop("trainer")["optimizer"].as_dict()
    batches = []
    for planned in loader.epoch_plan(0):
        task = planned[0][0]
        words, labels = [], []
        for _, index in planned:
            instance = loader._instances[task][index]
            words.append([token.text for token in instance.fields["tokens"].tokens])
            labels.append(instance.fields["label"].label)
        batches.append({"task": task, "words": words, "labels": labels})
    plan = {
        "config": config,
        "vocab_size": vocab.get_vocab_size("tokens"),
        "embedding_dim": embedder["embedding_dim"],
        "sparse": bool(embedder.get("sparse", False)),
        "hidden_dim": encoder["hidden_size"],
        "optimizer": optimizer,
        "tasks": {task: sorted({label for b in batches if b["task"] == task for label in b["labels"]})
                  for task in loader.tasks},
        "batches": batches,
    }
    from benchmarks.atomic import atomic_write_json

    atomic_write_json(output, plan)
    return plan


def train(plan_path: str, output: str, seed: int = 13, lstm_input: str = "padded") -> Dict[str, Any]:
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    # the CPU mode every graph_mtl process runs in (graph_mtl.common.denormals), set the same way
    # here without importing graph_mtl: denormals flushed unless GRAPH_MTL_FLUSH_DENORMALS=0
    flushed = os.environ.get("GRAPH_MTL_FLUSH_DENORMALS", "1").strip() != "0" and torch.set_flush_denormal(True)
    with open(plan_path) as handle:
        plan = json.load(handle)
    torch.manual_seed(seed)
    words = sorted({word for batch in plan["batches"] for sentence in batch["words"] for word in sentence})
    index = {word: position + 2 for position, word in enumerate(words)}  # 0 padding, 1 unknown
    if len(index) + 2 > plan["vocab_size"]:
        raise SystemExit("the plan's vocabulary is larger than the one it declares")
    embedding = torch.nn.Embedding(plan["vocab_size"], plan["embedding_dim"], padding_idx=0, sparse=plan["sparse"])
    lstm = torch.nn.LSTM(plan["embedding_dim"], plan["hidden_dim"], batch_first=True)
    heads = torch.nn.ModuleDict({task: torch.nn.Linear(plan["hidden_dim"], len(labels))
                                 for task, labels in plan["tasks"].items()})
    label_index = {task: {label: i for i, label in enumerate(labels)} for task, labels in plan["tasks"].items()}
    dense = list(lstm.parameters()) + list(heads.parameters())
    settings = {k: v for k, v in plan["optimizer"].items() if k != "type"}
    kind = plan["optimizer"]["type"]
    if plan["sparse"]:
        if kind not in ("dense_sparse_adam", "adam", "sparse_adam"):
            raise SystemExit(f"sparse embeddings need an Adam-type optimizer, not {kind}")
        optimizers = [torch.optim.Adam(dense, **settings), torch.optim.SparseAdam([embedding.weight], **settings)]
    elif kind == "adadelta":
        optimizers = [torch.optim.Adadelta(dense + [embedding.weight], **settings)]
    elif kind in ("adam", "dense_sparse_adam"):
        optimizers = [torch.optim.Adam(dense + [embedding.weight], **settings)]
    else:
        raise SystemExit(f"optimizer {kind} is not in the plain reference")

    wall, cpu = time.perf_counter(), time.process_time()
    total_loss, correct, count = 0.0, 0, 0
    for batch in plan["batches"]:
        lengths = [len(sentence) for sentence in batch["words"]]
        ids = torch.zeros(len(lengths), max(lengths), dtype=torch.long)
        for row, sentence in enumerate(batch["words"]):
            ids[row, : len(sentence)] = torch.tensor([index.get(word, 1) for word in sentence])
        target = torch.tensor([label_index[batch["task"]][label] for label in batch["labels"]])
        for optimizer in optimizers:
            optimizer.zero_grad()
        if lstm_input == "packed":
            packed = pack_padded_sequence(embedding(ids), torch.tensor(lengths), batch_first=True, enforce_sorted=False)
            _, (last, _) = lstm(packed)
            final = last[-1]
        else:  # the padded batch (oneDNN's kernel), each sentence's state at its last token
            states, _ = lstm(embedding(ids))
            final = states[torch.arange(len(lengths)), torch.tensor(lengths) - 1]
        logits = heads[batch["task"]](final)
        loss = torch.nn.functional.cross_entropy(logits, target)
        loss.backward()
        for optimizer in optimizers:
            optimizer.step()
        total_loss += float(loss.detach()) * len(lengths)
        correct += int((logits.argmax(-1) == target).sum())
        count += len(lengths)
    result = {
        "epoch_wall_s": time.perf_counter() - wall,
        "epoch_cpu_s": time.process_time() - cpu,
        "batches": len(plan["batches"]),
        "instances": count,
        "training_loss": total_loss / count,
        "training_accuracy": correct / count,
        "torch_threads": torch.get_num_threads(),
        "lstm_input": lstm_input,
        "denormals_flushed": bool(flushed),
        "padded_positions": sum(len(b["words"]) * max(len(s) for s in b["words"]) for b in plan["batches"]),
        "tokens": sum(len(s) for b in plan["batches"] for s in b["words"]),
    }
    from benchmarks.atomic import atomic_write_json

    atomic_write_json(output, result, indent=1)
    return result


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export-plan", help="write the config's epoch-0 batches (uses AllenNLP)")
    export.add_argument("config")
    export.add_argument("plan")
    export.add_argument("--overrides", default="")
    run = commands.add_parser("train", help="one plain PyTorch epoch over a plan (torch only)")
    run.add_argument("plan")
    run.add_argument("result")
    run.add_argument("--seed", type=int, default=13)
    run.add_argument("--lstm-input", choices=["padded", "packed"], default="padded",
                     help="nn.LSTM on the padded batch (oneDNN's kernel) or on a PackedSequence "
                          "(on CPU a per-step loop whose backward is quadratic in the length)")
    args = parser.parse_args(argv)
    if args.command == "export-plan":
        plan = export_plan(args.config, args.plan, args.overrides)
        print(f"{len(plan['batches'])} batches, vocabulary {plan['vocab_size']}, written to {args.plan}")
    else:
        print(json.dumps(train(args.plan, args.result, args.seed, args.lstm_input)))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
