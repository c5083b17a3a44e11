"""`SequenceRecord`: one raw sequence (neutral to apex) as every reader yields it.

Images are read by their bytes, not their extension: the AffineGAN sample holds
PNG data in files named .jpg.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from affinekit.errors import AffinekitError
from affinekit.images import to_channels
from affinekit.video import read_frames

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".gif", ".m4v"}


@dataclass
class SequenceRecord:
    """One sequence from a raw source, frames ordered neutral to apex.

    `label` is an EXPRESSIONS name or None (unlabelled). `video` is set when the
    frames come from a video file (then `frames` is empty). `error` is set when
    the reader found a problem (e.g. an unreadable emotion file): consumers skip
    the record with that reason; `load_frames` raises it. `extra` keeps
    source-specific facts, e.g. {"folder": "closeeye"} for an AffineGAN folder
    whose name is not an expression.
    """
    subject: str
    sequence: str
    label: str | None
    frames: list[Path]
    source: str
    video: Path | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """`<subject>_<sequence>`, made safe as a file name."""
        return safe_key(f"{self.subject}_{self.sequence}")

    def load_frames(self, gray: bool = False) -> np.ndarray:
        """All frames as (T,H,W) uint8 grayscale or (T,H,W,3) uint8 RGB."""
        if self.error:
            raise AffinekitError(self.error)
        if self.video is not None:
            return read_frames(self.video, gray=gray)
        if not self.frames:
            raise AffinekitError(f"{self.key}: sequence has no frames; check its folder")
        images = [read_image(p, gray=gray) for p in self.frames]
        shapes = {im.shape for im in images}
        if len(shapes) > 1:
            raise AffinekitError(f"{self.frames[0].parent}: frames differ in size {sorted(shapes)}; "
                                 "resize them to one size")
        return np.stack(images)


def safe_key(text: str) -> str:
    """Replace characters that are awkward in file names."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "sequence"


def _looks_truncated(data: bytes) -> bool:
    # Checked before decoding because libpng/libjpeg print their own warnings to
    # stderr (and JPEG returns a half-grey image) instead of failing cleanly.
    # Lenient about trailing bytes (some phones append data after the image) so
    # that no valid photo is refused.
    if data.startswith(b"\x89PNG"):
        return b"IEND" not in data[-4096:]
    if data.startswith(b"\xff\xd8"):
        return data.rfind(b"\xff\xd9") < 0
    return False


def read_image(path: str | Path, gray: bool = False) -> np.ndarray:
    """One image by its content: (H,W) uint8 if gray else (H,W,3) uint8 RGB."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise AffinekitError(f"{path}: cannot read ({err.strerror}); check the path") from None
    if not data or _looks_truncated(data):
        raise AffinekitError(f"{path}: image file is empty or truncated; re-export or remove it")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise AffinekitError(f"{path}: not a readable image; use PNG or JPEG")
    return to_channels(_to_uint8(image), gray, bgr=True)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint16:  # 16-bit PNG
        return (image >> 8).astype(np.uint8)
    return image.astype(np.uint8, copy=False)


def list_images(folder: Path) -> list[Path]:
    """Image files directly in a folder, sorted by name (hidden files ignored)."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)
