"""Readers of FRLL, JAFFE, Yale, MEAD and CK+48 in their own layouts, and what `prepare` makes of them."""
from __future__ import annotations

from pathlib import Path

import cv2
import imageio.v2 as iio
import numpy as np
import pytest
from PIL import Image

from affinekit.config import DataConfig
from affinekit.data import mead as mead_mod
from affinekit.data import stills
from affinekit.data.faces import TEMPLATE_EYES, FaceAligner, eye_centres, find_faces
from affinekit.data.folders import read_source
from affinekit.data.prepare import prepare, prepare_records
from affinekit.data.prepared import PreparedSequence, entry_kind, load_manifest, load_sequence
from affinekit.data.records import looks_gray, safe_key
from affinekit.errors import AffinekitError

RNG = np.random.default_rng(0)


def _colour(size=(40, 40)) -> np.ndarray:
    return RNG.integers(0, 255, (*size, 3), dtype=np.uint8)


def _grey(size=(40, 40)) -> np.ndarray:
    return RNG.integers(0, 255, size, dtype=np.uint8)


def _save(path: Path, image: np.ndarray, fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, format=fmt)
    return path


def _by_key(records):
    keys = [r.key for r in records]
    assert len(set(keys)) == len(keys) and all(k == safe_key(k) for k in keys)
    return {r.key: r for r in records}


def _small(photo: np.ndarray, side: int = 256) -> np.ndarray:
    return cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)


# ------------------------------------------------------------------ readers (no faces needed)

def test_frll_layout(tmp_path):
    for person in ("001", "002"):
        _save(tmp_path / "neutral_front" / f"{person}_03.jpg", _colour(), "JPEG")
    for person in ("001", "002", "003"):      # 003 has no neutral photo
        _save(tmp_path / "smiling_front" / f"{person}_08.jpg", _colour(), "JPEG")
    (tmp_path / "london_info.csv").write_text("face_id,face_age\n001,24\n")
    records = _by_key(read_source(tmp_path))
    assert sorted(records) == ["frll-001_happy", "frll-002_happy", "frll-003_happy"]
    one = records["frll-001_happy"]
    assert (one.subject, one.label, one.kind, one.source) == ("frll-001", "happy", "pair", "frll")
    assert [p.parent.name for p in one.frames] == ["neutral_front", "smiling_front"]
    assert not looks_gray(one.load_images())
    assert "no neutral photo of person 003" in records["frll-003_happy"].error
    # the person without a neutral photo is skipped with the reason, not a crash
    report = prepare_records([records["frll-003_happy"]], tmp_path / "out", DataConfig(crop_size=32),
                             progress=False)
    assert report.skipped[0][0] == "frll-003_happy" and "no neutral photo" in report.skipped[0][1]


def test_jaffe_layout(tmp_path):
    for name in ("KA.NE2.27", "KA.NE1.26", "KA.HA1.30", "KA.SU2.33", "KA.XX1.40", "KB.AN1.50"):
        _save(tmp_path / f"{name}.tiff", _grey(), "TIFF")
    records = _by_key(read_source(tmp_path))
    assert sorted(records) == ["jaffe-KA_HA1", "jaffe-KA_SU2", "jaffe-KB_AN1"]   # XX: not an expression
    happy = records["jaffe-KA_HA1"]
    assert (happy.subject, happy.sequence, happy.label, happy.kind) == ("jaffe-KA", "HA1", "happy", "pair")
    assert [p.name for p in happy.frames] == ["KA.NE1.26.tiff", "KA.HA1.30.tiff"]   # the first neutral take
    assert records["jaffe-KA_SU2"].label == "surprise"
    assert records["jaffe-KB_AN1"].error and "no neutral photo" in records["jaffe-KB_AN1"].error
    assert looks_gray(happy.load_images())


def test_yale_layout(tmp_path):
    for cond in ("normal", "happy", "sad", "surprised", "sleepy", "wink"):
        _save(tmp_path / f"subject01.{cond}", _grey((24, 32)), "GIF")
    _save(tmp_path / "subject02.happy", _grey((24, 32)), "GIF")     # no normal photo
    (tmp_path / "Readme.txt").write_text("Yale faces")
    records = _by_key(read_source(tmp_path))
    assert sorted(records) == ["yale-subject01_happy", "yale-subject01_sad", "yale-subject01_surprised",
                               "yale-subject02_happy"]
    assert {records[k].label for k in records} == {"happy", "sadness", "surprise"}
    sad = records["yale-subject01_sad"]
    assert sad.subject == "yale-subject01" and sad.kind == "pair"
    assert [p.name for p in sad.frames] == ["subject01.normal", "subject01.sad"]
    images = sad.load_images()              # GIFs without an extension, read by their bytes
    assert images[0].shape == (24, 32, 3) and looks_gray(images)
    assert "no neutral photo" in records["yale-subject02_happy"].error


def _write_clip(path: Path, frames: list[np.ndarray], fps: int = 25) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.mimwrite(path, frames, format="FFMPEG", fps=fps, codec="libx264", macro_block_size=1)
    return path


def test_mead_layout(tmp_path):
    clip = [_colour((32, 32))] * 3
    for name in ("M030_front_neutral_level1_001", "M030_front_happy_level3_001",
                 "M030_front_disgusted_level3_001", "W009_front_sad_level3_001"):
        _write_clip(tmp_path / f"{name}.mp4", clip)
    records = _by_key(read_source(tmp_path))
    assert sorted(records) == ["mead-M030_disgusted_level3_001", "mead-M030_happy_level3_001",
                               "mead-W009_sad_level3_001"]
    happy = records["mead-M030_happy_level3_001"]
    assert (happy.subject, happy.label, happy.kind, happy.source) == ("mead-M030", "happy", "pair", "mead")
    assert happy.video.name == "M030_front_happy_level3_001.mp4"
    assert Path(happy.extra["neutral_video"]).name == "M030_front_neutral_level1_001.mp4"
    assert records["mead-M030_disgusted_level3_001"].label == "disgust"
    assert "no neutral clip" in records["mead-W009_sad_level3_001"].error
    assert not happy.source_is_gray()


def test_mead_targets_avoid_speech_extremes():
    base = np.zeros((68, 2), np.float32)
    base[48:68] = np.stack([np.linspace(40, 60, 20), np.full(20, 80.0)], 1)
    points, indices = [], []
    for i, open_by in enumerate([0, 12, 0.5, -0.5, 0.2, 15, 0.1, 0.3]):   # 12 and 15: wide-open syllables
        p = base.copy()
        p[57, 1] += open_by
        p[66, 1] += open_by
        points.append(p)
        indices.append(3 * i)
    chosen = mead_mod.pick_targets(points, indices, k=4, min_gap=6)
    assert 1 not in chosen and 5 not in chosen and len(chosen) == 4
    assert chosen == sorted(chosen)          # time order
    assert all(abs(indices[a] - indices[b]) >= 6 for a in chosen for b in chosen if a != b)
    closed, opened = base.copy(), base.copy()
    closed[[61, 62, 63], 1], closed[[67, 66, 65], 1] = 80, 81
    opened[[61, 62, 63], 1], opened[[67, 66, 65], 1] = 76, 88
    assert mead_mod.mouth_opening(closed) < mead_mod.mouth_opening(opened)
    pursed = closed.copy()                          # lips meet but the corners come in: an "oo"
    pursed[48, 0], pursed[54, 0] = 43, 46     # corners 3 px apart instead of 6
    assert mead_mod.most_neutral([opened, pursed, closed, opened]) == 2


def test_ck48_layout(tmp_path):
    for folder, name in [("anger", "S010_004_00000017"), ("anger", "S010_004_00000018"),
                         ("anger", "S010_004_00000019"), ("happy", "S010_006_00000013"),
                         ("happy", "S011_001_00000008"), ("contempt", "S010_004_00000019")]:
        _save(tmp_path / folder / f"{name}.png", _grey((48, 48)))
    records = _by_key(read_source(tmp_path))
    assert sorted(records) == ["ck48-S010_004-anger", "ck48-S010_004-contempt", "ck48-S010_006",
                               "ck48-S011_001"]    # one sequence filed under two emotions keeps two keys
    anger = records["ck48-S010_004-anger"]
    assert (anger.subject, anger.label, anger.kind, anger.source) == ("ck48-S010", "anger", "apex", "ck48")
    assert len(anger.frames) == 3 and anger.extra == {"tight_crop": True, "ckplus_subject": "S010"}
    assert anger.source_is_gray()


def test_big_ck_named_frames_in_emotion_folders_are_apex_records_aligned_as_photos(tmp_path):
    """Not one sequence per emotion folder (its people mixed, issue 31): one apex record per CK+ sequence,
    without the fixed fallback box of CK+48's tight crops."""
    for i in range(7, 9):
        _save(tmp_path / "happy" / f"S010_006_{i:08d}.png", _grey((240, 320)))
    records = read_source(tmp_path)
    assert [(r.source, r.kind, r.key, r.extra["tight_crop"]) for r in records] == \
        [("ck48", "apex", "ck48-S010_006", False)]


def test_looks_gray_tolerates_jpeg_chroma(tmp_path):
    grey = cv2.GaussianBlur(_grey((64, 64)), (5, 5), 0)
    path = _save(tmp_path / "g.jpg", np.repeat(grey[..., None], 3, 2), "JPEG")
    assert looks_gray([np.asarray(Image.open(path).convert("RGB"))])
    assert not looks_gray([_colour()])


# ------------------------------------------------------------------ the prepared format

def test_old_npz_without_kind_loads_as_sequence(tmp_path):
    t, s = 2, 16
    np.savez_compressed(tmp_path / "old.npz", frames=np.zeros((t, s, s, 1), np.uint8),
                        landmarks=np.zeros((t, 68, 2), np.float32), lip_masks=np.zeros((t, s, s), np.uint8),
                        transforms=np.zeros((t, 2, 3), np.float32), label=np.array("happy"),
                        subject=np.array("S1"), sequence=np.array("001"), source=np.array("ckplus"))
    seq = load_sequence(tmp_path, "old")
    assert seq.kind == "sequence" and seq.gray is None
    assert entry_kind({"key": "old"}) == "sequence" and entry_kind({"kind": "apex"}) == "apex"
    new = PreparedSequence("new", seq.frames, seq.landmarks, seq.lip_masks, seq.transforms, "happy",
                           "frll-001", "happy", "frll", kind="pair", gray=False)
    new.save(tmp_path)
    back = load_sequence(tmp_path, "new")
    assert back.kind == "pair" and back.gray is False
    with pytest.raises(AffinekitError, match="unknown kind"):
        PreparedSequence("bad", seq.frames, seq.landmarks, seq.lip_masks, seq.transforms, None,
                         "x", "y", "z", kind="clip").save(tmp_path)


# ------------------------------------------------------------------ end to end on a real face

def _placed(photo: np.ndarray, scale: float, shift: tuple[int, int], side: int = 320) -> np.ndarray:
    """The photo scaled and shifted on a grey canvas: the same face elsewhere in the frame."""
    small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((side, side, 3), 128, np.uint8)
    h, w = min(small.shape[0], side - shift[1]), min(small.shape[1], side - shift[0])
    canvas[shift[1]:shift[1] + h, shift[0]:shift[0] + w] = small[:h, :w]
    return canvas


def test_still_pair_prepares_each_photo_on_its_own(tmp_path, face_photo):
    root = tmp_path / "frll"
    _save(root / "neutral_front" / "001_03.jpg", _placed(face_photo, 0.6, (0, 0)), "JPEG")
    _save(root / "smiling_front" / "001_08.jpg", _placed(face_photo, 0.45, (60, 40)), "JPEG")
    cfg = DataConfig(crop_size=64, channels=3, align_per_frame=False)   # pairs ignore this
    report = prepare(root, tmp_path / "out", cfg, progress=False, verbose=False)
    assert report.prepared == ["frll-001_happy"] and not report.skipped
    entry = load_manifest(tmp_path / "out")["sequences"][0]
    assert (entry["kind"], entry["gray"], entry["source"], entry["frames"]) == ("pair", False, "frll", 2)
    seq = load_sequence(tmp_path / "out", "frll-001_happy")
    assert seq.kind == "pair" and seq.gray is False and seq.frames.shape == (2, 64, 64, 3)
    assert np.abs(seq.transforms[0] - seq.transforms[1]).max() > 0.05      # two transforms
    for points in seq.landmarks:                                           # one face in the crop
        assert np.abs(eye_centres(points) - TEMPLATE_EYES * 64).max() < 1.5
    assert np.abs(seq.landmarks[0] - seq.landmarks[1]).mean() < 1.5


def test_grey_pair_stays_grey_in_rgb(tmp_path, face_photo):
    grey = cv2.cvtColor(_small(face_photo), cv2.COLOR_RGB2GRAY)
    _save(tmp_path / "jaffe" / "KA.NE1.1.tiff", grey, "TIFF")
    _save(tmp_path / "jaffe" / "KA.HA1.2.tiff", np.ascontiguousarray(grey[:, ::-1]), "TIFF")
    prepare(tmp_path / "jaffe", tmp_path / "out", DataConfig(crop_size=48, channels=3), progress=False,
            verbose=False)
    entry = load_manifest(tmp_path / "out")["sequences"][0]
    assert (entry["key"], entry["kind"], entry["gray"]) == ("jaffe-KA_HA1", "pair", True)
    frames = load_sequence(tmp_path / "out", "jaffe-KA_HA1").frames
    assert frames.shape == (2, 48, 48, 3) and (frames[..., 0] == frames[..., 2]).all()


def test_mead_clip_pair_prepares(tmp_path, face_photo):
    photo = _small(face_photo)
    neutral = [np.roll(photo, i, axis=1) for i in range(12)]
    talking = [np.roll(photo[:, ::-1], 2 * i, axis=0) for i in range(24)]
    _write_clip(tmp_path / "mead" / "M030_front_neutral_level1_001.mp4", neutral)
    _write_clip(tmp_path / "mead" / "M030_front_happy_level3_001.mp4", talking)
    mead_mod._neutral.cache_clear()
    prepare(tmp_path / "mead", tmp_path / "out", DataConfig(crop_size=48, channels=3), progress=False,
            verbose=False)
    manifest = load_manifest(tmp_path / "out")
    assert manifest["skipped"] == []
    entry = manifest["sequences"][0]
    assert (entry["key"], entry["kind"], entry["gray"], entry["frames"]) == \
        ("mead-M030_happy_level3_001", "pair", False, 1 + mead_mod.TARGETS)
    targets = entry["target_frames"]
    assert targets == sorted(targets) and all(4 <= i < 20 for i in targets)   # the held middle
    assert entry["neutral_frame"] % mead_mod.STEP == 0
    seq = load_sequence(tmp_path / "out", entry["key"])
    assert seq.frames.shape == (5, 48, 48, 3)
    assert len({tuple(np.round(m.ravel(), 2)) for m in seq.transforms}) > 1   # each frame on its own


def _tight_crop(photo: np.ndarray) -> np.ndarray:
    """A CK+48-like 48 px grey crop around the photo's face, the face box where CK+48 has it."""
    left, top, right, bottom = find_faces(photo)[0]
    f = stills.TIGHT_BOX
    side = (right - left) / (f[2] - f[0])
    x0, y0 = left - f[0] * side, top - f[1] * side
    M = np.float32([[48 / side, 0, -x0 * 48 / side], [0, 48 / side, -y0 * 48 / side]])
    return cv2.warpAffine(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY), M, (48, 48), flags=cv2.INTER_AREA)


def test_ck48_crop_aligns_and_falls_back_to_the_fixed_box(tmp_path, face_photo, monkeypatch):
    crop = _tight_crop(face_photo)
    for i in (7, 8, 9):
        _save(tmp_path / "ck48" / "happy" / f"S010_006_{i:08d}.png", crop)
    prepare(tmp_path / "ck48", tmp_path / "out", DataConfig(crop_size=64, channels=3), progress=False,
            verbose=False)
    entry = load_manifest(tmp_path / "out")["sequences"][0]
    assert (entry["key"], entry["subject"], entry["kind"], entry["gray"]) == \
        ("ck48-S010_006", "ck48-S010", "apex", True)
    seq = load_sequence(tmp_path / "out", "ck48-S010_006")
    assert seq.frames.shape == (3, 64, 64, 3)
    eyes = eye_centres(seq.landmarks[0])
    assert np.abs(eyes - TEMPLATE_EYES * 64).max() < 1.5
    # the transform maps the 48 px source to the crop: warping the source with it redraws the crop
    redrawn = cv2.warpAffine(crop, seq.transforms[0], (64, 64), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
    assert np.abs(redrawn.astype(int) - seq.frames[0, ..., 0]).mean() < 6

    def no_face(self, image, name="<image>"):
        raise AffinekitError(f"{name}: no face found")
    monkeypatch.setattr(FaceAligner, "detect", no_face)
    crops, points, _, fallbacks = stills.align_each(FaceAligner(64), [crop], ["crop"], tight=True)
    assert fallbacks == 1 and np.abs(eye_centres(points[0]) - TEMPLATE_EYES * 64).max() < 4


# ------------------------------------------------------------------ the real sets (reading only)

def _real(shared_data: Path, name: str) -> Path:
    path = shared_data / name
    if not path.is_dir():
        pytest.skip(f"{path} not available; the development data folder has no {name}/")
    return path


def test_real_frll(shared_data):
    records = read_source(_real(shared_data, "frll"))
    assert len(records) == 82 and {r.label for r in records} == {"happy"}
    assert {r.kind for r in records} == {"pair"} and not any(r.error for r in records)


def test_real_jaffe(shared_data):
    records = read_source(_real(shared_data, "jaffe"))
    assert len({r.subject for r in records}) == 8 and not any(r.error for r in records)
    assert {r.label for r in records} == {"anger", "disgust", "fear", "happy", "sadness", "surprise"}
    assert all(".NE1." in r.frames[0].name for r in records)


def test_real_yale(shared_data):
    records = read_source(_real(shared_data, "yale"))
    assert len(records) == 36 and len({r.subject for r in records}) == 12
    assert {r.label for r in records} == {"happy", "sadness", "surprise"}


def test_real_mead(shared_data):
    records = read_source(_real(shared_data, "mead"))
    assert len(records) == 21 and {r.subject for r in records} == {"mead-M030", "mead-W009", "mead-W011"}
    assert len({r.label for r in records}) == 7 and not any(r.error for r in records)


def test_real_ck48(shared_data):
    records = read_source(_real(shared_data, "ck48"))
    assert len(records) == 327 and len({r.subject for r in records}) == 118
    assert sum(len(r.frames) for r in records) == 981 and {r.kind for r in records} == {"apex"}
