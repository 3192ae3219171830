"""
Pictures of the learned communication, drawn from `graph_mtl` predictions (the JSON the
`graph_mtl` predictor writes; see `graph_mtl.predictors.formatting`).

* `relation_matrix` / `draw_relation_matrix`: mean alpha of every (target task, source task)
  pair over a file, the task graph a DC-MTL model learned, as a heatmap.
* `word_shares` / `draw_dc_sentence`: DC-MTL, each word shaded by how much it draws from other
  tasks, with its top-3 source tasks (as in Fig. 3 of Liu et al. 2019).
* `draw_ic_sentence`: IC-MTL, arcs from each word to the shared positions it reads, thickness
  proportional to beta (as in Fig. 4), and the sentence's beta matrix.
* `beta_profiles` / `draw_beta_profiles`: IC-MTL over a file, mean beta by offset and by
  absolute position of the shared position read, per task.
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
                "how strongly the word draws from particular other tasks: weight of its top "
                "source task, rescaled so that uniform attention is white and all weight on "
                "one task is darkest"
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


def beta_profiles(
    predictions: Sequence[Dict[str, Any]], key: str = "beta", max_offset: int = 10, max_position: int = 30
) -> Dict[str, Dict[str, Any]]:
    """
    IC-MTL over a file, per task: the mean beta a word gives to the shared position at each
    relative offset j - i (clipped to +-`max_offset`) and at each absolute position j (the
    first `max_position`). Each profile is the average, over words, of that word's weights.
    """
    result: Dict[str, Dict[str, Any]] = {}
    for prediction in predictions:
        rows = prediction.get(key)
        if not rows:
            continue
        beta = numpy.asarray(rows, dtype=float)
        n = beta.shape[0]
        entry = result.setdefault(prediction["task"], {
            "offset": numpy.zeros(2 * max_offset + 1), "position": numpy.zeros(max_position), "words": 0,
        })
        for i in range(n):
            for j in range(n):
                offset = min(max(j - i, -max_offset), max_offset)
                entry["offset"][offset + max_offset] += beta[i, j]
                if j < max_position:
                    entry["position"][j] += beta[i, j]
        entry["words"] += n
    for entry in result.values():
        entry["offset"] = (entry["offset"] / max(entry["words"], 1)).tolist()
        entry["position"] = (entry["position"] / max(entry["words"], 1)).tolist()
    return result


def draw_beta_profiles(profiles: Dict[str, Dict[str, Any]], max_offset: int = 10) -> bytes:
    figure, (by_offset, by_position) = plt.subplots(1, 2, figsize=(11, 3.4))
    offsets = list(range(-max_offset, max_offset + 1))
    for task, entry in profiles.items():
        by_offset.plot(offsets, entry["offset"], marker=".", label=f"{task} ({entry['words']} words)")
        by_position.plot(range(len(entry["position"])), entry["position"], marker=".", label=task)
    by_offset.set_xlabel(f"shared position - word position (clipped to +-{max_offset})")
    by_offset.set_ylabel("mean beta")
    by_offset.set_title("where words read the shared layer, relative", fontsize=9)
    by_position.set_xlabel("shared position (0 = first word)")
    by_position.set_title("where words read the shared layer, absolute", fontsize=9)
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


def relation_norm(ratio: numpy.ndarray) -> Tuple[Any, float]:
    """The colour scale of the relation matrix: centred on 1 (uniform attention), symmetric in
    log2 up to the largest departure (at least 2^0.05), so 2x and 0.5x uniform are equally dark."""
    finite = ratio[numpy.isfinite(ratio)]
    departures = numpy.abs(numpy.log2(numpy.clip(finite, 1e-6, None))) if finite.size else numpy.zeros(1)
    spread = max(float(departures.max()), 0.05)
    return matplotlib.colors.TwoSlopeNorm(vcenter=1.0, vmin=2.0 ** -spread, vmax=2.0 ** spread), spread


def draw_relation_matrix(
    targets: Sequence[str], sources: Sequence[str], matrix: numpy.ndarray, title: str = ""
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
    axes.set_xlabel("source task (sends)")
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
            axes.add_patch(Rectangle((x, y + 0.7), widths[i], 0.45, facecolor=cmap(0.1 + 0.8 * share),
                                     edgecolor="#888888", linewidth=0.5))
            axes.text(x + widths[i] / 2, y + 0.925, tokens[i], ha="center", va="center", fontsize=9,
                      color="white" if share > 0.6 else "black")
            axes.text(x + widths[i] / 2, y + 0.65, labels[i], ha="center", va="top", fontsize=6,
                      color="#333333")
            x += widths[i] + gap
    axes.set_xlim(-0.05, figure_width - 0.25)
    axes.set_ylim(0.1, len(rows) * row_height)
    axes.axis("off")
    label = prediction.get("label") or ""
    axes.set_title(f"line {prediction.get('line', '?')}  task {prediction.get('task')}  {label}  "
                   f"({key}: shade = how much a word draws from other tasks; top-3 source tasks below)",
                   fontsize=8)
    return _png_bytes(figure)


def draw_ic_sentence(prediction: Dict[str, Any], key: str = "beta", top_k: int = 3) -> bytes:
    """
    Fig. 4 style: arcs above the words from each word to the shared positions it reads most
    (its `top_k` weights of at least MIN_ARC_WEIGHT), line width = beta; below, the whole beta
    matrix (row = word, column = shared position) as a heatmap.
    """
    tokens = prediction["tokens"]
    beta = numpy.asarray(prediction[key], dtype=float)
    n = len(tokens)
    spacing = [max(0.55, 0.1 * len(t) + 0.25) for t in tokens]
    xs = numpy.cumsum([0.0] + spacing[:-1])
    width = min(max(5.0, float(xs[-1]) + 1.5), 60.0)
    arc_height = min(2.5, 0.6 + 0.02 * float(xs[-1]) * 3)
    heat_height = min(max(2.0, 0.16 * n), 12.0)
    figure, (arcs, heat) = plt.subplots(
        2, 1, figsize=(width, arc_height + heat_height + 1.0),
        gridspec_kw={"height_ratios": [arc_height, heat_height]},
    )
    colors = matplotlib.colormaps["tab10"]
    top = 0.3
    for i in range(n):
        color = colors(i % 10)
        order = [j for j in numpy.argsort(-beta[i], kind="stable")[:top_k] if beta[i, j] >= MIN_ARC_WEIGHT]
        for j in order:
            weight = beta[i, j]
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
    arcs.set_xlim(xs[0] - 0.6, xs[-1] + 0.6)
    arcs.set_ylim(-0.35, top + 0.1)
    arcs.axis("off")
    label = prediction.get("label") or ""
    arcs.set_title(f"line {prediction.get('line', '?')}  task {prediction.get('task')}  {label}  "
                   f"({key}: arcs from each word to the {top_k} shared positions it reads most, "
                   f"width = weight; below, all weights)", fontsize=8)
    image = heat.imshow(beta[:n, :n], cmap="Purples", vmin=0.0, aspect="auto")
    heat.set_xticks(range(n))
    heat.set_xticklabels(tokens, rotation=90, fontsize=7)
    heat.set_yticks(range(n))
    heat.set_yticklabels(tokens, fontsize=7)
    heat.set_xlabel("shared position read")
    heat.set_ylabel("word (task layer)")
    figure.colorbar(image, ax=heat, fraction=0.02, pad=0.01, label=key)
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
table.matrix { border-collapse: collapse; font-size: 0.8em; }
table.matrix td, table.matrix th { border: 1px solid #ccc; padding: 2px 5px; text-align: right; }
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
        probs = prediction.get("tag_probs") or [None] * len(prediction["tags"])
        return "tags " + " ".join(
            f"{html.escape(t)}" + (f"<sub>{p:.2f}</sub>" if p is not None else "")
            for t, p in zip(prediction["tags"], probs)
        )
    return ""


def render_report(
    predictions: Sequence[Dict[str, Any]],
    output_dir: str,
    *,
    title: str = "graph-mtl report",
    source: str = "",
    max_figures: int = 50,
    task_order: Optional[Sequence[str]] = None,
    figures_per_task: Optional[int] = None,
) -> Dict[str, Any]:
    """
    Write `report.html` and the PNG figures into `output_dir` and return a summary
    (`{"html": path, "pngs": [paths], "sentences": n, ...}`). Every input sentence appears in
    the HTML; per-sentence PNGs are drawn for the first `max_figures` sentences, or, with
    `figures_per_task`, for the first that many sentences of every task (then `max_figures`
    still caps the total).
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
    parts.append(
        f'<p class="meta">{len(predictions)} input lines, '
        + ", ".join(f"{html.escape(t)}: {c}" for t, c in tasks.items())
        + "</p>"
    )

    summary: Dict[str, Any] = {"sentences": len(predictions), "tasks": tasks}
    has_alpha = any(p.get("alpha") for p in good)
    has_beta = any(p.get("beta") for p in good)
    summary["kinds"] = [k for k, present in (("alpha", has_alpha), ("beta", has_beta)) if present]

    if has_alpha:
        targets, sources, matrix, counts = relation_matrix(good, task_order=task_order)
        entropies = alpha_entropy(good)
        png = draw_relation_matrix(targets, sources, matrix)
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
        parts.append("<h2>Learned task-to-task relations</h2>")
        parts.append(
            '<p class="meta">Mean alpha over all words of the file: row = the task that reads, '
            "column = the task it reads from (grey: not a source of that task). Colour: the cell "
            "against its row's uniform level 1/(number of sources): white = uniform, red = more, "
            "blue = less. Last column: the mean per-word entropy of the row's alpha against "
            "uniform attention (1.00 = uniform).</p>"
        )
        parts.append(f'<img alt="relation matrix" src="{_data_uri(png)}">')
        parts.append('<table class="matrix"><tr><th>target \\ source</th>'
                     + "".join(f"<th>{html.escape(s)}</th>" for s in sources) + "<th>entropy / uniform</th></tr>")
        for i, target in enumerate(targets):
            entropy = f"{entropies[target]:.2f}" if target in entropies else ""
            parts.append(f"<tr><th>{html.escape(target)}</th>" + "".join(
                f"<td>{'' if not numpy.isfinite(v) else f'{v:.3f}'}</td>" for v in matrix[i])
                + f"<td>{entropy}</td></tr>")
        parts.append("</table>")
    if has_beta:
        profiles = beta_profiles(good)
        png = draw_beta_profiles(profiles)
        save("beta_profile.png", png)
        summary["beta_profile"] = profiles
        parts.append("<h2>Where words read the shared layer</h2>")
        parts.append(
            '<p class="meta">IC-MTL: tasks communicate only through the shared layer. Mean beta '
            "over all words of the file, by the offset of the shared position read from the "
            "word (left) and by absolute position (right).</p>"
        )
        parts.append(f'<img alt="beta profile" src="{_data_uri(png)}">')

    parts.append("<h2>Sentences</h2>")
    if has_alpha:
        parts.append(f'<p class="meta">Shade of a word: {html.escape(share_measure(good))}; '
                     f"under it, its top-{TOP_SOURCES} source tasks with their alpha.</p>")
    if has_beta:
        parts.append(f'<p class="meta">Under each word (numbered), the {TOP_SOURCES} shared '
                     "positions it reads most, with their beta.</p>")
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
        parts.append(
            f'<p class="meta">line {number} &middot; task <b>{html.escape(prediction["task"])}</b>'
            f" &middot; {_prediction_text(prediction)}</p>"
        )
        tokens = prediction["tokens"]
        # The sentence itself, as plain text, so it is always on the page.
        parts.append(f'<p class="text">{html.escape(" ".join(tokens))}</p>')
        if prediction.get("alpha"):
            shares = word_shares(prediction)
            words = []
            for token, info in zip(tokens, shares):
                top = "".join(f"<small>{html.escape(n)} {w:.2f}</small>" for n, w in info["top"])
                tip = ", ".join(f"{n}: {w:.3f}" for n, w in info["top"])
                words.append(
                    f'<span class="word" style="background:{_shade(info["share"])}" '
                    f'title="{html.escape(tip)}">{html.escape(token)}{top}</span>'
                )
            parts.append('<div class="words">' + "".join(words) + "</div>")
        if prediction.get("beta"):
            beta = numpy.asarray(prediction["beta"], dtype=float)
            words = []
            for i, token in enumerate(tokens):
                order = numpy.argsort(-beta[i], kind="stable")[:TOP_SOURCES]
                top = "".join(
                    f"<small>&rarr; {html.escape(tokens[j])}<sub>{j + 1}</sub> {beta[i, j]:.2f}</small>"
                    for j in order
                )
                tip = ", ".join(f"{tokens[j]} ({j + 1}): {beta[i, j]:.3f}" for j in order)
                words.append(f'<span class="word" title="{html.escape(tip)}">{html.escape(token)}'
                             f"<sub>{i + 1}</sub>{top}</span>")
            parts.append('<div class="words">' + "".join(words) + "</div>")
        want_figure = figures_drawn < max_figures and (
            figures_per_task is None or drawn_per_task.get(prediction["task"], 0) < figures_per_task)
        for key in ("alpha", "beta"):
            if not prediction.get(key) or not want_figure:
                continue
            png = draw_dc_sentence(prediction) if key == "alpha" else draw_ic_sentence(prediction)
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
