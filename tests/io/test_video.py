"""Reading and writing videos: mp4 (H.264, yuv420p, even sizes) and gif."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from affinekit.errors import AffinekitError
from affinekit.io.video import read_frames, video_fps, write_video


def _ramp(t: int = 6, h: int = 32, w: int = 48) -> np.ndarray:
    frames = np.zeros((t, h, w, 3), np.uint8)
    for i in range(t):
        frames[i, :, :, 0] = 40 * i
        frames[i, :, :, 1] = np.linspace(0, 255, w, dtype=np.uint8)
    return frames


def test_mp4_round_trip(tmp_path):
    frames = _ramp()
    path = write_video(frames, tmp_path / "clip.mp4", fps=10)
    back = read_frames(path)
    assert back.shape == frames.shape and back.dtype == np.uint8
    # Lossy codec: close, not equal. The red ramp over time must survive.
    assert np.abs(back.astype(int) - frames.astype(int)).mean() < 6
    assert np.allclose(back[..., 0].mean(axis=(1, 2)), 40 * np.arange(6), atol=6)
    assert video_fps(path) == pytest.approx(10)
    assert read_frames(path, gray=True).shape == frames.shape[:3]
    assert len(read_frames(path, max_frames=2)) == 2


def test_mp4_is_h264_yuv420p_with_odd_sizes_padded(tmp_path):
    import imageio_ffmpeg
    path = write_video(_ramp(h=31, w=45)[..., 0], tmp_path / "odd.mp4", fps=5)  # gray, odd sizes
    back = read_frames(path)
    assert back.shape == (6, 32, 46, 3)
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                           capture_output=True, text=True, timeout=60).stderr
    assert "h264" in probe and "yuv420p" in probe


def test_gif_round_trip(tmp_path):
    frames = _ramp(t=4)
    path = write_video(frames, tmp_path / "clip.gif", fps=4)
    back = read_frames(path)
    assert back.shape == frames.shape
    assert np.abs(back.astype(int) - frames.astype(int)).mean() < 12  # palette quantisation


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage" * 100])
def test_undecodable_video_is_one_clear_line(tmp_path, content):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(AffinekitError) as err:
        read_frames(path)
    assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)


def test_bad_writes(tmp_path):
    with pytest.raises(AffinekitError, match="use .mp4 or .gif"):
        write_video(_ramp(), tmp_path / "clip.avi")
    with pytest.raises(AffinekitError, match="uint8"):
        write_video(_ramp().astype(np.float32), tmp_path / "clip.mp4")
    with pytest.raises(AffinekitError, match="not found"):
        read_frames(tmp_path / "missing.mp4")


# --------------------------------------------------------------------------- atomic writes

def test_a_failed_encode_keeps_the_old_video_and_leaves_no_temporary(tmp_path, monkeypatch):
    """As on a full disk: the encoder stops before the trailer and says nothing."""
    import affinekit.io.video as video
    from affinekit.errors import AffinekitError
    from affinekit.io.video import save_video

    frames = np.zeros((3, 32, 32, 3), np.uint8)
    target = tmp_path / "clip.mp4"
    save_video(frames, target, 8)
    good = target.read_bytes()
    real = video.write_video

    def truncated(frames, path, fps=8):
        real(frames, path, fps)
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[:data.index(b"moov") - 4])     # no index: unplayable

    monkeypatch.setattr(video, "write_video", truncated)
    with pytest.raises(AffinekitError, match="did not finish"):
        save_video(frames, target, 8)
    assert target.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_atomic_files_get_the_umask_mode_and_stale_temporaries_go(tmp_path):
    import os
    import subprocess
    import sys
    import time

    from affinekit.io.atomic import STALE_SECONDS, atomic_write

    stale = tmp_path / ".state.json.abc123.tmp"
    stale.write_text("left by a killed run")
    old = time.time() - STALE_SECONDS - 5
    os.utime(stale, (old, old))
    fresh = tmp_path / ".state.json.def456.tmp"           # maybe another writer's, right now: kept
    fresh.write_text("busy")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=60)
    killed = tmp_path / f".state.json.{dead.pid}.x1y2.tmp"  # its process is gone: removed however young
    killed.write_text("left by kill -9")
    live = tmp_path / f".state.json.{os.getppid()}.z3.tmp"  # a running process's: kept
    live.write_text("busy")
    previous = os.umask(0o022)
    try:
        atomic_write(tmp_path / "state.json", lambda f: f.write(b"{}"))
    finally:
        os.umask(previous)
    assert (tmp_path / "state.json").stat().st_mode & 0o777 == 0o644
    assert not stale.exists() and fresh.exists()
    assert not killed.exists() and live.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, live.name, "state.json"])


def test_mp4s_are_encoded_with_x264s_veryfast_preset(tmp_path):
    """x264 writes its settings into the stream: veryfast searches one reference frame with subme 2
    (the default preset, medium, uses 3 and 7), so a change of preset shows here."""
    frames = np.random.default_rng(0).integers(0, 256, (4, 32, 48, 3), dtype=np.uint8)
    data = write_video(frames, tmp_path / "clip.mp4").read_bytes()
    options = data[data.index(b"options:"):][:2000].split(b"\x00")[0].decode("ascii", "replace")
    assert " ref=1 " in options and " subme=2 " in options, options[:300]
