"""Notebook 06's pictures: one question of a small controlled experiment, its variants' scores as bars
beside the rows every model is measured against (copy-input, landmark-warp, prior only)."""
from __future__ import annotations

from typing import Mapping

import numpy as np
from matplotlib.figure import Figure

from affinekit.evaluation.metrics import wilson_interval
from affinekit.show.plots import new_figure


REFERENCE_STYLES = {"copy-input": "--", "landmark-warp": ":", "prior only": "-."}


def experiment_bars(question: str, variants: Mapping[str, Mapping[str, Mapping[str, float]]],
                    metrics: Mapping[str, str],
                    reference: Mapping[str, Mapping[str, float]] | None = None) -> Figure:
    """One question, one figure: each metric of `metrics` ({key: axis title}) as bars per variant
    (`variants[name]["model"][key]`) with its value written on it, and the rows every model is measured
    against as lines: `reference` ({row: metrics}; copy-input dashed, landmark-warp dotted, prior only
    dash-dotted), else the first variant's copy-input and landmark-warp rows. Expression accuracy has
    95% Wilson intervals over its clips, drawn beside the value. PSNR and SSIM axes start near the
    lowest value, not at 0."""
    fig = new_figure(3.0 * len(metrics), 3.2)      # made without pyplot, like every kit figure: shown once
    axes = fig.subplots(1, len(metrics))
    names = list(variants)
    first = variants[names[0]]
    lines = {row: (reference or first)[row] for row in REFERENCE_STYLES if row in (reference or first)}
    for ax, (metric, title) in zip(axes, metrics.items()):
        values = [variants[n]["model"][metric] for n in names]
        bars = ax.bar(names, values, color=["tab:blue", "tab:orange"][:len(names)])
        if metric == "expr_acc" and "clips" in first["model"]:
            low_high = [wilson_interval(variants[n]["model"]["correct"], variants[n]["model"]["clips"]) for n in names]
            ax.errorbar(np.arange(len(names)) + 0.25, values, yerr=np.abs(np.array(low_high).T - values), fmt="none",
                        color="k", capsize=3, lw=1)
            labels = [f"{variants[n]['model']['correct']}/{variants[n]['model']['clips']}" for n in names]
        else:
            labels = [f"{v:.2f}" if metric == "psnr" else f"{v:.3f}" for v in values]
        ax.bar_label(bars, labels, fontsize=7, label_type="center", color="white")
        for row, scores in lines.items():
            ax.axhline(scores[metric], color="0.3", ls=REFERENCE_STYLES[row], lw=1.2, label=row)
        if metric in ("psnr", "ssim"):
            shown = values + [scores[metric] for scores in lines.values()]
            span = max(shown) - min(shown) or abs(max(shown)) * 0.05 or 1.0
            ax.set_ylim(min(shown) - 0.6 * span, max(shown) + 0.4 * span)
        ax.set_title(title, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    # one legend for every panel, under them, where it hides no bar
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=len(lines), fontsize=7)
    fig.suptitle(question, fontsize=10)
    return fig
