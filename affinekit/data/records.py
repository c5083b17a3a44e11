"""`SequenceRecord`: one raw sequence (neutral to apex) as every reader yields it.

Images are read by their bytes, not their extension: the AffineGAN sample holds
PNG data in files named .jpg.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.errors import AffinekitError
from affinekit.images import to_channels
from affinekit.photos import decode_image, read_bytes
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


def read_image(path: str | Path, gray: bool = False) -> np.ndarray:
    """One frame by its content: (H,W) uint8 if gray else (H,W,3) uint8 RGB.

    Decoded by `photos.decode_image`, the decoder of photos, so a frame and a
    photo with the same bytes give the same pixels, and a truncated or corrupt
    frame is refused with one line naming it.
    """
    path = Path(path)
    return to_channels(decode_image(read_bytes(path), str(path)), gray)


def list_images(folder: Path) -> list[Path]:
    """Image files directly in a folder, sorted by name (hidden files ignored)."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)
