"""
Multi-task training with PyTorch DDP on CPU (gloo), as AllenNLP's `distributed` setting runs it:
one DDP step on two workers gives the gradients of one single-process step on the union of the
two workers' batches (DDP averages the workers' gradients; each loss is a per-batch mean). With
one-task batches the heads of the other tasks get no gradient on a worker, which is why the
config needs `find_unused_parameters` (training_configs/distributed.libsonnet); then the real
`allennlp train` command trains on two CPU workers.
"""
import json
import os
import socket
import subprocess
from typing import Dict, List

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from allennlp.common import Params
from allennlp.data import Batch, DatasetReader, Instance, Vocabulary
from allennlp.models import Model

from tests.conftest import REPO_ROOT, venv_bin

CONFIG = REPO_ROOT / "fixtures" / "cli" / "tiny_dc_mtl.jsonnet"


def build(seed: int = 0):
    os.chdir(REPO_ROOT)
    import graph_mtl  # noqa: F401  (registers the components in spawned workers)

    params = Params.from_file(str(CONFIG)).as_dict()
    reader = DatasetReader.from_params(Params(params["dataset_reader"]))
    instances: Dict[str, List[Instance]] = {}
    for task, path in params["train_data_path"].items():
        for instance in reader.read(path, force_task=task):
            reader.readers[task].apply_token_indexers(instance)
            instances.setdefault(task, []).append(instance)
    vocab = Vocabulary.from_instances([i for group in instances.values() for i in group])
    torch.manual_seed(seed)
    model = Model.from_params(vocab=vocab, params=Params(params["model"]))
    return model, vocab, instances


def tensors(instances: List[Instance], vocab: Vocabulary):
    batch = Batch(instances)
    batch.index_instances(vocab)
    return batch.as_tensor_dict()


def batches(instances, case: str):
    """The two workers' batches: two halves of one task's batch, or batches of two tasks."""
    books = instances["books"][:8]
    if case == "same task":
        return books[:4], books[4:]
    return books[:4], instances["electronics"][:4]


CASES = ("same task", "two tasks")


def worker(rank: int, port: int, state_file: str, out_file: str) -> None:
    """One DDP step of every case in `CASES` (one process group, the model reloaded per case);
    rank 0 saves the gradients of each case as `out_file` formatted with the case's index."""
    torch.set_num_threads(1)
    # read the data before joining the group: the readers shard their files across workers
    model, vocab, instances = build()
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        for index, case in enumerate(CASES):
            model.load_state_dict(torch.load(state_file))
            model.zero_grad(set_to_none=True)
            ddp = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
            mine = batches(instances, case)[rank]
            model.eval()  # no dropout: the two runs must see the same function
            ddp(**tensors(mine, vocab))["loss"].backward()
            if rank == 0:
                grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
                torch.save(grads, out_file.format(index))
            del ddp  # its reducer's hooks go with it before the next case wraps the model
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        return handle.getsockname()[1]


@pytest.fixture(scope="module")
def ddp_gradients(tmp_path_factory):
    """The initial state (saved) and, per case, the gradients of rank 0 after one DDP step on
    two spawned workers (one spawn for both cases: each spawned process imports allennlp)."""
    tmp_path = tmp_path_factory.mktemp("ddp")
    model, _, _ = build()
    state_file = str(tmp_path / "state.th")
    torch.save(model.state_dict(), state_file)
    out_file = str(tmp_path / "ddp_grads_{}.th")
    mp.spawn(worker, args=(free_port(), state_file, out_file), nprocs=2, join=True)
    return state_file, {case: torch.load(out_file.format(index)) for index, case in enumerate(CASES)}


@pytest.mark.parametrize("case", CASES)
def test_one_ddp_step_equals_one_step_on_the_union(case, ddp_gradients):
    state_file, gradients = ddp_gradients
    ddp_grads = gradients[case]
    model, vocab, instances = build()
    model.load_state_dict(torch.load(state_file))

    # one process, both batches: the union of one task's halves is its whole batch; batches of
    # two tasks are one step on each, averaged (what DDP's gradient averaging computes)
    model.eval()
    first, second = batches(instances, case)
    if case == "same task":
        loss = model(**tensors(first + second, vocab))["loss"]
    else:
        loss = (model(**tensors(first, vocab))["loss"] + model(**tensors(second, vocab))["loss"]) / 2
    loss.backward()
    reference = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert set(ddp_grads) == set(reference)
    assert len(reference) > 10
    for name, grad in reference.items():
        torch.testing.assert_close(ddp_grads[name], grad, rtol=1e-4, atol=1e-6, msg=name)


def test_allennlp_train_on_two_cpu_workers(tmp_path):
    """The documented setting, through the real command line: two gloo workers train, the
    archive and metrics are written, and each worker saw its own share of the batches."""
    config = tmp_path / "ddp.jsonnet"
    config.write_text(
        f"local distributed = import '{REPO_ROOT / 'training_configs' / 'lib' / 'distributed.libsonnet'}';\n"
        f"local base = import '{CONFIG}';\n"
        "distributed.cpu_workers(base + { trainer+: { callbacks: [] } }, 2)\n"
    )
    run = tmp_path / "run"
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    result = subprocess.run([venv_bin("allennlp"), "train", str(config), "-s", str(run), "--include-package", "graph_mtl"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (run / "model.tar.gz").exists() and (run / "out_worker1.log").exists()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epoch"] == 2 and 0 <= metrics["best_validation_average_accuracy"] <= 1


def test_evaluate_on_test_is_refused_clearly(tmp_path):
    config = tmp_path / "ddp.jsonnet"
    config.write_text(
        f"local distributed = import '{REPO_ROOT / 'training_configs' / 'lib' / 'distributed.libsonnet'}';\n"
        f"local base = import '{CONFIG}';\n"
        "distributed.cpu_workers(base + { evaluate_on_test: true }, 2)\n"
    )
    with pytest.raises(Exception, match="evaluate_on_test does not work with distributed training"):
        Params.from_file(str(config))
    config.write_text(config.read_text().replace("cpu_workers(base + { evaluate_on_test: true }, 2)",
                                                 "gpus(base, [0, 1])"))
    params = Params.from_file(str(config)).as_dict()
    assert params["distributed"] == {"cuda_devices": [0, 1],
                                     "ddp_accelerator": {"type": "torch", "find_unused_parameters": True}}
