from collections import Counter

import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DataLoader
from allennlp.data.data_loaders.multitask_data_loader import MultiTaskDataLoader
from allennlp.data.data_loaders.multitask_epoch_sampler import UniformSampler
from allennlp.data.data_loaders.multitask_scheduler import HomogeneousRoundRobinScheduler

from graph_mtl.data.data_loaders import (
    AnnealedSampler,
    GraphMtlMultiTaskDataLoader,
    TaskSamplerEpochCallback,
    TemperatureSampler,
)
from tests.data.data_loaders.helpers import PATHS, SIZES, batch_signature, indexed, make_loader, multitask_reader

CONFIGS = {
    "full_homogeneous": dict(batch_size=4),
    "full_homogeneous_drop_last": dict(batch_size=4, drop_last=True),
    "full_homogeneous_per_task_sizes": dict(batch_size={"a": 8, "b": 3, "c": 2}),
    "full_homogeneous_no_shuffle": dict(batch_size=4, shuffle=False),
    "sampled_homogeneous": dict(batch_size=4, sampler=TemperatureSampler(2.0), instances_per_epoch=30),
    "sampled_homogeneous_default_size": dict(batch_size={"a": 8, "b": 3, "c": 2}, sampler=UniformSampler()),
}
MIXED_CONFIGS = {
    "full_mixed": dict(batch_size=7, batching="mixed"),
    "full_mixed_drop_last": dict(batch_size=7, batching="mixed", drop_last=True),
    "sampled_mixed": dict(batch_size=7, batching="mixed", sampler=UniformSampler(), instances_per_epoch=30),
}


@pytest.mark.parametrize("name", sorted(CONFIGS) + sorted(MIXED_CONFIGS))
def test_len_equals_the_batches_produced(name):
    if name in CONFIGS:
        loader = indexed(make_loader(seed=1, **CONFIGS[name]))
    else:
        loader = indexed(make_loader(("a", "b"), seed=1, **MIXED_CONFIGS[name]))
    for epoch in range(3):
        expected = len(loader)
        batches = list(loader)
        assert len(batches) == expected, f"epoch {epoch}"
        assert loader.epoch == epoch + 1


def test_full_epoch_yields_every_instance_once_in_single_task_batches():
    loader = indexed(make_loader(batch_size=4, seed=2))
    seen = Counter()
    for batch in loader:
        signature = batch_signature(batch)
        assert len({task for task, _ in signature}) == 1  # homogeneous (paper's Algorithm 1)
        seen.update(signature)
    assert sum(seen.values()) == sum(SIZES.values()) and max(seen.values()) == 1
    assert Counter(task for task, _ in seen) == Counter(SIZES)
    assert len(loader) == 10 + 3 + 2  # ceil(40/4) + ceil(10/4) + ceil(5/4)


def test_mixed_batches_mix_tasks():
    loader = indexed(make_loader(("a", "b"), batch_size=10, batching="mixed", seed=4))
    batches = [batch_signature(batch) for batch in loader]
    assert len(batches) == 5
    assert any(len({task for task, _ in batch}) == 2 for batch in batches)


def test_mixed_batches_need_the_same_fields():
    with pytest.raises(ConfigurationError, match="mixed batches need the same fields"):
        make_loader(("a", "c"), batch_size=4, batching="mixed")
    with pytest.raises(ConfigurationError, match="one int batch_size"):
        make_loader(("a", "b"), batch_size={"a": 2, "b": 2}, batching="mixed")


def test_sampled_epochs_continue_the_task_streams():
    # a sampled epoch smaller than the data: over epochs every instance of a is used
    loader = indexed(make_loader(("a",), batch_size=5, sampler=UniformSampler(), instances_per_epoch=20, seed=9))
    first, second = [sig for batch in loader for sig in batch_signature(batch)], [
        sig for batch in loader for sig in batch_signature(batch)
    ]
    assert len(set(first)) == 20 and len(set(first) | set(second)) == 40


def _epochs(loader, count=2):
    return [[batch_signature(batch) for batch in loader] for _ in range(count)]


@pytest.mark.parametrize("config", ["full_homogeneous", "sampled_homogeneous"])
def test_deterministic_for_a_fixed_seed(config):
    kwargs = CONFIGS[config]
    one = _epochs(indexed(make_loader(seed=21, **kwargs)))
    two = _epochs(indexed(make_loader(seed=21, **kwargs)))
    other = _epochs(indexed(make_loader(seed=22, **kwargs)))
    assert one == two
    assert one != other
    assert one[0] != one[1]  # epochs differ from each other


def test_seed_defaults_to_pythons_seeded_random():
    import random

    random.seed(5)
    one = _epochs(indexed(make_loader(batch_size=4)), 1)
    random.seed(5)
    two = _epochs(indexed(make_loader(batch_size=4)), 1)
    assert one == two


def test_num_workers_2_reads_everything_deterministically():
    kwargs = dict(batch_size=4, sampler=TemperatureSampler(2.0), instances_per_epoch=40, seed=13)
    with_workers = _epochs(indexed(make_loader(num_workers=2, **kwargs)))
    again = _epochs(indexed(make_loader(num_workers={"a": 2, "b": 2, "c": 2}, **kwargs)))
    assert with_workers == again
    serial = make_loader(**kwargs)
    parallel = make_loader(num_workers=2, **kwargs)
    assert sorted(i.human_readable_dict()["metadata"]["words"] for i in serial.iter_instances()) == sorted(
        i.human_readable_dict()["metadata"]["words"] for i in parallel.iter_instances()
    )


def test_from_params_jsonnet_style():
    params = Params(
        {
            "type": "graph_mtl_multitask",
            "batch_size": {"a": 8, "b": 4, "c": 2},
            "sampler": {"type": "annealed", "num_epochs": 4},
            "instances_per_epoch": 64,
            "seed": 3,
            "quiet": True,
        }
    )
    loader = DataLoader.from_params(params, reader=multitask_reader(), data_path={t: PATHS[t] for t in "abc"})
    assert isinstance(loader, GraphMtlMultiTaskDataLoader)
    assert isinstance(loader.sampler, AnnealedSampler)
    indexed(loader)
    assert len(loader) == len(list(loader))


def test_configuration_errors():
    with pytest.raises(ConfigurationError, match="instances_per_epoch needs a sampler"):
        make_loader(batch_size=2, instances_per_epoch=10)
    with pytest.raises(ConfigurationError, match="no reader for \\['c'\\]"):
        GraphMtlMultiTaskDataLoader(multitask_reader(("a", "b")), {"a": PATHS["a"], "c": PATHS["a"]})
    with pytest.raises(ValueError, match="index_with"):
        iter(make_loader(batch_size=2))


def test_data_path_may_name_a_subset_of_the_reader_tasks():  # allennlp evaluate on one file
    loader = GraphMtlMultiTaskDataLoader(
        multitask_reader(("a", "b")), {"b": PATHS["b"]}, batch_size=2, quiet=True
    )
    assert loader.tasks == ["b"]
    assert set(loader.task_sizes()) == {"b"}


def test_len_is_exact_where_allennlps_multitask_loader_overcounts():  # allennlp issue #5693
    # the same two tasks, batches of 4, uniform sampling, 30 instances an epoch
    allennlp_loader = indexed(
        MultiTaskDataLoader(
            multitask_reader(("a", "b")),
            {"a": PATHS["a"], "b": PATHS["b"]},
            HomogeneousRoundRobinScheduler(batch_size=4),
            sampler=UniformSampler(),
            instances_per_epoch=30,
        )
    )
    assert len(list(allennlp_loader)) == 8  # 15 + 15 instances: 4 + 4 batches
    # allennlp counts 30 instances per task; graph_mtl leaves allennlp's loader unpatched
    assert len(allennlp_loader) == 16
    ours = indexed(
        make_loader(("a", "b"), batch_size=4, sampler=UniformSampler(), instances_per_epoch=30, seed=1)
    )
    for _ in range(3):
        assert len(ours) == len(list(ours)) == 8  # 30 instances in full batches of 4: ceil(30 / 4)


class _FakeTrainer:
    def __init__(self, data_loader):
        self.data_loader = data_loader
        self._num_epochs = 5
        self._epochs_completed = 0


def test_callback_tells_samplers_num_epochs_epoch_and_metrics():
    sampler = AnnealedSampler()
    allennlp_loader = MultiTaskDataLoader(
        multitask_reader(("a", "b")),
        {"a": PATHS["a"], "b": PATHS["b"]},
        HomogeneousRoundRobinScheduler(batch_size=4),
        sampler=sampler,
        instances_per_epoch=30,
    )
    callback = TaskSamplerEpochCallback(serialization_dir="unused")
    trainer = _FakeTrainer(allennlp_loader)
    callback.on_start(trainer)
    assert sampler.num_epochs == 5 and sampler.epoch == 0
    callback.on_epoch(trainer, {"epoch": 0}, epoch=0)
    assert sampler.epoch == 1 and sampler.alpha() == pytest.approx(0.8)

    calls = []

    class MetricSampler(UniformSampler):
        def update_from_epoch_metrics(self, epoch_metrics):
            calls.append(epoch_metrics)

    ours = make_loader(("a",), batch_size=4, sampler=MetricSampler())
    callback.on_epoch(_FakeTrainer(ours), {"validation_loss": 1.0}, epoch=0)
    assert calls == [{"validation_loss": 1.0}]
    # loaders that track epochs themselves keep their own count
    assert ours.epoch == 0
