"""The motion prior drawn: each expression's field as a length map with arrows, two fits side by side.

Issue 28 item 2: the plain mean over all items (every item taught at intensity 1) shrinks where mild
items dominate; the least-squares field (each item at its measured intensity) keeps the motion of a
full apex. `prior_comparison` draws one row per fit and one column per expression, the length of the
displacement in crop pixels as a map (one colour scale per column, so the two fits compare) and
arrows every few pixels, with the mean length over the crop in each panel's title.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from affinekit.expressions import EXPRESSIONS
from affinekit.show.plots import new_figure

ARROW_STEP = 6     # crop pixels between arrows


def field_pixels(field: torch.Tensor | np.ndarray) -> np.ndarray:
    """(2, S, S) field in normalised units -> (2, S, S) float64 in crop pixels."""
    f = np.asarray(torch.as_tensor(field).double())
    return f * f.shape[-1] / 2.0


def prior_comparison(fits: Mapping[str, torch.Tensor], expressions: Sequence[str],
                     title: str = "") -> Figure:
    """One row per fit ({name: fields (L, 2, S, S), normalised units}), one column per expression."""
    names = list(fits)
    fig = new_figure(2.0 * len(expressions) + 0.8, 2.1 * len(names) + 0.4)
    axes = fig.subplots(len(names), len(expressions), squeeze=False)
    for c, expression in enumerate(expressions):
        label = EXPRESSIONS.index(expression)
        fields = [field_pixels(fits[n][label]) for n in names]
        lengths = [np.hypot(f[0], f[1]) for f in fields]
        top = max(float(max(l.max() for l in lengths)), 1e-6)
        for r, (name, f, length) in enumerate(zip(names, fields, lengths)):
            ax = axes[r, c]
            image = ax.imshow(length, cmap="magma", vmin=0.0, vmax=top)
            size = length.shape[0]
            ys, xs = np.mgrid[ARROW_STEP // 2:size:ARROW_STEP, ARROW_STEP // 2:size:ARROW_STEP]
            # the field is backward (output pixel p takes the input at p + F(p)): the face moves by -F
            ax.quiver(xs, ys, -f[0][ys, xs], -f[1][ys, xs], color="cyan", angles="xy", scale_units="xy",
                      scale=max(top / ARROW_STEP, 1e-6), width=0.006)
            ax.set_title(f"{expression}, {name}\nmean {length.mean():.2f} px", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        fig.colorbar(image, ax=axes[:, c], shrink=0.7, label="px" if c == len(expressions) - 1 else None)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
