"""Look inside the generator: shapes per level, label planes, direction codes, raw outputs, linearity.

What notebook 05 shows so that a learner can see the mechanism, not only the
finished video:

- `level_table`: the U-Net's levels, with the shape of the base code, the
  direction code and what the decoder receives (`base + l * direction`);
  `shapes_markdown`: the same, measured by running the encoders, as a table;
- `planes_for_label`: the one-hot planes that tell the direction encoder the label;
- `direction_norms`, `direction_similarity`: how strongly, where, and how
  differently each expression's direction pushes the codes;
- `raw_output`: the head's own output at an intensity, before anything is
  composed: the motion head's field, mask and residual, or the pixel head's frame;
- `linearity`: codes are affine in l, but the decoder is not linear, so is
  G(0.5) the midpoint of G(0) and G(1)?
- `mixture_linearity`: the same question across expressions: is a blend's
  field (mask, frame) the blend of the two expressions' fields?
- `patch_verdicts`, `plot_patch_verdicts`: the frame PatchGAN's verdict per
  patch, drawn over the frames it judged.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import network_input, to_model
from affinekit.models.generator import Generator, label_planes, level_widths
from affinekit.show.plots import new_figure


def level_table(generator: Generator) -> list[dict[str, Any]]:
    """One row per U-Net level, full resolution first: its size and code shapes (C, H, W)."""
    cfg = generator.cfg
    rows = []
    for i, width in enumerate(level_widths(cfg)):
        side = cfg.image_size // 2 ** i
        rows.append({"level": i, "name": "bottleneck" if i == cfg.depth else f"skip {i}",
                     "base code": (width, side, side), "direction code": (width, side, side),
                     "decoder gets": f"base + l * direction, {(width, side, side)}"})
    out = 3 + cfg.channels if generator.moves else cfg.channels
    rows.append({"level": "out", "name": "head", "base code": "-", "direction code": "-",
                 "decoder gets": (f"field 2 + mask 1 + residual {cfg.channels} = {out} maps"
                                  if generator.moves else f"pixels, {out} channel(s)") + f" at {cfg.image_size} px"})
    return rows


@torch.no_grad()
def shapes_markdown(generator: Generator) -> str:
    """The generator as a markdown table, one row per level: the shapes (C, H, W) its two encoders
    give for one input, measured by running them, and what the decoder receives there."""
    cfg = generator.cfg
    x0 = torch.zeros(1, cfg.channels, cfg.image_size, cfg.image_size)
    base, direction = generator.encode(x0, torch.zeros(1, dtype=torch.long))
    shape = lambda t: "(" + ", ".join(str(n) for n in t.shape[1:]) + ")"
    head = (f"field 2 + mask 1 + residual {cfg.channels} maps, then "
            "(1 - A) warp(x0, F) + A R" if generator.moves else f"the frame's {cfg.channels} channel(s)")
    rows = [f"| input | x0 {shape(x0)} | x0 and {cfg.num_labels} label planes "
            f"({cfg.channels + cfg.num_labels}, {cfg.image_size}, {cfg.image_size}) | |"]
    for i, (b, d) in enumerate(zip(base, direction)):
        name = "bottleneck" if i == len(base) - 1 else f"skip {i}"
        mixed = i == len(base) - 1 or not generator.bottleneck_only
        rows.append(f"| {name} | {shape(b)} | {shape(d)} | "
                    + ("E_b + l * E_d" if mixed else "E_b alone (`model.mixing=bottleneck`)") + " |")
    rows.append(f"| output | | | {head}, at {cfg.image_size} px |")
    return ("| level | E_b(x0) | E_d(x0, y) | decoder receives |\n|---|---|---|---|\n"
            + "\n".join(rows) + "\n")


def planes_for_label(label: int, num_labels: int = len(EXPRESSIONS), size: int = 16) -> np.ndarray:
    """(num_labels, size, size) the one-hot planes the direction encoder reads beside the face."""
    return label_planes(torch.tensor([label]), num_labels, (size, size))[0].numpy()


def network_crop(crop: np.ndarray, generator: Generator) -> torch.Tensor:
    """A uint8 face crop as the generator reads it: (1, C, S, S) in [-1, 1]."""
    return network_input(to_model(np.atleast_3d(crop))[None], generator.cfg.channels, generator.cfg.image_size)


@torch.no_grad()
def direction_norms(generator: Generator, crop: np.ndarray) -> dict[str, list[np.ndarray]]:
    """{expression: [per level (H, W) channel norm of the direction code]} for one face crop (uint8)."""
    x = network_crop(crop, generator)
    out = {}
    for y, name in enumerate(EXPRESSIONS):
        _, direction = generator.encode(x, torch.tensor([y]))
        out[name] = [d[0].norm(dim=0).numpy() for d in direction]
    return out


@torch.no_grad()
def direction_similarity(generator: Generator, crop: np.ndarray) -> np.ndarray:
    """(7, 7) cosine similarity of the bottleneck direction codes of the expressions, for one face."""
    x = network_crop(crop, generator)
    codes = torch.stack([generator.encode(x, torch.tensor([y]))[1][-1].flatten() for y in range(len(EXPRESSIONS))])
    codes = F.normalize(codes, dim=1)
    return (codes @ codes.T).numpy()


def direction_record(norms: dict[str, list[np.ndarray]], similarity: np.ndarray, photo: str) -> dict[str, Any]:
    """What notebook 05's prose cites from `direction_norms` and `direction_similarity` (one photo), as
    plain values: each expression's largest norm per level, and the similarity matrix."""
    return {"photo": photo, "expressions": list(EXPRESSIONS),
            "similarity": [[round(float(v), 4) for v in row] for row in similarity],
            "norm_max_per_level": {name: [round(float(level.max()), 4) for level in levels]
                                   for name, levels in norms.items()}}


@torch.no_grad()
def raw_output(generator: Generator, crop: np.ndarray, label: int, intensity: float) -> dict[str, np.ndarray]:
    """The head's own output for one face at one intensity, at the network's size.

    Motion head: "field" (2, S, S) in crop pixels (x, y: where each pixel comes from,
    relative to itself), "mask" (S, S) in [0, 1], "residual" (S, S[, 3]) in [0, 1].
    Pixel head: "frame" (S, S[, 3]) in [0, 1].
    """
    x = network_crop(crop, generator)
    y, lam = torch.tensor([label]), torch.tensor([float(intensity)])
    if not generator.moves:
        frame = generator.generate(x, y, lam)[0, 0]
        return {"frame": ((frame + 1) / 2).clamp(0, 1).permute(1, 2, 0).squeeze(-1).numpy()}
    motion = generator.motion(x, y, lam)
    size = generator.cfg.image_size
    return {"field": (motion.flow[0, 0] * size / 2).numpy(), "mask": motion.mask[0, 0, 0].numpy(),
            "residual": ((motion.residual[0, 0] + 1) / 2).clamp(0, 1).permute(1, 2, 0).squeeze(-1).numpy()}


@torch.no_grad()
def linearity(generator: Generator, crop: np.ndarray, label: int) -> dict[str, float]:
    """How far G(0.5) is from the midpoint of G(0) and G(1), against how far G(1) is from G(0)
    (mean absolute difference on the [0, 1] scale). A small ratio: the clip moves evenly in l."""
    x = network_crop(crop, generator)
    frames = generator.generate(x, torch.tensor([label]), torch.tensor([0.0, 0.5, 1.0]))[0] / 2
    mid_gap = float((frames[1] - (frames[0] + frames[2]) / 2).abs().mean())
    change = float((frames[2] - frames[0]).abs().mean())
    return {"midpoint_gap": mid_gap, "change_0_to_1": change, "ratio": mid_gap / change if change > 0 else float("nan")}


@torch.no_grad()
def mixture_linearity(generator: Generator, crop: np.ndarray, first: int, second: int,
                      shares: Sequence[float] = (0.25, 0.5, 0.75), intensity: float = 1.0) -> list[dict[str, float]]:
    """Is the blend's output the blend of the outputs? Per share w of `first` (1 - w of `second`), at
    `intensity`: the gap between the mixture's field (its learned correction, mask, frame) and the same
    blend of the two plain outputs, relative to the mean size of the two plain ones (mean absolute values).

    The codes and the motion prior are blended linearly by construction; the decoder is not linear, so
    the learned correction, the mask, the residual and the frame need not be.
    """
    x = network_crop(crop, generator)
    shares = [float(w) for w in shares]
    weights = torch.zeros(len(shares) + 2, generator.cfg.num_labels)
    weights[0, first], weights[1, second] = 1.0, 1.0
    for i, w in enumerate(shares, start=2):
        weights[i, first], weights[i, second] = w, 1.0 - w
    xs = x.expand(len(weights), -1, -1, -1)
    lam = torch.tensor([float(intensity)])
    frames = generator.generate(xs, weights, lam)[:, 0]
    parts = {"frame": frames}
    if generator.moves:
        motion = generator.motion(xs, weights, lam)
        parts.update(field=motion.flow[:, 0], correction=motion.correction[:, 0], mask=motion.mask[:, 0])
    rows = []
    for i, w in enumerate(shares, start=2):
        row = {"share": w}
        for name, out in parts.items():
            if name == "frame":      # the frames' change from the neutral face, not the face itself
                out = out - x
            blend = w * out[0] + (1.0 - w) * out[1]
            scale = 0.5 * float(out[0].abs().mean() + out[1].abs().mean())
            row[f"{name}_gap"] = float((out[i] - blend).abs().mean()) / scale if scale > 0 else float("nan")
        rows.append(row)
    return rows


def mixture_markdown(rows: dict[str, list[dict[str, float]]]) -> str:
    """`mixture_linearity`'s rows for several pairs ({"happy + surprise": rows}) as one markdown table:
    the pair, the share of its first expression, and each part's gap (0 = the blend of the outputs)."""
    gaps = [k for k in next(iter(rows.values()))[0] if k.endswith("_gap")]
    head = "| blend | share of the first | " + " | ".join(gaps) + " |\n|---|---|" + "---|" * len(gaps)
    return head + "\n" + "\n".join(f"| {pair} | {r['share']:.2f} | " + " | ".join(f"{r[g]:.3f}" for g in gaps) + " |"
                                   for pair, pair_rows in rows.items() for r in pair_rows) + "\n"


@torch.no_grad()
def intensity_on_sequence(generator: Generator, frames: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
    """(inferred intensity of every frame (T,), the frame decoded at it (T, S, S[, C]) in [0, 1]) for a
    real sequence of aligned uint8 crops (T, H, W[, C]), neutral first: the projection training uses,
    `l_t = <E_b(x_t) - E_b(x_0), a> / |a|^2` at the bottleneck."""
    x = torch.cat([network_crop(f, generator) for f in frames])
    y = torch.tensor([label])
    lam = generator.infer_intensity(x[None], x[:1], y)[0]
    decoded = generator.generate(x[:1], y, lam)[0]
    return lam.numpy(), ((decoded + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1).squeeze(-1).numpy()


def plot_direction_norms(norms: dict[str, list[np.ndarray]], title: str = "") -> Any:
    """Heatmaps, one row per expression, one column per level, on one colour scale for every
    panel (with its colourbar), so rows and levels compare: where and how hard each direction pushes."""
    import matplotlib.pyplot as plt

    names = list(norms)
    levels = len(norms[names[0]])
    top = max(float(m.max()) for name in names for m in norms[name]) or 1.0
    fig, axes = plt.subplots(len(names), levels, figsize=(1.5 * levels + 0.8, 1.4 * len(names)), squeeze=False)
    for r, name in enumerate(names):
        for c, m in enumerate(norms[name]):
            ax = axes[r, c]
            im = ax.imshow(m, cmap="magma", vmin=0, vmax=top)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"level {c}\n{m.shape[0]}x{m.shape[1]}", fontsize=8)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle(title or "|direction code| per position, one scale for all panels", fontsize=9)
    fig.tight_layout()
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6, label="norm over channels")
    return fig


def plot_similarity(similarity: np.ndarray) -> Any:
    """The expressions' bottleneck directions against each other (cosine similarity)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    im = ax.imshow(similarity, cmap="coolwarm", vmin=-1, vmax=1)
    ax.set_xticks(range(len(EXPRESSIONS)), [e[:4] for e in EXPRESSIONS], fontsize=8)
    ax.set_yticks(range(len(EXPRESSIONS)), list(EXPRESSIONS), fontsize=8)
    for i in range(len(EXPRESSIONS)):
        for j in range(len(EXPRESSIONS)):
            ax.text(j, i, f"{similarity[i, j]:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title("direction similarity (bottleneck)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_raw_output(raw: dict[str, np.ndarray], crop: np.ndarray, title: str = "") -> Any:
    """The input crop beside the head's raw maps (field arrows and magnitude, mask, residual; or the frame)."""
    import matplotlib.pyplot as plt

    panels = ["input"] + (["field", "mask", "residual"] if "field" in raw else ["frame"])
    fig, axes = plt.subplots(1, len(panels), figsize=(2.3 * len(panels), 2.5))
    gray = "gray"
    for ax, name in zip(np.atleast_1d(axes), panels):
        ax.set_xticks([])
        ax.set_yticks([])
        if name == "input":
            ax.imshow(crop, cmap=gray if crop.ndim == 2 else None)
        elif name == "field":
            field = raw["field"]
            mag = np.hypot(field[0], field[1])
            ax.imshow(mag, cmap="viridis")
            step = max(1, mag.shape[0] // 12)
            ys, xs = np.mgrid[0:mag.shape[0]:step, 0:mag.shape[1]:step]
            ax.quiver(xs, ys, field[0][::step, ::step], -field[1][::step, ::step], color="white", scale=None)
            name = f"field (max {mag.max():.1f} px)"
        elif name == "mask":
            ax.imshow(raw["mask"], cmap="gray", vmin=0, vmax=1)
            name = f"mask (mean {raw['mask'].mean():.3f})"
        else:
            img = raw[name]
            ax.imshow(img, cmap=gray if img.ndim == 2 else None, vmin=0, vmax=1)
        ax.set_title(name, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def field_lengths(maps: dict[str, Any], titles: Sequence[str]) -> Any:
    """Arrow lengths of fields, one row per named map set ({"|F_y|": (N, H, W), "|learned|": ...}, in
    pixels), one column per face (`titles`), on one colour scale with its colourbar."""
    fig = new_figure(2.2 * len(titles), 2.1 * len(maps))
    top = float(max(max(float(np.max(np.asarray(m))) for m in maps.values()), 1e-6))
    im = None
    for row, (name, values) in enumerate(maps.items()):
        for i, title in enumerate(titles):
            ax = fig.add_subplot(len(maps), len(titles), row * len(titles) + i + 1)
            im = ax.imshow(np.asarray(values[i]), cmap="viridis", vmin=0, vmax=top)
            ax.set_title(f"{title}: {name}", fontsize=8)
            ax.axis("off")
    fig.colorbar(im, ax=fig.axes, shrink=0.8, label="pixels of the model's crop")
    return fig
