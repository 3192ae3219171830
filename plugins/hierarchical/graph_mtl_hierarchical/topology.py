"""
`hierarchical` topology: a partial order of tasks, as in Sogaard & Goldberg (2016) and
Hashimoto et al. (2017): low-level tasks (POS) feed higher-level ones (chunking, NER).

The config gives, for each task, the tasks directly below it:

    "topology": {"type": "hierarchical", "order": {"chunk": ["pos"], "ner": ["pos", "chunk"]}}

Semantics (decided here, see `transitive`):

* by default (`transitive: true`) a task receives messages from *every* task below it, i.e. the
  transitive closure of the order: with `{"chunk": ["pos"], "ner": ["chunk"]}`, `ner` reads
  `chunk` and `pos`. Messages travel one hop in the encoder (a source's message is its own task
  LSTM state, which has not itself read messages), so the closure is what lets the top task see
  the whole hierarchy, like the shortcut connections of Hashimoto et al.;
* with `transitive: false` a task reads only the tasks listed for it;
* a task that is below nothing (not a key of `order`, or mapped to `[]`) receives no messages:
  its fusion LSTM is a plain LSTM;
* sources come in the model's task order; the target attends over them with the DC-MTL
  attention (`SourceAttentionAggregator`, weights `alpha`, 0 for tasks that are not sources).
  A task with a single source still gets an attention module, so that `alpha` is reported
  for every task that receives messages; its weight is always 1 and its W, u get no gradient.

The order must be acyclic (a cycle, a self-loop included, is rejected with the cycle's path)
and name only tasks of the model.
"""
from typing import Dict, List, Mapping, Optional, Sequence, Union

from allennlp.common.checks import ConfigurationError

from graph_mtl.modules.topologies.direct import DirectTopology


def find_cycle(order: Mapping[str, Sequence[str]]) -> Optional[List[str]]:
    """
    A cycle of the graph `{task: [tasks below it]}` as a path whose first and last elements are
    the same task (e.g. `["pos", "chunk", "pos"]`), or `None` if the graph is acyclic.
    Deterministic: tasks are visited in the order of the mapping and of the lists.
    """
    done = set()
    for start in order:
        if start in done:
            continue
        path: List[str] = [start]
        on_path = {start}
        stack = [iter(order.get(start, ()))]
        while stack:
            below = next(stack[-1], None)
            if below is None:
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                stack.pop()
                continue
            if below in on_path:
                return path[path.index(below):] + [below]
            if below in done:
                continue
            path.append(below)
            on_path.add(below)
            stack.append(iter(order.get(below, ())))
    return None


def _normalise(order: Mapping[str, Union[str, Sequence[str]]]) -> Dict[str, List[str]]:
    if not isinstance(order, Mapping):
        raise ConfigurationError(
            "hierarchical topology: \"order\" must map each task to the tasks directly below "
            f'it, e.g. {{"chunk": ["pos"], "ner": ["pos", "chunk"]}}; got {order!r}'
        )
    normalised: Dict[str, List[str]] = {}
    for task, below in order.items():
        if isinstance(below, str):
            below = [below]
        if not isinstance(below, Sequence) or not all(isinstance(b, str) for b in below):
            raise ConfigurationError(
                f"hierarchical topology: order[{task!r}] must be a list of task names, got {below!r}"
            )
        normalised[str(task)] = list(dict.fromkeys(below))  # drop duplicates, keep order
    return normalised


class HierarchicalTopology(DirectTopology):
    """
    Registered as topology `hierarchical` by the `hierarchical` plugin.

    # Parameters

    order : `Dict[str, List[str]]`
        For each task, the tasks directly below it (its lower-level tasks). Must be acyclic;
        every name must be a task of the model. Tasks that are not keys receive no messages.
    transitive : `bool`, optional (default = `True`)
        `True`: a task receives messages from every task below it, directly or through other
        tasks (transitive closure). `False`: only from the tasks listed for it.
    attention_dim : `int`, optional (default = the encoder's hidden size)
    shared_attention : `bool`, optional (default = `False`)
        As for the `direct` topology (whose attention aggregator this topology reuses).
    """

    def __init__(
        self,
        order: Dict[str, List[str]],
        transitive: bool = True,
        attention_dim: Optional[int] = None,
        shared_attention: bool = False,
    ) -> None:
        super().__init__(attention_dim=attention_dim, shared_attention=shared_attention)
        self.order = _normalise(order)
        self.transitive = transitive
        cycle = find_cycle(self.order)
        if cycle is not None:
            raise ConfigurationError(
                "hierarchical topology: the task order has a cycle: "
                + " -> ".join(cycle)
                + " (A -> B: B is listed below A); a task may only receive messages from "
                "tasks strictly below it"
            )

    def validate(self, tasks: List[str]) -> None:
        problems = []
        for task, below in self.order.items():
            if task not in tasks:
                problems.append(f"{task!r} (a key of order)")
            problems.extend(f"{name!r} (in order[{task!r}])" for name in below if name not in tasks)
        if problems:
            raise ConfigurationError(
                "hierarchical topology: the task order names unknown task(s): "
                + ", ".join(problems)
                + f"; the model's tasks are {sorted(tasks)}"
            )

    def below(self, target: str) -> List[str]:
        """The tasks `target` receives from, in no particular order (closure if transitive)."""
        if not self.transitive:
            return list(self.order.get(target, []))
        seen: List[str] = []
        pending = list(self.order.get(target, []))
        while pending:
            task = pending.pop()
            if task not in seen:
                seen.append(task)
                pending.extend(self.order.get(task, []))
        return seen

    def sources(self, target: str, tasks: List[str]) -> List[str]:
        below = set(self.below(target))
        return [task for task in tasks if task in below]
