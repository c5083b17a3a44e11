"""Prepared files checked for what their manifest claims, before training or scoring trusts them.

A 64 px `.npz` among 128 px ones, frames stored as float64 at three times the
range, or NaN landmarks are valid files that are wrong: training crashed on
them (one with a segfault) and evaluation scored them under the wrong header.
Each file's arrays are checked from their `.npy` headers (shape, dtype: no
pixels decompressed) and its landmarks read (small) for finite values.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.errors import AffinekitError

FIX = "delete it and rerun `affinekit prepare`"


def array_header(z: zipfile.ZipFile, member: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of `member.npy` in an open .npz, read from its header alone."""
    with z.open(f"{member}.npy") as f:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(f)
    return tuple(shape), np.dtype(dtype)


def file_problem(path: Path, size: int | None, channels: int | None = None, landmarks: bool = True) -> str | None:
    """Why the prepared file at `path` is not what a manifest of `size` px and `channels` claims; None if it is."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            missing = [m for m in ("frames", "landmarks") if f"{m}.npy" not in names]
            if missing:
                return f"it has no {' or '.join(missing)} array"
            shape, dtype = array_header(z, "frames")
            if dtype != np.uint8:
                return f"its frames are {dtype}, not uint8 (0-255)"
            if len(shape) != 4 or shape[0] < 1 or shape[3] not in (1, 3):
                return f"its frames have shape {shape}, not (frames, height, width, 1 or 3)"
            if size is not None and shape[1:3] != (size, size):
                return f"its frames are {shape[2]}x{shape[1]} px but the manifest says {size} px"
            if channels is not None and shape[3] != channels:
                return f"its frames have {shape[3]} channel(s) but the manifest says {channels}"
            lm_shape, lm_dtype = array_header(z, "landmarks")
            if lm_shape != (shape[0], 68, 2) or lm_dtype.kind != "f":
                return f"its landmarks are {lm_dtype} {lm_shape}, not float ({shape[0]}, 68, 2)"
            if landmarks:
                with z.open("landmarks.npy") as f:
                    points = np.lib.format.read_array(f)
                if not np.isfinite(points).all():
                    return "its landmarks hold NaN or infinite values"
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        return f"damaged prepared file ({err})"
    return None


def check_prepared_folder(folder: str | Path, manifest: dict[str, Any]) -> None:
    """AffinekitError naming the first listed file that is not what `manifest` says (size, dtype, landmarks)."""
    folder = Path(folder)
    config = manifest.get("config", {})
    size = config.get("crop_size")
    size = int(size) if isinstance(size, int) and not isinstance(size, bool) else None
    for entry in manifest["sequences"]:
        path = folder / str(entry.get("file") or f"{entry['key']}.npz")
        if not path.is_file():
            continue        # a missing file has its own message where it is read
        problem = file_problem(path, size)
        if problem:
            raise AffinekitError(f"{path}: {problem}; {FIX}")
