"""Length bucketing in `graph_mtl_multitask` (allennlp's `BucketBatchSampler` per task)."""
from collections import Counter
from typing import Any, Dict, List

import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DataLoader, Instance
from allennlp.data.fields import LabelField, MetadataField
from allennlp.data.data_loaders.multitask_epoch_sampler import UniformSampler
from allennlp.data.samplers.bucket_batch_sampler import BucketBatchSampler

from graph_mtl.data.data_loaders import GraphMtlMultiTaskDataLoader, TemperatureSampler
from graph_mtl.data.data_loaders.multitask_loader import guess_sorting_keys
from tests.data.data_loaders.helpers import PATHS, batch_signature, indexed, make_loader, multitask_reader

#: The length-varied fixture (96 instances of 4 to 60 tokens) next to the small ones.
TASKS = ("a", "b", "d")
SIZES = {"a": 40, "b": 10, "d": 96}

CONFIGS: Dict[str, Dict[str, Any]] = {
    "full_homogeneous": dict(batch_size=4),
    "full_homogeneous_drop_last": dict(batch_size=5, drop_last=True),
    "full_homogeneous_per_task_sizes": dict(batch_size={"a": 8, "b": 3, "d": 4}),
    "full_homogeneous_no_shuffle": dict(batch_size=4, shuffle=False),
    "full_mixed": dict(batch_size=7, batching="mixed"),
    "full_mixed_drop_last": dict(batch_size=7, batching="mixed", drop_last=True),
    "sampled_homogeneous": dict(batch_size=4, sampler=TemperatureSampler(2.0), instances_per_epoch=50),
    "sampled_homogeneous_default_size": dict(batch_size={"a": 8, "b": 3, "d": 4}, sampler=UniformSampler()),
    "sampled_mixed": dict(batch_size=7, batching="mixed", sampler=UniformSampler(), instances_per_epoch=60),
}


def bucketed(**kwargs: Any) -> GraphMtlMultiTaskDataLoader:
    kwargs.setdefault("seed", 3)
    return indexed(make_loader(TASKS, bucketing=True, **kwargs))


def lengths(batch: Dict[str, Any]) -> List[int]:
    return [len(meta["words"]) for meta in batch["metadata"]]


def padding_ratio(loader: GraphMtlMultiTaskDataLoader) -> float:
    """Padded positions / real tokens over one epoch, from the tensors the loader yields."""
    padded = real = 0
    for batch in loader:
        token_ids = batch["tokens"]["tokens"]["tokens"]
        padded += token_ids.numel()
        real += sum(lengths(batch))
        assert (token_ids != 0).sum().item() == sum(lengths(batch))  # the yielded tensors
    return padded / real


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_len_equals_the_batches_produced(name):
    loader = bucketed(**CONFIGS[name])
    for epoch in range(3):
        expected = len(loader)
        assert len(list(loader)) == expected, f"epoch {epoch}"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_bucketing_keeps_the_batch_count_of_the_unbucketed_loader(name):
    if name.startswith("sampled_homogeneous"):
        pytest.skip("bucketed task streams end a pass with a short batch (tested below)")
    plain = indexed(make_loader(TASKS, seed=3, **CONFIGS[name]))
    assert len(bucketed(**CONFIGS[name])) == len(plain)


@pytest.mark.parametrize("batching", ["homogeneous", "mixed"])
def test_every_instance_once_per_epoch(batching):
    loader = bucketed(batch_size=4, batching=batching)
    for _ in range(2):
        seen = Counter(signature for batch in loader for signature in batch_signature(batch))
        assert sum(seen.values()) == sum(SIZES.values())
        assert Counter(task for task, _ in seen) == Counter(SIZES)
        assert max(seen.values()) == 1


def test_homogeneous_bucketed_batches_hold_one_task():
    for batch in bucketed(batch_size=4):
        assert len(set(batch["task"])) == 1


def test_padding_ratio_close_to_one_and_far_below_random_batches():
    plain = indexed(make_loader(("d",), batch_size=4, seed=3))
    with_buckets = indexed(make_loader(("d",), batch_size=4, seed=3, bucketing=True))
    ratio, plain_ratio = padding_ratio(with_buckets), padding_ratio(plain)
    # the best possible: batches of 4 cut from the instances sorted by length
    ordered = sorted(len(instance.fields["tokens"]) for instance in plain._instances["d"])
    best = sum(max(ordered[i : i + 4]) * len(ordered[i : i + 4]) for i in range(0, 96, 4)) / sum(ordered)
    assert best == pytest.approx(1.057, abs=1e-3)
    assert best <= ratio < 1.1, ratio
    assert plain_ratio > 1.4, plain_ratio  # random batches of the same long-tailed lengths


def test_same_batches_as_allennlps_bucket_sampler_without_shuffle():
    loader = bucketed(batch_size=4, shuffle=False)
    instances = list(loader._instances["d"])
    reference = BucketBatchSampler(4, sorting_keys=["tokens"], shuffle=False)
    expected = [[("d", index) for index in batch] for batch in reference.get_batch_indices(instances)]
    ours = [batch for batch in loader.epoch_plan() if batch[0][0] == "d"]
    assert ours == expected
    d_lengths = [max(len(instances[i].fields["tokens"]) for _, i in batch) for batch in ours]
    assert d_lengths == sorted(d_lengths)  # no noise without shuffle: length order


@pytest.mark.parametrize("name", ["full_homogeneous", "full_mixed", "sampled_homogeneous", "sampled_mixed"])
def test_deterministic_for_a_fixed_seed_and_global_random_untouched(name):
    import random

    def epochs(seed: int) -> List[List[Any]]:
        loader = bucketed(seed=seed, **CONFIGS[name])
        return [[batch_signature(batch) for batch in loader] for _ in range(2)]

    random.seed(0)
    state = random.getstate()
    one = epochs(21)
    assert random.getstate() == state  # the sampler's noise is drawn in a seeded, restored context
    assert one == epochs(21)
    assert one != epochs(22)
    assert one[0] != one[1]  # noise and shuffle differ from epoch to epoch


def test_sampled_bucketed_streams_cover_each_task_pass_by_pass():
    loader = bucketed(batch_size=5, sampler=UniformSampler(), instances_per_epoch=400)
    drawn: Dict[str, List[Any]] = {task: [] for task in TASKS}
    for batch in loader:
        signature = batch_signature(batch)
        drawn[signature[0][0]].append(signature)
    d_batches = drawn["d"]
    assert sum(len(batch) for batch in d_batches) >= 96  # at least one whole pass over d
    first_pass, count = [], 0
    for batch in d_batches:
        first_pass.append(batch)
        count += len(batch)
        if count >= 96:
            break
    assert count == 96  # a pass ends exactly: 19 batches of 5 and a short one of 1
    assert len({item for batch in first_pass for item in batch}) == 96


def test_num_workers_give_the_same_bucketed_batches():
    # with workers the instances arrive in a timing-dependent order and are put in a canonical
    # one first, so any number of workers gives the same batches (serial reading keeps file
    # order, so its batches differ; its instances do not)
    kwargs = dict(batch_size=4, seed=13)
    two = [batch_signature(batch) for batch in bucketed(num_workers=2, **kwargs)]
    per_task = [batch_signature(batch) for batch in bucketed(num_workers={"a": 2, "b": 1, "d": 3}, **kwargs)]
    serial = [batch_signature(batch) for batch in bucketed(**kwargs)]
    assert two == per_task
    assert sorted(item for batch in two for item in batch) == sorted(item for batch in serial for item in batch)


def test_from_params_and_sorting_key_errors():
    params = Params(
        {"type": "graph_mtl_multitask", "batch_size": 4, "bucketing": True, "padding_noise": 0.2,
         "sorting_keys": ["tokens"], "seed": 1, "quiet": True}
    )
    loader = DataLoader.from_params(params, reader=multitask_reader(TASKS), data_path={t: PATHS[t] for t in TASKS})
    assert loader.bucketing and loader.padding_noise == 0.2 and loader.sorting_keys == ["tokens"]
    with pytest.raises(ConfigurationError, match=r"sorting key 'words' is not a field of instance 1 of task 'a'"):
        make_loader(TASKS, batch_size=4, bucketing=True, sorting_keys=["words"])
    with pytest.raises(ConfigurationError, match="padding_noise must be >= 0"):
        make_loader(TASKS, batch_size=4, bucketing=True, padding_noise=-0.1)


def test_guessed_key_is_the_text_field_not_the_task_name():
    # allennlp's own guess picks the longest field of any kind: "task" metadata ("a") ties
    # a 1-token sentence, and a task named "kitchen_housewares" beats most short sentences.
    loader = make_loader(("a",), batch_size=4)
    instances = loader._instances["a"]
    assert guess_sorting_keys(instances) == ["tokens"]
    with pytest.raises(ConfigurationError, match="no TextField"):
        guess_sorting_keys([Instance({"label": LabelField("pos"), "task": MetadataField("a")})])
