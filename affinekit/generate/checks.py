"""A clip's settings, its outputs against its inputs, and its memory, checked once before any work.

The library validates and the command only parses: `affinekit generate` hands its options to
`check_clip_settings` (and the Animator checks what it is given through the same functions).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS, requested_label
from affinekit.generate.mixtures import mixture_weights
from affinekit.io.clashes import refuse_clashes
from affinekit.io.destinations import writable_file
from affinekit.io.video import VIDEO_SUFFIXES, check_fps
from affinekit.memory import require_memory

# Chosen by looking at the demo face's apex at 1, 1.5, 2, 2.5 and 3 (happy, surprise; bundled model):
# at 2.5 the eyes smear and surprise's mouth becomes a ring, at 3 the face tears; 2 is still a face
MAX_INTENSITY = 2.0
MIN_SIDE = 64          # the smallest working photo (--max-size) that can hold a findable face

# bytes per output pixel per frame held while a clip is made: float32 RGB working copies of the
# frame (warp, mask, composite: 3) and the uint8 clip itself. Calibrated in bench_big_photo.py's notes.
BYTES_PER_PIXEL = 3 * (3 * 4 + 1)


def clip_destination(out: str, photos: Sequence[str], checkpoint: str | None) -> Path:
    """--out checked before any work: a writable .mp4 or .gif that names no photo being read and not
    the checkpoint (either would be replaced by the clip)."""
    path = writable_file(out, "--out", VIDEO_SUFFIXES)
    inputs = [("the photo", p) for p in photos if Path(p).is_file()] + [("--checkpoint", checkpoint)]
    refuse_clashes({"--out": out}, inputs)
    return path


def clip_bytes(frames: int, height: int, width: int, expression: str) -> int:
    """Memory of one clip of `frames` frames at height x width; a grid of every expression holds a
    panel per expression and the full frame beside the grid itself."""
    panels = len(EXPRESSIONS) + 2 if expression == "all" else 1
    return frames * height * width * BYTES_PER_PIXEL * panels


def check_clip_memory(frames: int, height: int, width: int, expression: str) -> None:
    """One line, before the model runs, when the clip cannot fit in memory."""
    what = "a grid of every expression" if expression == "all" else "the clip"
    require_memory(clip_bytes(frames, height, width, expression), f"--frames {frames}",
                   f"{what} at {width}x{height} px", "use fewer --frames or a smaller --max-size")


def requested_expression(expression: str | int | Mapping[str, float]) -> int | np.ndarray:
    """A plain expression as its label index, a mixture {name: weight} as its weight vector (checked)."""
    if isinstance(expression, Mapping):
        return mixture_weights(expression, "expression")
    return requested_label(expression)


def check_frames(frames: int, intensity: float) -> None:
    """Frames 1-1000 and an intensity from 0 to MAX_INTENSITY, or one line saying what is allowed."""
    if int(frames) != frames or not 1 <= frames <= 1000:
        raise AffinekitError(f"frames must be a whole number from 1 to 1000, got {frames}")
    if not np.isfinite(intensity) or not 0 <= intensity <= MAX_INTENSITY:
        raise AffinekitError(f"intensity must be from 0 to {MAX_INTENSITY} (1 = apex, above 1 extrapolates), "
                             f"got {intensity}")


def check_mixture_total(weights: Any, intensity: float, option: str = "mixture") -> None:
    """A mixture goes sum(weights) x intensity along the expression directions: past MAX_INTENSITY, the
    plain intensity's limit, the face tears just the same; one line."""
    total = float(np.sum(weights)) * float(intensity)
    if np.ndim(weights) == 1 and total > MAX_INTENSITY + 1e-9:
        raise AffinekitError(f"{option}: the mixture's total (sum of weights {float(np.sum(weights)):g} x intensity "
                             f"{float(intensity):g} = {total:g}) passes {MAX_INTENSITY:g}, where the face tears; "
                             "lower the weights or --intensity")


def check_clip_settings(expression: Any, frames: int, intensity: float, fps: int, max_side: int) -> None:
    """Every number of a clip (and its expression, "all" for the grid), each checked here once."""
    if expression != "all":
        requested_expression(expression)
    check_frames(frames, intensity)
    check_fps(fps, "--fps")
    if max_side < MIN_SIDE:
        raise AffinekitError(f"--max-size must be at least {MIN_SIDE} pixels, got {max_side}")
