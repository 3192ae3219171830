"""
The task handling shared by the multi-task encoders (`message_passing`, `shared_private`,
`mt_cnn`): checking their task names, turning the `task` argument of `forward` into one task
index per instance, and running one module per task over that task's rows of a mixed batch.
"""
from typing import Callable, List, Mapping, Optional, Sequence, Union

import torch
from allennlp.common.checks import ConfigurationError


def check_task_names(tasks: Sequence[str], who: str) -> None:
    """
    Raise `ConfigurationError` unless `tasks` is a non-empty list of distinct names.

    # Parameters

    tasks : `Sequence[str]`
        The task names given to the encoder.
    who : `str`
        The encoder's name, for the error message.
    """
    if not tasks:
        raise ConfigurationError(f"{who} needs at least one task")
    if len(set(tasks)) != len(tasks):
        raise ConfigurationError(f"{who} needs distinct task names, got {tasks}")


def task_indices(
    task: Union[None, str, Sequence[str]], tasks: Sequence[str], batch: int, who: str
) -> List[int]:
    """
    One index into `tasks` per instance of the batch.

    # Parameters

    task : `Union[None, str, Sequence[str]]`
        The `task` argument of the encoder's `forward`: one name per instance, one name for the
        whole batch, or `None` (allowed only when there is a single task).
    tasks : `Sequence[str]`
        The encoder's task names.
    batch : `int`
        The batch size.
    who : `str`
        The encoder's name, for the error messages.

    # Returns

    `List[int]` of length `batch`. Raises `ValueError` for a missing task, a wrong number of
    names or unknown names.
    """
    if task is None:
        if len(tasks) == 1:
            return [0] * batch
        raise ValueError(
            f"{who} needs the task of each instance "
            f"(forward(..., task=[...]) with names from {list(tasks)})"
        )
    if isinstance(task, str):
        task = [task] * batch
    if len(task) != batch:
        raise ValueError(f"{who} got {len(task)} task names for a batch of {batch}")
    index = {name: i for i, name in enumerate(tasks)}
    unknown = sorted(set(task) - set(index))
    if unknown:
        raise ValueError(f"{who}: unknown task(s) {unknown}; the encoder's tasks are {list(tasks)}")
    return [index[name] for name in task]


def bool_mask(inputs: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.BoolTensor:
    """
    `mask` as a `BoolTensor`; all `True` (no padding) when it is `None`.

    # Parameters

    inputs : `torch.Tensor`, `(batch, seq_len, ...)`
    mask : `torch.Tensor`, optional, `(batch, seq_len)`
    """
    if mask is None:
        return inputs.new_ones(inputs.size(0), inputs.size(1), dtype=torch.bool)
    return mask.bool()


def left_aligned_lengths(mask: torch.BoolTensor, who: str) -> torch.Tensor:
    """
    The number of tokens of each row of `mask`, checking that the tokens come first and the
    padding after them (as allennlp's `TextField` masks are); a `ValueError` naming `who`
    otherwise.
    """
    lengths = mask.sum(dim=1)
    positions = torch.arange(mask.size(1), device=mask.device).unsqueeze(0)
    if not bool((mask == (positions < lengths.unsqueeze(1))).all()):
        raise ValueError(f"{who} needs left-aligned masks (tokens first, padding at the end)")
    return lengths


def encode_by_task(
    encoders: Mapping[str, Callable[[torch.Tensor, torch.BoolTensor], torch.Tensor]],
    tasks: Sequence[str],
    ids: Sequence[int],
    inputs: torch.Tensor,
    mask: torch.BoolTensor,
    outputs: torch.Tensor,
) -> torch.Tensor:
    """
    Run each task's encoder over the rows of the batch that belong to that task.

    # Parameters

    encoders : `Mapping[str, Callable]`
        One module per task name (e.g. a `torch.nn.ModuleDict`), called as
        `encoders[name](inputs, mask)` on that task's rows.
    tasks : `Sequence[str]`
        The task names, in the order `ids` indexes them.
    ids : `Sequence[int]`
        The task index of every instance (see `task_indices`).
    inputs : `torch.Tensor`, `(batch, seq_len, input_dim)`
    mask : `torch.BoolTensor`, `(batch, seq_len)`
    outputs : `torch.Tensor`, `(batch, seq_len, output_dim)`
        The starting values (usually zeros); not modified in place.

    # Returns

    `outputs` with the rows of every task's instances replaced by that task's encoder output.
    """
    for index, name in enumerate(tasks):
        rows = [row for row, task_id in enumerate(ids) if task_id == index]
        if not rows:
            continue
        rows_tensor = torch.tensor(rows, device=inputs.device)
        encoded = encoders[name](inputs.index_select(0, rows_tensor), mask.index_select(0, rows_tensor))
        outputs = outputs.index_copy(0, rows_tensor, encoded)
    return outputs
