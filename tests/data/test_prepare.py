"""`prepare` end to end: file format, resume after interruption, bad inputs answered in one line."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import affinekit.data.prepare as prep
from affinekit import cli
from affinekit.config import DataConfig
from affinekit.data.faces import TEMPLATE_EYES, eye_centres
from affinekit.data.prepared import load_manifest, load_sequence
from affinekit.errors import AffinekitError


def face_frames(photo: np.ndarray, folder: Path, n: int = 3, gray: bool = True) -> Path:
    """A still face whose image drifts a pixel per frame, as PNG files."""
    folder.mkdir(parents=True, exist_ok=True)
    image = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY) if gray else cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)
    for i in range(n):
        cv2.imwrite(str(folder / f"{i + 1:04d}.png"), np.roll(image, i, axis=1))
    return folder


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(["prepare", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_prepared_file_format(tmp_path, face_photo):
    src = tmp_path / "src"
    face_frames(face_photo, src / "clipA")
    face_frames(face_photo, src / "clipB", n=2, gray=False)
    csv = tmp_path / "labels.csv"
    csv.write_text("path,label\nsrc/clipA,happy\n")
    report = prep.prepare(src, tmp_path / "out", DataConfig(crop_size=64), labels_csv=csv, progress=False)
    assert sorted(report.prepared) == ["clipA_frames", "clipB_frames"] and not report.skipped

    manifest = load_manifest(tmp_path / "out")
    assert manifest["config"]["crop_size"] == 64 and manifest["skipped"] == []
    entry = next(e for e in manifest["sequences"] if e["key"] == "clipA_frames")
    intensities = entry.pop("intensities")      # every frame's, measured from its landmarks; frame 0 the neutral
    assert len(intensities) == 3 and intensities[0] == 0.0 and all(np.isfinite(intensities))
    assert next(e for e in manifest["sequences"] if e["key"] == "clipB_frames")["intensities"] is None   # no label
    assert entry == {"key": "clipA_frames", "file": "clipA_frames.npz", "subject": "clipA",
                     "sequence": "frames", "label": "happy", "frames": 3, "source": "frames",
                     "kind": "sequence", "gray": True}
    with np.load(tmp_path / "out" / "clipA_frames.npz") as z:
        assert set(z.files) == {"frames", "landmarks", "lip_masks", "transforms", "label",
                                "subject", "sequence", "source", "kind", "gray"}
        # colour by default: grey frames are kept as three equal channels
        assert z["frames"].shape == (3, 64, 64, 3) and z["frames"].dtype == np.uint8
        assert z["landmarks"].shape == (3, 68, 2) and z["landmarks"].dtype == np.float32
        assert z["lip_masks"].shape == (3, 64, 64) and set(np.unique(z["lip_masks"])) == {0, 1}
        assert z["transforms"].shape == (3, 2, 3) and z["transforms"].dtype == np.float32
        assert str(z["label"]) == "happy"
    seq = load_sequence(tmp_path / "out", "clipB_frames")
    assert seq.label is None  # not in the CSV: unlabelled, stored as ''
    assert np.abs(eye_centres(seq.landmarks[0]) - TEMPLATE_EYES * 64).max() < 1.0


def test_rgb_and_per_frame(tmp_path, face_photo):
    face_frames(face_photo, tmp_path / "clip", n=2, gray=False)
    cfg = DataConfig(crop_size=48, channels=3, align_per_frame=True)
    prep.prepare(tmp_path / "clip", tmp_path / "out", cfg, progress=False, verbose=False)
    seq = load_sequence(tmp_path / "out", "clip_frames")
    assert seq.frames.shape == (2, 48, 48, 3)
    # Per-frame alignment follows the 1 px drift: both frames' eyes sit on the template.
    for points in seq.landmarks:
        assert np.abs(eye_centres(points) - TEMPLATE_EYES * 48).max() < 1.0


def test_interrupted_run_keeps_finished_work_and_resumes(tmp_path, face_photo, monkeypatch):
    src = tmp_path / "src"
    for name in ("a", "b", "c"):
        face_frames(face_photo, src / name, n=2)
    real = prep.prepare_sequence
    calls = []

    def interrupted(record, config, aligner=None):
        calls.append(record.key)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(record, config, aligner)

    monkeypatch.setattr(prep, "prepare_sequence", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prep.prepare(src, tmp_path / "out", DataConfig(crop_size=32), progress=False)
    assert [e["key"] for e in load_manifest(tmp_path / "out")["sequences"]] == ["a_frames"]
    assert not list((tmp_path / "out").glob("*.tmp"))  # nothing half-written left behind

    monkeypatch.setattr(prep, "prepare_sequence", real)
    report = prep.prepare(src, tmp_path / "out", DataConfig(crop_size=32), progress=False)
    assert report.reused == ["a_frames"] and report.prepared == ["b_frames", "c_frames"]
    again = prep.prepare(src, tmp_path / "out", DataConfig(crop_size=32), progress=False)
    assert again.prepared == [] and len(again.reused) == 3
    with pytest.raises(AffinekitError, match="other settings"):
        prep.prepare(src, tmp_path / "out", DataConfig(crop_size=64), progress=False)


def test_garbage_emotion_file_skips_only_that_sequence(tmp_path, face_photo, capsys):
    root = tmp_path / "ck"
    for seq, emotion in [("001", "5"), ("002", "garbage\x00!"), ("003", "7.0")]:
        face_frames(face_photo, root / "cohn-kanade-images" / "S900" / seq, n=2)
        (root / "Emotion" / "S900" / seq).mkdir(parents=True)
        (root / "Emotion" / "S900" / seq / f"S900_{seq}_00000002_emotion.txt").write_text(emotion)
    code, out, err = run_cli([str(root), "--out", str(tmp_path / "out"), "--size", "32"], capsys)
    assert code == 0
    manifest = load_manifest(tmp_path / "out")
    assert {e["key"]: e["label"] for e in manifest["sequences"]} == {"S900_001": "happy", "S900_003": "surprise"}
    assert [s["key"] for s in manifest["skipped"]] == ["S900_002"]
    assert "not a CK+ code" in manifest["skipped"][0]["reason"]
    assert "skipped S900_002" in out and "skipped 1" in out

    # --labelled-only leaves out a sequence without an emotion file, still reports the bad one.
    face_frames(face_photo, root / "cohn-kanade-images" / "S901" / "001", n=2)
    code, out, _ = run_cli([str(root), "--out", str(tmp_path / "lab"), "--size", "32", "--labelled-only"], capsys)
    manifest = load_manifest(tmp_path / "lab")
    assert code == 0 and "S901_001" not in {e["key"] for e in manifest["sequences"]}
    assert [s["key"] for s in manifest["skipped"]] == ["S900_002"]


def test_truncated_frame_skips_its_sequence_only(tmp_path, face_photo, capsys):
    src = tmp_path / "src"
    face_frames(face_photo, src / "good", n=2)
    bad = face_frames(face_photo, src / "bad", n=2)
    data = (bad / "0002.png").read_bytes()
    (bad / "0002.png").write_bytes(data[: len(data) // 3])
    code, out, _ = run_cli([str(src), "--out", str(tmp_path / "out"), "--size", "32"], capsys)
    assert code == 0
    manifest = load_manifest(tmp_path / "out")
    assert [e["key"] for e in manifest["sequences"]] == ["good_frames"]
    assert "0002.png: cannot read the image: the file is truncated" in manifest["skipped"][0]["reason"]


def _bad_source(kind: str, tmp_path: Path) -> Path:
    if kind == "empty folder":
        (tmp_path / "empty").mkdir()
        return tmp_path / "empty"
    if kind == "truncated png":
        data = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8))[1]
        (tmp_path / "cut.png").write_bytes(data.tobytes()[:200])
        return tmp_path / "cut.png"
    if kind == "no face":
        skimage_data = pytest.importorskip("skimage.data")
        cv2.imwrite(str(tmp_path / "camera.png"), skimage_data.camera())
        return tmp_path / "camera.png"
    if kind == "blank photo":
        cv2.imwrite(str(tmp_path / "blank.png"), np.full((240, 320), 200, np.uint8))
        return tmp_path / "blank.png"
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x13" * 500)
    return tmp_path / "broken.mp4"


@pytest.mark.parametrize("kind, expected", [
    ("empty folder", "no frames, videos, CK+ or AffineGAN sequences found"),
    ("truncated png", "cut.png: cannot read the image: the file is truncated"),
    ("no face", "camera.png: no face found; use a frontal, well-lit photo with one face"),
    ("blank photo", "blank.png: no face found"),
    ("undecodable video", "broken.mp4: cannot decode video"),
])
def test_cli_bad_inputs_one_line_exit_2(tmp_path, capsys, kind, expected):
    source = _bad_source(kind, tmp_path)
    code, _, err = run_cli([str(source), "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("affinekit prepare: error: ") and expected in lines[0]
    assert "Traceback" not in err


def test_cli_bad_input_in_a_subprocess(tmp_path):
    import subprocess
    import sys
    (tmp_path / "empty").mkdir()
    proc = subprocess.run([sys.executable, "-m", "affinekit.cli", "prepare", str(tmp_path / "empty"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "no frames, videos" in proc.stderr


@pytest.mark.ckplus
@pytest.mark.slow
def test_whole_ckplus_sample_prepares(ckplus_root, ckplus64_prepare_run):
    if ckplus_root.name != "ckplus-sample":
        pytest.skip("runs on the 40-sequence development sample only")
    folder, out = ckplus64_prepare_run          # the session's one `affinekit prepare` of the sample
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(manifest["sequences"]) == 40 and manifest["skipped"] == []
    assert sum(e["frames"] for e in manifest["sequences"]) == 684
    assert "prepared 40 sequence(s)" in out
    seq = load_sequence(folder, "S055_004")
    assert seq.frames.shape[1:] == (64, 64, 3) and seq.label is not None


@pytest.mark.slow
def test_affinegan_sample_prepares(affinegan_root, tmp_path):
    report = prep.prepare(affinegan_root, tmp_path, DataConfig(crop_size=64), progress=False, verbose=False)
    assert len(report.prepared) == 14 and not report.skipped
    labels = {e["key"]: e["label"] for e in load_manifest(tmp_path)["sequences"]}
    assert labels["happy-vid_0001_train"] == "happy" and labels["eyeup-vid_0019_train"] is None


def test_a_truncated_prepared_file_is_prepared_again(tmp_path):
    import numpy as np

    from affinekit.data.prepare import is_whole
    good = tmp_path / "a.npz"
    np.savez_compressed(good, frames=np.arange(10000, dtype=np.uint8))
    cut = tmp_path / "b.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert is_whole(good) and not is_whole(cut) and not is_whole(tmp_path / "missing.npz")
