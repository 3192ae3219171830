"""The loader, an annealed sampler and the task_sampler_epoch callback inside allennlp's trainer."""
from typing import Any, Dict, List, Optional

import torch
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.training import GradientDescentTrainer

from graph_mtl.data.data_loaders import AnnealedSampler, TaskSamplerEpochCallback
from tests.data.data_loaders.helpers import make_loader


class _TaskRecorder(Model):
    """Records the task of every batch; a one-parameter loss so the trainer can step."""

    def __init__(self, vocab: Vocabulary) -> None:
        super().__init__(vocab)
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.batches: List[List[str]] = []

    def forward(self, tokens: Any, task: List[str], metadata: Any,  # type: ignore[override]
                label: Optional[torch.Tensor] = None, tags: Optional[torch.Tensor] = None) -> Dict[str, Any]:
        if self.training:
            self.batches.append(list(task))
        return {"loss": ((self.weight - 1.0) ** 2).sum()}


def test_trainer_runs_sampled_epochs_with_exact_lengths_and_annealing(tmp_path):
    sampler = AnnealedSampler(min_alpha=0.0)  # num_epochs comes from the trainer via the callback
    loader = make_loader(batch_size=2, sampler=sampler, instances_per_epoch=400, seed=17)
    vocab = Vocabulary.from_instances(loader.iter_instances())
    loader.index_with(vocab)
    model = _TaskRecorder(vocab)
    expected_lengths = []

    class _LengthProbe(TaskSamplerEpochCallback):
        def on_epoch(self, trainer, metrics, epoch, is_primary=True, **kwargs):
            super().on_epoch(trainer, metrics, epoch, is_primary, **kwargs)
            expected_lengths.append(len(loader))  # length of the next epoch

    trainer = GradientDescentTrainer(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        loader,
        num_epochs=3,
        serialization_dir=str(tmp_path),
        callbacks=[_LengthProbe(str(tmp_path))],
    )
    first_length = len(loader)
    trainer.train()

    assert sampler.num_epochs == 3
    assert loader.epoch == 3
    assert len(model.batches) == 3 * 200 == first_length + sum(expected_lengths[:2])
    assert all(len(set(batch)) == 1 for batch in model.batches)  # homogeneous
    share_of_a = [
        sum(batch[0] == "a" for batch in model.batches[e * 200 : (e + 1) * 200]) / 200 for e in range(3)
    ]
    # proportional (40/55 = 0.73) in epoch 0, uniform (1/3) in the last epoch
    assert share_of_a[0] > 0.6 and share_of_a[2] < 0.45 and share_of_a[0] > share_of_a[1] > share_of_a[2]
