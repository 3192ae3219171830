"""The batched Viterbi decoder (graph_mtl/modules/conditional_random_field.py) against allennlp's
per-sentence one and against brute force."""
import itertools
from typing import List, Optional

import pytest
import torch
from allennlp.modules import conditional_random_field as allennlp_crf

from graph_mtl.modules.conditional_random_field import ConditionalRandomField

BIOUL = ["O", "B-PER", "I-PER", "L-PER", "U-PER", "B-LOC", "I-LOC", "L-LOC", "U-LOC"]


def crf(num_tags: int, constraints: Optional[list] = None, start_end: bool = True, seed: int = 0) -> ConditionalRandomField:
    torch.manual_seed(seed)
    model = ConditionalRandomField(num_tags, constraints, include_start_end_transitions=start_end)
    if start_end:  # allennlp draws them from N(0, 1); make them matter as much as the transitions
        with torch.no_grad():
            model.start_transitions.normal_(0, 2)
            model.end_transitions.normal_(0, 2)
    return model


def left_aligned(lengths: List[int], seq_len: int) -> torch.BoolTensor:
    return torch.arange(seq_len).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)


def allennlp_tags(model: ConditionalRandomField, logits, mask, top_k=None):
    return allennlp_crf.ConditionalRandomField.viterbi_tags(model, logits, mask, top_k)


@pytest.mark.parametrize("constrained", [False, True])
@pytest.mark.parametrize("start_end", [True, False])
def test_paths_and_scores_are_allennlps(constrained, start_end):
    constraints = allennlp_crf.allowed_transitions("BIOUL", dict(enumerate(BIOUL))) if constrained else None
    model = crf(len(BIOUL), constraints, start_end)
    lengths = [9, 1, 0, 5, 9, 2, 7, 3]
    torch.manual_seed(1)
    logits = torch.randn(len(lengths), 9, len(BIOUL)) * 3
    mask = left_aligned(lengths, 9)
    logits[~mask] = 1e4  # padding must not matter, however large
    ours = model.viterbi_tags(logits, mask)
    theirs = allennlp_tags(model, logits, mask)
    assert [path for path, _ in ours] == [path for path, _ in theirs]
    assert [len(path) for path, _ in ours] == lengths
    # the same sums in the same order: the same float32 scores (an empty sentence scores 0 here,
    # allennlp scores its START -> END jump, a forbidden transition, -10000 or 0)
    for (path, score), (_, their_score) in zip(ours, theirs):
        if path:
            assert score == their_score
        else:
            assert score == 0.0


def test_best_path_by_brute_force():
    """Every tag sequence scored by hand (start + emissions + transitions + end): the decoder's
    path has the highest score, and its score is that score."""
    num_tags, seq_len = 4, 5
    model = crf(num_tags, seed=3)
    torch.manual_seed(4)
    logits = torch.randn(3, seq_len, num_tags)
    lengths = [5, 3, 1]
    decoded = model.viterbi_tags(logits, left_aligned(lengths, seq_len))
    start, end, transitions = (p.detach() for p in (model.start_transitions, model.end_transitions, model.transitions))
    for row, length in enumerate(lengths):
        def score(tags):
            total = start[tags[0]] + end[tags[-1]] + sum(logits[row, t, tag] for t, tag in enumerate(tags))
            return float(total + sum(transitions[a, b] for a, b in zip(tags, tags[1:])))

        scored = {tags: score(tags) for tags in itertools.product(range(num_tags), repeat=length)}
        best = max(scored, key=scored.get)
        path, path_score = decoded[row]
        assert path == list(best)
        assert path_score == pytest.approx(scored[best], abs=1e-4)


def test_other_calls_go_to_allennlps_decoder():
    model = crf(5, seed=5)
    torch.manual_seed(6)
    logits = torch.randn(3, 6, 5)
    holes = torch.tensor([[1, 1, 0, 1, 1, 0], [1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0]], dtype=torch.bool)
    assert model.viterbi_tags(logits, holes) == allennlp_tags(model, logits, holes)
    full = torch.ones(3, 6, dtype=torch.bool)
    top2 = model.viterbi_tags(logits, full, top_k=2)
    assert top2 == allennlp_tags(model, logits, full, top_k=2)
    assert all(len(paths) == 2 for paths in top2)
    # without a mask: every position counts
    assert model.viterbi_tags(logits) == allennlp_tags(model, logits, full)


def test_state_dict_is_allennlps():
    """Archives of models built with allennlp's CRF load into this one and decode the same."""
    constraints = allennlp_crf.allowed_transitions("BIOUL", dict(enumerate(BIOUL)))
    torch.manual_seed(7)
    original = allennlp_crf.ConditionalRandomField(len(BIOUL), constraints)
    ours = ConditionalRandomField(len(BIOUL), constraints)
    ours.load_state_dict(original.state_dict(), strict=True)
    assert set(ours.state_dict()) == set(original.state_dict())
    logits = torch.randn(4, 6, len(BIOUL))
    mask = left_aligned([6, 4, 2, 6], 6)
    assert ours.viterbi_tags(logits, mask) == original.viterbi_tags(logits, mask)
