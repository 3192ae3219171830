"""
`graph_mtl_multitask`: a multi-task data loader with task sampling, homogeneous (one task per
batch, the paper's Algorithm 1) or mixed batches, length bucketing, an exact `len()`, epoch
tracking and seeded determinism, including with `num_workers` > 0.
"""
import contextlib
import json
import logging
import random
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.batch import Batch
from allennlp.data.data_loaders.data_loader import DataLoader, TensorDict
from allennlp.data.data_loaders.multiprocess_data_loader import MultiProcessDataLoader
from allennlp.data.data_loaders.multitask_epoch_sampler import MultiTaskEpochSampler
from allennlp.data.dataset_readers.multitask import MultiTaskDatasetReader
from allennlp.data.fields import TextField
from allennlp.data.instance import Instance
from allennlp.data.samplers.bucket_batch_sampler import BucketBatchSampler
from allennlp.data.vocabulary import Vocabulary
import allennlp.nn.util as nn_util

logger = logging.getLogger(__name__)

BATCHING = ("homogeneous", "mixed")
#: One batch of an epoch plan: (task, index of the instance in that task's list) pairs.
PlannedBatch = List[Tuple[str, int]]


def _instance_sort_key(instance: Instance) -> str:
    return json.dumps(instance.human_readable_dict(), sort_keys=True, default=str)


@contextlib.contextmanager
def _seeded_global_random(seed: str) -> Iterator[None]:
    """Runs a block with Python's global `random` seeded by `seed`, then restores its state.

    allennlp's `BucketBatchSampler` draws its padding noise and its batch shuffle from the global
    `random`; seeding it here makes its batches a function of the loader's seed alone.
    """
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def guess_sorting_keys(instances: Sequence[Instance], num_instances: int = 10) -> List[str]:
    """The `TextField` that is longest over the first `num_instances` instances.

    allennlp's `BucketBatchSampler._guess_sorting_keys` considers every field with a length,
    so a short sentence loses to the multi-task reader's `task` metadata string ("books" has
    length 5); bucketing a text loader by the length of its task name is never what is meant.
    """
    longest: Dict[str, int] = {}
    for instance in instances[: num_instances + 1]:
        for name, field in instance.fields.items():
            if isinstance(field, TextField):
                longest[name] = max(longest.get(name, 0), len(field))
    if not longest:
        raise ConfigurationError(
            "length bucketing found no TextField to sort by in fields "
            f"{sorted(instances[0].fields) if instances else []}; give sorting_keys"
        )
    return [max(sorted(longest), key=lambda name: longest[name])]


class _TaskBatchStream:
    """An endless, seeded stream of one task's bucketed batches: pass after pass, each pass
    cut into batches of similar length by `make_pass(pass_number)`."""

    def __init__(self, make_pass: Callable[[int], List[List[int]]]) -> None:
        self._make_pass = make_pass
        self._batches: List[List[int]] = []
        self._position = 0
        self._passes = 0

    def take(self) -> List[int]:
        if self._position >= len(self._batches):
            self._batches = self._make_pass(self._passes)
            self._passes += 1
            self._position = 0
        batch = self._batches[self._position]
        self._position += 1
        return batch


class _TaskStream:
    """An endless, seeded stream of one task's instance indices: shuffled pass after pass."""

    def __init__(self, size: int, seed: str, shuffle: bool) -> None:
        self.size = size
        self.shuffle = shuffle
        self._rng = random.Random(seed)
        self._order: List[int] = []
        self._position = 0

    def take(self, count: int) -> List[int]:
        taken: List[int] = []
        while len(taken) < count:
            if self._position >= len(self._order):
                self._order = list(range(self.size))
                if self.shuffle:
                    self._rng.shuffle(self._order)
                self._position = 0
            chunk = self._order[self._position : self._position + count - len(taken)]
            self._position += len(chunk)
            taken.extend(chunk)
        return taken


@DataLoader.register("graph_mtl_multitask")
class GraphMtlMultiTaskDataLoader(DataLoader):
    """
    Loads every task of a `MultiTaskDatasetReader` (allennlp's `multitask` reader, whose
    instances carry the `task` metadata field) into memory, one allennlp
    `MultiProcessDataLoader` per task for reading (so `num_workers` works as in allennlp),
    and builds each epoch from a seeded *plan*: the list of batches, each a list of
    (task, instance) pairs. `len()` is the length of the next epoch's plan, so it always
    equals the number of batches the epoch yields (allennlp's `multitask` loader overcounts
    with `instances_per_epoch`, allennlp issue #5693).

    Epochs:

    * without `sampler`: every instance of every task once per epoch. Homogeneous batches
      are formed per task and their order is shuffled (or round-robin with `shuffle: false`);
      mixed batches come from one shuffled pool of all tasks.
    * with `sampler`: an epoch has `instances_per_epoch` instances (default: all tasks'
      instances together). With homogeneous batching the task of each batch is drawn from
      the sampler's p_k (the paper's Algorithm 1), with mixed batching the task of each
      instance; instances come from per-task streams that cycle through reshuffled passes,
      continuing across epochs, so small tasks repeat and large ones are covered over epochs.
      Before each epoch the loader calls the sampler's `set_epoch(epoch)` if it has one (the
      `annealed` sampler needs it; allennlp never tells samplers the epoch).

    Length bucketing (`bucketing: true`): instances are cut into batches of similar length by
    allennlp's `BucketBatchSampler` (sorted by the length of `sorting_keys` plus
    `padding_noise`, batches shuffled), so a batch is padded to little more than its real
    tokens. Homogeneous batches are bucketed within each task (then the batches of all tasks
    are shuffled together, or interleaved with `shuffle: false`); mixed batches across the
    pool of all tasks. With a `sampler`, each task's stream yields bucketed batches, a pass
    over the task at a time (the last batch of a pass may be short unless `drop_last`), and
    mixed epochs bucket the instances they drew. The noise and the shuffles are seeded from
    `seed` (with `shuffle: false`: no noise, batches in length order). Which instances make an
    epoch, the batch count and `len()` do not change with bucketing.

    Determinism: all randomness comes from `seed` (task streams, task draws, shuffles), never
    from global state, and instances read by `num_workers` > 0 processes (which arrive in a
    timing-dependent order) are put into a canonical order first (sorted by content), so a
    fixed seed gives the same batches with any number of workers. The epoch counter
    advances when an epoch's iteration ends (or is abandoned); `set_epoch` sets it.
    allennlp's trainer replays skipped epochs when it recovers from a checkpoint, so the
    counter stays in step; for metric-driven samplers, replayed plans use the sampler's
    current state.

    Per-task loss weights lambda_k are the model's business (`MultiTaskModel`'s
    `loss_weights`), not the loader's.

    Registered as a `DataLoader` with name "graph_mtl_multitask".

    # Parameters

    reader : `MultiTaskDatasetReader`
        Given by the trainer from `dataset_reader` (type `multitask`).
    data_path : `Dict[str, str]`
        One path per task, with the reader's keys (all of them, or a subset: e.g. `allennlp
        evaluate` on one task's file). Readers of graph-mtl accept
        `path#train` / `path#dev` (see `TaskDatasetReader`).
    batch_size : `Union[int, Dict[str, int]]`, optional (default = `32`)
        Per task with homogeneous batches; one `int` for mixed batches.
    sampler : `MultiTaskEpochSampler`, optional (default = `None`)
        `uniform`, `proportional`, `weighted` (allennlp), `temperature`, `annealed`, `fixed`
        (graph-mtl, see `task_samplers`). Leave it out for validation loaders.
    batching : `str`, optional (default = `"homogeneous"`)
        `"homogeneous"` (one task per batch) or `"mixed"` (tasks mixed within a batch; needs
        the same fields in every task, e.g. only classification or only tagging tasks).
    instances_per_epoch : `int`, optional (default = `None`)
        Epoch size with a `sampler` (default: the total number of instances).
    drop_last : `bool`, optional (default = `False`)
        Drop incomplete batches. (With a sampler, homogeneous batches are always full; only a
        mixed epoch's last batch can be incomplete.)
    shuffle : `bool`, optional (default = `True`)
        Shuffle instances and batch order. Task draws are random either way.
    seed : `int`, optional (default = `None`)
        Seed of all the loader's randomness. `None` draws one from Python's `random` at
        construction, which allennlp seeds from the config's `random_seed`.
    num_workers : `Union[int, Dict[str, int]]`, optional (default = `0`)
        Worker processes for reading each task's file (an `int` for all tasks, or per task).
    start_method : `str`, optional (default = `"fork"`)
        Multiprocessing start method of the reading workers.
    bucketing : `bool`, optional (default = `False`)
        Batches of instances of similar length (see above). Every training config of
        graph-mtl turns it on.
    sorting_keys : `List[str]`, optional (default = `None`)
        Fields whose length orders the instances when bucketing, as in allennlp's `bucket`
        batch sampler (only the first is used for sorting). `None`: the longest `TextField`
        of the first instances (allennlp's guess would also consider metadata fields).
    padding_noise : `float`, optional (default = `0.1`)
        Relative noise added to the lengths before sorting (allennlp's `padding_noise`), so
        that batches differ from epoch to epoch. Ignored with `shuffle: false`.
    quiet : `bool`, optional (default = `False`)
        No progress bars while reading.
    cuda_device : `Union[int, str, torch.device]`, optional (default = `None`)
        Normally set by the trainer through `set_target_device`.
    """

    def __init__(
        self,
        reader: MultiTaskDatasetReader,
        data_path: Dict[str, str],
        batch_size: Union[int, Dict[str, int]] = 32,
        *,
        sampler: Optional[MultiTaskEpochSampler] = None,
        batching: str = "homogeneous",
        instances_per_epoch: Optional[int] = None,
        drop_last: bool = False,
        shuffle: bool = True,
        seed: Optional[int] = None,
        num_workers: Union[int, Dict[str, int]] = 0,
        start_method: str = "fork",
        bucketing: bool = False,
        sorting_keys: Optional[List[str]] = None,
        padding_noise: float = 0.1,
        quiet: bool = False,
        cuda_device: Optional[Union[int, str, torch.device]] = None,
    ) -> None:
        if not isinstance(reader, MultiTaskDatasetReader):
            raise ConfigurationError(
                "graph_mtl_multitask needs a multitask dataset reader "
                '({"type": "multitask", "readers": {...}}), got ' + type(reader).__name__
            )
        self.readers = reader.readers
        if not isinstance(data_path, Mapping):
            # e.g. `allennlp evaluate model.tar.gz books.task.test`: which task is the file of?
            example = json.dumps({next(iter(self.readers)): str(data_path)})
            raise ConfigurationError(
                f"a multi-task model reads one file per task: give a JSON object task -> file "
                f"instead of {str(data_path)!r}, e.g. '{example}' (tasks: {', '.join(self.readers)})"
            )
        self.data_paths = dict(data_path)
        unknown = sorted(set(self.data_paths) - set(self.readers))
        if unknown or not self.data_paths:
            raise ConfigurationError(
                f"data_path tasks {sorted(self.data_paths)} differ from reader tasks "
                f"{sorted(self.readers)}: no reader for {unknown}"
            )
        # A subset of the reader's tasks is fine (e.g. `allennlp evaluate` on one task's file).
        self.tasks: List[str] = [task for task in self.readers if task in self.data_paths]
        if len(self.tasks) < len(self.readers):
            logger.info(
                "data_path has no entry for tasks %s; reading only %s",
                [task for task in self.readers if task not in self.data_paths],
                self.tasks,
            )
        if batching not in BATCHING:
            raise ConfigurationError(f"unknown batching {batching!r}: expected one of {BATCHING}")
        self.batching = batching
        if isinstance(batch_size, int):
            self.batch_sizes = {task: batch_size for task in self.tasks}
        else:
            if batching == "mixed":
                raise ConfigurationError("mixed batches need one int batch_size for all tasks")
            missing = sorted(set(self.tasks) - set(batch_size))
            if missing:
                raise ConfigurationError(f"batch_size has no entry for tasks {missing}")
            self.batch_sizes = {task: int(batch_size[task]) for task in self.tasks}
        if any(size < 1 for size in self.batch_sizes.values()):
            raise ConfigurationError(f"batch sizes must be at least 1: {self.batch_sizes}")
        if instances_per_epoch is not None:
            if sampler is None:
                raise ConfigurationError(
                    "instances_per_epoch needs a sampler (e.g. {\"type\": \"proportional\"})"
                )
            if instances_per_epoch < 1:
                raise ConfigurationError("instances_per_epoch must be at least 1")
        if padding_noise < 0:
            raise ConfigurationError(f"padding_noise must be >= 0, got {padding_noise}")
        self.bucketing = bucketing
        self.sorting_keys: Optional[List[str]] = list(sorting_keys) if sorting_keys else None
        self.padding_noise = padding_noise
        self.sampler = sampler
        self.instances_per_epoch = instances_per_epoch
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = random.randint(0, 2**31 - 1) if seed is None else int(seed)
        workers = (
            {task: num_workers for task in self.tasks}
            if isinstance(num_workers, int)
            else {task: int(num_workers.get(task, 0)) for task in self.tasks}
        )
        self.num_workers = workers
        self.cuda_device: Optional[torch.device] = None
        if cuda_device is not None:
            self.cuda_device = (
                cuda_device if isinstance(cuda_device, torch.device) else torch.device(cuda_device)
            )

        # Read every task (through allennlp's loader, which handles the worker processes).
        self._loaders: Dict[str, MultiProcessDataLoader] = {}
        self._instances: Dict[str, List[Instance]] = {}
        for task in self.tasks:
            loader = MultiProcessDataLoader(
                self.readers[task],
                self.data_paths[task],
                batch_size=1,
                num_workers=workers[task],
                start_method=start_method,
                quiet=quiet,
            )
            instances = list(loader.iter_instances())
            if workers[task] > 0:
                instances.sort(key=_instance_sort_key)
                loader._instances = instances  # keep allennlp's cache in the same order
            if not instances:
                raise ConfigurationError(f"task {task!r} has no instances in {self.data_paths[task]}")
            self._loaders[task] = loader
            self._instances[task] = instances
        if batching == "mixed":
            self._check_mixable()
        if bucketing:
            self._check_sorting_keys()

        self._vocab: Optional[Vocabulary] = None
        self._epoch = 0
        self._plans: Dict[int, List[PlannedBatch]] = {}
        self._streams: Dict[str, _TaskStream] = {}
        self._streams_epoch = 0  # the epoch the streams are positioned at
        self._reset_streams()

    # ----------------------------------------------------------------------------- public API
    @property
    def epoch(self) -> int:
        """The epoch the next (or current) iteration yields (0-based)."""
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch of the next iteration (e.g. after restoring a checkpoint)."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self._epoch = epoch

    def task_sizes(self) -> Dict[str, int]:
        return {task: len(instances) for task, instances in self._instances.items()}

    def task_proportions(self, epoch: Optional[int] = None) -> Dict[str, float]:
        """The sampler's p_k for `epoch` (default: the next one); sizes if there is no sampler."""
        epoch = self._epoch if epoch is None else epoch
        if self.sampler is None:
            total = sum(self.task_sizes().values())
            return {task: size / total for task, size in self.task_sizes().items()}
        set_epoch = getattr(self.sampler, "set_epoch", None)
        if set_epoch is not None:
            set_epoch(epoch)
        proportions = self.sampler.get_task_proportions(self._loaders)
        total = sum(proportions.values())
        if total <= 0 or any(p < 0 for p in proportions.values()):
            raise ConfigurationError(f"task sampler gave invalid proportions {proportions}")
        return {task: proportions.get(task, 0.0) / total for task in self.tasks}

    def epoch_plan(self, epoch: Optional[int] = None) -> List[PlannedBatch]:
        """The batches of `epoch` (default: the next one) as (task, instance index) pairs."""
        epoch = self._epoch if epoch is None else epoch
        if epoch not in self._plans:
            if self.sampler is None:
                self._plans[epoch] = self._full_epoch_plan(epoch)
            else:
                if epoch < self._streams_epoch:
                    self._reset_streams()
                while self._streams_epoch < epoch:  # replay to position the task streams
                    self._sampled_epoch_plan(self._streams_epoch)
                    self._streams_epoch += 1
                self._plans[epoch] = self._sampled_epoch_plan(epoch)
                self._streams_epoch = epoch + 1
            for old in [key for key in self._plans if key < epoch]:
                del self._plans[old]
        return self._plans[epoch]

    def __len__(self) -> int:
        return len(self.epoch_plan())

    def __iter__(self) -> Iterator[TensorDict]:
        if self._vocab is None:
            raise ValueError(
                "This DataLoader has not been indexed with a Vocabulary yet. "
                "Did you forget to call DataLoader.index_with(vocab)?"
            )
        return self._iter_epoch()

    def _iter_epoch(self) -> Iterator[TensorDict]:
        epoch = self._epoch
        plan = self.epoch_plan(epoch)
        try:
            for planned in plan:
                instances = [self._instances[task][index] for task, index in planned]
                tensors = Batch(instances).as_tensor_dict()
                yield nn_util.move_to_device(
                    tensors, -1 if self.cuda_device is None else self.cuda_device
                )
        finally:
            if self._epoch == epoch:
                self._epoch = epoch + 1
            self._plans.pop(epoch, None)

    def iter_instances(self) -> Iterator[Instance]:
        for task in self.tasks:
            yield from self._instances[task]

    def index_with(self, vocab: Vocabulary) -> None:
        self._vocab = vocab
        for loader in self._loaders.values():
            loader.index_with(vocab)

    def set_target_device(self, device: torch.device) -> None:
        self.cuda_device = device

    # ------------------------------------------------------------------------------- planning
    def _rng(self, *parts: Any) -> random.Random:
        return random.Random(":".join(str(part) for part in (self.seed,) + parts))

    def _reset_streams(self) -> None:
        self._streams = {
            task: _TaskStream(len(self._instances[task]), f"{self.seed}:stream:{task}", self.shuffle)
            for task in self.tasks
        }
        self._batch_streams = {
            task: _TaskBatchStream(self._task_pass_maker(task)) for task in self.tasks
        }
        self._streams_epoch = 0

    def _task_pass_maker(self, task: str) -> Callable[[int], List[List[int]]]:
        def make_pass(pass_number: int) -> List[List[int]]:
            items = [(task, index) for index in range(len(self._instances[task]))]
            batches = self._bucketed(items, self.batch_sizes[task], "stream", task, pass_number)
            return [[index for _, index in batch] for batch in batches]

        return make_pass

    # ------------------------------------------------------------------------------ bucketing
    def _check_sorting_keys(self) -> None:
        if self.sorting_keys is None:
            keys = {task: guess_sorting_keys(self._instances[task]) for task in self.tasks}
            first = keys[self.tasks[0]]
            if self.batching == "mixed" and any(key != first for key in keys.values()):
                raise ConfigurationError(
                    f"length bucketing guessed different sorting keys per task ({keys}); "
                    "give sorting_keys"
                )
            self._task_sorting_keys = keys
            logger.info("length bucketing sorts by %s", first)
        else:
            self._task_sorting_keys = {task: self.sorting_keys for task in self.tasks}
        for task in self.tasks:
            key = self._task_sorting_keys[task][0]
            for number, instance in enumerate(self._instances[task], start=1):
                if key not in instance.fields:
                    raise ConfigurationError(
                        f"sorting key {key!r} is not a field of instance {number} of task "
                        f"{task!r} ({self.data_paths[task]}); its fields are "
                        f"{sorted(instance.fields)}"
                    )

    def _bucketed(self, items: List[Tuple[str, int]], size: int, *seed_parts: Any) -> List[PlannedBatch]:
        """`items` cut into batches of similar length by allennlp's `BucketBatchSampler`,
        its noise and batch shuffle seeded from the loader's seed and `seed_parts`."""
        keys = self._task_sorting_keys[items[0][0]] if items else []
        sampler = BucketBatchSampler(
            size,
            sorting_keys=keys,
            padding_noise=self.padding_noise,
            drop_last=self.drop_last,
            shuffle=self.shuffle,
        )
        instances = [self._instances[task][index] for task, index in items]
        with _seeded_global_random(":".join(str(part) for part in (self.seed, "bucket") + seed_parts)):
            batches = list(sampler.get_batch_indices(instances))
        return [[items[position] for position in batch] for batch in batches]

    def _full_epoch_plan(self, epoch: int) -> List[PlannedBatch]:
        rng = self._rng("epoch", epoch)
        if self.batching == "mixed":
            pool = [(task, index) for task in self.tasks for index in range(len(self._instances[task]))]
            if self.bucketing:
                return self._bucketed(pool, self.batch_sizes[self.tasks[0]], "epoch", epoch)
            if self.shuffle:
                rng.shuffle(pool)
            return self._chunk(pool, self.batch_sizes[self.tasks[0]])
        per_task: List[List[PlannedBatch]] = []
        for task in self.tasks:
            items = [(task, index) for index in range(len(self._instances[task]))]
            if self.bucketing:
                per_task.append(self._bucketed(items, self.batch_sizes[task], "epoch", epoch, task))
                continue
            if self.shuffle:
                self._rng("epoch", epoch, "task", task).shuffle(items)
            per_task.append(self._chunk(items, self.batch_sizes[task]))
        if self.shuffle:
            batches = [batch for task_batches in per_task for batch in task_batches]
            rng.shuffle(batches)
            return batches
        batches = []
        for round_index in range(max(len(task_batches) for task_batches in per_task)):
            for task_batches in per_task:
                if round_index < len(task_batches):
                    batches.append(task_batches[round_index])
        return batches

    def _chunk(self, items: List[Tuple[str, int]], size: int) -> List[PlannedBatch]:
        batches = [items[start : start + size] for start in range(0, len(items), size)]
        if self.drop_last and batches and len(batches[-1]) < size:
            batches.pop()
        return batches

    def _sampled_epoch_plan(self, epoch: int) -> List[PlannedBatch]:
        proportions = self.task_proportions(epoch)
        tasks = [task for task in self.tasks if proportions[task] > 0]
        weights = [proportions[task] for task in tasks]
        budget = self.instances_per_epoch or sum(self.task_sizes().values())
        rng = self._rng("draws", epoch)
        if self.batching == "homogeneous":
            batches: List[PlannedBatch] = []
            drawn = 0
            while drawn < budget:
                task = rng.choices(tasks, weights)[0]
                if self.bucketing:
                    indices = self._batch_streams[task].take()
                else:
                    indices = self._streams[task].take(self.batch_sizes[task])
                batches.append([(task, index) for index in indices])
                drawn += len(indices)
            return batches
        drawn_tasks = rng.choices(tasks, weights, k=budget)
        items = [(task, self._streams[task].take(1)[0]) for task in drawn_tasks]
        size = self.batch_sizes[self.tasks[0]]
        if self.bucketing:
            return self._bucketed(items, size, "draws", epoch)
        batches = [items[start : start + size] for start in range(0, len(items), size)]
        if batches and len(batches[-1]) < size and self.drop_last:
            batches.pop()
        return batches

    def _check_mixable(self) -> None:
        layouts = {
            task: sorted((name, type(field).__name__) for name, field in instances[0].fields.items())
            for task, instances in self._instances.items()
        }
        first_task = self.tasks[0]
        different = [task for task in self.tasks if layouts[task] != layouts[first_task]]
        if different:
            raise ConfigurationError(
                "mixed batches need the same fields in every task, but "
                f"{first_task} has {layouts[first_task]} and "
                + ", ".join(f"{task} has {layouts[task]}" for task in different)
                + '; use batching: "homogeneous" (or mix only classification or only tagging tasks)'
            )
