"""The one decoder of image files: bytes in, (H, W) gray or (H, W, 3) RGB uint8 out.

`decode_image` serves photos (`photos.read_photo`: the command line, the Python
API, the widget) and dataset frames (`records.read_image`) alike: EXIF
orientation applied, 16-bit, CMYK and palette converted, alpha composited on
white; an empty, truncated or corrupt file, or any decoder warning, is refused
with one line naming the file. How large a file may be is `photo_limits`'.
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
from typing import Any

import cv2
import numpy as np

from affinekit.errors import AffinekitError
from affinekit.io.photo_limits import fits_at_jpeg_scale, jpeg_scale, pixel_guard

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
                profile = img.info.get("icc_profile")
    except UnidentifiedImageError:
        raise AffinekitError(f"{name}: not an image file this kit can read; use a JPEG or PNG") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise AffinekitError(f"{name}: cannot read the image: {err.args[0].split('.')[0]}; "
                             "save it as a JPEG (decoded at a reduced scale) or below 89 megapixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, Warning) as err:
        raise AffinekitError(f"{name}: cannot read the image: {_why(err)}; {FIX}") from None
    return upright(to_srgb(pixels, profile, name), orientation)


def to_srgb(pixels: np.ndarray, icc: bytes | None, name: str) -> np.ndarray:
    """RGB pixels decoded from a file whose embedded ICC profile is another RGB space (Adobe RGB, Display
    P3, ProPhoto) converted to sRGB, which the models and videos assume: read as they are, a wide-gamut
    photo's colours come out desaturated. sRGB profiles, grey and CMYK pictures pass unchanged; a
    profile that cannot be read is refused with one line, like any other damage."""
    if not icc or pixels.ndim != 3:
        return pixels
    from PIL import Image, ImageCms
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = profile.profile.xcolor_space.strip()
        described = (profile.profile.profile_description or "").lower()
    except (OSError, ValueError, ImageCms.PyCMSError) as err:
        raise AffinekitError(f"{name}: its embedded colour profile (ICC) cannot be read ({_why(err)}); "
                             "re-export the photo as sRGB") from None
    if space != "RGB" or "srgb" in described:
        return pixels
    try:
        converted = ImageCms.profileToProfile(Image.fromarray(pixels), profile, ImageCms.createProfile("sRGB"),
                                              outputMode="RGB")
    except (OSError, ValueError, ImageCms.PyCMSError) as err:
        raise AffinekitError(f"{name}: its colour profile (ICC) could not be converted to sRGB ({_why(err)}); "
                             "re-export the photo as sRGB") from None
    return np.asarray(converted)


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
    return pil_pixels(img, name)


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


def upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """The picture turned as its EXIF orientation (tag 0x0112) says: cameras store it sideways and set the tag."""
    if orientation in (5, 6, 7, 8):          # the picture's rows are its columns
        pixels = np.swapaxes(pixels, 0, 1)
        orientation = {5: 1, 6: 2, 7: 3, 8: 4}[orientation]
    if orientation in (2, 3):
        pixels = pixels[:, ::-1]
    if orientation in (3, 4):
        pixels = pixels[::-1]
    return np.ascontiguousarray(pixels)


def pil_pixels(img: Any, name: str) -> np.ndarray:
    """A PIL image of any mode as (H, W) or (H, W, 3) uint8; alpha composited on white."""
    mode = img.mode
    if mode in ("P", "PA") or (mode in ("L", "RGB") and "transparency" in img.info):
        has_alpha = mode == "PA" or "transparency" in img.info   # a transparent palette entry or colour
        img = img.convert(("LA" if mode == "L" else "RGBA") if has_alpha else "RGB")
        mode = img.mode
    if mode.startswith("I;16"):
        return pixels_as_uint8(np.asarray(img).astype(np.uint16), name)
    if mode in ("I", "F"):
        arr = np.nan_to_num(np.asarray(img, dtype=np.float32))
        top = float(arr.max()) if arr.size else 1.0
        # a float picture (32-bit TIFF) holds 0-1 by convention: dividing it by 255 made it black
        scale = 1.0 if mode == "F" and top <= 1.0 else top if top > 255 else 255.0
        return pixels_as_uint8(np.clip(arr / scale, 0, 1), name)
    if mode in ("1", "L"):
        return np.asarray(img.convert("L"))
    if mode in ("LA", "La", "RGBA", "RGBa"):
        return on_white(np.asarray(img.convert("LA" if mode.startswith("L") else "RGBA")))
    return np.asarray(img.convert("RGB"))      # RGB, CMYK, YCbCr, LAB, HSV


def on_white(arr: np.ndarray) -> np.ndarray:
    """Colour and alpha planes -> colour over a white background (transparent parts are often black inside)."""
    colour, alpha = arr[..., :-1], arr[..., -1:]
    if alpha.min() == 255:
        out = colour
    else:
        a = alpha.astype(np.float32) / 255.0
        out = (colour * a + 255.0 * (1.0 - a) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(out[..., 0] if out.shape[-1] == 1 else out)


def pixels_as_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    """Pixels of any common type as uint8: bool, 16-bit (/257), floats in [0, 1]; others refused naming `name`."""
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
