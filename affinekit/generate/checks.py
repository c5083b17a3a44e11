"""`affinekit generate`'s outputs checked against its inputs, and a clip's memory, before any work."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from affinekit.expressions import EXPRESSIONS
from affinekit.io.clashes import refuse_clashes
from affinekit.memory import require_memory

# bytes per output pixel per frame held while a clip is made: float32 RGB working copies of the
# frame (warp, mask, composite: 3) and the uint8 clip itself. Calibrated in bench_big_photo.py's notes.
BYTES_PER_PIXEL = 3 * (3 * 4 + 1)


def refuse_output_clashes(out: str | None, photos: Sequence[str], checkpoint: str | None) -> None:
    """--out may not name a photo being read or the checkpoint (it would be replaced by the clip)."""
    inputs = [("the photo", p) for p in photos if Path(p).is_file()] + [("--checkpoint", checkpoint)]
    refuse_clashes({"--out": out}, inputs)


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
