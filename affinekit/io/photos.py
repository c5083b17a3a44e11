"""Photos in: what a face photo needs on top of the one decoder (`image_decoder.decode_image`).

`read_photo` takes paths, uploads, arrays and PIL images, decodes files through
`decode_image` (as `records.read_image` decodes dataset frames), and checks what
a face photo must be (a picture, at least 16 px). `fit_photo` brings a photo to
the output size.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from affinekit.errors import AffinekitError
from affinekit.io.image_decoder import decode_image, on_white, pil_pixels, pixels_as_uint8, upright
from affinekit.io.photo_limits import read_bounded

MAX_SIDE = 1024        # long side of the output video, pixels
# `generate --demo`'s face: a neutral FRLL person (CC BY 4.0, credited in demo_assets/README.md)
DEMO_FACE = Path(__file__).resolve().parents[1] / "demo_assets" / "frll_012_neutral.jpg"


def demo_photo() -> np.ndarray:
    """scikit-image's `astronaut` (Eileen Collins, NASA, public domain), (512, 512, 3): a smiling face
    the notebooks and benchmarks show (no longer `--demo`'s: she already smiles)."""
    from skimage import data
    return data.astronaut()


def demo_face() -> np.ndarray:
    """`affinekit generate --demo`'s face: a neutral FRLL person (512, 512, 3), so that whatever
    expression the demo makes is a visible change."""
    if not DEMO_FACE.is_file():
        raise AffinekitError(f"{DEMO_FACE}: the demo face is missing; reinstall affinekit")
    return read_photo(DEMO_FACE)[0]


def _from_array(arr: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        raise AffinekitError(f"{name}: expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {arr.shape}")
    if min(arr.shape[:2]) < 16:
        raise AffinekitError(f"{name}: image of {arr.shape[1]}x{arr.shape[0]} px is too small to hold a face")
    arr = pixels_as_uint8(arr, name)
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = on_white(arr)     # as a decoded RGBA file is
    if arr.ndim == 3:
        # a gray picture stored as RGB stays gray (a colour model would otherwise tint it)
        probe = arr[:: max(1, arr.shape[0] // 64), :: max(1, arr.shape[1] // 64)].astype(np.int16)
        if np.abs(probe - probe[:, :, :1]).max() <= 2:
            arr = arr[:, :, 0]
    return np.ascontiguousarray(arr)


def read_photo(photo: Any, name: str | None = None, max_side: int | None = None) -> tuple[np.ndarray, str]:
    """A photo as (H, W) gray or (H, W, 3) RGB uint8, and the name errors use for it.

    photo: a path (str or Path), the bytes of an image file (an upload), a numpy
    array (H, W) or (H, W, 3) RGB, or a PIL image; the CLI, the API and the
    widget all decode through here, and dataset frames through the same
    `decode_image`. With `max_side`, a large JPEG is decoded at a reduced scale
    (Pillow's draft mode), which is much faster.
    """
    if isinstance(photo, (str, os.PathLike)):
        path = Path(photo)
        name = name or str(path)
        if not path.exists():
            raise AffinekitError(f"{path}: no such file; pass the path of a face photo (JPEG or PNG) or use --demo")
        if path.is_dir():
            raise AffinekitError(f"{path}: is a folder; pass the path of one face photo (JPEG or PNG)")
        return _from_array(decode_image(read_bytes(path), name, max_side), name), name
    if isinstance(photo, (bytes, bytearray, memoryview)):     # an upload: decoded exactly like a file
        name = name or "<uploaded bytes>"
        return _from_array(decode_image(bytes(photo), name, max_side), name), name
    if isinstance(photo, np.ndarray):
        return _from_array(photo, name or "<array>"), name or "<array>"
    if hasattr(photo, "mode") and hasattr(photo, "size") and hasattr(photo, "convert"):
        name = name or "<PIL image>"
        orientation = photo.getexif().get(0x0112, 1)
        return _from_array(upright(pil_pixels(photo, name), orientation), name), name
    raise AffinekitError(f"{type(photo).__name__}: not a photo; pass a file path, a numpy array (H, W[, 3]) uint8 or a PIL image")


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes (bounded: `photo_limits`), or one line saying why they cannot be read."""
    return read_bounded(path)


def even_size(height: int, width: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """(height, width) scaled so the long side is at most max_side, both rounded down to even."""
    scale = min(1.0, max_side / max(height, width))
    h = max(2, int(height * scale) // 2 * 2)
    w = max(2, int(width * scale) // 2 * 2)
    return h, w


def fit_photo(image: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """The photo at the output size: long side <= max_side (area averaging), even sides (an odd last row/column is dropped)."""
    h, w = even_size(*image.shape[:2], max_side=max_side)
    if (h, w) == image.shape[:2]:
        return image
    if max(image.shape[:2]) <= max_side:  # only odd: drop the last row/column, no resampling
        return np.ascontiguousarray(image[:h, :w])
    shrink = h < image.shape[0]
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
