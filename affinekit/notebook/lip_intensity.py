"""A second measure of intensity, not an independent one: how far the lips moved from the neutral frame.

Frame position is what the anchor pulls the inferred l towards, so agreeing with
it proves little. The landmarks are not free of training either: `G_landmark` asks the field at
the inferred l to carry all 68 points, lips included, back to the neutral frame's, so an l that
follows the lips is partly that regression. Each prepared frame's 68 landmarks give the measure: the
mean distance of the 20 lip points (48-67) from where they were in frame 0, in
inter-ocular distances. It is blind to brows and eyes, so it suits expressions
that move the mouth (happy, surprise, disgust) better than anger or sadness. The figure beside
these numbers is `show.charts.lambda_and_lips`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from affinekit.data.prepared import load_sequence
from affinekit.evaluation.metrics import mean_skipping_nan
from affinekit.expressions import EXPRESSIONS
from affinekit.models.generator import Generator
from affinekit.show.look_inside import intensity_on_sequence

LIPS = slice(48, 68)
EYES = (slice(36, 42), slice(42, 48))


def lip_displacement(landmarks: np.ndarray) -> np.ndarray:
    """(T,) mean distance of lip points 48-67 from frame 0's, in inter-ocular distances of frame 0."""
    pts = np.asarray(landmarks, np.float64)
    iod = np.linalg.norm(pts[0, EYES[0]].mean(0) - pts[0, EYES[1]].mean(0)) or 1.0
    return np.linalg.norm(pts[:, LIPS] - pts[:1, LIPS], axis=-1).mean(1) / iod


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1]) if np.std(a) > 0 and np.std(b) > 0 else float("nan")


def lambda_against_lips(generator: Generator, prepared: str | Path, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per sequence: the inferred l of every frame, its lip displacement, their correlation along the
    clip, and the correlation of l with frame position (what the anchor pulls towards)."""
    out = {}
    for key in keys:
        seq = load_sequence(prepared, key)
        lam = intensity_on_sequence(generator.eval().cpu(), seq.frames, EXPRESSIONS.index(seq.label))[0]
        lips = lip_displacement(seq.landmarks)
        position = np.linspace(0, 1, len(lam))
        out[key] = {"label": seq.label, "lambda": lam.tolist(), "lips": lips.tolist(),
                    "corr_lips": _corr(lam, lips), "corr_position": _corr(lam, position),
                    "lips_position": _corr(lips, position)}
    return out


def summary(scores: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The three correlations averaged over sequences (`metrics.mean_skipping_nan`: a still clip has none)."""
    out: dict[str, float] = {"sequences": len(scores)}
    for name in ("corr_lips", "corr_position", "lips_position"):
        out[f"{name}_mean"] = mean_skipping_nan(np.array([v[name] for v in scores.values()], np.float64))
    return out
