"""Two clip makers that any model must beat: copy-input and landmark-warp.

Both follow the clip-maker contract of docs/architecture.md:
`maker(x0 (B,C,H,W), labels (B,), intensities (T,), landmarks (B,68,2) | None) -> (B,T,C,H,W)`
in [-1, 1].
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np
import torch
from scipy.spatial import Delaunay

from affinekit.data.prepared import load_sequence
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS, expression_index

LEFT_EYE = list(range(36, 42))
RIGHT_EYE = list(range(42, 48))


def copy_input(x0: torch.Tensor, labels: torch.Tensor, intensities: torch.Tensor,
               landmarks: torch.Tensor | None = None) -> torch.Tensor:
    """The input frame at every position: what "doing nothing" scores."""
    t = len(intensities)
    return torch.as_tensor(x0)[:, None].expand(-1, t, -1, -1, -1).clone()


def _face_frame(landmarks: np.ndarray) -> tuple[float, np.ndarray]:
    """Inter-ocular distance and the rotation (2, 2) that makes the eye line horizontal."""
    eye_vec = landmarks[RIGHT_EYE].mean(axis=0) - landmarks[LEFT_EYE].mean(axis=0)
    iod = float(np.hypot(*eye_vec))
    if iod < 1e-6:
        raise ValueError("degenerate landmarks: both eyes at one point")
    c, s = eye_vec / iod
    return iod, np.array([[c, s], [-s, c]], dtype=np.float64)


def _border_points(h: int, w: int, per_edge: int = 4) -> np.ndarray:
    """Points along the image border (corners included): they pin the frame's edges in place."""
    xs = np.linspace(0, w - 1, per_edge + 1)
    ys = np.linspace(0, h - 1, per_edge + 1)
    pts = [(x, 0) for x in xs] + [(x, h - 1) for x in xs] + \
          [(0, y) for y in ys[1:-1]] + [(w - 1, y) for y in ys[1:-1]]
    return np.array(pts, dtype=np.float64)


def piecewise_affine_warp(image: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Warp `image` (H, W[, C]) so that points `src` (N, 2) move to `dst` (N, 2), x then y.

    The output is triangulated (Delaunay over `dst` plus border points); each output
    pixel takes its barycentric coordinates in its triangle to the matching source
    triangle, and OpenCV's remap samples there (bilinear).
    """
    h, w = image.shape[:2]
    border = _border_points(h, w)
    dst_all = np.vstack([dst, border])
    src_all = np.vstack([src, border])
    tri = Delaunay(dst_all)
    yy, xx = np.mgrid[0:h, 0:w]
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float64)
    simplex = tri.find_simplex(grid)
    inside = simplex >= 0                      # the border points cover the frame; be safe anyway
    s = simplex[inside]
    trans = tri.transform[s]                   # (P, 3, 2): affine map to barycentric coordinates
    b = np.einsum("pij,pj->pi", trans[:, :2], grid[inside] - trans[:, 2])
    bary = np.column_stack([b, 1.0 - b.sum(axis=1)])
    verts = tri.simplices[s]                   # (P, 3)
    mapped = np.einsum("pk,pkj->pj", bary, src_all[verts])
    map_xy = grid.copy()
    map_xy[inside] = mapped
    map_x = map_xy[:, 0].reshape(h, w).astype(np.float32)
    map_y = map_xy[:, 1].reshape(h, w).astype(np.float32)
    return cv2.remap(image, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass
class LandmarkWarp:
    """Move the input's 68 landmarks along the mean neutral-to-apex displacement of its label.

    The displacement is learnt per label from training sequences (`fit`), in a
    face frame (eye line horizontal, inter-ocular distance 1) so it applies to
    faces of any size; frame t moves the landmarks by `intensity_t` times it and
    warps the input piecewise-affinely. A label unseen in training gets no
    displacement (the clip then equals copy-input).
    """
    displacements: np.ndarray = field(default_factory=lambda: np.zeros((len(EXPRESSIONS), 68, 2)))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(len(EXPRESSIONS), dtype=np.int64))

    def fit_landmarks(self, first: np.ndarray, last: np.ndarray, labels: Iterable[int]) -> "LandmarkWarp":
        """Learn from landmark pairs: first (N, 68, 2) neutral, last (N, 68, 2) apex, labels (N,)."""
        sums = np.zeros((len(EXPRESSIONS), 68, 2))
        counts = np.zeros(len(EXPRESSIONS), dtype=np.int64)
        for a, b, y in zip(np.asarray(first, np.float64), np.asarray(last, np.float64), labels):
            iod, rot = _face_frame(a)
            sums[int(y)] += (b - a) @ rot.T / iod
            counts[int(y)] += 1
        self.counts = counts
        self.displacements = sums / np.maximum(counts, 1)[:, None, None]
        return self

    def fit(self, prepared_dir: str | Path, keys: Iterable[str]) -> "LandmarkWarp":
        """Learn from prepared training sequences (only `keys`: pass the training split)."""
        first, last, labels = [], [], []
        for key in keys:
            seq = load_sequence(prepared_dir, key)
            if not seq.label:
                continue
            for points in (seq.landmarks[0], seq.landmarks[-1]):
                try:
                    _face_frame(np.asarray(points, np.float64))
                except ValueError:      # a valid file with wrong contents (e.g. all-zero landmarks)
                    raise AffinekitError(f"{Path(prepared_dir) / f'{key}.npz'}: its landmarks put both eyes at "
                                         "one point; delete it and rerun `affinekit prepare`") from None
            first.append(seq.landmarks[0])
            last.append(seq.landmarks[-1])
            labels.append(expression_index(seq.label))
        if not labels:
            raise AffinekitError(f"{prepared_dir}: no labelled training sequence among the keys given")
        return self.fit_landmarks(np.stack(first), np.stack(last), labels)

    def target_landmarks(self, landmarks: np.ndarray, label: int, intensity: float) -> np.ndarray:
        """Where the input's landmarks (68, 2) go at `intensity` for `label`."""
        iod, rot = _face_frame(np.asarray(landmarks, np.float64))
        return landmarks + intensity * iod * (self.displacements[int(label)] @ rot)

    def __call__(self, x0: torch.Tensor, labels: torch.Tensor, intensities: torch.Tensor,
                 landmarks: torch.Tensor | np.ndarray | None = None) -> torch.Tensor:
        """Clips (B, T, C, H, W) in [-1, 1]; needs the input's landmarks in its pixels."""
        if landmarks is None:
            raise AffinekitError("landmark-warp needs the input's 68 landmarks; evaluate passes them from the data")
        x = torch.as_tensor(x0).detach().cpu().float().numpy()
        lm = np.asarray(torch.as_tensor(landmarks).cpu(), dtype=np.float64)
        lab = np.asarray(torch.as_tensor(labels).cpu()).astype(int)
        ints = np.asarray(torch.as_tensor(intensities).cpu(), dtype=np.float64)
        out = np.empty((x.shape[0], len(ints)) + x.shape[1:], dtype=np.float32)
        for i in range(x.shape[0]):
            image = np.ascontiguousarray(x[i].transpose(1, 2, 0))        # (H, W, C) for OpenCV
            for t, level in enumerate(ints):
                if level == 0:
                    out[i, t] = x[i]
                    continue
                dst = self.target_landmarks(lm[i], lab[i], level)
                warped = piecewise_affine_warp(image, lm[i], dst)
                out[i, t] = warped.reshape(image.shape).transpose(2, 0, 1)
        return torch.from_numpy(np.clip(out, -1.0, 1.0))
