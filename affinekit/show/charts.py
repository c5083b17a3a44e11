"""Charts of numbers for the notebooks and figures: counts, per-expression scores with confidence
intervals, loss curves. Figures come from `plots.new_figure` (shown in notebooks without pyplot)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from affinekit.io.runlog import read_log
from affinekit.show.plots import new_figure

LOSS_COLOURS = {"G_L1": "tab:blue", "D_frame_real": "tab:green", "D_frame_fake": "tab:red",
                "G_frame": "tab:purple", "G_rec": "tab:orange", "D_lip": "tab:brown",
                "D_lambda": "tab:gray"}


def bar_counts(counts: Mapping[str, int], title: str = "", xlabel: str = "", ylabel: str = "count",
               ax: Any = None, colour: str = "tab:blue") -> Figure | None:
    """A bar chart of counts (e.g. sequences per expression)."""
    fig = None
    if ax is None:
        fig = new_figure(max(4.0, 0.55 * len(counts) + 1.5), 3.0)
        ax = fig.subplots()
    names = list(counts)
    values = [counts[k] for k in names]
    bars = ax.bar(range(len(names)), values, color=colour)
    tilt = len(names) > 4 or max((len(n) for n in names), default=0) > 8
    ax.set_xticks(range(len(names)), names, rotation=40 if tilt else 0, ha="right" if tilt else "center")
    for b, v in zip(bars, values):
        ax.annotate(str(v), (b.get_x() + b.get_width() / 2, b.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.margins(y=0.15)
    return fig


def dataset_overview(by_expression: Mapping[str, int], by_subject: Mapping[str, int],
                     lengths: Sequence[int], title: str = "") -> Figure:
    """Three panels: sequences per expression, per subject, and sequence lengths."""
    fig = new_figure(13.0, 3.3)
    axes = fig.subplots(1, 3, width_ratios=[1.0, 1.4, 1.0])
    bar_counts(by_expression, "sequences per expression", ax=axes[0])
    bar_counts(by_subject, "sequences per subject", ax=axes[1], colour="tab:orange")
    lengths = list(lengths)
    if lengths:
        bins = np.arange(min(lengths), max(lengths) + 2) - 0.5 if max(lengths) - min(lengths) < 40 else 20
        axes[2].hist(lengths, bins=bins, color="tab:green")
    axes[2].set_title("frames per sequence")
    axes[2].set_xlabel("frames")
    axes[2].set_ylabel("sequences")
    if title:
        fig.suptitle(title)
    return fig


def grouped_bars(values: Mapping[str, Mapping[str, float]], title: str = "", ylabel: str = "",
                 ax: Any = None, legend: bool = True,
                 errors: Mapping[str, Mapping[str, float]] | None = None) -> Figure | None:
    """Bars per group and series: `values[series][group]` (e.g. [row][expression] -> PSNR), with
    error bars `errors[series][group]` (half-widths; NaN draws none) when given."""
    fig = None
    series = list(values)
    groups = sorted({g for v in values.values() for g in v})
    if ax is None:
        fig = new_figure(max(5.0, 0.5 * len(groups) * max(1, len(series)) * 0.6 + 2.5), 3.3)
        ax = fig.subplots()
    width = 0.8 / max(1, len(series))
    for i, name in enumerate(series):
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(groups))]
        ys = [values[name].get(g, np.nan) for g in groups]
        yerr = [(errors or {}).get(name, {}).get(g, np.nan) for g in groups] if errors else None
        ax.bar(xs, ys, width=width, label=name, yerr=yerr, capsize=2 if errors else 0,
               error_kw={"elinewidth": 0.8, "ecolor": "0.25"})
    ax.set_xticks(range(len(groups)), groups)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="best")
    return fig


def balance_bars(counts: Mapping[str, Mapping[str, float]], shares: Mapping[str, Mapping[str, float]]) -> Figure:
    """Two panels of `counts[source][expression]` items (left) and `shares[source][expression]`, the
    fraction of a balanced training batch each gets (right, in %): notebook 01's balance figure."""
    fig = new_figure(13.0, 3.6)
    left, right = fig.subplots(1, 2)
    grouped_bars(counts, title="items per expression and source", ylabel="items", ax=left)
    grouped_bars({s: {e: 100 * v for e, v in d.items()} for s, d in shares.items()}, ax=right, legend=False,
                 title="share of a training batch (balanced)", ylabel="% of a batch")
    return fig


METRIC_TITLES = {"psnr": "PSNR (dB), higher is closer", "ssim": "SSIM, higher is closer",
                 "acd_m": "ACD-M, lower is closer", "acd_i": "ACD-I", "acd_c": "ACD-C",
                 "correct": "expression accuracy"}


def per_expression_bars(means: Mapping[str, Mapping[str, Mapping[str, float]]], title: str = "",
                   errors: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None) -> Figure:
    """One panel per metric of `means[metric][row][expression]`, one legend for all panels;
    `errors` in the same layout draws error bars (e.g. `confidence_half_width`)."""
    fig = new_figure(3.8 * len(means), 3.6)
    axes = fig.subplots(1, len(means), squeeze=False)[0]
    for ax, (metric, values) in zip(axes, means.items()):
        grouped_bars(values, title=METRIC_TITLES.get(metric, metric), ax=ax, legend=False,
                     errors=(errors or {}).get(metric))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=max(1, len(labels)), fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


# ---------------------------------------------------------------------------
# training logs


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """A trailing moving average (the first points average what exists so far)."""
    v = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(v) == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


def _series(log: Sequence[Mapping[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    steps, values = [], []
    for i, row in enumerate(log):
        v = row.get(key)
        if isinstance(v, (int, float)) and math.isfinite(v):
            steps.append(row.get("step", i))
            values.append(float(v))
    return np.asarray(steps), np.asarray(values)


def plot_losses(ax: Any, log: Sequence[Mapping[str, Any]], keys: Sequence[str], window: int = 1,
                title: str | None = None, ylabel: str = "loss", labels: Mapping[str, str] | None = None) -> None:
    """Draw loss curves of `keys` from log rows on one axis (raw faint, smoothed solid); `labels`
    renames keys in the legend."""
    for i, key in enumerate(keys):
        steps, values = _series(log, key)
        if len(values) == 0:
            continue
        # one colour per key for its faint and its smoothed line (the axis' own cycle would
        # advance twice per key and repeat after five keys)
        colour = LOSS_COLOURS.get(key, f"C{i % 10}")
        if window > 1 and len(values) > window:
            ax.plot(steps, values, color=colour, alpha=0.25, lw=0.8)
            ax.plot(steps, smooth(values, window), color=colour, lw=1.6, label=(labels or {}).get(key, key))
        else:
            ax.plot(steps, values, color=colour, lw=1.4, label=(labels or {}).get(key, key))
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title or ", ".join(keys))
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(loc="upper right", fontsize=8)


def loss_curves(log: Sequence[Mapping[str, Any]] | str | Path,
                panels: Sequence[Sequence[str]] = (("G_L1",), ("D_frame_real", "D_frame_fake")),
                titles: Sequence[str] | None = None, window: int = 0,
                lines: Sequence[tuple[float, str]] = (), ylabels: Sequence[str] | None = None,
                labels: Mapping[str, str] | None = None) -> Figure:
    """Loss curves, one panel per group of keys (default: G_L1 | D_frame_real and D_frame_fake,
    the paper's Figs. 6 and 7). `window` 0 picks a smoothing window from the length;
    `ylabels` name each panel's axis when it is not a loss; `labels` the legend's entries.
    `lines` draws dashed reference levels, e.g. a discriminator's loss at chance
    (`GAN_CHANCE`)."""
    if isinstance(log, (str, Path)):
        log = read_log(log)
    if window == 0:
        window = max(1, len(log) // 50)
    fig = new_figure(5.0 * len(panels), 3.3)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for i, (ax, keys) in enumerate(zip(axes, panels)):
        plot_losses(ax, log, keys, window=window, title=titles[i] if titles else None,
                    ylabel=ylabels[i] if ylabels else "loss", labels=labels)
        for value, label in lines:
            ax.axhline(value, color="0.3", ls="--", lw=1.0, label=label)
        if lines:
            ax.legend(loc="upper right", fontsize=8)
    return fig


def intensity_against_position(curves: Mapping[str, Sequence[float]], title: str = "",
                               styles: Mapping[str, str] | None = None) -> Figure:
    """Inferred intensities l against frame position (0 neutral, 1 apex), one line per curve,
    beside the line l = position that the intensity anchor pulls towards."""
    fig = new_figure(4.5, 3)
    ax = fig.add_subplot(1, 1, 1)
    for name, values in curves.items():
        ax.plot(np.linspace(0, 1, len(values)), values, (styles or {}).get(name, "o-"), label=name)
    ax.plot([0, 1], [0, 1], "--", color="0.5", label="l = position")
    ax.set_xlabel("frame position (0 neutral, 1 apex)")
    ax.set_ylabel("inferred intensity l")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6 if len(curves) > 1 else 8)
    return fig


def intensity_histograms(values: Mapping[str, Sequence[float]], threshold: float, title: str = "") -> Figure:
    """One histogram per source of its items' measured apex intensities (1 = a CK+ apex), with the line
    below which an item teaches no geometry (`threshold`) and the CK+ apex at 1."""
    names = [n for n in values if len(values[n])]
    fig = new_figure(3.0 * max(1, len(names)) + 0.5, 2.8)
    axes = np.atleast_1d(fig.subplots(1, max(1, len(names)), sharex=True))
    bins = np.linspace(-0.6, 2.0, 27)
    for ax, name in zip(axes, names):
        data = np.clip(np.asarray(values[name], float), bins[0], bins[-1])
        ax.hist(data, bins=bins, color="C0", alpha=0.8)
        ax.axvspan(bins[0], threshold, color="0.85", zorder=0)
        ax.axvline(1.0, color="C3", lw=1, ls="--")
        ax.set_title(f"{name} ({len(data)}, median {np.median(data):.2f})", fontsize=9)
        ax.set_xlabel("apex intensity (1 = a CK+ apex)")
    axes[0].set_ylabel("items")
    fig.suptitle(title or f"measured intensity per item; grey: at or below {threshold}, left out of training",
                 fontsize=10)
    return fig


def line_chart(lines: Mapping[str, Sequence[float]], xlabel: str = "", ylabel: str = "", title: str = "",
               size: tuple[float, float] = (6.0, 2.8)) -> Figure:
    """One line with dots per named series (x: the index), a legend: e.g. notebook 05's timing curves."""
    fig = new_figure(*size)
    ax = fig.add_subplot(1, 1, 1)
    for name, values in lines.items():
        ax.plot(np.asarray(values, np.float64), "-o", ms=3, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


def lambda_and_lips(scores: Mapping[str, Mapping[str, Any]], columns: int = 4) -> Figure:
    """One panel per sequence of `scores` (`notebook.lip_intensity.lambda_against_lips`): inferred l
    (left axis) and lip displacement (right axis) along the clip, their correlation in the title."""
    keys = list(scores)
    rows = max(1, -(-len(keys) // columns))
    fig = new_figure(3.0 * min(columns, len(keys)), 2.4 * rows)
    for i, key in enumerate(keys):
        s = scores[key]
        ax = fig.add_subplot(rows, min(columns, len(keys)), i + 1)
        t = np.arange(len(s["lambda"]))
        ax.plot(t, s["lambda"], "o-", ms=3, color="tab:blue", label="inferred l")
        ax.set_ylabel("inferred l", color="tab:blue", fontsize=8)
        twin = ax.twinx()
        twin.plot(t, s["lips"], "s--", ms=3, color="tab:red", label="lip displacement")
        twin.set_ylabel("lips / IOD", color="tab:red", fontsize=8)
        ax.set_title(f"{key} ({s['label']}): r = {s['corr_lips']:.2f}", fontsize=8)
        ax.set_xlabel("frame", fontsize=8)
        ax.tick_params(labelsize=7)
        twin.tick_params(labelsize=7)
    return fig
