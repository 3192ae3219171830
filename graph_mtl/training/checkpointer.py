"""
A crash-safe checkpointer: AllenNLP's `Checkpointer` with atomic writes, a retention rule that
never deletes the best epoch's weights, and a `--recover` that skips a broken newest checkpoint
and repairs `best.th`.

What it fixes (AllenNLP 2.10.1, measured by killing `allennlp train` at each point):

* a kill inside `torch.save` left a torn `model_state_*.th` / `training_state_*.th`, and every
  `--recover` then failed on it. Here each file is written to `<name>.partial` and renamed into
  place, so a checkpoint file is either complete or absent; a checkpoint whose files are missing
  or unreadable is skipped on `--recover` with a warning naming the file, and training resumes
  from the newest intact one;
* the trainer makes `best.th` by removing it and hard-linking the newest checkpoint; a kill
  between the two lost the best epoch's weights once rotation deleted that checkpoint. Here the
  best epoch's checkpoint is never rotated away, and `--recover` rebuilds `best.th` from it;
* the trainer stores `best.th`'s absolute path in the training state, so a run moved to another
  folder could not be recovered; here the path is re-pointed at the run's own folder.
"""
import glob
import logging
import os
import shutil
import time
from typing import Any, Dict, List, Optional, Set, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.nn import util as nn_util
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.trainer import Trainer, TrainerCheckpoint

logger = logging.getLogger(__name__)

BEST_NAME = "best.th"


def atomic_torch_save(state: Any, path: str) -> None:
    """`torch.save` to `path` so that `path` is never a partial file: write `<path>.partial`,
    flush it to disk, rename it over `path`."""
    partial = path + ".partial"
    with open(partial, "wb") as handle:
        torch.save(state, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


@Checkpointer.register("graph_mtl")
class GraphMtlCheckpointer(Checkpointer):
    """
    AllenNLP's checkpointer made crash-safe (see the module docstring). Registered as a
    `Checkpointer` with name "graph_mtl"; the training configs use it
    (`trainer.checkpointer.type`).

    # Parameters

    serialization_dir : `str`
    save_completed_epochs : `bool`, optional (default = `True`)
    save_every_num_seconds : `float`, optional (default = `None`)
    save_every_num_batches : `int`, optional (default = `None`)
    keep_most_recent_by_count : `int`, optional (default = `2`)
        Checkpoints kept besides the best epoch's, which is always kept.
    keep_most_recent_by_age : `int`, optional (default = `None`)
        As allennlp's `Checkpointer`.
    """

    def save_checkpoint(self, trainer: Trainer) -> None:
        if self._serialization_dir is None:
            return
        state = trainer.get_checkpoint_state()
        if state is None:  # a non-primary worker with unsharded state
            return
        point = (state.trainer_state["epochs_completed"], state.trainer_state["batches_in_epoch_completed"])
        # The training state last: a checkpoint is complete once its training state exists.
        atomic_torch_save(state.model_state, self._model_state_path(*point))
        atomic_torch_save(state.trainer_state, self._training_state_path(*point))
        self._last_save_time = time.time()
        self._last_save_num_epochs_completed, self._last_save_num_batches_in_epoch_completed = point
        if self._is_primary:
            self._rotate(self._best_point(trainer))

    @staticmethod
    def _best_point(trainer: Trainer) -> Optional[Tuple[int, int]]:
        """The checkpoint that holds the best epoch's weights: the one saved at its end."""
        tracker = getattr(trainer, "_metric_tracker", None)
        best_epoch = getattr(tracker, "best_epoch", None)
        return None if best_epoch is None else (best_epoch + 1, 0)

    def _rotate(self, best: Optional[Tuple[int, int]]) -> None:
        if self._keep_most_recent_by_count is None and self._keep_most_recent_by_age is None:
            return
        checkpoints = sorted(self._find_all_checkpoints(), reverse=True)
        keep: Set[Tuple[int, int]] = set()
        if self._keep_most_recent_by_count is not None:
            keep.update(checkpoints[: self._keep_most_recent_by_count])
        if self._keep_most_recent_by_age is not None:
            now = time.time()
            for point in checkpoints:
                files = [p for p in (self._model_state_path(*point), self._training_state_path(*point))
                         if os.path.exists(p)]
                if files and now - max(os.path.getmtime(p) for p in files) <= self._keep_most_recent_by_age:
                    keep.add(point)
        if best is not None:
            keep.add(best)
        for point in checkpoints:
            if point not in keep:
                self._remove_checkpoint(*point)

    def _load(self, path: str) -> Any:
        return torch.load(path, map_location=nn_util.device_mapping(-1))

    def load_checkpoint(self) -> Optional[TrainerCheckpoint]:
        """
        The newest intact checkpoint (model and training state both present and readable);
        broken newer ones are skipped with a warning naming the file. `best.th` is rebuilt from
        the best epoch's checkpoint and its path re-pointed at this folder. `None` when there is
        no checkpoint; `ConfigurationError` when there are checkpoints and none is intact.
        """
        for stale in glob.glob(os.path.join(self._serialization_dir, "*.th.partial")):
            logger.warning("removing %s: a checkpoint file whose writing was interrupted", stale)
            os.remove(stale)
        checkpoints = sorted(self._find_all_checkpoints(), reverse=True)
        problems: List[str] = []
        for point in checkpoints:
            paths = (self._model_state_path(*point), self._training_state_path(*point))
            try:
                model_state, training_state = (self._load(path) for path in paths)
            except Exception as error:  # noqa: BLE001 (any unreadable file: fall back to an older one)
                broken = next((p for p in paths if not os.path.exists(p)), None)
                problem = f"{broken}: missing" if broken else f"{paths}: {type(error).__name__}: {error}"
                logger.warning("--recover: skipping checkpoint e%d_b%d (%s); trying an older one", *point, problem)
                problems.append(problem)
                continue
            if problems:
                logger.warning("--recover: resuming from the older intact checkpoint %s", paths[0])
            self._repair_best(training_state)
            return TrainerCheckpoint(model_state, training_state)
        if checkpoints:
            raise ConfigurationError(
                f"--recover: no intact checkpoint in {self._serialization_dir}: " + "; ".join(problems)
            )
        return None

    def _repair_best(self, training_state: Dict[str, Any]) -> None:
        """Re-point `best_model_filename` at this folder's best.th, rebuilt from the best epoch's
        checkpoint (a kill may have removed best.th; a moved run has the old folder's path)."""
        best_epoch = (training_state.get("metric_tracker") or {}).get("best_epoch")
        best_path = os.path.join(self._serialization_dir, BEST_NAME)
        if best_epoch is not None:
            source = self._model_state_path(best_epoch + 1, 0)
            if os.path.exists(source):
                partial = best_path + ".partial"
                shutil.copyfile(source, partial)
                os.replace(partial, best_path)
                training_state["best_model_filename"] = best_path
                return
        recorded = training_state.get("best_model_filename")
        if recorded:
            moved = os.path.join(self._serialization_dir, os.path.basename(recorded))
            if os.path.exists(moved):
                training_state["best_model_filename"] = moved
            else:
                logger.warning("--recover: %s (the best weights so far) is gone; the best epoch will "
                               "be the best of the epochs still to train", recorded)
                training_state["best_model_filename"] = None
