"""How much of a photo file is read and how large it is decoded: bounds that keep a hostile or huge
input from hanging the kit or exhausting memory.

`/dev/zero` and `/dev/urandom` were read until memory ran out and a FIFO named
`photo.jpg` blocked forever: only regular files are opened, and at most
`MAX_FILE_BYTES` of them. Phone photos of 108 and 200 megapixels were refused
by Pillow's decompression-bomb guard (89 megapixels): a JPEG is now decoded
at 1/2, 1/4 or 1/8 scale, chosen so that the decoded picture stays within
`MAX_DECODED_PIXELS` (and at least the output size on its short side);
other formats keep the guard, since they cannot be decoded smaller.
"""
from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path
from typing import Iterator

from affinekit.errors import AffinekitError

MAX_FILE_BYTES = 512 * 1024 ** 2      # far above any camera's JPEG (a 200 MP one is about 60 MB)
MAX_DECODED_PIXELS = 89_478_485       # Pillow's own bomb limit, now on the decoded (reduced) picture
JPEG_SCALES = (1, 2, 4, 8)            # the scales libjpeg decodes at directly
_LIMIT_LOCK = threading.Lock()


def read_bounded(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, or one line saying why not."""
    try:
        info = os.stat(path)
    except OSError as err:
        raise AffinekitError(f"{path}: cannot read ({err.strerror}); check the path and its permissions") from None
    if not stat.S_ISREG(info.st_mode):
        raise AffinekitError(f"{path}: not a regular file (a device, pipe or socket); pass a photo file "
                             "(JPEG or PNG)")
    if info.st_size > MAX_FILE_BYTES:
        raise AffinekitError(f"{path}: {info.st_size / 1024 ** 2:.0f} MB is too large for a photo (at most "
                             f"{MAX_FILE_BYTES // 1024 ** 2} MB); export it as a JPEG")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)     # the file may grow between stat and read
    except OSError as err:
        raise AffinekitError(f"{path}: cannot read ({err.strerror}); check the path and its permissions") from None
    if len(data) > MAX_FILE_BYTES:
        raise AffinekitError(f"{path}: too large for a photo (more than {MAX_FILE_BYTES // 1024 ** 2} MB); "
                             "export it as a JPEG")
    return data


def jpeg_scale(size: tuple[int, int], max_side: int | None) -> int:
    """The libjpeg scale denominator for a JPEG of `size`: the largest that keeps both sides >= max_side,
    raised as far as needed to bring the decoded picture within MAX_DECODED_PIXELS."""
    fits = min(size) // max_side if max_side else 1
    scale = next((s for s in reversed(JPEG_SCALES) if s <= fits), 1)
    while scale < JPEG_SCALES[-1] and (size[0] // scale) * (size[1] // scale) > MAX_DECODED_PIXELS:
        scale *= 2
    return scale


def fits_at_jpeg_scale(size: tuple[int, int]) -> bool:
    """Whether a JPEG of `size` can be decoded within MAX_DECODED_PIXELS at some libjpeg scale."""
    smallest = JPEG_SCALES[-1]
    return (size[0] // smallest) * (size[1] // smallest) <= MAX_DECODED_PIXELS


@contextlib.contextmanager
def pixel_guard(is_jpeg: bool) -> Iterator[None]:
    """Pillow's bomb guard off while a JPEG is opened (`jpeg_scale` bounds its decoded size instead),
    as it is for every other format."""
    if not is_jpeg:
        yield
        return
    from PIL import Image

    with _LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved
