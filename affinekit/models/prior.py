"""The motion head's starting field: each label's mean neutral-to-apex motion, made dense.

Trained by L1 alone a motion field regresses to a timid average. So the field
starts from what the landmark-warp baseline knows, the mean displacement of the
68 landmarks from neutral to apex for each label in the training sequences, and
the network learns a correction on top: at intensity l the field is
`l * prior[label] + learned(l)`. The prior is part of the model (a buffer saved
with its weights), measured on the training subjects only.

Aligned crops put every face's eyes and nose at the same template points, so
one field per label, in crop coordinates, fits every face to within the spread
of face shapes; the learned part adapts it to the face at hand.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import torch
from scipy.interpolate import RBFInterpolator

from affinekit.config import MEASURED
from affinekit.expressions import EXPRESSIONS
from affinekit.models.motion import identity_grid, pixels_to_normalised

# Points on the crop's edge that hold still: they keep the thin-plate spline
# from extrapolating wildly between the face and the border.
EDGE_POINTS = 8
# Thin-plate smoothing (normalised units squared): averages out landmark noise.
SMOOTHING = 1e-3


def _edge_points(n: int = EDGE_POINTS) -> np.ndarray:
    t = np.linspace(-1.0, 1.0, n + 1)[:-1]
    return np.concatenate([np.stack([t, -np.ones_like(t)], 1), np.stack([np.ones_like(t), t], 1),
                           np.stack([-t, np.ones_like(t)], 1), np.stack([-np.ones_like(t), -t], 1)])


def dense_field(points: np.ndarray, displacements: np.ndarray, size: int) -> np.ndarray:
    """(2, size, size) field through `displacements` (P, 2) at `points` (P, 2), both normalised,
    zero on the crop's edge (thin-plate spline)."""
    edge = _edge_points()
    rbf = RBFInterpolator(np.concatenate([points, edge]), np.concatenate([displacements, np.zeros_like(edge)]),
                          kernel="thin_plate_spline", smoothing=SMOOTHING)
    grid = identity_grid(size, size, dtype=torch.float64)[0].reshape(-1, 2).numpy()
    return rbf(grid).reshape(size, size, 2).transpose(2, 0, 1).astype(np.float32)


def label_fields(first: Iterable[np.ndarray], last: Iterable[np.ndarray], labels: Iterable[int],
                 crop_size: int, num_labels: int, size: int,
                 intensities: Iterable[float] | None = None) -> torch.Tensor:
    """(num_labels, 2, size, size) backward fields at intensity 1, normalised units; zero for unseen labels.

    first, last: each item's neutral and apex landmarks (68, 2) in pixels of its crop_size crop;
    labels: their label indices; intensities: each apex's measured intensity (None: all 1). The
    backward displacement of item i, from its apex landmarks to its neutral ones, is modelled as
    l_i * F: F = sum_i l_i d_i / sum_i l_i^2 at every landmark, the least-squares fit. A mild item
    (l = 0.4) then teaches F its own motion scaled to a full apex, instead of pulling a plain mean
    towards zero; with every l = 1 it is the plain mean. The field is drawn through the landmarks
    where F puts the mean neutral face's at intensity 1.
    """
    intensities = [1.0] * len(labels := list(labels)) if intensities is None else list(intensities)
    neutral: dict[int, list[np.ndarray]] = {}
    weighted: dict[int, list[np.ndarray]] = {}
    squares: dict[int, float] = {}
    for a, b, y, l in zip(first, last, labels, intensities):
        a = pixels_to_normalised(torch.as_tensor(np.asarray(a, np.float64)), crop_size).numpy()
        b = pixels_to_normalised(torch.as_tensor(np.asarray(b, np.float64)), crop_size).numpy()
        y = int(y)
        neutral.setdefault(y, []).append(a)
        weighted.setdefault(y, []).append(float(l) * (a - b))
        squares[y] = squares.get(y, 0.0) + float(l) ** 2
    fields = np.zeros((num_labels, 2, size, size), np.float32)
    for y in neutral:
        back = np.sum(weighted[y], 0) / squares[y]
        fields[y] = dense_field(np.mean(neutral[y], 0) - back, back, size)
    return torch.from_numpy(fields)


def dataset_fields(dataset: Any, num_labels: int, size: int) -> torch.Tensor | None:
    """`label_fields` over a training data set's items (sequences and still pairs alike: the
    first frame is neutral, the last an apex), each at its measured apex intensity when the data set
    measured them (`SequenceDataset(intensity="measured")`), else at 1; None when it holds no labelled item."""
    first, last, labels, levels, crop = [], [], [], [], None
    measured = {e["key"]: e["intensities"][-1] for e in getattr(dataset, "entries", [])
                if e.get("intensities")} if getattr(dataset, "intensity", "position") in MEASURED else {}
    for key in getattr(dataset, "keys", []):
        seq = dataset.sequence(key)
        if seq.label:
            first.append(seq.landmarks[0])
            last.append(seq.landmarks[-1])
            labels.append(EXPRESSIONS.index(seq.label))
            levels.append(measured.get(key, 1.0))
            crop = seq.frames.shape[1]
    return label_fields(first, last, labels, crop, num_labels, size, levels) if labels else None
