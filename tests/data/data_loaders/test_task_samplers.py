"""
Each sampler's p_k against its formula, and the empirical task frequencies of the loader's
epochs against p_k (chi-square goodness of fit, fixed seed).
"""
from collections import Counter

import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data.data_loaders.multitask_epoch_sampler import (
    MultiTaskEpochSampler,
    ProportionalSampler,
    UniformSampler,
    WeightedSampler,
)
from scipy.stats import chisquare

from graph_mtl.data.data_loaders import AnnealedSampler, FixedWeightsSampler, TemperatureSampler
from tests.data.data_loaders.helpers import SIZES, indexed, make_loader

N = {"a": 40.0, "b": 10.0, "c": 5.0}


def normalized(weights):
    total = sum(weights.values())
    return {task: weight / total for task, weight in weights.items()}


SAMPLERS = {
    "uniform": (UniformSampler, {}, {task: 1 / 3 for task in N}),
    "proportional": (ProportionalSampler, {}, normalized(N)),
    "temperature_2": (TemperatureSampler, {"temperature": 2.0}, normalized({k: v ** 0.5 for k, v in N.items()})),
    "temperature_0.5": (TemperatureSampler, {"temperature": 0.5}, normalized({k: v ** 2 for k, v in N.items()})),
    "fixed": (FixedWeightsSampler, {"weights": {"a": 1, "b": 2, "c": 5}}, normalized({"a": 1, "b": 2, "c": 5})),
    "weighted": (WeightedSampler, {"weights": {"a": 1, "b": 1, "c": 2}}, {"a": 0.25, "b": 0.25, "c": 0.5}),
    "annealed_epoch0": (AnnealedSampler, {"num_epochs": 5}, normalized(N)),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_proportions_match_formula(name):
    cls, kwargs, expected = SAMPLERS[name]
    loader = make_loader(sampler=cls(**kwargs), batch_size=1)
    proportions = loader.task_proportions()
    assert proportions == pytest.approx(expected, abs=1e-12)


def test_annealed_formula_over_epochs():
    loader = make_loader(sampler=AnnealedSampler(num_epochs=5, min_alpha=0.2), batch_size=1)
    for epoch in range(7):
        alpha = 1 - 0.8 * min(epoch, 4) / 4  # Stickland & Murray: 1 - 0.8 (e-1)/(E-1), 1-based
        expected = normalized({k: v ** alpha for k, v in N.items()})
        assert loader.task_proportions(epoch) == pytest.approx(expected, abs=1e-12)
    uniform_at_end = make_loader(sampler=AnnealedSampler(num_epochs=3, min_alpha=0.0), batch_size=1)
    assert uniform_at_end.task_proportions(2) == pytest.approx({task: 1 / 3 for task in N})


def _assert_frequencies(counts, expected, total):
    tasks = sorted(expected)
    observed = [counts.get(task, 0) for task in tasks]
    assert sum(observed) == total
    _, p_value = chisquare(observed, [expected[task] * total for task in tasks])
    assert p_value > 1e-3, (observed, expected)
    for task in tasks:  # and an explicit bound: within 5 standard deviations
        p = expected[task]
        assert abs(counts.get(task, 0) - p * total) <= 5 * (total * p * (1 - p)) ** 0.5 + 1


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_homogeneous_batch_tasks_follow_the_sampler(name):
    cls, kwargs, expected = SAMPLERS[name]
    loader = make_loader(sampler=cls(**kwargs), batch_size=2, instances_per_epoch=8000, seed=3)
    plan = loader.epoch_plan()
    assert len(plan) == 4000
    assert all(len({task for task, _ in batch}) == 1 for batch in plan)
    _assert_frequencies(Counter(batch[0][0] for batch in plan), expected, len(plan))


@pytest.mark.parametrize("name", ["uniform", "proportional", "temperature_2"])
def test_mixed_batch_instances_follow_the_sampler(name):
    cls, kwargs, _ = SAMPLERS[name]
    loader = make_loader(("a", "b"), sampler=cls(**kwargs), batch_size=8, batching="mixed",
                         instances_per_epoch=4000, seed=5)
    expected = loader.task_proportions()
    items = [task for batch in loader.epoch_plan() for task, _ in batch]
    assert len(items) == 4000
    _assert_frequencies(Counter(items), expected, len(items))


def test_annealing_changes_frequencies_with_the_epoch():
    loader = indexed(make_loader(sampler=AnnealedSampler(num_epochs=3), batch_size=1,
                                 instances_per_epoch=3000, seed=11))
    shares = []
    for epoch in range(3):
        assert loader.epoch == epoch
        plan = loader.epoch_plan()
        counts = Counter(batch[0][0] for batch in plan)
        _assert_frequencies(counts, loader.task_proportions(epoch), len(plan))
        shares.append(counts["a"] / len(plan))
        for _ in zip(range(1), iter(loader)):  # start and abandon the epoch: it still counts
            pass
    assert loader.epoch == 3
    assert shares[0] > shares[1] > shares[2]  # the big task loses share as alpha falls
    assert shares[0] == pytest.approx(40 / 55, abs=0.03)


def test_annealed_needs_num_epochs_after_the_first_epoch():
    sampler = AnnealedSampler()
    assert sampler.alpha(0) == 1.0
    with pytest.raises(ConfigurationError, match="num_epochs"):
        sampler.alpha(1)
    sampler.set_num_epochs(4)
    assert sampler.alpha(3) == pytest.approx(0.2)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_len_equals_the_batches_of_sampled_epochs(name):
    cls, kwargs, _ = SAMPLERS[name]
    sizes = {"a": 8, "b": 3, "c": 2}  # the batch count depends on which tasks are drawn
    loader = indexed(make_loader(sampler=cls(**kwargs), batch_size=sizes, instances_per_epoch=60, seed=7))
    for epoch in range(3):
        expected = len(loader)
        batches = [batch["task"] for batch in loader]
        assert len(batches) == expected, f"epoch {epoch}"
        assert all(len(tasks) == sizes[tasks[0]] for tasks in batches)  # full homogeneous batches
        instances = sum(len(tasks) for tasks in batches)
        assert 60 <= instances < 60 + max(sizes.values())  # batches are drawn until 60 are reached


def test_fixed_is_allennlps_weighted_with_checked_weights():
    weights = {"a": 1, "b": 2, "c": 5}
    sampler = MultiTaskEpochSampler.from_params(Params({"type": "fixed", "weights": weights}))
    assert isinstance(sampler, FixedWeightsSampler)
    fixed = make_loader(sampler=sampler, batch_size=1)
    weighted = make_loader(sampler=WeightedSampler(weights), batch_size=1)
    assert fixed.task_proportions() == weighted.task_proportions() == {"a": 0.125, "b": 0.25, "c": 0.625}


def test_sampler_configuration_errors():
    with pytest.raises(ConfigurationError, match="temperature"):
        TemperatureSampler(0)
    with pytest.raises(ConfigurationError, match="missing \\['c'\\]"):
        make_loader(sampler=FixedWeightsSampler({"a": 1, "b": 1}), batch_size=1).task_proportions()
    with pytest.raises(ConfigurationError, match="unknown \\['d'\\]"):
        make_loader(sampler=FixedWeightsSampler({"a": 1, "b": 1, "c": 1, "d": 1}), batch_size=1).task_proportions()
    with pytest.raises(ConfigurationError, match="must not all be 0"):
        make_loader(sampler=FixedWeightsSampler({"a": 0, "b": 0, "c": 0}), batch_size=1).task_proportions()
    with pytest.raises(ConfigurationError, match=">= 0"):
        FixedWeightsSampler({"a": -1})


def test_zero_weight_task_is_never_drawn():
    loader = make_loader(sampler=FixedWeightsSampler({"a": 1, "b": 1, "c": 0}), batch_size=1,
                         instances_per_epoch=500)
    assert {batch[0][0] for batch in loader.epoch_plan()} == {"a", "b"}
    assert sum(SIZES.values()) == 55
