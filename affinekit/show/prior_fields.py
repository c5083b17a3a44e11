"""The motion prior drawn: each expression's field as a length map with arrows; fits side by side,
and the prior against what training learned on top of it.

Issue 28 item 2: the plain mean over all items (every item taught at intensity 1) shrinks where mild
items dominate; the least-squares field (each item at its measured intensity) keeps the motion of a
full apex. `prior_comparison` draws one row per fit and one column per expression, the length of the
displacement in crop pixels as a map (one colour scale per column, so the two fits compare) and
arrows every few pixels, with the mean length over the crop in each panel's title.

Issue 29 item 5: the motion head's field is `F = l * F_y + (learned correction)`. `prior_and_learned`
splits a trained model's field into those two parts for some faces and labels, with the frame the
prior alone makes (the face warped by `l * F_y`: the correction, mask and residual switched off, what
an untrained generator with the same prior gives) beside the model's own frame;
`plot_prior_and_learned` draws them, the two parts on one colour scale.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from affinekit.expressions import EXPRESSIONS
from affinekit.generate.aligned import AlignedFace
from affinekit.generate.inference import device_of, render_crops
from affinekit.generate.render import CLOSEUP_SIZE, closeup_input
from affinekit.io.images import tensor_channels, to_uint8
from affinekit.models.generator import Generator
from affinekit.models.motion import warp
from affinekit.show.plots import LANDMARK_GROUPS, new_figure

ARROW_STEP = 6     # crop pixels between arrows
ARROW_LEAST = 0.5  # px: `plot_prior_and_learned` draws the direction where a field moves at least this far


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
            _arrows(ax, f, top)
            ax.set_title(f"{expression}, {name}\nmean {length.mean():.2f} px", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        fig.colorbar(image, ax=axes[:, c], shrink=0.7, label="px" if c == len(expressions) - 1 else None)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _arrows(ax: Any, field: np.ndarray, top: float, step: int = ARROW_STEP, least: float | None = None) -> None:
    """Arrows every `step` pixels over a (2, S, S) field in pixels, scaled so `top` px spans `step` px;
    with `least`, arrows of one length (0.8 step) wherever the field moves at least `least` px, which
    show the direction where the colour under them shows the length.
    The field is backward (output pixel p takes the input at p + F(p)): the face moves by -F."""
    size = field.shape[-1]
    ys, xs = np.mgrid[step // 2:size:step, step // 2:size:step]
    u, v = -field[0][ys, xs], -field[1][ys, xs]
    scale = max(top / step, 1e-6)
    if least is not None:
        length = np.hypot(u, v)
        keep = length >= least
        xs, ys, u, v = xs[keep], ys[keep], u[keep] / length[keep], v[keep] / length[keep]
        scale = 1.0 / (0.8 * step)
    ax.quiver(xs, ys, u, v, color="cyan", angles="xy", scale_units="xy", scale=scale, width=0.007)


@torch.no_grad()
def split_motion(generator: Generator, x0: torch.Tensor, labels: Sequence[int], intensity: float = 1.0,
                 landmarks: torch.Tensor | None = None, mouth: bool = True) -> dict[str, np.ndarray]:
    """A motion model's field at `intensity` split into the prior's part and the learned correction,
    with the frame each makes, for aligned crops x0 (B, C, H, W) in [-1, 1] at any size, one label each.

    Returns "input", "prior", "model": (B, H, W, C) uint8, the crop, the crop warped by the prior's part
    alone (no correction, no mask, no residual) and the model's frame (`render_crops`, the kit's one
    inference path: with `landmarks` (B, 68, 2) in pixels of x0, the mouth refiner too); "prior_field",
    "correction": (B, 2, S, S) in pixels of the model's S px crop, `window * l * F_y` and the learned part;
    with landmarks, "landmarks" (B, 68, 2) in pixels of that crop.
    """
    if not generator.moves:
        raise ValueError("this generator draws pixels (model.output='pixels'); it has no motion field to split")
    x = torch.as_tensor(x0).float()
    y = torch.as_tensor(list(labels), dtype=torch.long)
    lam = torch.tensor([float(intensity)])
    device = device_of(generator)
    motion = generator.motion(tensor_channels(x, generator.cfg.channels).to(device), y.to(device), lam.to(device))
    correction = motion.correction[:, 0].cpu()
    prior = motion.flow[:, 0].cpu() - correction                  # window * l * F_y, as the model adds it
    px = generator.cfg.image_size / 2.0                           # normalised units -> pixels of the crop
    model = render_crops(generator, x, y, lam, landmarks, mouth=mouth)[:, 0]
    out = {"input": to_uint8(x), "prior": to_uint8(warp(x, prior).clamp(-1, 1)), "model": to_uint8(model),
           "prior_field": (prior * px).double().numpy(), "correction": (correction * px).double().numpy()}
    if landmarks is not None:       # to pixels of the model's crop, to outline the face over the fields
        scale = generator.cfg.image_size / x.shape[-1]              # pixel centres: i -> (i + 0.5) * scale - 0.5
        out["landmarks"] = ((torch.as_tensor(landmarks).double() + 0.5) * scale - 0.5).numpy()
    return out


def prior_and_learned(generator: Generator, faces: Sequence[AlignedFace], labels: Sequence[int],
                      intensity: float = 1.0, size: int = CLOSEUP_SIZE) -> dict[str, np.ndarray]:
    """`split_motion` for one label per face (`faces[i]` making `labels[i]`), on the faces' aligned
    close-ups of `size` px (`render.closeup_input`, the close-up view's input), mouth refiner included."""
    crops = [closeup_input(face, size) for face in faces]
    return split_motion(generator, torch.stack([c for c, _ in crops]), labels, intensity,
                        torch.stack([p for _, p in crops]))


def field_summary(parts: Mapping[str, np.ndarray], groups: Sequence[str]) -> dict[str, dict[str, float]]:
    """`split_motion`'s two fields in numbers, averaged over the rows of each group (`groups[i]` names
    row i's, e.g. its expression), in pixels of the model's crop: the mean length over the crop of the
    prior's part ("prior_mean_px") and of the learned correction ("correction_mean_px"), the largest of
    each ("*_max_px"), and how much of the prior the correction takes back ("against_prior": its
    component along the prior field as a share of the prior, -<C, P> / <P, P> over the crop; 1 undoes
    the prior, 0 leaves it as it is, a negative share adds to it)."""
    prior, correction = parts["prior_field"], parts["correction"]
    lengths = {"prior": np.hypot(prior[:, 0], prior[:, 1]), "correction": np.hypot(correction[:, 0], correction[:, 1])}
    rows = {f"{n}_mean_px": v.mean(axis=(1, 2)) for n, v in lengths.items()}
    rows.update({f"{n}_max_px": v.max(axis=(1, 2)) for n, v in lengths.items()})
    squared = np.maximum((prior * prior).sum(axis=(1, 2, 3)), 1e-12)
    rows["against_prior"] = -(prior * correction).sum(axis=(1, 2, 3)) / squared
    names = np.asarray(list(groups))
    return {g: {k: round(float(v[names == g].mean()), 4) for k, v in rows.items()} for g in dict.fromkeys(groups)}


def _outline(ax: Any, points: np.ndarray) -> None:
    """The face's brows, eyes, nose and lips (68 landmarks, pixels of the panel) as thin white lines."""
    for name, idx in LANDMARK_GROUPS.items():
        if name == "jaw":
            continue
        line = points[list(idx)]
        if name in ("right eye", "left eye", "outer lip", "inner lip"):
            line = np.vstack([line, line[:1]])
        ax.plot(line[:, 0], line[:, 1], "-", color="white", lw=0.6, alpha=0.55)


def plot_prior_and_learned(parts: Mapping[str, np.ndarray], row_labels: Sequence[str], intensity: float = 1.0,
                           title: str = "") -> Figure:
    """One row per face and label of `split_motion`'s output: the input, the prior alone, the model's
    frame, then |l F_y| and |learned correction| as length maps (pixels of the model's crop) with arrows
    (the way the face moves, where it moves at least ARROW_LEAST px) over the face's outline, every length map on one colour scale (square
    root, so that motions of a pixel show beside those of ten) with one colourbar; each map's mean and
    largest length in its title."""
    rows = len(row_labels)
    frames = [("input", "input"), ("prior", f"prior alone, l={intensity:g}"),
              ("model", f"the model, l={intensity:g}")]
    fields = [("prior_field", "|l F_y|, the prior"), ("correction", "|learned correction|")]
    top = max(max(float(np.hypot(parts[k][:, 0], parts[k][:, 1]).max()) for k, _ in fields), 1e-6)
    fig = new_figure(9.4, 1.8 * rows + 0.7)
    axes = fig.subplots(rows, 5, squeeze=False)
    image = None
    for r in range(rows):
        for c, (key, name) in enumerate(frames):
            im = parts[key][r]
            axes[r, c].imshow(im[..., 0] if im.shape[-1] == 1 else im, cmap="gray", vmin=0, vmax=255)
            if r == 0:
                axes[r, c].set_title(name, fontsize=9)
        for c, (key, name) in enumerate(fields, start=3):
            field = parts[key][r]
            length = np.hypot(field[0], field[1])
            image = axes[r, c].imshow(length, cmap="magma", norm=PowerNorm(0.5, vmin=0.0, vmax=top))
            if "landmarks" in parts:
                _outline(axes[r, c], parts["landmarks"][r])
            _arrows(axes[r, c], field, top, least=ARROW_LEAST)
            axes[r, c].set_title((name + "\n" if r == 0 else "") + f"mean {length.mean():.2f} px, max {length.max():.1f}",
                                 fontsize=8)
        axes[r, 0].set_ylabel(row_labels[r], fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(image, ax=axes[:, 3:], shrink=0.5, label="length, pixels of the model's crop")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
