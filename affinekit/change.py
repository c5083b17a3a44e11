"""The expression change a generator adds to a face: G(x0, l) - G(x0, 0), made robust for new faces.

Adding the change to the input (rather than showing the decoder's frames)
keeps the photo's own detail; two steps keep faces unlike the training set
from turning the change into noise:

- contrast matching: a face whose brightness or contrast lies outside the
  range of the training faces (the bundled model saw only CK+'s studio light)
  is brought to the nearest value inside before the generator sees it, and
  the change is scaled back afterwards; faces like the training ones pass as
  they are;
- smoothing: a small Gaussian blur removes the decoder's 2-pixel checkerboard,
  which carries no expression;
- a change prior: per expression, where on an aligned face the training
  sequences changed from neutral to apex (their mean absolute change, blurred,
  scaled to [0, 1]); the change is weighted by it, so a new face is not given
  changes where that expression never moves a face (blotches on forehead and
  cheeks).

`affinekit generate` and the "change" rows of `affinekit evaluate` both go
through `expression_change`, so the table scores what users get.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import torch
import torch.nn.functional as F

from affinekit.expressions import EXPRESSIONS

# the face region of an aligned crop (fractions of its size): eyes to chin, cheek to cheek
FACE_ROWS, FACE_COLS = (0.25, 0.875), (0.1875, 0.8125)
SMOOTH_SIGMA_128 = 1.5       # pixels at 128 px; scaled with the crop size
PRIOR_SIZE = 32              # stored side of the change prior maps (they are smooth)
PRIOR_SIGMA_128 = 4.0        # blur of the mean change, pixels at 128 px
PRIOR_QUANTILE = 0.98        # the map is divided by this quantile of itself, then clipped to 1
# < 1 lifts the regions an expression moves less (cheeks, brows) towards full weight;
# 0.5 against 1.0 was compared on the cross-validation folds (affinekit/weights/MODEL_CARD.md)
PRIOR_GAMMA = 0.5


def face_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std of each image's face region: x (B, C, S, S) -> two (B, 1, 1, 1) tensors."""
    s = x.shape[-1]
    r0, r1 = (int(f * s) for f in FACE_ROWS)
    c0, c1 = (int(f * s) for f in FACE_COLS)
    region = x[..., r0:r1, c0:c1].reshape(x.shape[0], -1)
    return region.mean(1).view(-1, 1, 1, 1), region.std(1).clamp_min(1e-3).view(-1, 1, 1, 1)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W) with reflected borders (identity for sigma <= 0)."""
    if sigma <= 0:
        return x
    radius = max(1, int(round(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


@torch.no_grad()
def expression_change(generator: Any, x0: torch.Tensor, labels: torch.Tensor, intensities: torch.Tensor,
                      train_stats: dict[str, Any] | None = None,
                      sigma: float | None = None) -> torch.Tensor:
    """G(x0, l) - G(x0, 0) for each intensity: (B, T, C, S, S), in x0's [-1, 1] units.

    train_stats: the training faces' `mean_range` and `std_range` (`measure_face_stats`); a face
    whose mean or spread lies outside them is brought to the nearest value inside, and the change
    scaled back; faces like the training ones pass unchanged. With a `change_prior`
    (`measure_change_prior`) the change is weighted by the labels' maps. None: neither.
    sigma: blur in pixels (None: SMOOTH_SIGMA_128 scaled to the crop size; 0: none).
    """
    intensities = torch.as_tensor(intensities, dtype=x0.dtype, device=x0.device).reshape(-1)
    x = x0
    scale = torch.ones(x0.shape[0], 1, 1, 1, dtype=x0.dtype, device=x0.device)
    if train_stats is not None and "mean_range" in train_stats:
        mean, std = face_stats(x0)
        target_mean = mean.clamp(*train_stats["mean_range"])
        target_std = std.clamp(*train_stats["std_range"])
        x = (x0 - mean) / std * target_std + target_mean
        scale = std / target_std
    # clips usually start at l = 0: reuse that frame as the reference instead of decoding it twice
    from_zero = intensities.numel() > 0 and float(intensities[0]) == 0.0
    frames = generator.generate(x, labels, intensities if from_zero else
                                torch.cat([intensities.new_zeros(1), intensities]))
    change = (frames if from_zero else frames[:, 1:]) - frames[:, :1]
    b, t, c, h, w = change.shape
    sigma = SMOOTH_SIGMA_128 * h / 128 if sigma is None else sigma
    change = gaussian_blur(change.reshape(b * t, c, h, w).float(), sigma).view(b, t, c, h, w)
    weights = change_weights(train_stats, labels, h)
    if weights is not None:
        change = change * weights.to(change)[:, None]
    return change * scale[:, None]


def measure_change_prior(pairs: Iterable[tuple[str, np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """Per expression, where faces change from neutral to apex: {"size", "maps": {label: rows}}.

    pairs: (label, neutral, apex) aligned uint8 crops (S, S) or (S, S, C) of one size. Each map is
    the labels' mean absolute change, blurred (PRIOR_SIGMA_128), divided by its PRIOR_QUANTILE,
    clipped to 1, raised to PRIOR_GAMMA and stored at PRIOR_SIZE; an expression without pairs
    gets the map of all pairs together.
    """
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for label, neutral, apex in pairs:
        diff = np.abs(np.asarray(apex, np.float64) - np.asarray(neutral, np.float64)) / 127.5
        diff = diff.mean(-1) if diff.ndim == 3 else diff
        sums[label] = sums.get(label, 0.0) + diff
        counts[label] = counts.get(label, 0) + 1
    if not sums:
        raise ValueError("measure_change_prior needs at least one (label, neutral, apex) pair")
    overall = sum(sums.values()) / sum(counts.values())
    means = np.stack([sums[e] / counts[e] if e in sums else overall for e in EXPRESSIONS])
    maps = torch.tensor(means, dtype=torch.float32)[:, None]
    maps = gaussian_blur(maps, PRIOR_SIGMA_128 * maps.shape[-1] / 128)
    top = torch.quantile(maps.flatten(1), PRIOR_QUANTILE, dim=1).clamp_min(1e-6).view(-1, 1, 1, 1)
    maps = (maps / top).clamp(0, 1) ** PRIOR_GAMMA
    maps = F.interpolate(maps, size=(PRIOR_SIZE, PRIOR_SIZE), mode="area")[:, 0]
    return {"size": PRIOR_SIZE, "gamma": PRIOR_GAMMA, "sequences": dict(counts),
            "maps": {e: np.round(maps[i].numpy(), 4).tolist() for i, e in enumerate(EXPRESSIONS)}}


def change_weights(train_stats: dict[str, Any] | None, labels: torch.Tensor, size: int) -> torch.Tensor | None:
    """The change prior's maps for `labels` (B,) at `size`: (B, 1, size, size), or None without a prior."""
    prior = (train_stats or {}).get("change_prior")
    if not prior:
        return None
    maps = torch.tensor([prior["maps"][e] for e in EXPRESSIONS], dtype=torch.float32)[:, None]
    maps = F.interpolate(maps, size=(size, size), mode="bilinear", align_corners=False)
    return maps[labels.long().cpu()]


def train_face_stats(run: dict[str, Any]) -> dict[str, Any] | None:
    """The training faces' contrast from an export's config (`face_stats`, written by
    scripts/export_model.py), or None when it does not say."""
    stats = run.get("face_stats")
    return stats if stats and "mean_range" in stats and "std_range" in stats else None


def measure_face_stats(frames: Any) -> dict[str, Any]:
    """The range of face-region means and spreads over uint8 crops (N, S, S) or (N, S, S, C), in [-1, 1]."""
    x = torch.as_tensor(frames).float()
    x = (x if x.dim() == 3 else x.mean(-1)) / 127.5 - 1.0
    mean, std = face_stats(x[:, None])
    return {"mean_range": [float(mean.min()), float(mean.max())],
            "std_range": [float(std.min()), float(std.max())], "images": int(x.shape[0])}
