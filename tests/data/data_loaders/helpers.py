from typing import Any, Dict, Iterable, List, Tuple

from allennlp.data import Vocabulary
from allennlp.data.dataset_readers import MultiTaskDatasetReader

from graph_mtl.data.data_loaders import GraphMtlMultiTaskDataLoader
from graph_mtl.data.dataset_readers import JsonLinesDatasetReader
from tests.data.helpers import fixture

#: Task sizes of the fixtures: a 40, b 10 (classification), c 5 (tagging); d has 64
#: classification instances of 2 to 111 tokens (for length bucketing; not in the default tasks).
SIZES = {"a": 40, "b": 10, "c": 5}
PATHS = {
    "a": fixture("jsonl", "cls_a.jsonl"),
    "b": fixture("jsonl", "cls_b.jsonl"),
    "c": fixture("jsonl", "tag_c.jsonl"),
    "d": fixture("jsonl", "cls_lengths.jsonl"),
}


def multitask_reader(tasks: Iterable[str] = ("a", "b", "c")) -> MultiTaskDatasetReader:
    return MultiTaskDatasetReader(
        {
            task: JsonLinesDatasetReader(
                label_namespace=f"{task}_tags" if task == "c" else f"{task}_labels"
            )
            for task in tasks
        }
    )


def make_loader(tasks: Iterable[str] = ("a", "b", "c"), **kwargs: Any) -> GraphMtlMultiTaskDataLoader:
    tasks = list(tasks)
    kwargs.setdefault("quiet", True)
    return GraphMtlMultiTaskDataLoader(
        multitask_reader(tasks), {task: PATHS[task] for task in tasks}, **kwargs
    )


def indexed(loader: Any) -> Any:
    loader.index_with(Vocabulary.from_instances(loader.iter_instances()))
    return loader


def batch_signature(batch: Dict[str, Any]) -> List[Tuple[str, Tuple[str, ...]]]:
    """(task, words) of every instance of a batch."""
    return [
        (task, tuple(meta["words"])) for task, meta in zip(batch["task"], batch["metadata"])
    ]
