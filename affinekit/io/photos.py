"""Photos in: one decoder for the command line, the Python API, the widget and dataset frames.

`decode_image` turns the bytes of an image file into (H, W) gray or (H, W, 3)
RGB uint8: EXIF orientation applied, 16-bit, CMYK and palette converted, alpha
composited on white; an empty, truncated or corrupt file, or any decoder
warning, is refused with one line naming the file. `read_photo` adds what a
face photo needs (paths, uploads, arrays, PIL images; a minimum size), and
`records.read_image` what a dataset frame needs. `fit_photo` brings a photo to
the output size.
"""
from __future__ import annotations

import io
import os
import struct
import sys
import tempfile
import threading
import warnings
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from affinekit.errors import AffinekitError
from affinekit.io.photo_limits import fits_at_jpeg_scale, jpeg_scale, pixel_guard, read_bounded

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
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        raise AffinekitError(f"{name}: expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {arr.shape}")
    if min(arr.shape[:2]) < 16:
        raise AffinekitError(f"{name}: image of {arr.shape[1]}x{arr.shape[0]} px is too small to hold a face")
    arr = _to_uint8(arr, name)
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = _on_white(arr)     # as a decoded RGBA file is
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
        return _from_array(_upright(_pil_pixels(photo, name), orientation), name), name
    raise AffinekitError(f"{type(photo).__name__}: not a photo; pass a file path, a numpy array (H, W[, 3]) uint8 or a PIL image")


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes (bounded: `photo_limits`), or one line saying why they cannot be read."""
    return read_bounded(path)


# ---------------------------------------------------------------------------------------------- decoding core

FIX = "re-export or re-download it"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STDERR_LOCK = threading.Lock()


def decode_image(data: bytes, name: str, max_side: int | None = None) -> np.ndarray:
    """Image file bytes as (H, W) gray or (H, W, 3) RGB uint8: the one decoder of photos and frames.

    EXIF orientation is applied; 16-bit, CMYK, palette and other modes are
    converted; alpha (and a PNG's transparent colour) is composited on white.
    Refused with one line naming `name`: an empty, truncated or corrupt file
    (a PNG chunk whose checksum fails, a JPEG libjpeg warns about) and any
    warning the decoder gives. With `max_side`, a JPEG larger than that is
    decoded at 1/2, 1/4 or 1/8 scale, still at least `max_side` on its short side.
    """
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise AffinekitError(f"{name}: cannot read the image: the file is empty; {FIX}")
    png_exif = _check_png(data, name) if data.startswith(PNG_SIGNATURE) else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")        # a decoder warning means the picture may be wrong
            with pixel_guard(data[:2] == b"\xff\xd8"), Image.open(io.BytesIO(data)) as img:
                if img.format in ("JPEG", "MPO") and not fits_at_jpeg_scale(img.size):
                    raise Image.DecompressionBombError("the image is too large even at 1/8 scale")
                orientation = _orientation(img, png_exif)
                pixels = _decode(data, img, name, max_side)
    except UnidentifiedImageError:
        raise AffinekitError(f"{name}: not an image file this kit can read; use a JPEG or PNG") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise AffinekitError(f"{name}: cannot read the image: {err.args[0].split('.')[0]}; "
                             "save it as a JPEG (decoded at a reduced scale) or below 89 megapixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, Warning) as err:
        raise AffinekitError(f"{name}: cannot read the image: {_why(err)}; {FIX}") from None
    return _upright(pixels, orientation)


def _decode(data: bytes, img: Any, name: str, max_side: int | None) -> np.ndarray:
    """The pixels of an opened image. OpenCV decodes what it decodes exactly as Pillow would
    (8-bit gray or RGB: PNG is lossless, a JPEG must be decoded by OpenCV anyway to hear
    libjpeg's warnings) because it is faster; Pillow converts every other mode."""
    simple = img.mode in ("L", "RGB") and "transparency" not in img.info
    if img.format in ("JPEG", "MPO"):
        scale = _jpeg_scale(img.size, max_side)
        pixels = _strict_jpeg(data, name, scale, gray=img.mode == "L")
        if simple:
            return pixels
        if scale > 1:
            img.draft("RGB", (img.size[0] // scale, img.size[1] // scale))
    elif img.format == "PNG" and simple and data[24] == 8:     # IHDR bit depth 8
        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if pixels is not None:
            return pixels if pixels.ndim == 2 else np.ascontiguousarray(pixels[:, :, ::-1])
    img.load()
    return _pil_pixels(img, name)


def _jpeg_scale(size: tuple[int, int], max_side: int | None) -> int:
    """The libjpeg scale denominator (1, 2, 4, 8) to decode at: see `photo_limits.jpeg_scale`."""
    return jpeg_scale(size, max_side)


def _why(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    if "truncated" in text or isinstance(err, EOFError):
        return "the file is truncated (it ends before the picture does)"
    return f"its data is corrupt ({text})"


def _orientation(img: Any, png_exif: bytes | None) -> int:
    """The EXIF orientation tag (1 = upright). A PNG's eXIf chunk comes from `_check_png`:
    Pillow's getexif would decode the whole picture to look for one after the pixels."""
    if img.format != "PNG":
        return int(img.getexif().get(0x0112, 1))
    if not png_exif:
        return 1
    from PIL import Image
    exif = Image.Exif()
    exif.load(png_exif)
    return int(exif.get(0x0112, 1))


def _check_png(data: bytes, name: str) -> bytes | None:
    """Every chunk's CRC must match and the file must reach IEND: PNG's own integrity check.
    Returns the eXIf chunk's payload, if there is one."""
    view = memoryview(data)
    exif = None
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            break
        if zlib.crc32(view[pos + 4:end - 4]) != struct.unpack_from(">I", data, end - 4)[0]:
            raise AffinekitError(f"{name}: cannot read the image: its data is corrupt "
                                 f"(checksum of the PNG {kind.decode('latin-1')} chunk fails); {FIX}")
        if kind == b"eXIf":
            exif = bytes(view[pos + 8:end - 4])
        if kind == b"IEND":
            return exif     # bytes after IEND (some tools append data) are ignored
        pos = end
    raise AffinekitError(f"{name}: cannot read the image: the file is truncated (it ends before the picture does); {FIX}")


def _strict_jpeg(data: bytes, name: str, scale: int, gray: bool) -> np.ndarray:
    """A JPEG decoded by OpenCV at 1/scale, refused if libjpeg says anything
    ("Corrupt JPEG data: ...", "Premature end of JPEG file"), as (H, W) or (H, W, 3) RGB.

    JPEG has no checksum: bytes overwritten in the middle decode into garbage
    without an error, and Pillow discards libjpeg's warnings. OpenCV's libjpeg
    prints them on the C stderr, which is captured here (a lock keeps two
    threads from swapping it at once).
    """
    flags = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
             8: cv2.IMREAD_REDUCED_COLOR_8}[scale]
    flags = (flags & ~cv2.IMREAD_COLOR if gray else flags) | cv2.IMREAD_IGNORE_ORIENTATION
    with _STDERR_LOCK, tempfile.TemporaryFile() as captured:
        sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:         # no stderr at all (a daemon): nothing to listen on, decode anyway
            saved = None
        if saved is not None:
            os.dup2(captured.fileno(), 2)
        try:
            pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
        finally:
            if saved is not None:
                os.dup2(saved, 2)
                os.close(saved)
        captured.seek(0)
        said = " ".join(captured.read().decode("utf-8", "replace").split())
    if said or pixels is None:
        kind = ("the file is truncated (it ends before the picture does)" if "Premature end" in said or not said
                else f"its data is corrupt ({said[:200]})")
        raise AffinekitError(f"{name}: cannot read the image: {kind}; {FIX}")
    return pixels if pixels.ndim == 2 else np.ascontiguousarray(pixels[:, :, ::-1])


def _upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """The picture turned as its EXIF orientation (tag 0x0112) says: cameras store it sideways and set the tag."""
    if orientation in (5, 6, 7, 8):          # the picture's rows are its columns
        pixels = np.swapaxes(pixels, 0, 1)
        orientation = {5: 1, 6: 2, 7: 3, 8: 4}[orientation]
    if orientation in (2, 3):
        pixels = pixels[:, ::-1]
    if orientation in (3, 4):
        pixels = pixels[::-1]
    return np.ascontiguousarray(pixels)


def _pil_pixels(img: Any, name: str) -> np.ndarray:
    """A PIL image of any mode as (H, W) or (H, W, 3) uint8; alpha composited on white."""
    mode = img.mode
    if mode in ("P", "PA") or (mode in ("L", "RGB") and "transparency" in img.info):
        has_alpha = mode == "PA" or "transparency" in img.info   # a transparent palette entry or colour
        img = img.convert(("LA" if mode == "L" else "RGBA") if has_alpha else "RGB")
        mode = img.mode
    if mode.startswith("I;16"):
        return _to_uint8(np.asarray(img).astype(np.uint16), name)
    if mode in ("I", "F"):
        arr = np.nan_to_num(np.asarray(img, dtype=np.float32))
        top = float(arr.max()) if arr.size else 1.0
        # a float picture (32-bit TIFF) holds 0-1 by convention: dividing it by 255 made it black
        scale = 1.0 if mode == "F" and top <= 1.0 else top if top > 255 else 255.0
        return _to_uint8(np.clip(arr / scale, 0, 1), name)
    if mode in ("1", "L"):
        return np.asarray(img.convert("L"))
    if mode in ("LA", "La", "RGBA", "RGBa"):
        return _on_white(np.asarray(img.convert("LA" if mode.startswith("L") else "RGBA")))
    return np.asarray(img.convert("RGB"))      # RGB, CMYK, YCbCr, LAB, HSV


def _on_white(arr: np.ndarray) -> np.ndarray:
    """Colour and alpha planes -> colour over a white background (transparent parts are often black inside)."""
    colour, alpha = arr[..., :-1], arr[..., -1:]
    if alpha.min() == 255:
        out = colour
    else:
        a = alpha.astype(np.float32) / 255.0
        out = (colour * a + 255.0 * (1.0 - a) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(out[..., 0] if out.shape[-1] == 1 else out)


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
