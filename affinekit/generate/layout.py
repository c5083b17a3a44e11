"""How clips are shown: the face's region in the photo, a close-up beside the full frame, grids."""
from __future__ import annotations

import cv2
import numpy as np

from affinekit.io.photos import MAX_SIDE

GRID_COLUMNS = 4


def face_region(M: np.ndarray, crop_size: int, shape: tuple[int, int], margin: float = 1.4) -> tuple[int, int, int, int]:
    """A square box (x0, y0, x1, y1) around the crop's footprint in the photo, `margin` times
    its size, moved (and if need be shrunk) to lie inside the photo; even sides."""
    h, w = shape
    M = np.asarray(M, np.float64)
    footprint = crop_size / np.sqrt(abs(np.linalg.det(M[:, :2])))  # the crop's side in photo pixels
    cx, cy = cv2.invertAffineTransform(M) @ np.array([crop_size / 2, crop_size / 2, 1.0])
    side = max(2, int(min(margin * footprint, h, w)) // 2 * 2)
    x0 = int(np.clip(round(cx - side / 2), 0, w - side))
    y0 = int(np.clip(round(cy - side / 2), 0, h - side))
    return x0, y0, x0 + side, y0 + side


def fit_into(video: np.ndarray, height: int, width: int) -> np.ndarray:
    """Frames (T, H, W, 3) shrunk to fit a height x width box, centred on black (letterboxed)."""
    t, h, w = video.shape[:3]
    scale = min(height / h, width / w)
    nh, nw = max(1, int(h * scale)), max(1, int(w * scale))
    out = np.zeros((t, height, width, 3), np.uint8)
    y, x = (height - nh) // 2, (width - nw) // 2
    for k in range(t):
        out[k, y:y + nh, x:x + nw] = cv2.resize(video[k], (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def beside_closeup(video: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Frames (T, H, W, 3) with the square `box` (x0, y0, x1, y1) enlarged to H x H beside them."""
    t, h, w = video.shape[:3]
    x0, y0, x1, y1 = box
    side = h - h % 2
    out = np.zeros((t, h, w + side, 3), np.uint8)
    out[:, :, :w] = video
    for k in range(t):
        out[k, :side, w:] = cv2.resize(video[k, y0:y1, x0:x1], (side, side),
                                       interpolation=cv2.INTER_LINEAR if side > y1 - y0 else cv2.INTER_AREA)
    return out


def grid(videos: list[np.ndarray], labels: list[str], columns: int = GRID_COLUMNS,
         max_side: int = MAX_SIDE) -> np.ndarray:
    """Tile equal-sized videos (T, H, W, 3) into one (T, GH, GW, 3), each panel under a label strip.

    Panels are shrunk so the grid's long side is at most max_side; empty cells
    (7 panels in a 4 x 2 grid) stay black. Both sides of the grid are even.
    """
    n = len(videos)
    t, h, w = videos[0].shape[:3]
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    strip_frac = 0.12
    scale = min(1.0, max_side / (columns * w), max_side / (rows * h * (1 + strip_frac)))
    pw, ph = max(2, int(w * scale)), max(2, int(h * scale))
    strip = max(12, int(round(ph * strip_frac)))
    gh, gw = rows * (ph + strip), columns * pw
    gh += gh % 2
    gw += gw % 2
    out = np.zeros((t, gh, gw, 3), np.uint8)
    font_scale = strip / 42.0
    for i, (video, label) in enumerate(zip(videos, labels)):
        r, c = divmod(i, columns)
        y, x = r * (ph + strip), c * pw
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        text = np.full((strip, pw, 3), 40, np.uint8)
        cv2.putText(text, label, (max(2, (pw - tw) // 2), (strip + th - base) // 2 + 1), cv2.FONT_HERSHEY_SIMPLEX,
                    font_scale, (255, 255, 255), 1, cv2.LINE_AA)
        out[:, y:y + strip, x:x + pw] = text
        for k in range(t):
            frame = video[k] if (ph, pw) == (h, w) else cv2.resize(video[k], (pw, ph), interpolation=cv2.INTER_AREA)
            out[k, y + strip:y + strip + ph, x:x + pw] = frame
    return out
