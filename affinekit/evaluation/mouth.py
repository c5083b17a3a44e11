"""Where the mouth is and how far it is from a real one: the geometry of the paired evaluation.

A generated apex and the person's real expression photo are two aligned crops, each aligned on its
own, so their faces sit within a pixel or two of each other but not exactly. The mouth error
removes what alignment leaves (a similarity fitted on the eye and nose points, which an
expression barely moves) before it measures the mouth, in inter-ocular distances so that faces of
any size compare.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from affinekit.data.faces import RIGID_POINTS, FaceAligner, inter_ocular, similarity_fit
from affinekit.errors import AffinekitError

MOUTH_POINTS = np.arange(48, 68)     # outer and inner lips

Box = tuple[int, int, int, int]      # (left, top, right, bottom) in pixels, right and bottom exclusive


def mouth_error(generated: np.ndarray, reference: np.ndarray) -> float:
    """Mean distance of the generated mouth points to the reference's, in the reference's IODs.

    Both are (68, 2) landmarks. A least-squares similarity (Umeyama, no reflection) from the
    generated eye and nose points (27-47) to the reference's is applied to the generated mouth
    points (48-67) first, so a face that is only shifted, turned or scaled scores 0.
    """
    gen = np.asarray(generated, np.float64)
    ref = np.asarray(reference, np.float64)
    iod = inter_ocular(ref)
    if iod < 1e-6:
        raise ValueError("degenerate reference landmarks: both eyes at one point")
    M = similarity_fit(gen[RIGID_POINTS], ref[RIGID_POINTS]).astype(np.float64)
    moved = gen[MOUTH_POINTS] @ M[:, :2].T + M[:, 2]
    return float(np.linalg.norm(moved - ref[MOUTH_POINTS], axis=1).mean() / iod)


def points_box(points: np.ndarray, shape: tuple[int, ...], margin: float = 0.0) -> Box:
    """The box around `points` (N, 2), grown by `margin` of its width and height on every side,
    clipped to an image of `shape` (H, W[, C])."""
    pts = np.asarray(points, np.float64)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    h, w = shape[:2]
    left, top = max(0, int(np.floor(x0 - dx))), max(0, int(np.floor(y0 - dy)))
    right, bottom = min(w, int(np.ceil(x1 + dx)) + 1), min(h, int(np.ceil(y1 + dy)) + 1)
    if right - left < 1 or bottom - top < 1:
        raise ValueError(f"the points' box {(left, top, right, bottom)} lies outside the {w}x{h} image")
    return left, top, right, bottom


def mouth_box(landmarks: np.ndarray, shape: tuple[int, ...], margin: float = 0.25) -> Box:
    """The box around the mouth points 48-67, `margin` of its size added on each side."""
    return points_box(np.asarray(landmarks)[MOUTH_POINTS], shape, margin)


def face_box(landmarks: np.ndarray, shape: tuple[int, ...]) -> Box:
    """The box around all 68 points (jaw, brows, eyes, nose, mouth): the face without the background."""
    return points_box(landmarks, shape)


def cut(image: np.ndarray, box: Box) -> np.ndarray:
    """The part of an image (H, W[, C]) inside `box`."""
    left, top, right, bottom = box
    return image[top:bottom, left:right]


@dataclass
class LandmarkFinder:
    """The kit's detector and 68-point predictor (`FaceAligner.landmarks`) on aligned crops.

    Where the detector finds no face (or several) in a crop, the shape predictor runs on the box
    around landmarks the caller trusts for that crop (the input face's, for a generated frame:
    makers keep the face where it was); `fallbacks` counts those crops.
    """
    aligner: FaceAligner
    fallbacks: int = 0
    calls: int = 0

    def find(self, image: np.ndarray, fallback: np.ndarray, name: str = "<crop>") -> tuple[np.ndarray, bool]:
        """((68, 2) float32 landmarks of a uint8 crop, whether the fallback box was used)."""
        self.calls += 1
        gray = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
        try:
            return self.aligner.landmarks(gray, name), False
        except AffinekitError:
            self.fallbacks += 1
            box = points_box(fallback, gray.shape)
            return self.aligner.landmarks(gray, name, box=(box[0], box[1], box[2] - 1, box[3] - 1)), True

