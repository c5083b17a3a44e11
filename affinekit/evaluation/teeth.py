"""What shows inside the lips: teeth (light, low-chroma pixels) and the dark cavity, measured.

Inside the inner-lip polygon (landmarks 60-67) of a face, at a fixed scale (the image resized so the
inter-ocular distance is `MEASURE_IOD` px: the mouth refiner's own scale, so a 1024 px photo and a
256 px crop compare):

- teeth: pixels whose CIELAB lightness is at least `TEETH_LIGHTNESS` and chroma at most `TEETH_CHROMA`
  (`models.exemplars.tooth_pixels`, the rule the mouth stage picks smiles by)
  (a grey photo has no chroma: light alone decides);
- teeth area: their count in squared inter-ocular distances; texture: the mean |Laplacian| (4-neighbour)
  of lightness over them (0 where there are none: a smooth grey band has no texture to count);
- cavity: pixels darker than `CAVITY_LIGHTNESS`, their area in squared inter-ocular distances.

A generated apex is scored against the person's real photo by the ratios of these (1: the same).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from affinekit.evaluation.mouth import inter_ocular
from affinekit.models.exemplars import lightness_chroma, tooth_pixels   # one rule for a tooth

MEASURE_IOD = 85.0          # px between the eye centres when measuring (128 px over 1.5 IODs)
CAVITY_LIGHTNESS = 30.0     # L* below which a pixel inside the lips is the mouth's dark cavity
INNER_LIPS = np.arange(60, 68)


@dataclass(frozen=True)
class MouthInside:
    """One face's measures: areas in squared IODs, texture in L* units."""
    opening: float        # the inner-lip polygon's area
    teeth: float          # area of teeth pixels in it
    texture: float        # mean |Laplacian of L*| over the teeth pixels (0 without any)
    cavity: float         # area of dark pixels in it


def polygon_pixels(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A bool (H, W) mask of the pixels whose centres (integer coordinates) lie inside a polygon (P, 2)
    in pixel coordinates, by the even-odd rule (a centre exactly on an edge may fall either way)."""
    pts = np.asarray(points, np.float64)
    h, w = shape[:2]
    mask = np.zeros((h, w), bool)
    x0, y0 = max(0, int(np.floor(pts[:, 0].min()))), max(0, int(np.floor(pts[:, 1].min())))
    x1, y1 = min(w, int(np.ceil(pts[:, 0].max())) + 1), min(h, int(np.ceil(pts[:, 1].max())) + 1)
    if x1 <= x0 or y1 <= y0:
        return mask
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    inside = np.zeros(ys.shape, bool)
    for (ax, ay), (bx, by) in zip(pts, np.roll(pts, -1, axis=0)):
        if ay == by:
            continue                      # a horizontal edge crosses no row of centres
        crosses = (ay > ys) != (by > ys)
        at_x = ax + (ys - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (xs < at_x)
    mask[y0:y1, x0:x1] = inside
    return mask


def mouth_inside(image: np.ndarray, landmarks: np.ndarray, iod_px: float = MEASURE_IOD) -> MouthInside:
    """Teeth, texture and cavity inside the inner lips of a face (uint8 image, (68, 2) landmarks in its
    pixels), measured with the face scaled to `iod_px` px between the eyes."""
    points = np.asarray(landmarks, np.float64)
    iod = inter_ocular(points)
    if iod < 1e-6:
        raise ValueError("degenerate landmarks: both eyes at one point")
    scale = iod_px / iod
    if abs(scale - 1) > 1e-6:
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interp)
        # a resize maps pixel centre x to (x + 0.5) * scale - 0.5
        points = (points + 0.5) * scale - 0.5
    L, chroma = lightness_chroma(image)
    inside = polygon_pixels(points[INNER_LIPS], L.shape)
    teeth = inside & tooth_pixels(L, chroma)
    cavity = inside & (L < CAVITY_LIGHTNESS)
    lap = np.abs(cv2.Laplacian(L, cv2.CV_32F, ksize=1, borderType=cv2.BORDER_REPLICATE))
    unit = iod_px ** 2
    return MouthInside(opening=float(inside.sum()) / unit, teeth=float(teeth.sum()) / unit,
                       texture=float(lap[teeth].mean()) if teeth.any() else 0.0, cavity=float(cavity.sum()) / unit)


def ratio(generated: float, real: float) -> float:
    """generated / real (NaN where the real one is 0: nothing to compare with)."""
    return generated / real if real > 0 else float("nan")
