"""AffineGAN folders, videos, frame folders, labels CSVs and `read_source` dispatch."""
from __future__ import annotations

from pathlib import Path

import cv2
import imageio.v2 as iio
import numpy as np
import pytest

from affinekit.data.folders import read_affinegan, read_frame_folder, read_labels_csv, read_source, read_video
from affinekit.errors import AffinekitError


def _write_frames(folder: Path, n: int = 3, png_as_jpg: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        data = cv2.imencode(".png", np.full((16, 20), 30 * i, np.uint8))[1].tobytes()
        (folder / f"{i:04d}.{'jpg' if png_as_jpg else 'png'}").write_bytes(data)
    return folder


def _write_mp4(path: Path, n: int = 5) -> Path:
    frames = [np.full((32, 32, 3), 20 * i, np.uint8) for i in range(n)]
    iio.mimwrite(path, frames, format="FFMPEG", fps=5, codec="libx264", macro_block_size=1)
    return path


def test_affinegan_layout_made_up(tmp_path):
    for expr, vids in [("happy", 2), ("eyeup", 1)]:
        for v in range(1, vids + 1):
            _write_frames(tmp_path / expr / "train" / "img" / f"vid_{v:04d}", png_as_jpg=True)
    _write_frames(tmp_path / "happy" / "train" / "patch" / "vid_0001")
    _write_frames(tmp_path / "happy" / "test" / "img" / "vid_0009", n=1)
    records = {r.key: r for r in read_affinegan(tmp_path)}
    assert sorted(records) == ["eyeup-vid_0001_train", "happy-vid_0001_train", "happy-vid_0002_train"]
    assert records["happy-vid_0001_train"].label == "happy"
    assert "patch_dir" in records["happy-vid_0001_train"].extra
    eyeup = records["eyeup-vid_0001_train"]
    assert eyeup.label is None and eyeup.extra["folder"] == "eyeup"
    assert eyeup.load_frames(gray=True)[:, 0, 0].tolist() == [30, 60, 90]  # PNG bytes in .jpg files
    # One expression folder works too, and the test split.
    assert len(read_affinegan(tmp_path / "happy")) == 2
    assert [r.key for r in read_affinegan(tmp_path, split="test")] == ["happy-vid_0009_test"]
    assert read_source(tmp_path)[0].source == "affinegan"


def test_affinegan_real_sample(affinegan_root):
    records = read_affinegan(affinegan_root)
    assert len(records) == 14
    by_folder = {}
    for r in records:
        by_folder.setdefault(r.extra["folder"], []).append(r)
    assert {r.label for r in by_folder["happy"]} == {"happy"}
    for name in ("closeeye", "drumcheeks", "eyeup"):
        assert {r.label for r in by_folder[name]} == {None}
    happy = next(r for r in by_folder["happy"] if r.subject.endswith("vid_0001"))
    frames = happy.load_frames(gray=True)  # .jpg names, PNG content
    assert frames.shape == (22, 490, 640)
    rgb = by_folder["closeeye"][0].load_frames()
    assert rgb.shape[1:] == (256, 256, 3)
    assert len(read_affinegan(affinegan_root, split="test")) >= 8


def test_video_reader_on_a_tiny_mp4(tmp_path):
    path = _write_mp4(tmp_path / "smile.mp4")
    record = read_video(path, label="Happiness", subject="p1")
    assert (record.key, record.label, record.source) == ("p1_video", "happy", "video")
    frames = record.load_frames()
    assert frames.shape == (5, 32, 32, 3)
    assert np.allclose(frames[:, 16, 16, 0], 20 * np.arange(5), atol=4)
    with pytest.raises(AffinekitError, match="unknown expression"):
        read_video(path, label="joy")


def test_frame_folder_and_empty_folder(tmp_path):
    record = read_frame_folder(_write_frames(tmp_path / "clip1", n=4), label="surprise")
    assert record.label == "surprise" and len(record.frames) == 4
    (tmp_path / "empty").mkdir()
    with pytest.raises(AffinekitError, match="empty: no image files"):
        read_frame_folder(tmp_path / "empty")
    with pytest.raises(AffinekitError) as err:
        read_source(tmp_path / "empty")
    assert "no frames, videos" in str(err.value) and "\n" not in str(err.value)


def test_labels_csv_and_mixed_folder(tmp_path):
    _write_frames(tmp_path / "clips" / "a")
    _write_mp4(tmp_path / "clips" / "b.mp4")
    (tmp_path / "clips" / "notes.txt").write_text("ignored")
    csv = tmp_path / "labels.csv"
    csv.write_text("path,label,how\nclips/a,happy,by eye\nclips/b.mp4,unlabelled,unknown\n")
    labels = read_labels_csv(csv)
    assert labels[(tmp_path / "clips" / "a").resolve()] == "happy"
    assert labels[(tmp_path / "clips" / "b.mp4").resolve()] is None
    records = read_source(tmp_path / "clips", labels_csv=csv)
    assert [(r.source, r.label) for r in records] == [("frames", "happy"), ("video", None)]
    # An optional subject column names the person; keys stay unique.
    csv.write_text("path,label,subject\nclips/a,happy,p7\nclips/b.mp4,surprise,p7\n")
    records = read_source(tmp_path / "clips", labels_csv=csv)
    assert [r.subject for r in records] == ["p7", "p7"] and len({r.key for r in records}) == 2
    csv.write_text("path,label,how\nclips/a,happy,by eye\nclips/b.mp4,unlabelled,unknown\n")
    # A CSV given as the source lists its sequences itself.
    assert [r.label for r in read_source(csv)] == ["happy", None]


def test_bad_labels_csv(tmp_path):
    csv = tmp_path / "labels.csv"
    csv.write_text("file,emotion\nx,happy\n")
    with pytest.raises(AffinekitError, match="columns path,label"):
        read_labels_csv(csv)
    csv.write_text("path,label\nx,elated\n")
    with pytest.raises(AffinekitError, match=r"labels.csv:2: unknown expression"):
        read_labels_csv(csv)


def test_read_source_single_files(tmp_path):
    photo = tmp_path / "me.jpg"
    photo.write_bytes(cv2.imencode(".jpg", np.zeros((8, 8), np.uint8))[1].tobytes())
    assert [(r.source, len(r.frames)) for r in read_source(photo)] == [("photo", 1)]
    assert read_source(_write_mp4(tmp_path / "v.mp4"))[0].video is not None
    with pytest.raises(AffinekitError, match="not found"):
        read_source(tmp_path / "nothing")
    (tmp_path / "doc.pdf").write_bytes(b"%PDF")
    with pytest.raises(AffinekitError, match="unsupported file type"):
        read_source(tmp_path / "doc.pdf")
