"""Read frames from videos (mp4, mov, avi, gif, ...) and write .mp4 or .gif.

mp4 is H.264 in yuv420p so that browsers and phones play it; that pixel format
needs even sizes, so odd frames are padded by one edge pixel. `save_video` is
the one output writer for clips: it checks the destination first, writes a
temporary file, verifies the encoder finished it, then renames it into place.
"""
from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import numpy as np

from affinekit.errors import AffinekitError
from affinekit.io.atomic import atomic_path
from affinekit.io.destinations import writable_file
from affinekit.io.images import as_rgb, to_channels

VIDEO_SUFFIXES = (".mp4", ".gif")


def read_frames(path: str | Path, gray: bool = False, max_frames: int | None = None) -> np.ndarray:
    """All frames of a video as (T,H,W,3) uint8 RGB, or (T,H,W) if gray."""
    import imageio.v2 as iio
    path = Path(path)
    if not path.is_file():
        raise AffinekitError(f"{path}: video not found; check the path")
    frames = []
    try:
        if path.suffix.lower() == ".gif":
            reader = iio.get_reader(path, format="GIF")  # Pillow
        else:
            reader = iio.get_reader(path, format="FFMPEG")
        with reader:
            for frame in reader:
                frames.append(to_channels(np.asarray(frame).astype(np.uint8), gray))
                if max_frames is not None and len(frames) >= max_frames:
                    break
    except Exception as err:  # ffmpeg and Pillow raise many types; all mean "cannot decode"
        reason = str(err).strip().splitlines()[0][:80] if str(err).strip() else type(err).__name__
        raise AffinekitError(f"{path}: cannot decode video ({reason}); re-encode it as H.264 mp4") from None
    if not frames:
        raise AffinekitError(f"{path}: video has no frames; re-encode it as H.264 mp4")
    return np.stack(frames)


def video_fps(path: str | Path, default: float = 25.0) -> float:
    """The frame rate stored in a video file (default if unknown)."""
    import imageio.v2 as iio
    try:
        with iio.get_reader(path, format="FFMPEG") as reader:
            return float(reader.get_meta_data().get("fps") or default)
    except Exception:
        return default


def verify_video(path: str | Path, shown: str | Path | None = None) -> None:
    """Raise AffinekitError unless `path` is a whole .mp4 (an `ftyp` box and the `moov` index that
    ffmpeg writes last) or a whole .gif (header and trailer). A full disk or a killed encoder
    leaves a file without its end, which players cannot open. Messages name `shown` (the file asked
    for) when given, not the hidden temporary being checked."""
    path = Path(path)
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".mp4":
        whole = len(data) > 8 and data[4:8] == b"ftyp" and b"moov" in data
    elif suffix == ".gif":
        whole = data[:6] in (b"GIF87a", b"GIF89a") and data.endswith(b";")
    else:
        whole = len(data) > 0
    if not whole:
        disk = _disk_state(path.parent) or "is the disk full?"
        raise AffinekitError(f"{shown or path}: the video encoder did not finish the file ({len(data)} bytes; "
                             f"{disk}); nothing was replaced")


# x264's "veryfast" preset: a 16-frame 1024 px clip encodes in about half the time of the default
# ("medium"), in a file 10% smaller, at 39.9 dB against the frames instead of 40.5 (the astronaut,
# measured 7 Dec 2026); the encode was the largest stage of the 1 s clip (benchmarks/bench_generate.py)
X264_PRESET = "veryfast"


def write_video(frames: np.ndarray, path: str | Path, fps: float = 8) -> Path:
    """Write (T,H,W[,C]) uint8 frames as .mp4 (H.264, yuv420p) or .gif; returns the path."""
    import imageio.v2 as iio
    path = Path(path)
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim not in (3, 4) or len(frames) == 0:
        raise AffinekitError(f"{path}: frames must be a non-empty (T,H,W[,C]) uint8 array, got "
                             f"{frames.dtype} {frames.shape}")
    rgb = np.stack([as_rgb(f) for f in frames])
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gif":
        iio.mimsave(path, list(rgb), format="GIF", duration=1000.0 / fps, loop=0)
    elif suffix == ".mp4":
        pad_h, pad_w = rgb.shape[1] % 2, rgb.shape[2] % 2
        if pad_h or pad_w:
            rgb = np.pad(rgb, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        with iio.get_writer(path, format="FFMPEG", fps=fps, codec="libx264", pixelformat="yuv420p",
                            macro_block_size=1, ffmpeg_log_level="quiet",
                            output_params=["-preset", X264_PRESET]) as writer:   # its lines: see save_video
            for frame in rgb:
                writer.append_data(frame)
    else:
        raise AffinekitError(f"{path}: unsupported video type {suffix!r}; use .mp4 or .gif")
    return path


def check_fps(fps: float, option: str = "fps") -> None:
    """A frame rate from 1 to 60, or one line naming `option`."""
    if not 1 <= fps <= 60:
        raise AffinekitError(f"{option} must be from 1 to 60, got {fps}")


def save_video(frames: np.ndarray, path: str | os.PathLike, fps: int = 8) -> Path:
    """Write (T, H, W, 3) uint8 frames to .mp4/.gif via a temporary file renamed into place."""
    path = writable_file(path, "the video's path", VIDEO_SUFFIXES)
    check_fps(fps)
    try:
        with atomic_path(path, suffix=path.suffix, verify=lambda tmp: verify_video(tmp, shown=path)) as tmp:
            write_video(np.asarray(frames), tmp, fps)
    except OSError as err:      # e.g. no space left: the old file stays, the temporary one is gone
        raise AffinekitError(f"{path}: could not write the video ({os_reason(err, path.parent)}); "
                             "free some space or write elsewhere") from None
    return path


def os_reason(err: OSError, folder: Path | None = None) -> str:
    """An OSError as a few words: its strerror, else the first line of its text without "[Errno N]"
    (the encoder's errors carry ffmpeg's whole command line after it). An encoder that died shows only
    a broken pipe: then `folder`'s disk says why, when it is full or read-only."""
    if err.strerror:
        reason = err.strerror
    else:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        reason = re.sub(r"^\[Errno \d+\]\s*", "", first)[:120] or type(err).__name__
    if folder is not None and (err.errno == errno.EPIPE or "Broken pipe" in reason):
        return _disk_state(folder) or reason
    return reason


LOW_SPACE = 4 * 1024 ** 2     # below this, a broken encoder pipe is taken as the disk filling up


def _disk_state(folder: Path) -> str | None:
    """'No space left on device' or 'Read-only file system' when `folder`'s disk is so; None otherwise."""
    try:
        disk = os.statvfs(folder)
    except OSError:
        return None
    if disk.f_flag & os.ST_RDONLY:
        return os.strerror(errno.EROFS)
    free = disk.f_bavail * disk.f_frsize
    return f"{os.strerror(errno.ENOSPC)}: {free // 1024} KB free" if free < LOW_SPACE else None
