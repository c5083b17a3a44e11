"""Pictures of faces for the notebooks and figures: frame grids, landmarks, lip steps; PNG output.

Charts of numbers (bars, loss curves) are in `affinekit.show.charts`.

Every function returns a matplotlib `Figure` made without pyplot (so nothing is
shown twice in a notebook and nothing needs a display); show it with
`IPython.display.display(fig)` or save it with `save(fig, path)`.

Images may be numpy arrays or torch tensors, shaped (H, W), (H, W, C) or
(C, H, W): uint8 as they are, floats read in the `value_range` each function
takes, the models' [-1, 1] (`MODEL_RANGE`) unless the caller says otherwise
(`UNIT_RANGE` for [0, 1]).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from matplotlib.figure import Figure

from affinekit.io.atomic import atomic_write
from affinekit.io.images import MODEL_RANGE, picture, picture_rgb

# The 68-point scheme (iBUG 300-W) that dlib's predictor follows.
LANDMARK_GROUPS: dict[str, range] = {
    "jaw": range(0, 17), "right brow": range(17, 22), "left brow": range(22, 27),
    "nose bridge": range(27, 31), "lower nose": range(31, 36), "right eye": range(36, 42), "left eye": range(42, 48),
    "outer lip": range(48, 60), "inner lip": range(60, 68),
}
_CLOSED = {"right eye", "left eye", "outer lip", "inner lip"}


# ---------------------------------------------------------------------------
# images


def _is_channels(n: int) -> bool:
    return n in (1, 3)


def _as_rows(x: Any) -> list[list[Any]]:
    """Nested rows of images from a nested list or an array.

    Arrays: 2-d is one image; 3-d is one image if the last (or first) axis holds
    1 or 3 channels, else a row of gray frames (T, H, W); 4-d is a row of frames
    (T, C, H, W) / (T, H, W, C) if an axis holds channels, else rows of gray
    frames (R, T, H, W); 5-d is rows of frames (R, T, ...).
    """
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    if not isinstance(x, np.ndarray):
        return [list(r) for r in x]
    if x.ndim == 2:
        return [[x]]
    if x.ndim == 3:
        return [[x]] if _is_channels(x.shape[-1]) or _is_channels(x.shape[0]) else [list(x)]
    if x.ndim == 4:
        return [list(x)] if _is_channels(x.shape[-1]) or _is_channels(x.shape[1]) else [list(r) for r in x]
    if x.ndim == 5:
        return [list(r) for r in x]
    raise ValueError(f"cannot tile an array of shape {x.shape}")


def montage(rows: Sequence[Sequence[Any]] | Any, pad: int = 2, fill: int = 255,
            value_range: tuple[float, float] = MODEL_RANGE) -> np.ndarray:
    """Tile images into one (H, W, 3) uint8 array: `rows[i][j]` lands at row i, column j.

    Accepts a nested list, or an array shaped (R, T, ...) (e.g. a batch of clips
    (B, T, C, H, W)) or (T, ...) for a single row. Images of a row may differ in
    size from other rows'; each cell is padded to the largest cell.
    """
    rows = _as_rows(rows)
    cells = [[picture_rgb(im, value_range) for im in row] for row in rows]
    cells = [row for row in cells if row]
    if not cells:
        raise ValueError("montage needs at least one image")
    ch = max(im.shape[0] for row in cells for im in row)
    cw = max(im.shape[1] for row in cells for im in row)
    ncol = max(len(row) for row in cells)
    out = np.full((len(cells) * (ch + pad) + pad, ncol * (cw + pad) + pad, 3), fill, np.uint8)
    for i, row in enumerate(cells):
        for j, im in enumerate(row):
            y = pad + i * (ch + pad) + (ch - im.shape[0]) // 2
            x = pad + j * (cw + pad) + (cw - im.shape[1]) // 2
            out[y:y + im.shape[0], x:x + im.shape[1]] = im
    return out


def pick_frames(frames: Sequence[Any], n: int) -> list[Any]:
    """`n` frames spread evenly from the first to the last (both kept)."""
    total = len(frames)
    if total == 0:
        return []
    idx = np.unique(np.rint(np.linspace(0, total - 1, min(n, total))).astype(int))
    return [frames[i] for i in idx]


# ---------------------------------------------------------------------------
# figures


class KitFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in notebooks (no pyplot needed)."""

    def _repr_png_(self) -> bytes:
        return to_png(self)


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of `width` x `height` inches that shows itself in notebooks."""
    return KitFigure(figsize=(width, height), dpi=100, layout="constrained")


def frame_grid(rows: Sequence[Sequence[Any]] | Any, row_labels: Sequence[str] | None = None,
               col_labels: Sequence[str] | None = None, title: str | None = None,
               cell: float = 1.3, value_range: tuple[float, float] = MODEL_RANGE) -> Figure:
    """A grid of frames, one clip per row, with optional row and column labels.

    Used for the neutral-to-apex montage of each expression (the paper's Fig. 3)
    and for galleries of generated clips.
    """
    rows = _as_rows(rows)
    nrow = len(rows)
    ncol = max((len(r) for r in rows), default=1)
    # room for the longest line of the row labels (about 0.085 in per character at 10 pt)
    label_width = 0.4 + 0.09 * max((len(line) for lab in row_labels or [] for line in str(lab).splitlines()),
                                    default=0) if row_labels else 0.2
    fig = new_figure(cell * ncol + label_width, cell * nrow + (0.5 if title else 0.1) + (0.3 if col_labels else 0))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for i in range(nrow):
        for j in range(ncol):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
            if j < len(rows[i]) and rows[i][j] is not None:   # None leaves a cell empty
                im = picture(rows[i][j], value_range)
                ax.imshow(im, cmap="gray" if im.ndim == 2 else None, vmin=0, vmax=255)
            if j == 0 and row_labels is not None and i < len(row_labels):
                ax.set_ylabel(row_labels[i], rotation=0, ha="right", va="center", fontsize=10)
            if i == 0 and col_labels is not None and j < len(col_labels):
                ax.set_title(col_labels[j], fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def show_image(image: Any, title: str | None = None, size: float = 4.0,
               value_range: tuple[float, float] = MODEL_RANGE) -> Figure:
    """One image in a figure of its own."""
    im = picture(image, value_range)
    fig = new_figure(size, size * im.shape[0] / im.shape[1] + (0.3 if title else 0))
    ax = fig.subplots()
    ax.imshow(im, cmap="gray" if im.ndim == 2 else None, vmin=0, vmax=255)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def draw_landmarks(ax: Any, landmarks: Any, numbers: bool = False, lines: bool = True,
                   highlight: Iterable[int] = (), size: float = 8.0) -> None:
    """Draw 68 landmarks on an axis: the contours as lines, points as dots.

    `highlight` indices (e.g. `range(48, 68)`, the lips) are drawn larger in red.
    """
    pts = np.asarray(landmarks, dtype=np.float32)
    if lines and len(pts) == 68:
        for name, idx in LANDMARK_GROUPS.items():
            seg = pts[list(idx)]
            if name in _CLOSED:
                seg = np.vstack([seg, seg[:1]])
            ax.plot(seg[:, 0], seg[:, 1], "-", color="cyan", lw=0.8, alpha=0.8)
    hl = sorted(set(int(i) for i in highlight))
    rest = [i for i in range(len(pts)) if i not in set(hl)]
    ax.scatter(pts[rest, 0], pts[rest, 1], s=size, c="yellow", edgecolors="black", linewidths=0.3, zorder=3)
    if hl:
        ax.scatter(pts[hl, 0], pts[hl, 1], s=size * 1.6, c="red", edgecolors="white", linewidths=0.3, zorder=4)
    if numbers:
        from matplotlib import patheffects
        outline = [patheffects.withStroke(linewidth=1.5, foreground="black")]
        for i, (x, y) in enumerate(pts):
            ax.annotate(str(i), (x, y), xytext=(2, 2), textcoords="offset points", fontsize=5.5,
                        color="white", path_effects=outline)


def landmark_overlay(image: Any, landmarks: Any, title: str | None = None, numbers: bool = False,
                     highlight: Iterable[int] = (), size: float = 4.5,
                     value_range: tuple[float, float] = MODEL_RANGE) -> Figure:
    """An image with its 68 landmarks drawn on it."""
    im = picture(image, value_range)
    fig = new_figure(size, size * im.shape[0] / im.shape[1] + (0.3 if title else 0))
    ax = fig.subplots()
    ax.imshow(im, cmap="gray" if im.ndim == 2 else None, vmin=0, vmax=255)
    draw_landmarks(ax, landmarks, numbers=numbers, highlight=highlight, size=8 if numbers else 6)
    ax.set_xlim(0, im.shape[1])
    ax.set_ylim(im.shape[0], 0)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def lip_steps(image: Any, landmarks: Any, crop: Any, crop_landmarks: Any, mask: Any, patch: Any,
              box: Sequence[float] | None = None, title: str | None = None,
              value_range: tuple[float, float] = MODEL_RANGE) -> Figure:
    """The lip-patch pipeline in five panels (the paper's Fig. 4).

    1 the photo and the detected face box, 2 the aligned crop with the 68
    landmarks, 3 the lip polygon (points 48-67), 4 the binary mask, 5 the patch
    the local discriminator sees.
    """
    fig = new_figure(14.0, 3.4 if title else 3.1)
    axes = fig.subplots(1, 5)
    img = picture(image, value_range)
    axes[0].imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255)
    lm = np.asarray(landmarks, np.float32)
    if box is None:
        x0, y0 = lm.min(axis=0)
        x1, y1 = lm.max(axis=0)
    else:
        x0, y0, x1, y1 = box
    axes[0].add_patch(_rect(x0, y0, x1 - x0, y1 - y0))
    axes[0].set_title("1. face detected")
    c = picture(crop, value_range)
    clm = np.asarray(crop_landmarks, np.float32)
    axes[1].imshow(c, cmap="gray" if c.ndim == 2 else None, vmin=0, vmax=255)
    draw_landmarks(axes[1], clm, size=5)
    axes[1].set_title("2. aligned, 68 landmarks")
    axes[2].imshow(c, cmap="gray" if c.ndim == 2 else None, vmin=0, vmax=255)
    for idx, colour in ((range(48, 60), "red"), (range(60, 68), "orange")):
        ring = clm[list(idx)]
        ring = np.vstack([ring, ring[:1]])
        axes[2].fill(ring[:, 0], ring[:, 1], facecolor=colour, alpha=0.25, edgecolor=colour, lw=1.2)
    axes[2].set_title("3. lips: outer 48-59, inner 60-67")
    m = np.asarray(mask)
    axes[3].imshow((m > 0).astype(np.uint8) * 255, cmap="gray", vmin=0, vmax=255)
    axes[3].set_title("4. binary mask")
    p = picture(patch, value_range)
    axes[4].imshow(p, cmap="gray" if p.ndim == 2 else None, vmin=0, vmax=255)
    axes[4].set_title("5. lip patch")
    for ax in axes:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig


def _rect(x: float, y: float, w: float, h: float) -> Any:
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), w, h, fill=False, edgecolor="lime", lw=2)


# ---------------------------------------------------------------------------
# output


def to_png(fig: Figure, dpi: int = 100) -> bytes:
    """A figure rendered to PNG bytes (Agg, no display needed)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def save(fig: Figure, path: str | Path | None, dpi: int = 120) -> Path | None:
    """Save a figure as PNG (parent folders made), atomically: a link at `path` is replaced, never
    written through (`io.atomic`); `path` None saves nothing."""
    if path is None:
        return None
    png = to_png(fig, dpi=dpi)
    return atomic_write(path, lambda f: f.write(png))


def show(fig: Figure) -> None:
    """Show a figure in the notebook as a PNG (works without an inline backend)."""
    from IPython.display import Image, display
    display(Image(data=to_png(fig)))
