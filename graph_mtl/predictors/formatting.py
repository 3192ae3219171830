"""
Turning one instance's raw model outputs into the JSON the `graph_mtl` predictor writes.

Output of one line (keys present only where they apply):

```
{"line": 3, "task": "books", "tokens": ["a", "great", "read"],
 "label": "positive", "probs": {"negative": 0.12, "positive": 0.88},      # classification
 "tags": ["B-NP", "I-NP", "O"], "tag_probs": [0.97, 0.91, 0.99],          # tagging
 "alpha_sources": ["books", "dvd", "kitchen"],                           # DC-MTL
 "alpha": [[0.2, 0.5, 0.3], ...],          # one row per token, over alpha_sources, sums to 1
 "beta_sources": ["shared"],                                             # IC-MTL
 "beta": [[0.7, 0.2, 0.1], ...]}           # one row per token, over the positions (the same
                                           # tokens) of the node(s) in beta_sources, sums to 1
```

`alpha_sources` / `beta_sources` name the nodes the task reads: task names or the topology's
virtual nodes (IC-MTL's `shared`). With several `beta_sources` (a topology whose task attends
over the positions of several nodes) a `beta` row has `len(tokens) * len(beta_sources)`
entries, source-major: the positions of `beta_sources[0]`, then those of `beta_sources[1]`, ...;
the whole row sums to 1.

`alpha_backward` / `beta_backward` appear for bidirectional encoders; `gold_label` /
`gold_tags` when the instance has them (`allennlp predict --use-dataset-reader`), `meta` with
the other keys of a JSON input line (e.g. an `id`). `tag_probs` are the
marginal probabilities of the predicted tags under the CRF (forward-backward), or the softmax
of the tag logits when the head has no CRF.
"""
from typing import Any, Dict, List, Optional, Sequence

import numpy
import torch

DECIMALS = 6


def _round(values: Any) -> Any:
    array = numpy.asarray(values, dtype=float)
    return numpy.round(array, DECIMALS).tolist()


def _row_check(rows: numpy.ndarray) -> numpy.ndarray:
    """Renormalise rows that lost a little mass to float error; leaves all-zero rows alone."""
    sums = rows.sum(axis=-1, keepdims=True)
    safe = numpy.where(sums > 0, sums, 1.0)
    return rows / safe


def attention_rows(
    key: str,
    weights: Any,
    num_tokens: int,
    column_indices: Optional[Sequence[int]] = None,
    num_sources: int = 1,
) -> List[List[float]]:
    """
    Cut one instance's attention weights down to its real tokens.

    `weights` is `(padded_len, num_tasks)` for alpha (then `column_indices` picks the source
    tasks) or `(padded_len, padded_len * num_sources)` for beta, the encoder's position-major
    layout (column `j * num_sources + s` = position j of source s). Beta rows come back
    source-major: the `num_tokens` positions of source 0, then those of source 1, ...
    """
    array = numpy.asarray(weights, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{key}: expected a (seq_len, ...) matrix per instance, got {array.shape}")
    padded = array.shape[0]
    array = array[:num_tokens]
    if key.startswith("alpha"):
        if column_indices is not None:
            array = array[:, list(column_indices)]
    elif num_sources == 1:
        array = array[:, :num_tokens]
    else:
        if array.shape[1] != padded * num_sources:
            raise ValueError(
                f"{key}: expected {padded} x {padded * num_sources} weights for {num_sources} "
                f"sources, got {tuple(array.shape)}"
            )
        by_source = array.reshape(num_tokens, padded, num_sources)[:, :num_tokens, :]
        array = by_source.transpose(0, 2, 1).reshape(num_tokens, num_sources * num_tokens)
    return _round(_row_check(array))


def crf_marginals(logits: torch.Tensor, crf: Any) -> torch.Tensor:
    """
    Marginal tag probabilities `(seq_len, num_tags)` of one unpadded sequence under an
    allennlp `ConditionalRandomField` (forward-backward in log space, honouring its
    constraints).
    """
    logits = logits.float()
    transitions = crf.transitions.detach().float()
    num_tags = transitions.size(0)
    start = torch.zeros(num_tags)
    end = torch.zeros(num_tags)
    if getattr(crf, "include_start_end_transitions", False):
        start = crf.start_transitions.detach().float()
        end = crf.end_transitions.detach().float()
    mask = getattr(crf, "_constraint_mask", None)
    if mask is not None:
        mask = mask.detach().float()
        big_negative = -1e4
        transitions = transitions * mask[:num_tags, :num_tags] + big_negative * (
            1 - mask[:num_tags, :num_tags]
        )
        start = start * mask[num_tags, :num_tags] + big_negative * (1 - mask[num_tags, :num_tags])
        end = end * mask[:num_tags, num_tags + 1] + big_negative * (1 - mask[:num_tags, num_tags + 1])
    length = logits.size(0)
    forward = [start + logits[0]]
    for t in range(1, length):
        forward.append(
            torch.logsumexp(forward[-1].unsqueeze(1) + transitions, dim=0) + logits[t]
        )
    backward = [end]
    for t in range(length - 1, 0, -1):
        backward.insert(
            0, torch.logsumexp(transitions + (logits[t] + backward[0]).unsqueeze(0), dim=1)
        )
    alpha = torch.stack(forward)
    beta = torch.stack(backward)
    log_z = torch.logsumexp(alpha[-1] + end, dim=0)
    return torch.exp(alpha + beta - log_z)


def format_classification(
    outputs: Dict[str, Any], task: str, labels: Dict[int, str]
) -> Dict[str, Any]:
    probs = outputs.get(f"{task}_probs")
    result: Dict[str, Any] = {}
    if probs is not None:
        probs = numpy.asarray(probs, dtype=float).reshape(-1)
        result["label"] = labels.get(int(probs.argmax()), str(int(probs.argmax())))
        result["probs"] = {labels.get(i, str(i)): round(float(p), DECIMALS) for i, p in enumerate(probs)}
    label = outputs.get(f"{task}_label")
    if isinstance(label, str):
        result["label"] = label
    return result


def format_tagging(
    outputs: Dict[str, Any],
    task: str,
    num_tokens: int,
    labels: Dict[int, str],
    crf: Any = None,
) -> Dict[str, Any]:
    result: Dict[str, Any] = {}
    logits = outputs.get(f"{task}_logits")
    tags = outputs.get(f"{task}_tags")
    if tags is not None and len(tags) and not isinstance(tags[0], str):
        tags = [labels.get(int(t), str(int(t))) for t in tags]
    if logits is not None:
        logits_t = torch.as_tensor(numpy.asarray(logits, dtype=float))[:num_tokens]
        if crf is not None and hasattr(crf, "transitions"):
            marginals = crf_marginals(logits_t, crf)
        else:
            marginals = torch.softmax(logits_t, dim=-1)
        if tags is None:
            tags = [labels.get(int(i), str(int(i))) for i in marginals.argmax(-1).tolist()]
        index = {label: i for i, label in labels.items()}
        probs = []
        for position, tag in enumerate(list(tags)[:num_tokens]):
            i = index.get(tag)
            probs.append(round(float(marginals[position, i]), DECIMALS) if i is not None else None)
        result["tag_probs"] = probs
    if tags is not None:
        result["tags"] = list(tags)[:num_tokens]
        # keep "tags" before "tag_probs" in the output
        result = {"tags": result["tags"], **{k: v for k, v in result.items() if k != "tags"}}
    return result


def beta_key(sources: Sequence[str]) -> str:
    """The key of `get_attention()` that holds the beta of a task reading `sources` by
    position: `beta` for one source, `beta_<a>_<b>...` for several."""
    return "beta" if len(sources) == 1 else "beta_" + "_".join(sources)


def add_alpha(
    result: Dict[str, Any], output: Dict[str, Any], suffix: str, num_tokens: int,
    sources: Sequence[str], tasks: Sequence[str], virtual_nodes: Sequence[str],
) -> None:
    """
    `alpha<suffix>` (and `alpha_sources`) over `sources`, the nodes the instance's task reads:
    task nodes from the encoder's `alpha` (columns in `tasks` order), virtual nodes from
    `alpha_virtual` (columns in `virtual_nodes` order), so every row sums to 1. Left out for a
    task without sources (all-zero rows).
    """
    alpha = output.get("alpha" + suffix)
    alpha_virtual = output.get("alpha_virtual" + suffix)
    if alpha is None and alpha_virtual is None:
        return
    names: List[str] = []
    columns = []
    for source in sources:
        if alpha is not None and source in tasks:
            matrix, index = alpha, list(tasks).index(source)
        elif alpha_virtual is not None and source in virtual_nodes:
            matrix, index = alpha_virtual, list(virtual_nodes).index(source)
        else:
            continue
        names.append(source)
        columns.append(numpy.asarray(matrix, dtype=float)[:num_tokens, index])
    if not names:
        return
    rows = numpy.stack(columns, axis=1)
    if not (rows.sum(axis=1) > 0).any():
        return
    result.setdefault("alpha_sources", names)
    result["alpha" + suffix] = attention_rows("alpha", rows, num_tokens)


def add_beta(
    result: Dict[str, Any], output: Dict[str, Any], suffix: str, num_tokens: int,
    sources: Optional[Sequence[str]], graph_known: bool,
) -> None:
    """
    `beta<suffix>` (and `beta_sources`) of a task whose aggregator attends over the positions of
    its source nodes `sources`. With several sources the encoder's key is `beta_<a>_<b>...`; the
    rows are then source-major (see `attention_rows`). Left out for a task whose rows are all
    zero (it reads nothing by position); an encoder without a graph (`graph_known` false) gives
    its `beta` with no `beta_sources`.
    """
    if sources:
        key = beta_key(sources)
    elif "beta" + suffix in output and not graph_known:
        key, sources = "beta", []
    else:
        return
    weights = output.get(key + suffix)
    if weights is None:
        return
    array = numpy.asarray(weights, dtype=float)
    if array.ndim != 2 or not (array[:num_tokens].sum(axis=1) > 0).any():
        return
    if sources:
        result.setdefault("beta_sources", list(sources))
    result["beta" + suffix] = attention_rows("beta", array, num_tokens, num_sources=max(len(sources), 1))
