"""
allennlp's linear-chain CRF with Viterbi decoding batched over the sentences.

allennlp's `ConditionalRandomField.viterbi_tags` decodes one sentence at a time
(`allennlp.nn.util.viterbi_decode`: a Python loop over the steps of each sentence), and a CRF
tagger decodes every batch, in training too (its accuracy and span F1 are computed on the
Viterbi paths). On a CPU that loop cost as much as the CRF's log-likelihood with its backward
pass (benchmarks/crf_decode.py). Here the recursion runs once over the steps for the whole
batch: the same sums and maxima as allennlp's, so the same float32 scores and the same paths,
but for exact ties (two paths of the same float32 score), which `torch.max` breaks toward the
lower tag and allennlp's `torch.topk` may not.
"""
from typing import List, Optional, Tuple, Union

import torch
from allennlp.modules import conditional_random_field as allennlp_crf

# allennlp's score of a forbidden transition (`viterbi_tags`)
FORBIDDEN = -10000.0


class ConditionalRandomField(allennlp_crf.ConditionalRandomField):
    """
    `allennlp.modules.ConditionalRandomField` (same parameters, constraints, state dict and
    likelihood) whose `viterbi_tags` decodes the whole batch in one recursion over the steps
    when the mask is left-aligned (each row's tokens come first) and `top_k` is not asked; other
    calls go to allennlp's per-sentence decoder.

    # Parameters

    num_tags : `int`
    constraints : `List[Tuple[int, int]]`, optional (default = `None`)
        Allowed `(from, to)` transitions (allennlp's `allowed_transitions`).
    include_start_end_transitions : `bool`, optional (default = `True`)
    """

    def constrained_transitions(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`(transitions (N, N), start (N,), end (N,))` with every forbidden transition scored
        -10000, as allennlp's `viterbi_tags` scores them."""
        num_tags = self.num_tags
        mask = self._constraint_mask.detach()

        def constrain(scores: Optional[torch.Tensor], allowed: torch.Tensor) -> torch.Tensor:
            forbidden = FORBIDDEN * (1 - allowed)
            return forbidden if scores is None else scores.detach() * allowed + forbidden

        start_end = self.include_start_end_transitions
        return (
            constrain(self.transitions, mask[:num_tags, :num_tags]),
            constrain(self.start_transitions if start_end else None, mask[num_tags, :num_tags]),
            constrain(self.end_transitions if start_end else None, mask[:num_tags, num_tags + 1]),
        )

    def viterbi_decode(self, logits: torch.Tensor, mask: torch.BoolTensor) -> Tuple[torch.LongTensor, torch.Tensor]:
        """
        The best path of every sentence of a left-aligned batch.

        # Parameters

        logits : `(batch, seq_len, num_tags)`
        mask : `(batch, seq_len)`, True on a prefix of each row.

        # Returns

        `(paths, scores)`: paths `(batch, seq_len)` (past a row's length: its last tag
        repeated), scores `(batch,)` (0 for an empty row).
        """
        transitions, start, end = self.constrained_transitions()
        logits = logits.detach().to(transitions.dtype)
        batch, seq_len, num_tags = logits.shape
        if seq_len == 0:
            return logits.new_zeros(batch, 0, dtype=torch.long), logits.new_zeros(batch)
        mask = mask.bool()
        stay = torch.arange(num_tags, device=logits.device).expand(batch, num_tags)
        score = start + logits[:, 0]
        backpointers = []
        for t in range(1, seq_len):
            best, previous = (score.unsqueeze(2) + transitions).max(dim=1)
            step = mask[:, t].unsqueeze(1)
            score = torch.where(step, best + logits[:, t], score)  # padding carries the score on
            backpointers.append(torch.where(step, previous, stay))
        scores, last = (score + end).max(dim=1)
        tags = [last]
        for pointers in reversed(backpointers):
            last = pointers.gather(1, last.unsqueeze(1)).squeeze(1)
            tags.append(last)
        tags.reverse()
        scores = scores.masked_fill(~mask[:, 0], 0.0)
        return torch.stack(tags, dim=1), scores

    def viterbi_tags(
        self, logits: torch.Tensor, mask: Optional[torch.BoolTensor] = None, top_k: Optional[int] = None
    ) -> Union[List[Tuple[List[int], float]], List[List[Tuple[List[int], float]]]]:
        """allennlp's `viterbi_tags`: `[(path, score)]` per sentence (with `top_k`, a list of
        `top_k` of them per sentence, from allennlp's decoder)."""
        if mask is None:
            mask = torch.ones(*logits.shape[:2], dtype=torch.bool, device=logits.device)
        lengths = mask.sum(dim=1)
        positions = torch.arange(mask.size(1), device=mask.device)
        if top_k is not None or not torch.equal(mask.bool(), positions < lengths.unsqueeze(1)):
            return super().viterbi_tags(logits, mask, top_k)
        paths, scores = self.viterbi_decode(logits, mask)
        return [
            (path[:length], score)
            for path, length, score in zip(paths.tolist(), lengths.tolist(), scores.tolist())
        ]
