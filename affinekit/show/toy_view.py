"""Notebook 07's pictures: a drawn toy sequence with its landmarks, and the inferred intensity
against the drawn truth on held-out toy people."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure

from affinekit.show.plots import new_figure


def toy_sequence(frames: np.ndarray, landmarks: np.ndarray, truth: Sequence[float], title: str = "") -> Figure:
    """Each frame (T, H, W, 3) uint8 with its 68 landmarks (T, 68, 2) as green dots, titled by its
    true intensity l*."""
    fig = new_figure(1.4 * len(frames), 1.7)
    for i, frame in enumerate(frames):
        ax = fig.add_subplot(1, len(frames), i + 1)
        ax.imshow(frame)
        ax.plot(*np.asarray(landmarks[i]).T, ".", ms=1.5, color="lime")
        ax.set_title(f"l* = {truth[i]:.2f}", fontsize=7)
        ax.axis("off")
    fig.suptitle(title, fontsize=8)
    return fig


def toy_scores(score: Any, labels: Sequence[str], keys: Sequence[str], steps: int, shown: int = 4) -> Figure:
    """Left: inferred l against the true intensity, every frame of `keys`, one colour per label.
    Right: the first `shown` clips frame by frame, inferred (solid) and true (dashed).
    `score` is `notebook.toy_training.score_toy`'s ToyScore."""
    fig = new_figure(9, 3.2)
    ax = fig.add_subplot(1, 2, 1)
    for label, colour in zip(labels, ("tab:orange", "tab:blue", "tab:green")):
        mine = [k for k in keys if k.endswith(label)]
        ax.plot(np.concatenate([score.truth[k] for k in mine]), np.concatenate([score.inferred[k] for k in mine]),
                "o", ms=3, color=colour, label=label)
    ax.plot([0, 1], [0, 1], "--", color="0.5", label="l = l*")
    ax.set_xlabel("true intensity l*")
    ax.set_ylabel("inferred l")
    ax.legend(fontsize=7)
    ax = fig.add_subplot(1, 2, 2)
    for key in list(keys)[:shown]:
        line, = ax.plot(score.inferred[key], "o-", ms=3, label=key)
        ax.plot(score.truth[key], "--", color=line.get_color())
    ax.set_xlabel("frame")
    ax.set_ylabel("intensity")
    ax.legend(fontsize=6)
    fig.suptitle(f"{steps} steps: r along each clip {score.per_sequence:.3f}, pooled {score.pooled:.3f}; "
                 f"frame position alone {score.position:.2f}", fontsize=9)
    return fig
