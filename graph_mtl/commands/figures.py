"""
Pictures of the learned communication, drawn from `graph_mtl` predictions (the JSON the
`graph_mtl` predictor writes; see `graph_mtl.predictors.formatting`).

* `communication` / `no_weights_note`: who reads whom (tasks and virtual nodes) with which
  weights, from the model's description or the predictions; the sentence shown when a
  topology has no learned weights (e.g. `MeanAggregator`).
* `relation_matrix` / `draw_relation_matrix`: mean alpha of every (target task, source)
  pair over a file, the task graph a DC-MTL model learned, as a heatmap.
* `word_shares` / `draw_dc_sentence`: alpha, each word shaded by how much it draws from
  particular sources, with its top-3 sources (as in Fig. 3 of Liu et al. 2019).
* `draw_ic_sentence`: beta, arcs from each word to the positions of its source node(s)
  (`beta_sources`) it reads more than uniform, thickness proportional to beta (as in Fig. 4),
  and the sentence's beta matrix against uniform attention.
* `beta_profiles` / `draw_beta_profiles`: beta over a file, per task, mean beta / uniform
  (1/n) by offset and by absolute position of the position read: 1 = uniform attention.
* `render_report`: a self-contained HTML page (no scripts, no network: figures are embedded as
  data URIs) plus the PNG files, each file written atomically (`graph_mtl.common.atomic`).

Only matplotlib's Agg backend is used, so nothing needs a display.
"""
import base64
import html
import io
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Arc, Rectangle  # noqa: E402

from graph_mtl.common.atomic import (  # noqa: E402
    atomic_open,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
)

MIN_ARC_WEIGHT = 0.05  # beta below this is not drawn as an arc (the page's tables keep all)
TOP_SOURCES = 3


# ----------------------------------------------------------------------------------- numbers
def word_shares(prediction: Dict[str, Any], key: str = "alpha") -> List[Dict[str, Any]]:
    """
    For each token of a DC-MTL prediction: how much it draws from other tasks (`share`, in
    [0, 1]) and its top-3 source tasks `[(task, weight), ...]`.

    When the word's own task is one of its sources, `share` is the alpha mass on the other
    tasks. In DC-MTL's `direct` topology a task never reads itself (every message comes from
    other tasks), so `share` measures how strongly the word draws from particular tasks: the
    top source's weight rescaled so that uniform attention gives 0 and all weight on one task
    gives 1, `(max - 1/n) / (1 - 1/n)` over the n sources.
    """
    sources: List[str] = prediction.get(f"{key}_sources") or prediction.get("alpha_sources") or []
    rows = prediction.get(key) or []
    task = prediction.get("task")
    result = []
    for row in rows:
        weights = numpy.asarray(row, dtype=float)
        order = numpy.argsort(-weights, kind="stable")
        top = [(sources[i], float(weights[i])) for i in order[:TOP_SOURCES] if i < len(sources)]
        if task in sources:
            share = float(1.0 - weights[sources.index(task)])
        elif len(weights) > 1 and weights.sum() > 0:
            uniform = 1.0 / len(weights)
            share = float((weights.max() - uniform) / (1.0 - uniform))
        else:
            share = 0.0
        result.append({"share": min(max(share, 0.0), 1.0), "top": top})
    return result


def share_measure(predictions: Sequence[Dict[str, Any]]) -> str:
    """Words of what `word_shares` computed, for legends."""
    for prediction in predictions:
        if prediction.get("alpha") is not None:
            if prediction.get("task") in (prediction.get("alpha_sources") or []):
                return "alpha mass on other tasks (1 - alpha of the word's own task)"
            return (
                "how strongly the word draws from particular sources: weight of its top "
                "source, rescaled so that uniform attention is white and all weight on "
                "one source is darkest"
            )
    return ""


def _merge_order(order: List[str], names: Sequence[str]) -> None:
    """
    Add the names `order` lacks, keeping the relative order of `names`: each new name goes
    just before the next name of `names` already in `order`. The source lists of DC-MTL
    (every task but the target, in the model's order) thus merge back into the model's order.
    """
    for position, name in enumerate(names):
        if name in order:
            continue
        following = [n for n in names[position + 1 :] if n in order]
        if following:
            order.insert(order.index(following[0]), name)
        else:
            order.append(name)


def relation_matrix(
    predictions: Sequence[Dict[str, Any]], key: str = "alpha", task_order: Optional[Sequence[str]] = None
) -> Tuple[List[str], List[str], numpy.ndarray, Dict[str, int]]:
    """
    Mean alpha for each (target task, source task) pair over all tokens of `predictions`.
    Rows and columns follow `task_order` (the model's tasks) where given; otherwise the order
    is merged from the predictions' source lists.

    Returns `(targets, sources, matrix, token_counts)`; `matrix[i, j]` is NaN where source j
    never sends to target i (it is not among that task's sources) or target i has no tokens.
    """
    sums: Dict[str, Dict[str, float]] = {}
    counts: Dict[str, int] = {}
    order: List[str] = list(task_order or [])
    sources: List[str] = []
    for prediction in predictions:
        rows = prediction.get(key)
        if not rows:
            continue
        names = prediction.get(f"{key}_sources") or prediction.get("alpha_sources") or []
        _merge_order(sources, names)
        task = prediction["task"]
        target = sums.setdefault(task, {})
        weights = numpy.asarray(rows, dtype=float)
        for j, name in enumerate(names):
            target[name] = target.get(name, 0.0) + float(weights[:, j].sum())
        counts[task] = counts.get(task, 0) + weights.shape[0]
    if order:
        # the model's whole graph: every task is a column, every task of the file a row (a
        # task that receives nothing, e.g. the bottom of a hierarchy, is an all-grey row)
        seen = {p["task"] for p in predictions if "task" in p}
        sources = order + [t for t in sources if t not in order]
        targets = [t for t in order if t in seen or t in sums] + sorted(t for t in sums if t not in order)
    else:
        # the sources' order (the encoder's task order as far as it shows), others after
        targets = [t for t in sources if t in sums] + sorted(t for t in sums if t not in sources)
    matrix = numpy.full((len(targets), len(sources)), numpy.nan)
    for i, task in enumerate(targets):
        for j, name in enumerate(sources):
            if task in sums and name in sums[task] and counts.get(task):
                matrix[i, j] = sums[task][name] / counts[task]
    return targets, sources, matrix, counts


def beta_weights(prediction: Dict[str, Any], key: str = "beta") -> Tuple[List[str], numpy.ndarray]:
    """
    `(sources, weights)` of a prediction's beta: `weights[i, s, j]` is the weight word i gives
    to position j of source node `sources[s]` (`(n, num_sources, n)`; a JSON row holds the
    sources one after the other). `sources` is `beta_sources`, or `[]` where the prediction
    does not name them.
    """
    rows = numpy.asarray(prediction.get(key) or [], dtype=float)
    n = rows.shape[0]
    if n == 0:
        return [], numpy.zeros((0, 1, 0))
    num_sources = max(rows.shape[1] // n, 1)
    sources = list(prediction.get("beta_sources") or [])
    if len(sources) != num_sources:  # names that do not fit the rows: do not guess
        sources = []
    return sources, rows[:, : n * num_sources].reshape(n, num_sources, n)


#: What the beta profiles measure, and their baseline (written into summary.json).
BETA_PROFILE_MEASURE = (
    "mean of beta / uniform over the (word, position) pairs of each bin: a word of an n-word "
    "sentence that reads position j with weight beta (summed over the source nodes) counts "
    "beta * n; 1.0 = uniform attention (1/n to every position), 2.0 = twice uniform"
)
BETA_PROFILE_BASELINE = 1.0


def beta_profiles(
    predictions: Sequence[Dict[str, Any]], key: str = "beta", max_offset: int = 10, max_position: int = 30
) -> Dict[str, Dict[str, Any]]:
    """
    Where words read their source node(s) over a file, per task, normalised against uniform
    attention so that sentence length does not shape the curves.

    Each (word i, position j) pair of an n-word sentence contributes `n * beta[i, j]` (its
    weight against the uniform 1/n; with several source nodes, the weights of position j are
    summed over them) to the bin of its offset j - i (clipped to +-`max_offset`) and to the
    bin of its absolute position j (the first `max_position`). A bin's value is the mean over
    its pairs, so uniform attention gives 1.0 (`baseline`) in every bin, whatever the
    lengths; a bin with no pair is `None`.

    Per task: `offset`, `position` (the means), `offset_pairs`, `position_pairs` (pairs per
    bin), `words`, `sentences`, `sources` (the nodes read), `baseline`, `measure`.
    """
    sums: Dict[str, Dict[str, Any]] = {}
    for prediction in predictions:
        if not prediction.get(key):
            continue
        sources, weights = beta_weights(prediction, key)
        n = weights.shape[0]
        ratio = weights.sum(axis=1) * n  # (n, n): against uniform 1/n
        entry = sums.setdefault(prediction["task"], {
            "offset": numpy.zeros(2 * max_offset + 1), "offset_pairs": numpy.zeros(2 * max_offset + 1, int),
            "position": numpy.zeros(max_position), "position_pairs": numpy.zeros(max_position, int),
            "words": 0, "sentences": 0, "sources": [],
        })
        words, positions = numpy.meshgrid(numpy.arange(n), numpy.arange(n), indexing="ij")
        bins = numpy.clip(positions - words, -max_offset, max_offset) + max_offset
        numpy.add.at(entry["offset"], bins.ravel(), ratio.ravel())
        numpy.add.at(entry["offset_pairs"], bins.ravel(), 1)
        shown = positions < max_position
        numpy.add.at(entry["position"], positions[shown], ratio[shown])
        numpy.add.at(entry["position_pairs"], positions[shown], 1)
        entry["words"] += n
        entry["sentences"] += 1
        entry["sources"] += [name for name in sources if name not in entry["sources"]]
    result: Dict[str, Dict[str, Any]] = {}
    for task, entry in sums.items():
        result[task] = {
            "offset": _bin_means(entry["offset"], entry["offset_pairs"]),
            "position": _bin_means(entry["position"], entry["position_pairs"]),
            "offset_pairs": entry["offset_pairs"].tolist(),
            "position_pairs": entry["position_pairs"].tolist(),
            "words": entry["words"],
            "sentences": entry["sentences"],
            "sources": entry["sources"],
            "baseline": BETA_PROFILE_BASELINE,
            "measure": BETA_PROFILE_MEASURE,
        }
    return result


def _bin_means(sums: numpy.ndarray, counts: numpy.ndarray) -> List[Optional[float]]:
    return [float(total / count) if count else None for total, count in zip(sums, counts)]


def draw_beta_profiles(
    profiles: Dict[str, Dict[str, Any]], max_offset: int = 10, sources: str = "the source node"
) -> bytes:
    """The profiles of `beta_profiles` against uniform attention (dashed line at 1);
    `sources` names what the words read (e.g. "virtual node shared")."""
    figure, (by_offset, by_position) = plt.subplots(1, 2, figsize=(11, 3.6))
    offsets = list(range(-max_offset, max_offset + 1))

    def values(entry: Dict[str, Any], name: str) -> List[float]:
        return [numpy.nan if v is None else v for v in entry[name]]

    for task, entry in profiles.items():
        by_offset.plot(offsets, values(entry, "offset"), marker=".", label=f"{task} ({entry['words']} words)")
        by_position.plot(range(len(entry["position"])), values(entry, "position"), marker=".", label=task)
    for axes in (by_offset, by_position):
        axes.axhline(BETA_PROFILE_BASELINE, color="#555555", linestyle="--", linewidth=1,
                     label="uniform attention (1/n to every position) = 1")
        axes.set_ylim(0, max([2.0] + [1.1 * v for e in profiles.values()
                                      for v in e["offset"] + e["position"] if v is not None]))
    by_offset.set_xlabel(f"position read - word position (clipped to +-{max_offset})")
    by_offset.set_ylabel("mean beta / uniform (1/n)")
    by_offset.set_title(f"where words read {sources}: by offset", fontsize=9)
    by_position.set_xlabel("position read (0 = first word)")
    by_position.set_title(f"where words read {sources}: by absolute position", fontsize=9)
    by_offset.legend(fontsize=7)
    return _png_bytes(figure)


# ------------------------------------------------------------------------------------ figures
def _png_bytes(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def alpha_entropy(predictions: Sequence[Dict[str, Any]], key: str = "alpha") -> Dict[str, float]:
    """Per target task, the mean per-token entropy of its attention divided by the uniform
    level log(#sources) (1.0: uniform; 0.0: every token reads one source)."""
    totals: Dict[str, List[float]] = {}
    for prediction in predictions:
        for row in prediction.get(key) or []:
            if len(row) > 1:
                weights = numpy.asarray(row, dtype=float)
                weights = weights[weights > 0]
                value = float(-(weights * numpy.log(weights)).sum() / numpy.log(len(row)))
                totals.setdefault(prediction["task"], []).append(value)
    return {task: float(numpy.mean(values)) for task, values in totals.items()}


def uniform_ratio(matrix: numpy.ndarray) -> numpy.ndarray:
    """Each cell divided by its row's uniform level 1/(#sources of that target): 1 = uniform."""
    sources_per_row = numpy.isfinite(matrix).sum(axis=1, keepdims=True)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        return matrix * numpy.where(sources_per_row > 0, sources_per_row, numpy.nan)


#: The colour scales against uniform attention reach their darkest at least this far from
#: uniform (log2: 1.25x / 0.8x), so that near-uniform weights stay pale instead of the
#: largest of tiny departures being drawn as dark as a real preference.
MIN_COLOUR_SPREAD = float(numpy.log2(1.25))


def relation_norm(ratio: numpy.ndarray) -> Tuple[Any, float]:
    """The colour scale of the relation matrix: centred on 1 (uniform attention), symmetric in
    log2 up to the largest departure (at least `MIN_COLOUR_SPREAD`), so 2x and 0.5x uniform
    are equally dark."""
    finite = ratio[numpy.isfinite(ratio)]
    departures = numpy.abs(numpy.log2(numpy.clip(finite, 1e-6, None))) if finite.size else numpy.zeros(1)
    spread = max(float(departures.max()), MIN_COLOUR_SPREAD)
    return matplotlib.colors.TwoSlopeNorm(vcenter=1.0, vmin=2.0 ** -spread, vmax=2.0 ** spread), spread


def draw_relation_matrix(
    targets: Sequence[str], sources: Sequence[str], matrix: numpy.ndarray, title: str = "",
    virtual_nodes: Sequence[str] = (),
) -> bytes:
    """The mean alpha of each (target, source) pair, written in the cells, coloured by its
    ratio to the row's uniform level (white = uniform 1/n, red above, blue below)."""
    width = max(4.0, 0.55 * len(sources) + 2.5)
    height = max(3.0, 0.45 * len(targets) + 1.8)
    figure, axes = plt.subplots(figsize=(width, height))
    ratio = uniform_ratio(matrix)
    masked = numpy.ma.masked_invalid(ratio)
    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="#dddddd")
    norm, spread = relation_norm(ratio)
    image = axes.imshow(masked, cmap=cmap, norm=norm)
    axes.set_xticks(range(len(sources)))
    axes.set_xticklabels(sources, rotation=60, ha="right")
    axes.set_yticks(range(len(targets)))
    axes.set_yticklabels(targets)
    virtual = [name for name in sources if name in set(virtual_nodes)]
    axes.set_xlabel("source (sends)" + (f"; virtual node{'s' if len(virtual) > 1 else ''}: "
                                         + ", ".join(virtual) if virtual else ""))
    axes.set_ylabel("target task (reads)")
    if len(targets) * len(sources) <= 400:
        for i in range(len(targets)):
            for j in range(len(sources)):
                if numpy.isfinite(matrix[i, j]):
                    strong = abs(numpy.log2(max(ratio[i, j], 1e-6))) > 0.6 * spread
                    axes.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7,
                              color="white" if strong else "black")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="mean alpha / uniform (1/#sources)")
    axes.set_title(title or "learned task relations: mean alpha (white = uniform)", loc="left")
    return _png_bytes(figure)


def draw_dc_sentence(prediction: Dict[str, Any], key: str = "alpha", row_width: float = 16.0) -> bytes:
    """
    Fig. 3 style: one box per word shaded by its share, its top-3 source tasks underneath;
    long sentences wrap onto several rows of at most `row_width` inches.
    """
    tokens = prediction["tokens"]
    shares = word_shares(prediction, key)
    labels = ["\n".join(f"{name} {weight:.2f}" for name, weight in info["top"]) for info in shares]
    widths = [
        max(0.45, 0.1 * len(token) + 0.2, max((0.055 * len(l) for l in label.split("\n")), default=0) + 0.1)
        for token, label in zip(tokens, labels)
    ]
    gap = 0.12
    rows: List[List[int]] = [[]]
    used = 0.0
    for index, width in enumerate(widths):
        if rows[-1] and used + width > row_width:
            rows.append([])
            used = 0.0
        rows[-1].append(index)
        used += width + gap
    figure_width = max(4.0, max(sum(widths[i] + gap for i in row) for row in rows) + 0.3)
    row_height = 1.25
    figure, axes = plt.subplots(figsize=(figure_width, 0.45 + row_height * len(rows)))
    cmap = matplotlib.colormaps["Reds"]
    for row_number, row in enumerate(rows):
        y = (len(rows) - 1 - row_number) * row_height
        x = 0.0
        for i in row:
            share = shares[i]["share"]
            axes.add_patch(Rectangle((x, y + 0.7), widths[i], 0.45, facecolor=cmap(0.85 * share),
                                     edgecolor="#888888", linewidth=0.5))
            axes.text(x + widths[i] / 2, y + 0.925, tokens[i], ha="center", va="center", fontsize=9,
                      color="white" if share > 0.6 else "black")
            axes.text(x + widths[i] / 2, y + 0.65, labels[i], ha="center", va="top", fontsize=6,
                      color="#333333")
            x += widths[i] + gap
    axes.set_xlim(-0.05, figure_width - 0.25)
    axes.set_ylim(0.1, len(rows) * row_height)
    axes.axis("off")
    axes.set_title(f"{_figure_heading(prediction)}  ({key}: shade = how much a word draws from "
                   f"particular sources, white = uniform; top-{TOP_SOURCES} sources below)", fontsize=8)
    return _png_bytes(figure)


#: A position counts as read more than uniform (arcs, the page's top positions) when its beta
#: is at least this many times the uniform weight 1/(n * #sources).
ABOVE_UNIFORM = 1.1


def _figure_heading(prediction: Dict[str, Any]) -> str:
    label = prediction.get("label")
    return (f"line {prediction.get('line', '?')} \u00b7 task {prediction.get('task')}"
            + (f" \u00b7 label {label}" if label is not None else ""))


def nodes_phrase(names: Sequence[str], virtual_nodes: Optional[Sequence[str]] = None,
                 tasks: Optional[Sequence[str]] = None, the: bool = False) -> str:
    """`virtual node shared`, `tasks pos, chunk`, `task a and virtual node hub` (`the ...` with
    `the`): what a task reads, named. Without `virtual_nodes`, a name that is not one of
    `tasks` is a `node`."""
    if not names:
        return "its source node"
    if the:
        return "the " + nodes_phrase(names, virtual_nodes, tasks)
    groups: Dict[str, List[str]] = {}
    for name in names:
        if virtual_nodes is not None:
            kind = "virtual node" if name in virtual_nodes else "task"
        else:
            kind = "task" if tasks is not None and name in tasks else "node"
        groups.setdefault(kind, []).append(name)
    return " and ".join(
        f"{kind}{'s' if len(group) > 1 else ''} {', '.join(group)}" for kind, group in groups.items()
    )


def top_positions(weights: numpy.ndarray, word: int, top_k: int = TOP_SOURCES) -> List[Tuple[int, int, float]]:
    """
    The (source index, position, beta) pairs word `word` reads most, at most `top_k`, keeping
    only those at least `ABOVE_UNIFORM` times the uniform weight (`weights`: `(n, S, n)`).
    Empty when the word's attention is (close to) uniform.
    """
    n, num_sources, _ = weights.shape
    row = weights[word].reshape(-1)  # source-major
    threshold = ABOVE_UNIFORM / (n * num_sources)
    order = numpy.argsort(-row, kind="stable")[:top_k]
    return [(int(c // n), int(c % n), float(row[c])) for c in order if row[c] >= threshold]


def draw_ic_sentence(prediction: Dict[str, Any], key: str = "beta", top_k: int = 3,
                     source_phrase: Optional[str] = None) -> bytes:
    """
    Fig. 4 style: arcs above the words from each word to the positions it reads most (its
    `top_k` weights that are at least `ABOVE_UNIFORM` times uniform; with several source
    nodes, a position's weights summed over them), line width = beta; below, the whole beta
    matrix (row = word, column = position read, one block per source node) coloured by its
    ratio to uniform attention (white = uniform 1/(n * #sources), purple above, green below).
    """
    tokens = prediction["tokens"]
    sources, weights = beta_weights(prediction, key)
    n, num_sources = weights.shape[0], weights.shape[1]
    per_position = weights.sum(axis=1)  # (n, n)
    phrase = source_phrase or nodes_phrase(sources, the=True)
    spacing = [max(0.55, 0.1 * len(t) + 0.25) for t in tokens]
    xs = numpy.cumsum([0.0] + spacing[:-1])
    width = min(max(5.0, float(xs[-1]) * max(1, min(num_sources, 3)) + 1.5), 60.0)
    arc_height = min(2.5, 0.6 + 0.02 * float(xs[-1]) * 3)
    heat_height = min(max(2.0, 0.16 * n), 12.0)
    figure, (arcs, heat) = plt.subplots(
        2, 1, figsize=(width, arc_height + heat_height + 1.2),
        gridspec_kw={"height_ratios": [arc_height, heat_height]},
    )
    colors = matplotlib.colormaps["tab10"]
    top = 0.3
    threshold = ABOVE_UNIFORM / n
    drawn = 0
    for i in range(n):
        color = colors(i % 10)
        order = [j for j in numpy.argsort(-per_position[i], kind="stable")[:top_k]
                 if per_position[i, j] >= max(threshold, MIN_ARC_WEIGHT)]
        for j in order:
            weight = per_position[i, j]
            drawn += 1
            if i == j:
                arcs.plot([xs[i]], [0.12], marker="o", markersize=3 + 12 * weight, color=color, alpha=0.6)
                continue
            span = abs(xs[j] - xs[i])
            height = 0.3 + 0.35 * span ** 0.8
            top = max(top, height / 2 + 0.1)
            arcs.add_patch(Arc(((xs[i] + xs[j]) / 2, 0.1), span, height, theta1=0, theta2=180,
                               linewidth=0.5 + 5 * weight, color=color, alpha=0.35 + 0.6 * weight))
            arcs.plot([xs[j]], [0.1], marker="v", markersize=2 + 4 * weight, color=color)
    for i, token in enumerate(tokens):
        arcs.text(xs[i], 0.0, token, ha="center", va="top", fontsize=9, color=colors(i % 10))
    if not drawn:
        arcs.text((xs[0] + xs[-1]) / 2, 0.35, f"no word reads any position more than {ABOVE_UNIFORM:g}x "
                  "uniform: no arcs", ha="center", va="center", fontsize=8, color="#555555")
    arcs.set_xlim(xs[0] - 0.6, xs[-1] + 0.6)
    arcs.set_ylim(-0.35, top + 0.1)
    arcs.axis("off")
    summed = " (summed over them)" if num_sources > 1 else ""
    arcs.set_title(f"{_figure_heading(prediction)}  ({key} over the positions of {phrase}{summed}: arcs "
                   f"from each word to the {top_k} positions it reads most, where at least "
                   f"{ABOVE_UNIFORM:g}x uniform 1/n = {1 / n:.3f}; width = weight)", fontsize=8)
    matrix = weights.reshape(n, num_sources * n)
    ratio = matrix * (n * num_sources)
    norm, _ = relation_norm(ratio)
    image = heat.imshow(ratio, cmap="PRGn_r", norm=norm, aspect="auto")
    columns = list(tokens) * num_sources
    heat.set_xticks(range(len(columns)))
    heat.set_xticklabels(columns, rotation=90, fontsize=7)
    heat.set_yticks(range(n))
    heat.set_yticklabels(tokens, fontsize=7)
    for s in range(1, num_sources):
        heat.axvline(s * n - 0.5, color="black", linewidth=1.2)
    if num_sources > 1:
        names = sources or [f"source {s + 1}" for s in range(num_sources)]
        heat.set_xlabel("position read, one block per source node: " + " | ".join(names))
    else:
        heat.set_xlabel(f"position of {phrase} read")
    heat.set_ylabel("word (its task's layer)")
    figure.colorbar(image, ax=heat, fraction=0.02, pad=0.01,
                    label=f"{key} / uniform (1/{'n' if num_sources == 1 else f'({num_sources}n)'})")
    return _png_bytes(figure)


# --------------------------------------------------------------------------------------- HTML
CSS = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.sentence { border-top: 1px solid #ccc; padding: 0.6em 0; }
.meta { font-size: 0.85em; color: #555; }
.words { line-height: 2.9em; }
.word { display: inline-block; text-align: center; margin: 0 2px; padding: 0 4px;
        border-radius: 3px; vertical-align: top; line-height: 1.4em; }
.word small { display: block; font-size: 0.62em; color: #333; line-height: 1.15em; }
.word small.tag { font-size: 0.7em; color: #0b4f8a; font-weight: bold; }
table.matrix, table.graph { border-collapse: collapse; font-size: 0.8em; }
table.matrix td, table.matrix th { border: 1px solid #ccc; padding: 2px 5px; text-align: right; }
table.graph td, table.graph th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
.note { background: #fff8e1; border-left: 4px solid #e0a800; padding: 0.5em 0.8em; }
code { font-size: 0.95em; }
img { max-width: 100%; }
.error { color: #a00; }
"""


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _shade(share: float) -> str:
    # white -> red, readable text either way
    red, green, blue = 255, int(255 - 180 * share), int(255 - 180 * share)
    return f"rgb({red},{green},{blue})"


def _prediction_text(prediction: Dict[str, Any]) -> str:
    if "label" in prediction:
        probs = prediction.get("probs") or {}
        shown = ", ".join(f"{html.escape(str(k))}: {v:.3f}" for k, v in probs.items())
        return f"label <b>{html.escape(str(prediction['label']))}</b> ({shown})"
    if "tags" in prediction:
        return "tags under the words, with their probability"
    return ""


def _tag_lines(prediction: Dict[str, Any]) -> List[str]:
    """One `<small class="tag">` per token with its predicted tag (empty for classification)."""
    tags = prediction.get("tags")
    if not tags:
        return [""] * len(prediction.get("tokens") or [])
    probs = prediction.get("tag_probs") or [None] * len(tags)
    return [
        f'<small class="tag">{html.escape(str(tag))}'
        + (f" {prob:.2f}" if prob is not None else "") + "</small>"
        for tag, prob in zip(tags, probs)
    ]


#: What the built-in topologies are, for the report's first section.
KNOWN_TOPOLOGIES = {
    "direct": "DC-MTL (direct communication): each task reads the other tasks' states at the "
              "same position, weighed by attention (alpha)",
    "indirect": "IC-MTL (indirect communication): each task reads the states of a shared "
                "virtual node at every position, weighed by attention over the positions (beta)",
}


def communication(
    predictions: Sequence[Dict[str, Any]],
    model: Optional[Dict[str, Any]] = None,
    task_order: Optional[Sequence[str]] = None,
) -> Dict[str, Any]:
    """
    Who reads whom and with which weights, from the model's description
    (`GraphMtlPredictor.describe()`: encoder, topology, virtual nodes, sources, aggregators)
    where given, otherwise from the predictions (`alpha_sources`, `beta_sources`).

    Returns `{"encoder", "topology", "virtual_nodes" (None if unknown), "tasks": {task:
    {"sources": [...], "weights": ...}}, "learned_weights": bool}`; `weights` is `alpha`,
    `beta`, `fixed (<aggregator class>)`, `no messages` or `unknown`.
    """
    model = model or {}
    graph: Dict[str, List[str]] = {t: list(v) for t, v in (model.get("sources") or {}).items()}
    aggregators: Dict[str, Dict[str, str]] = model.get("aggregators") or {}
    seen: Dict[str, Dict[str, List[str]]] = {}
    for prediction in predictions:
        entry = seen.setdefault(prediction["task"], {})
        for key in ("alpha", "beta"):
            if prediction.get(key):
                names = list(prediction.get(f"{key}_sources") or [])
                known = entry.setdefault(key, [])
                known += [name for name in names if name not in known]
    tasks: List[str] = list(model.get("tasks") or task_order or [])
    tasks += [t for t in graph if t not in tasks] + [t for t in seen if t not in tasks]
    rows: Dict[str, Dict[str, Any]] = {}
    for task in tasks:
        drawn = seen.get(task, {})
        sources = graph.get(task, drawn.get("alpha", []) + drawn.get("beta", []))
        kind = aggregators.get(task, {}).get("kind")
        if task in graph and not graph[task]:
            weights = "no messages"
        elif "alpha" in drawn or kind == "sources":
            weights = "alpha"
        elif "beta" in drawn or kind == "positions":
            weights = "beta"
        elif kind is not None:
            weights = f"fixed ({aggregators[task].get('class', kind)})"
        else:
            weights = "unknown"
        rows[task] = {"sources": sources, "weights": weights}
    return {
        "encoder": model.get("encoder"),
        "topology": model.get("topology"),
        "virtual_nodes": model.get("virtual_nodes"),
        "tasks": rows,
        "learned_weights": any("alpha" in d or "beta" in d for d in seen.values()),
    }


def _code(name: Any) -> str:
    return f"<code>{html.escape(str(name))}</code>"


def no_weights_note(info: Dict[str, Any]) -> str:
    """The sentence the report shows (and summary.json keeps) when there is nothing to draw."""
    encoder, topology = info.get("encoder"), info.get("topology")
    fixed = sorted({row["weights"][len("fixed ("):-1] for row in info["tasks"].values()
                    if row["weights"].startswith("fixed (")})
    if topology:
        what = f"The topology {topology}" + (f" (encoder {encoder})" if encoder else "")
        how = (f"its tasks combine the messages they read with fixed weights ({', '.join(fixed)}), "
               if fixed else "its tasks combine their messages without attention, ")
        return (f"{what} has no learned communication weights to draw: {how}so the predictions "
                "carry no alpha or beta. Who reads whom is in the table above; the sentences and "
                "their predictions follow.")
    if encoder:
        return (f"The encoder {encoder} has no learned communication weights to draw: it passes no "
                "attention-weighted messages between tasks, so the predictions carry no alpha or "
                "beta. The sentences and their predictions follow.")
    return ("These predictions carry no learned communication weights (no alpha or beta): the "
            "model's topology combines messages with fixed weights, or its encoder passes no "
            "messages between tasks. Nothing to draw; the sentences and their predictions follow.")


def _communication_html(info: Dict[str, Any]) -> List[str]:
    parts = ["<h2>How the tasks communicate</h2>"]
    encoder, topology = info.get("encoder"), info.get("topology")
    said = []
    if encoder:
        said.append(f"encoder {_code(encoder)}")
    if topology:
        said.append(f"topology {_code(topology)}")
    sentence = ", ".join(said)
    if topology in KNOWN_TOPOLOGIES:
        sentence += ": " + html.escape(KNOWN_TOPOLOGIES[topology])
    if sentence:
        parts.append(f"<p>{sentence[0].upper() + sentence[1:]}.</p>")
    virtual = info.get("virtual_nodes")
    tasks = list(info["tasks"])
    if info["tasks"]:
        parts.append('<table class="graph"><thead><tr><th>task</th><th>reads from</th>'
                     "<th>communication weights</th></tr></thead><tbody>")
        for task, row in info["tasks"].items():
            reads = nodes_phrase(row["sources"], virtual, tasks) if row["sources"] else "nothing"
            weights = {
                "alpha": "alpha: attention over its sources, learned",
                "beta": "beta: attention over the positions of its source(s), learned",
                "no messages": "none: receives no messages (a plain LSTM)",
                "unknown": "unknown",
            }.get(row["weights"], f"none learned: {row['weights']}")
            parts.append(f"<tr><td>{html.escape(task)}</td><td>{html.escape(reads)}</td>"
                         f"<td>{html.escape(weights)}</td></tr>")
        parts.append("</tbody></table>")
    if not info["learned_weights"]:
        parts.append(f'<p class="note">{html.escape(no_weights_note(info))}</p>')
    return parts


def render_report(
    predictions: Sequence[Dict[str, Any]],
    output_dir: str,
    *,
    title: str = "graph-mtl report",
    source: str = "",
    max_figures: int = 50,
    task_order: Optional[Sequence[str]] = None,
    figures_per_task: Optional[int] = None,
    model: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """
    Write `report.html` and the PNG figures into `output_dir` and return a summary
    (`{"html": path, "pngs": [paths], "sentences": n, ...}`). Every input sentence appears in
    the HTML; per-sentence PNGs are drawn for the first `max_figures` sentences, or, with
    `figures_per_task`, for the first that many sentences of every task (then `max_figures`
    still caps the total). `model` describes the model's communication
    (`GraphMtlPredictor.describe()`); without it the report names what the predictions name.
    """
    os.makedirs(output_dir, exist_ok=True)
    figures_dir = os.path.join(output_dir, "figures")
    os.makedirs(figures_dir, exist_ok=True)
    pngs: List[str] = []

    def save(name: str, png: bytes) -> str:
        path = os.path.join(figures_dir, name)
        atomic_write_bytes(path, png)
        pngs.append(path)
        return path

    parts: List[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if source:
        parts.append(f'<p class="meta">{html.escape(source)}</p>')
    good = [p for p in predictions if "error" not in p]
    tasks: Dict[str, int] = {}
    for p in good:
        tasks[p["task"]] = tasks.get(p["task"], 0) + 1
    bad = len(predictions) - len(good)
    parts.append(
        f'<p class="meta">{len(predictions)} input lines'
        + (f" ({bad} bad)" if bad else "") + ": "
        + ", ".join(f"{html.escape(t)} {c}" for t, c in tasks.items())
        + "</p>"
    )

    summary: Dict[str, Any] = {"sentences": len(predictions), "tasks": tasks}
    has_alpha = any(p.get("alpha") for p in good)
    has_beta = any(p.get("beta") for p in good)
    summary["kinds"] = [k for k, present in (("alpha", has_alpha), ("beta", has_beta)) if present]
    info = communication(good, model, task_order)
    virtual = info.get("virtual_nodes")
    model_tasks = list(info["tasks"])
    summary["communication"] = dict(info)
    if not info["learned_weights"]:
        summary["communication"]["note"] = no_weights_note(info)
    parts.extend(_communication_html(info))

    if has_alpha:
        targets, sources, matrix, counts = relation_matrix(good, task_order=task_order)
        entropies = alpha_entropy(good)
        virtual_sources = [s for s in sources if virtual is not None and s in virtual]
        png = draw_relation_matrix(targets, sources, matrix, virtual_nodes=virtual_sources)
        save("relation_matrix.png", png)
        with atomic_open(os.path.join(output_dir, "relation_matrix.tsv"), "w", encoding="utf-8") as handle:
            handle.write("target\\source\t" + "\t".join(sources) + "\ttokens\tentropy_vs_uniform\n")
            for i, target in enumerate(targets):
                cells = ["" if not numpy.isfinite(v) else f"{v:.6f}" for v in matrix[i]]
                entropy = f"{entropies[target]:.6f}" if target in entropies else ""
                handle.write(target + "\t" + "\t".join(cells) + f"\t{counts.get(target, 0)}\t{entropy}\n")
        summary["relation_matrix"] = {
            "targets": targets,
            "sources": sources,
            "matrix": [[None if not numpy.isfinite(v) else float(v) for v in row] for row in matrix],
            "entropy_vs_uniform": {t: entropies.get(t) for t in targets},
        }
        parts.append("<h2>Learned task-to-task relations</h2>" if not virtual_sources else
                     "<h2>Learned relations: what each task reads</h2>")
        parts.append(
            '<p class="meta">Mean alpha over all words of the file: row = the task that reads, '
            "column = what it reads from"
            + (f" (a task, or the virtual node{'s' if len(virtual_sources) > 1 else ''} "
               f"{html.escape(', '.join(virtual_sources))})" if virtual_sources else "")
            + "; grey: not a source of that task. Colour: the cell "
            "against its row's uniform level 1/(number of sources): white = uniform, red = more, "
            "blue = less (darkest at the largest departure, and at least "
            f"{2 ** MIN_COLOUR_SPREAD:g}x / {2 ** -MIN_COLOUR_SPREAD:g}x). Last column: the mean "
            "per-word entropy of the row's alpha against uniform attention (1.00 = uniform).</p>"
        )
        parts.append(f'<img alt="relation matrix: mean alpha of each target and source" src="{_data_uri(png)}">')
        parts.append('<table class="matrix"><thead><tr><th>target \\ source</th>'
                     + "".join(f"<th>{html.escape(s)}</th>" for s in sources)
                     + "<th>entropy / uniform</th></tr></thead><tbody>")
        for i, target in enumerate(targets):
            entropy = f"{entropies[target]:.2f}" if target in entropies else ""
            parts.append(f"<tr><th>{html.escape(target)}</th>" + "".join(
                f"<td>{'' if not numpy.isfinite(v) else f'{v:.3f}'}</td>" for v in matrix[i])
                + f"<td>{entropy}</td></tr>")
        parts.append("</tbody></table>")
    beta_read: List[str] = []
    for p in good:
        if p.get("beta"):
            beta_read += [name for name in p.get("beta_sources") or [] if name not in beta_read]
    beta_phrase = nodes_phrase(beta_read, virtual, model_tasks, the=True) if beta_read else "their source node"
    if has_beta:
        profiles = beta_profiles(good)
        png = draw_beta_profiles(profiles, sources=beta_phrase)
        save("beta_profile.png", png)
        summary["beta_profile"] = profiles
        parts.append(f"<h2>Where words read {html.escape(beta_phrase)}</h2>")
        readers = [f"{html.escape(t)} &larr; {html.escape(', '.join(e['sources']) or '?')}"
                   for t, e in profiles.items()]
        parts.append(
            f'<p class="meta">Beta: each word of a task attends over the positions of '
            f"{html.escape(beta_phrase)} ({'; '.join(readers)}). Mean beta over all words of the "
            "file against uniform attention, by the offset of the position read from the word "
            "(left) and by absolute position (right): a word of an n-word sentence that gives "
            "weight beta to a position counts beta &times; n, so the dashed line at 1 is "
            "uniform attention (1/n to every position) whatever the sentence lengths, 2 is "
            "twice uniform, 0 is never read.</p>"
        )
        parts.append(f'<img alt="beta against uniform by offset and by position" src="{_data_uri(png)}">')

    parts.append("<h2>Sentences</h2>")
    if has_alpha:
        parts.append(f'<p class="meta">Shade of a word: {html.escape(share_measure(good))}; '
                     f"under it, its top-{TOP_SOURCES} sources with their alpha.</p>")
    if has_beta:
        parts.append(f'<p class="meta">Under each word (numbered), the up to {TOP_SOURCES} positions '
                     f"of {html.escape(beta_phrase)} it reads most, with their beta, where at least "
                     f"{ABOVE_UNIFORM:g}&times; uniform (1/n for an n-word sentence, 1/(k&times;n) "
                     "with k source nodes); "
                     "&ldquo;uniform&rdquo; when no position is.</p>")
    figures_drawn = 0
    drawn_per_task: Dict[str, int] = {}
    for index, prediction in enumerate(predictions):
        number = prediction.get("line", index + 1)
        parts.append('<div class="sentence">')
        if "error" in prediction:
            parts.append(f'<p class="error">line {number}: {html.escape(prediction["error"])}</p>')
            if prediction.get("input"):
                parts.append(f"<p>{html.escape(str(prediction['input']))}</p>")
            parts.append("</div>")
            continue
        tokens = prediction["tokens"]
        extra = ""
        if prediction.get("beta"):
            k, n = beta_weights(prediction)[1].shape[1], max(len(tokens), 1)
            extra = (f" &middot; uniform beta 1/{n} = {1 / n:.3f}" if k == 1 else
                     f" &middot; uniform beta 1/({k}&times;{n}) = {1 / (k * n):.3f}")
        parts.append(
            f'<p class="meta">line {number} &middot; task <b>{html.escape(prediction["task"])}</b>'
            f" &middot; {_prediction_text(prediction)}{extra}</p>"
        )
        # The sentence itself, as plain text, so it is always on the page.
        parts.append(f'<p class="text">{html.escape(" ".join(tokens))}</p>')
        tag_lines = _tag_lines(prediction)
        if prediction.get("alpha"):
            shares = word_shares(prediction)
            words = []
            for token, info_word, tag in zip(tokens, shares, tag_lines):
                top = "".join(f"<small>{html.escape(n)} {w:.2f}</small>" for n, w in info_word["top"])
                tip = ", ".join(f"{n}: {w:.3f}" for n, w in info_word["top"])
                words.append(
                    f'<span class="word" style="background:{_shade(info_word["share"])}" '
                    f'title="{html.escape(tip)}">{html.escape(token)}{tag}{top}</span>'
                )
            parts.append('<div class="words">' + "".join(words) + "</div>")
        elif prediction.get("beta"):
            names, weights = beta_weights(prediction)
            several = weights.shape[1] > 1
            words = []
            for i, (token, tag) in enumerate(zip(tokens, tag_lines)):
                read = top_positions(weights, i)
                top = "".join(
                    f"<small>&rarr; {html.escape(tokens[j])}<sub>{j + 1}</sub>"
                    + (f" ({html.escape(names[s] if names else str(s + 1))})" if several else "")
                    + f" {w:.2f}</small>"
                    for s, j, w in read
                ) or "<small>uniform</small>"
                tip = ", ".join(f"{tokens[j]} ({j + 1}): {w:.3f}" for s, j, w in read) or "uniform"
                words.append(f'<span class="word" title="{html.escape(tip)}">{html.escape(token)}'
                             f"<sub>{i + 1}</sub>{tag}{top}</span>")
            parts.append('<div class="words">' + "".join(words) + "</div>")
        elif prediction.get("tags"):
            words = [f'<span class="word">{html.escape(token)}{tag}</span>'
                     for token, tag in zip(tokens, tag_lines)]
            parts.append('<div class="words">' + "".join(words) + "</div>")
        want_figure = figures_drawn < max_figures and (
            figures_per_task is None or drawn_per_task.get(prediction["task"], 0) < figures_per_task)
        for key in ("alpha", "beta"):
            if not prediction.get(key) or not want_figure:
                continue
            if key == "alpha":
                png = draw_dc_sentence(prediction)
            else:
                png = draw_ic_sentence(prediction, source_phrase=nodes_phrase(
                    prediction.get("beta_sources") or [], virtual, model_tasks, the=True))
            save(f"line{number:05d}_{key}.png", png)
            parts.append(f'<img alt="{key} of line {number}" src="{_data_uri(png)}">')
        if want_figure and (prediction.get("alpha") or prediction.get("beta")):
            figures_drawn += 1
            drawn_per_task[prediction["task"]] = drawn_per_task.get(prediction["task"], 0) + 1
        parts.append("</div>")
    parts.append("</body></html>")
    path = os.path.join(output_dir, "report.html")
    atomic_write_text(path, "\n".join(parts))
    summary["html"] = path
    summary["pngs"] = pngs
    atomic_write_json(os.path.join(output_dir, "summary.json"), {k: v for k, v in summary.items()}, indent=2)
    return summary
