"""
The task handling shared by the multi-task encoders (`message_passing`, `shared_private`,
`mt_cnn`): checking their task names, turning the `task` argument of `forward` into one task
index per instance, the mask. (The baselines' per-task modules over a mixed batch:
`shared_private.encode_by_task`.)
"""
from typing import List, Optional, Sequence, Union

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
