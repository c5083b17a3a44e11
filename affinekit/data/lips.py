"""Binary lip masks and lip patches from dlib landmarks 48-67 (OpenCV).

The mask is the filled outer lip polygon (48-59), dilated a few pixels so the
local discriminator also sees the lip border.
"""
from __future__ import annotations

import cv2
import numpy as np

OUTER_LIP = slice(48, 60)
_SUBPIXEL_BITS = 4  # fillPoly with sub-pixel vertices: masks follow landmarks smoothly


def lip_mask(landmarks_in_crop: np.ndarray, size: int | tuple[int, int], dilation: int = 3) -> np.ndarray:
    """(H, W) uint8 {0,1} mask of the outer lip polygon, dilated by `dilation` pixels."""
    h, w = (size, size) if isinstance(size, int) else size
    mask = np.zeros((h, w), np.uint8)
    poly = np.round(np.asarray(landmarks_in_crop, np.float64)[OUTER_LIP] * (1 << _SUBPIXEL_BITS))
    cv2.fillPoly(mask, [poly.astype(np.int32)], 1, lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)
    if dilation > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilation + 1, 2 * dilation + 1))
        mask = cv2.dilate(mask, kernel)
    return mask


def lip_masks(landmarks_in_crop: np.ndarray, size: int, dilation: int = 3) -> np.ndarray:
    """(T, H, W) uint8 masks for (T, 68, 2) landmarks."""
    return np.stack([lip_mask(p, size, dilation) for p in landmarks_in_crop])


def lip_patch(crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The crop with everything outside the mask set to zero (same shape and dtype)."""
    m = mask.astype(bool)
    if crop.ndim == 3 and m.ndim == 2:
        m = m[:, :, None]
    return np.where(m, crop, 0).astype(crop.dtype)


def lip_box(mask: np.ndarray, margin: int = 0) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) bounds of a mask's nonzero pixels, widened by `margin`."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return (0, 0, 0, 0)
    h, w = mask.shape
    return (max(0, ys.min() - margin), min(h, ys.max() + 1 + margin),
            max(0, xs.min() - margin), min(w, xs.max() + 1 + margin))
