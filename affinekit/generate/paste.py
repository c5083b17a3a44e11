"""Paste a generated face back into the photo it was cropped from.

The aligner maps the photo to a small upright crop with a similarity transform
M (2x3, photo -> crop). To put a generated crop back we warp it with the
inverse of M and blend it in under a soft mask of the face: the convex hull of
the 68 landmarks (raised a little to take in the forehead), eroded and blurred
so its edge fades out instead of showing a seam.

What gets pasted is a *change*, not the crop itself: `photo + mask * change`.
The caller picks the change (generated frame minus the generated frame at
intensity 0, or minus the input crop). Pasting a change keeps the photo's own
detail and resolution wherever the model changes nothing, and a grayscale
change can be applied to a colour photo without losing colour: adding the same
amount to R, G and B moves the luma Y by that amount and leaves the chroma
(Cr, Cb are differences R - Y and B - Y) as it was, since YCrCb is linear in RGB.
"""
from __future__ import annotations

import cv2
import numpy as np

# fraction of the jaw-to-brow height by which the mask reaches above the brows
FOREHEAD = 0.25
# blur of the mask edge, as a fraction of the crop size
FEATHER = 0.05


def face_mask(landmarks: np.ndarray, size: int, feather: float = FEATHER) -> np.ndarray:
    """Soft mask of the face in crop coordinates: (size, size) float32 in [0, 1].

    landmarks: (68, 2) in crop pixels (x, y). The hard hull is eroded by about
    one blur radius so that the blurred edge ends near the hull, not outside it.
    """
    pts = np.asarray(landmarks, dtype=np.float32).reshape(-1, 2)
    if pts.shape[0] != 68 or not np.isfinite(pts).all():
        raise ValueError(f"face_mask expects (68, 2) finite landmarks, got {pts.shape}")
    brows = pts[17:27]
    chin_y = pts[8, 1]
    lift = FOREHEAD * max(chin_y - brows[:, 1].mean(), 1.0)
    forehead = brows - np.array([0.0, lift], dtype=np.float32)
    hull_pts = np.concatenate([pts, forehead])
    hull_pts = np.clip(hull_pts, 0, size - 1)
    hull = cv2.convexHull(np.round(hull_pts * 16).astype(np.int32))

    mask = np.zeros((size, size), np.float32)
    # shift=4: sub-pixel vertices (coordinates in 1/16 pixel)
    cv2.fillConvexPoly(mask, hull, 1.0, lineType=cv2.LINE_AA, shift=4)
    sigma = max(feather * size, 0.5)
    radius = int(np.ceil(sigma))
    if radius > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        mask = cv2.erode(mask, kernel)
    mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    # the crop's own border must never show: taper the last pixels to zero
    edge = np.minimum(np.arange(size), np.arange(size)[::-1]).astype(np.float32)
    taper = np.clip(edge / 2.0, 0.0, 1.0)
    mask *= taper[:, None] * taper[None, :]
    return np.clip(mask, 0.0, 1.0)


def photo_roi(M: np.ndarray, crop_size: int, shape: tuple[int, int], pad: int = 2) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) in the photo of the crop's footprint, clipped to the photo."""
    Minv = cv2.invertAffineTransform(np.asarray(M, np.float64))
    s = crop_size
    corners = np.array([[0, 0, 1], [s, 0, 1], [0, s, 1], [s, s, 1]], np.float64)
    xy = corners @ Minv.T
    h, w = shape
    x0 = int(np.clip(np.floor(xy[:, 0].min()) - pad, 0, w))
    y0 = int(np.clip(np.floor(xy[:, 1].min()) - pad, 0, h))
    x1 = int(np.clip(np.ceil(xy[:, 0].max()) + pad, 0, w))
    y1 = int(np.clip(np.ceil(xy[:, 1].max()) + pad, 0, h))
    return x0, y0, x1, y1


def warp_to_photo(images: np.ndarray, M: np.ndarray, roi: tuple[int, int, int, int]) -> np.ndarray:
    """Warp crop-space images (T, S, S[, C]) float32 back into the photo's roi: (T, h, w[, C]).

    One cv2.warpAffine per frame: OpenCV's path for more than 4 channels samples
    coarser, so frames are not stacked into channels.
    """
    x0, y0, x1, y1 = roi
    Minv = cv2.invertAffineTransform(np.asarray(M, np.float64))
    Minv[:, 2] -= (x0, y0)  # into roi coordinates
    out_size = (x1 - x0, y1 - y0)
    out = np.zeros((images.shape[0], out_size[1], out_size[0]) + images.shape[3:], np.float32)
    if out_size[0] == 0 or out_size[1] == 0:
        return out
    for t, img in enumerate(images):
        warped = cv2.warpAffine(np.ascontiguousarray(img, dtype=np.float32), Minv, out_size,
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        out[t] = warped.reshape(out[t].shape)
    return out


def paste_change(photo: np.ndarray, change: np.ndarray, M: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Frames `photo + mask * change`, the change warped from crop to photo: (T, H, W, 3) uint8.

    photo: (H, W) gray or (H, W, 3) RGB uint8. change: (T, S, S) (a luma change)
    or (T, S, S, 3), in 0-255 units. mask: (S, S) in [0, 1]. A gray photo gets
    the luma of a colour change and stays gray (three equal channels).
    """
    photo = np.asarray(photo)
    change = np.asarray(change, np.float32)
    size = mask.shape[0]
    if change.shape[1:3] != (size, size):
        raise ValueError(f"change frames {change.shape[1:3]} do not match the mask {mask.shape}")
    gray = photo.ndim == 2
    if gray and change.ndim == 4:
        change = change @ np.array([0.299, 0.587, 0.114], np.float32)
    weighted = change * (mask[:, :, None] if change.ndim == 4 else mask)

    h, w = photo.shape[:2]
    roi = photo_roi(M, size, (h, w))
    x0, y0, x1, y1 = roi
    warped = warp_to_photo(weighted, M, roi)

    base = photo if gray else photo.reshape(h, w, 3)
    frames = np.repeat(base[None], change.shape[0], axis=0)
    region = frames[:, y0:y1, x0:x1].astype(np.float32)
    if not gray and warped.ndim == 3:
        warped = warped[..., None]  # the same luma change on R, G and B keeps the colour
    frames[:, y0:y1, x0:x1] = np.clip(np.rint(region + warped), 0, 255).astype(np.uint8)
    if gray:
        frames = np.repeat(frames[..., None], 3, axis=-1)
    return frames
