"""The CK+ reader on the real layout (development sample) and on tiny made-up trees."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from affinekit.data.ckplus import parse_emotion, read_ckplus
from affinekit.data.folders import read_source
from affinekit.errors import AffinekitError


def make_ckplus(root: Path, sequences: dict[tuple[str, str], str | None], frames: int = 3,
                colour: bool = False) -> Path:
    """A tiny CK+ tree; value = emotion file content (None: no file)."""
    for (subject, seq), emotion in sequences.items():
        folder = root / "cohn-kanade-images" / subject / seq
        folder.mkdir(parents=True)
        for i in range(1, frames + 1):
            image = np.full((20, 24, 3) if colour else (20, 24), 10 * i, np.uint8)
            if colour:
                image[..., 2] = 250  # red channel in BGR
            cv2.imwrite(str(folder / f"{subject}_{seq}_{i:08d}.png"), image)
        if emotion is not None:
            efolder = root / "Emotion" / subject / seq
            efolder.mkdir(parents=True)
            (efolder / f"{subject}_{seq}_{frames:08d}_emotion.txt").write_text(emotion)
    return root


def test_labels_unlabelled_and_garbage(tmp_path):
    root = make_ckplus(tmp_path, {("S001", "001"): "   5.0000000e+00\n", ("S001", "002"): None,
                                  ("S002", "001"): "1.0", ("S002", "003"): "happy?!"})
    records = {r.key: r for r in read_ckplus(root)}
    assert records["S001_001"].label == "happy"            # code 5
    assert records["S002_001"].label == "anger"            # code 1 -> EXPRESSIONS[0]
    assert records["S001_002"].label is None and records["S001_002"].error is None
    bad = records["S002_003"]
    assert bad.label is None and "not a CK+ code" in bad.error and "\n" not in bad.error
    assert [p.name for p in records["S001_001"].frames][0] == "S001_001_00000001.png"
    assert len(records["S001_001"].frames) == 3

    labelled = [r.key for r in read_ckplus(root, labelled_only=True)]
    assert "S001_002" not in labelled and "S001_001" in labelled
    assert "S002_003" not in labelled  # unusable; prepare (which reads everything) reports it


def test_colour_frames_become_gray_on_request(tmp_path):
    root = make_ckplus(tmp_path, {("S010", "001"): "7"}, colour=True)
    record = read_ckplus(root)[0]
    rgb = record.load_frames()
    gray = record.load_frames(gray=True)
    assert rgb.shape == (3, 20, 24, 3) and rgb[0, 0, 0, 0] == 250  # red first: RGB order
    assert gray.shape == (3, 20, 24)


def test_emotion_codes(tmp_path):
    f = tmp_path / "e.txt"
    for text, expected in [("0", None), ("2.0000", "contempt"), ("7", "surprise")]:
        f.write_text(text)
        assert parse_emotion(f) == expected
    for text in ["9", "2.5", ""]:
        f.write_text(text)
        with pytest.raises(ValueError):
            parse_emotion(f)


def test_missing_images_folder_is_one_line(tmp_path):
    with pytest.raises(AffinekitError, match="no cohn-kanade-images"):
        read_ckplus(tmp_path)


def test_read_source_dispatches_to_ckplus(tmp_path):
    root = make_ckplus(tmp_path, {("S001", "001"): "3"})
    assert [r.source for r in read_source(root)] == ["ckplus"]
    assert read_source(root / "cohn-kanade-images")[0].label == "disgust"


@pytest.mark.ckplus
def test_real_ckplus_sample(ckplus_root):
    records = read_ckplus(ckplus_root)
    if ckplus_root.name != "ckplus-sample":
        assert records  # a full CK+ copy: only check that it reads
        return
    assert len(records) == 40
    assert len({r.subject for r in records}) == 10
    assert sum(len(r.frames) for r in records) == 684
    assert Counter(r.label for r in records) == Counter(
        anger=4, disgust=9, fear=5, happy=8, sadness=5, surprise=9)
    assert all(r.error is None for r in records)
    frames = records[0].load_frames(gray=True)
    assert frames.dtype == np.uint8 and frames.shape[1:] == (490, 640)
