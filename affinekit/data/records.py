"""`SequenceRecord`: one raw item (a sequence, a still pair, apex faces) as every reader yields it.

Images are read by their bytes, not their extension: the AffineGAN sample holds
PNG data in files named .jpg, and Yale's GIFs have no extension at all.

Kinds (`KINDS`): "sequence" runs from a neutral first frame to the apex last
(CK+, AffineGAN, clips); "pair" is a neutral frame 0 followed by apex frames of
intensity 1 taken apart from it (FRLL, JAFFE, Yale, MEAD); "apex" holds only apex
faces with no neutral (CK+48).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.errors import AffinekitError
from affinekit.io.image_decoder import decode_image
from affinekit.io.images import to_channels
from affinekit.io.photos import read_bytes
from affinekit.io.video import read_frames

KINDS = ("sequence", "pair", "apex")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".gif", ".m4v"}


@dataclass
class SequenceRecord:
    """One item from a raw source: for kind "sequence", frames ordered neutral to apex
    (see the module doc for "pair" and "apex").

    `label` is an EXPRESSIONS name or None (unlabelled). `video` is set when the
    frames come from a video file (then `frames` is empty). `error` is set when
    the reader found a problem (e.g. an unreadable emotion file): consumers skip
    the record with that reason; `load_frames` raises it. `extra` keeps
    source-specific facts, e.g. {"folder": "closeeye"} for an AffineGAN folder
    whose name is not an expression, or {"tight_crop": True} for CK+48's 48 px crops.
    """
    subject: str
    sequence: str
    label: str | None
    frames: list[Path]
    source: str
    video: Path | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    kind: str = "sequence"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown record kind {self.kind!r}; use one of {', '.join(KINDS)}")

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

    def load_images(self) -> list[np.ndarray]:
        """The frame files as a list of (H,W,3) uint8 RGB images, sizes free to differ
        (the two photos of a still pair need not match)."""
        if self.error:
            raise AffinekitError(self.error)
        if not self.frames:
            raise AffinekitError(f"{self.key}: no image files; check its folder")
        return [read_image(p) for p in self.frames]

    def source_is_gray(self) -> bool:
        """Whether the source images are grey, judged from the first and last frames' pixels
        (only the first frame of a video: decoding a whole clip to look is not worth it)."""
        if self.video is not None:
            return looks_gray(read_frames(self.video, max_frames=1))
        ends = self.frames[:1] + self.frames[-1:] if len(self.frames) > 1 else self.frames
        return looks_gray([read_image(p) for p in ends])


def looks_gray(images: np.ndarray | list[np.ndarray]) -> bool:
    """True when every image is single-channel or has (nearly) equal R, G, B.

    Nearly: a grey picture saved as colour JPEG gets chroma rounding of a level or
    two, so 99.9% of pixels within 3 levels counts as grey; a colour face, even a
    pale one, differs by far more across its skin, lips and eyes.
    """
    for image in images:
        image = np.asarray(image)
        if image.ndim == 2 or image.shape[-1] == 1:
            continue
        rgb = image[..., :3].astype(np.int16)
        spread = np.maximum(np.abs(rgb[..., 0] - rgb[..., 1]), np.abs(rgb[..., 1] - rgb[..., 2]))
        if np.percentile(spread, 99.9) > 3:
            return False
    return True


def safe_key(text: str) -> str:
    """Replace characters that are awkward in file names."""
    # letters of every script stay (NFC, so an accent typed either way is one letter): dropping them made
    # folders named in Chinese, or differing only by an accent, collide as one key
    return re.sub(r"[^\w.-]+", "-", unicodedata.normalize("NFC", text)).strip("-") or "sequence"


def read_image(path: str | Path, gray: bool = False) -> np.ndarray:
    """One frame by its content: (H,W) uint8 if gray else (H,W,3) uint8 RGB.

    Decoded by `image_decoder.decode_image`, the decoder of photos, so a frame and a
    photo with the same bytes give the same pixels, and a truncated or corrupt
    frame is refused with one line naming it.
    """
    path = Path(path)
    return to_channels(decode_image(read_bytes(path), str(path)), gray)


def list_images(folder: Path) -> list[Path]:
    """Image files directly in a folder, sorted by name (hidden files ignored)."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)
