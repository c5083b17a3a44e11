"""Prepared files checked for what their manifest claims, before training, scoring or a rerun of
`prepare` trusts them: a prepared folder may come from someone else.

A 64 px `.npz` among 128 px ones, frames stored as float64 at three times the
range, or NaN landmarks are valid files that are wrong: training crashed on
them (one with a segfault) and evaluation scored them under the wrong header.
A received folder may also be hostile: a manifest key `../../x` or a file that is a link
reads (and a rerun of prepare would write) outside the folder; a 7 MB `.npz` of zeros
declares 4.9 GB of frames; an object array is a pickle. So every file is named by its key
alone (`sequence_path`: `<folder>/<key>.npz`, the one path the checks and the loader read),
and every array is checked from its `.npy` header (shape, dtype: nothing decompressed)
against the others and against the manifest before anything is inflated.
"""
from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.errors import AffinekitError

FIX = "delete it and rerun `affinekit prepare`"
# arrays of a prepared file: the four the loader needs, the texts it reads, the optional flag
ARRAYS = ("frames", "landmarks", "lip_masks", "transforms")
TEXTS = ("label", "subject", "sequence", "source")
OPTIONAL = ("kind", "gray")
MAX_TEXT = 1024        # characters in a text member: names and labels, never more


def key_problem(key: Any) -> str | None:
    """Why a manifest key cannot name a file of its folder (`<key>.npz`); None if it can."""
    if not isinstance(key, str) or not key:
        return "its key is empty or not a string"
    if any(c in key for c in "/\\\0") or key in (".", "..") or len(key.encode()) > 250:
        return f"its key {key[:60]!r} is not a plain file name (it names a path, or is too long)"
    return None


def entry_problem(entry: dict[str, Any]) -> str | None:
    """Why a manifest entry cannot be trusted to name its own file: a key leaving the folder, or a
    `file` other than `<key>.npz` (the file the kit reads); None if it is sound."""
    problem = key_problem(entry.get("key"))
    if problem:
        return problem
    file = entry.get("file")
    if file is not None and file != f"{entry['key']}.npz":
        return f"its file {str(file)[:60]!r} is not {entry['key']}.npz, the file the kit reads for that key"
    return None


def sequence_path(folder: str | Path, key: str) -> Path:
    """`<folder>/<key>.npz`, the file of a prepared item; AffinekitError for a key that leaves the folder."""
    problem = key_problem(key)
    if problem:
        raise AffinekitError(f"{Path(folder) / 'manifest.json'}: an entry cannot be read: {problem}; {FIX}")
    return Path(folder) / f"{key}.npz"


def array_header(z: zipfile.ZipFile, member: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of `member.npy` in an open .npz, read from its header alone."""
    with z.open(f"{member}.npy") as f:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(f)
    return tuple(shape), np.dtype(dtype)


def headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """{member: (shape, dtype)} of every array in the .npz at `path`, from the headers alone."""
    with zipfile.ZipFile(path) as z:
        return {name[:-4]: array_header(z, name[:-4]) for name in z.namelist() if name.endswith(".npy")}


def inflated_bytes(found: dict[str, tuple[tuple[int, ...], np.dtype]]) -> int:
    """Bytes the arrays of `headers` take once loaded."""
    return sum(math.prod(shape) * dtype.itemsize for shape, dtype in found.values())


def _header_problem(found: dict[str, tuple[tuple[int, ...], np.dtype]], size: int | None,
                    channels: int | None, frames: int | None) -> str | None:
    """Why these arrays (`headers`) are not one prepared item of `frames` frames of `size` px; None if they are."""
    missing = [m for m in ARRAYS + TEXTS if m not in found]
    if missing:
        return f"it has no {' or '.join(missing)} array"
    pickled = [m for m, (_, dtype) in found.items() if dtype.hasobject]
    if pickled:
        return f"it holds object arrays ({', '.join(pickled)}), which are read by unpickling; refused"
    shape, dtype = found["frames"]
    if dtype != np.uint8:
        return f"its frames are {dtype}, not uint8 (0-255)"
    if len(shape) != 4 or shape[0] < 1 or shape[3] not in (1, 3) or shape[1] != shape[2]:
        return f"its frames have shape {shape}, not (frames, side, side, 1 or 3)"
    t, side = shape[0], shape[1]
    if frames is not None and t != frames:
        return f"it holds {t} frames but the manifest says {frames}"
    if size is not None and side != size:
        return f"its frames are {shape[2]}x{shape[1]} px but the manifest says {size} px"
    if channels is not None and shape[3] != channels:
        return f"its frames have {shape[3]} channel(s) but the manifest says {channels}"
    expected = {"landmarks": ((t, 68, 2), "f"), "transforms": ((t, 2, 3), "f"), "lip_masks": ((t, side, side), "u")}
    for name, (want, kind) in expected.items():
        got, got_dtype = found[name]
        if got != want or got_dtype.kind != kind:
            what = "float" if kind == "f" else "uint8"
            return f"its {name} are {got_dtype} {got}, not {what} {want}"
    for name in TEXTS + ("kind",):
        if name in found and (found[name][0] != () or found[name][1].kind != "U"
                              or found[name][1].itemsize > 4 * MAX_TEXT):
            return f"its {name} is {found[name][1]} {found[name][0]}, not a short text"
    if "gray" in found and (found["gray"][0] != () or found["gray"][1] != np.bool_):
        return f"its gray flag is {found['gray'][1]} {found['gray'][0]}, not true or false"
    return None


def file_problem(path: Path, size: int | None, channels: int | None = None, landmarks: bool = True,
                 frames: int | None = None) -> str | None:
    """Why the prepared file at `path` is not what a manifest of `size` px, `channels` and `frames` frames
    claims (or is not a prepared file: a link, object arrays, shapes that disagree); None if it is.
    `landmarks` also reads the landmarks (small) for NaN and infinities."""
    if path.is_symlink():
        return "it is a link, not a file of the folder (a prepared folder holds its own files)"
    try:
        found = headers(path)
        problem = _header_problem(found, size, channels, frames)
        if problem or not landmarks:
            return problem
        with zipfile.ZipFile(path) as z, z.open("landmarks.npy") as f:
            points = np.lib.format.read_array(f, allow_pickle=False)
        if not np.isfinite(points).all():
            return "its landmarks hold NaN or infinite values"
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as err:
        return f"damaged prepared file ({str(err)[:120]})"
    return None


def manifest_size(manifest: dict[str, Any]) -> int | None:
    """The crop size a manifest's config says its files have (None when it does not say)."""
    size = manifest.get("config", {}).get("crop_size")
    return int(size) if isinstance(size, int) and not isinstance(size, bool) else None


def listed_frames(entry: dict[str, Any]) -> int | None:
    """The frame count a manifest entry claims (None when it does not say)."""
    frames = entry.get("frames")
    return frames if isinstance(frames, int) and not isinstance(frames, bool) else None


def check_prepared_folder(folder: str | Path, manifest: dict[str, Any]) -> None:
    """AffinekitError naming the first listed file that is not what `manifest` says (size, frames, dtype,
    landmarks), read at the path the loader reads (`sequence_path`)."""
    size = manifest_size(manifest)
    for entry in manifest["sequences"]:
        path = sequence_path(folder, entry["key"])
        if not path.is_file() and not path.is_symlink():
            continue        # a missing file has its own message where it is read
        problem = file_problem(path, size, frames=listed_frames(entry))
        if problem:
            raise AffinekitError(f"{path}: {problem}; {FIX}")
