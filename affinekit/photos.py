"""Photos in: one decoder for the command line, the Python API and the widget.

`read_photo` takes a path, the bytes of an uploaded file, a numpy array or a
PIL image and gives (H, W) gray or (H, W, 3) RGB uint8: EXIF orientation
applied, 16-bit, CMYK, palette and alpha converted, a truncated file refused
with one line naming it. `fit_photo` brings it to the output size.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from affinekit.errors import AffinekitError

MAX_SIDE = 1024        # long side of the output video, pixels


def demo_photo() -> np.ndarray:
    """The demo face: scikit-image's `astronaut` (Eileen Collins, NASA, public domain), (512, 512, 3)."""
    from skimage import data
    return data.astronaut()


def _to_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype == np.uint16:
        return (arr.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        if arr.size and (np.nanmin(arr) < 0 or np.nanmax(arr) > 1):
            raise AffinekitError(f"{name}: float image values must lie in [0, 1]; pass uint8 (0-255) or scale it")
        return (np.nan_to_num(arr) * 255 + 0.5).astype(np.uint8)
    raise AffinekitError(f"{name}: unsupported pixel type {arr.dtype}; pass a uint8 image")


def _from_array(arr: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]  # drop alpha
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise AffinekitError(f"{name}: expected an image of shape (H, W) or (H, W, 3), got {arr.shape}")
    if min(arr.shape[:2]) < 16:
        raise AffinekitError(f"{name}: image of {arr.shape[1]}x{arr.shape[0]} px is too small to hold a face")
    arr = _to_uint8(arr, name)
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
    widget all decode through here. EXIF orientation is applied; 16-bit, CMYK,
    palette and alpha images are converted; a truncated file is refused. With `max_side`, a large JPEG is
    decoded at a reduced scale (Pillow's draft mode), which is much faster.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(photo, (str, os.PathLike)):
        path = Path(photo)
        name = name or str(path)
        if not path.exists():
            raise AffinekitError(f"{path}: no such file; pass the path of a face photo (JPEG or PNG) or use --demo")
        if path.is_dir():
            raise AffinekitError(f"{path}: is a folder; pass the path of one face photo (JPEG or PNG)")
        try:
            with Image.open(path) as img:
                if max_side and img.format == "JPEG":
                    img.draft("RGB" if img.mode != "L" else "L", (max_side, max_side))
                img = ImageOps.exif_transpose(img)
                return _from_pil(img, name), name
        except (UnidentifiedImageError, Image.DecompressionBombError) as err:
            raise AffinekitError(f"{path}: not an image file ({type(err).__name__}); pass a JPEG or PNG face photo") from None
        except OSError as err:
            raise AffinekitError(f"{path}: cannot read the image ({err}); pass a readable JPEG or PNG face photo") from None
    if isinstance(photo, (bytes, bytearray, memoryview)):     # an upload: decoded exactly like a file
        name = name or "<uploaded bytes>"
        try:
            with Image.open(io.BytesIO(bytes(photo))) as img:
                img.load()
                return _from_pil(ImageOps.exif_transpose(img), name), name
        except (UnidentifiedImageError, Image.DecompressionBombError) as err:
            raise AffinekitError(f"{name}: not an image file ({type(err).__name__}); upload a JPEG or PNG face photo") from None
        except OSError as err:
            raise AffinekitError(f"{name}: cannot read the image ({err}); upload a readable JPEG or PNG face photo") from None
    if isinstance(photo, np.ndarray):
        return _from_array(photo, name or "<array>"), name or "<array>"
    if hasattr(photo, "mode") and hasattr(photo, "size") and hasattr(photo, "convert"):
        name = name or "<PIL image>"
        return _from_pil(ImageOps.exif_transpose(photo), name), name
    raise AffinekitError(f"{type(photo).__name__}: not a photo; pass a file path, a numpy array (H, W[, 3]) uint8 or a PIL image")


def _from_pil(img: Any, name: str) -> np.ndarray:
    if img.mode in ("1", "L", "LA", "I", "I;16", "F"):
        if img.mode in ("1", "LA"):
            img = img.convert("L")
        arr = np.asarray(img)
        if img.mode in ("I", "F"):
            arr = arr.astype(np.float32)
            top = float(arr.max()) if arr.size else 1.0
            arr = np.clip(arr / (top if top > 255 else 255.0), 0, 1)
        elif img.mode == "I;16":
            arr = arr.astype(np.uint16)
    else:
        arr = np.asarray(img.convert("RGB"))
    return _from_array(arr, name)


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
