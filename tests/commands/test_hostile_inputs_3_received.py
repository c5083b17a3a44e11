"""Bad input, round three (issue 31, items 2, 5 and 6): prepared folders and checkpoints received from
someone else, folders that look like a known data set but do not parse, and the scripts' and
benchmarks' arguments.

Each test is one case of the round (its name is the case's row in figures/hostile_inputs_round3.md).
Every refusal is exit code 2 and one line naming the file or option and the fix; where a case could
lose or leak data, the files on disk are compared byte for byte before and after. Inputs are made
here, tiny; nothing is copied from a licensed set.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import write_prepared
from PIL import Image
from test_hostile_inputs import TINY_TRAIN, assert_one_line_error, cli, encoded, files_in

from affinekit.config import DataConfig, ModelConfig, MouthConfig, to_dict
from affinekit.data.folders import read_source
from affinekit.data.prepared import load_sequence
from affinekit.errors import AffinekitError
from affinekit.models.generator import Generator
from affinekit.models.mouth import MouthRefiner
from affinekit.weights.checkpoint import atomic_save, load_generator, safe_load, save_generator_only

REPO = Path(__file__).resolve().parents[2]
TINY = ModelConfig(image_size=16, channels=1, base_width=8, depth=2, max_width=16)
DEEP = "[" * 100_000 + "]" * 100_000          # valid JSON, nested deeper than Python's recursion


def _train(data: Path, out: Path) -> list:
    return ["train", "--data", data, "--out", out, *TINY_TRAIN, "--set", "train.steps=2"]


def _evaluate(data: Path, checkpoint: Path) -> list:
    return ["evaluate", "--data", data, "--checkpoint", checkpoint]


def _rewrite_manifest(data: Path, change) -> None:
    manifest = json.loads((data / "manifest.json").read_text())
    change(manifest["sequences"])
    (data / "manifest.json").write_text(json.dumps(manifest))


def _arrays(path: Path) -> dict:
    with np.load(path) as z:
        return dict(z)


# ------------------------------------------------------------ 2. received prepared folders

@pytest.mark.parametrize("key", ["../outside/S000_000", "/ABS/outside/S000_000"], ids=["dot-dot", "absolute"])
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_received_manifest_key_leaving_the_folder_is_refused(key, command, checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "S000_000.npz").write_bytes((data / "S000_000.npz").read_bytes())   # a file the key reaches
    _rewrite_manifest(data, lambda e: e[0].update(key=key.replace("/ABS", str(tmp_path)), file=None))
    before = files_in(tmp_path)
    argv = _train(data, tmp_path / "run") if command == "train" else _evaluate(data, checkpoint)
    code, _, err = cli(argv, capsys)
    assert_one_line_error(code, err, "manifest.json", "not a plain file name", "rerun `affinekit prepare`")
    assert files_in(tmp_path) == before


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_received_prepared_file_that_is_a_link_out_of_the_folder_is_refused(command, checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    secret = tmp_path / "elsewhere.npz"
    secret.write_bytes((data / "S001_001.npz").read_bytes())
    (data / "S001_001.npz").unlink()
    (data / "S001_001.npz").symlink_to(secret)
    before = files_in(tmp_path)
    argv = _train(data, tmp_path / "run") if command == "train" else _evaluate(data, checkpoint)
    code, _, err = cli(argv, capsys)
    assert_one_line_error(code, err, "S001_001.npz", "is a link")
    assert files_in(tmp_path) == before


def test_received_manifest_whose_key_and_file_differ_is_refused_not_a_segfault(tmp_path, capsys):
    """The NaN check read `file` (clean) while the loader read `<key>.npz` (NaN landmarks): the 12-01 segfault."""
    data = write_prepared(tmp_path / "P", n=3, size=16)
    arrays = _arrays(data / "S001_001.npz")
    arrays["landmarks"][:, 50] = np.nan
    np.savez_compressed(data / "S001_001.npz", **arrays)
    _rewrite_manifest(data, lambda e: e[1].update(file="S002_002.npz"))     # a clean file's name
    before = files_in(tmp_path)
    code, _, err = cli(_train(data, tmp_path / "run"), capsys)
    assert_one_line_error(code, err, "manifest.json", "S001_001", "S002_002.npz", "the file the kit reads")
    assert files_in(tmp_path) == before


def test_received_nan_landmarks_are_refused_by_the_loader_itself(tmp_path):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    arrays = _arrays(data / "S001_001.npz")
    arrays["landmarks"][0, 0] = np.inf
    np.savez_compressed(data / "S001_001.npz", **arrays)
    with pytest.raises(AffinekitError, match="S001_001.npz: its landmarks hold NaN"):
        load_sequence(data, "S001_001")


def _bomb(path: Path, frames: int, side: int) -> None:
    """An .npz whose array headers declare `frames` frames of `side` px (uint8 frames (T, side, side, 3) and
    their landmarks, masks, transforms) while it holds a few bytes: loading it allocates every declared
    array (4.9 GB of frames for 100,000 at 128 px) before finding the data short."""
    declared = {"frames": ("|u1", (frames, side, side, 3)), "landmarks": ("<f4", (frames, 68, 2)),
                "lip_masks": ("|u1", (frames, side, side)), "transforms": ("<f4", (frames, 2, 3))}
    texts = {k: v for k, v in _arrays(path).items() if k not in declared}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, (descr, shape) in declared.items():
            with z.open(f"{name}.npy", "w") as f:
                np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
                f.write(b"\0" * 4096)
        for name, value in texts.items():
            with z.open(f"{name}.npy", "w") as f:
                np.lib.format.write_array(f, value)


def test_received_npz_declaring_4_9_gb_is_refused_from_its_header(tmp_path, monkeypatch):
    data = write_prepared(tmp_path / "P", n=3, size=128, frames=2)
    _bomb(data / "S001_001.npz", 100_000, 128)
    assert (data / "S001_001.npz").stat().st_size < 100_000
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("np.load inflated a file its header refuses"))
    with pytest.raises(AffinekitError, match="holds 100000 frames but the manifest says 2"):
        load_sequence(data, "S001_001")


def test_received_npz_and_manifest_both_declaring_4_9_gb_is_a_memory_line(tmp_path, monkeypatch):
    data = write_prepared(tmp_path / "P", n=3, size=128, frames=2)
    _bomb(data / "S001_001.npz", 100_000, 128)
    _rewrite_manifest(data, lambda e: e[1].update(frames=100_000))
    monkeypatch.setattr("affinekit.memory.available_bytes", lambda: 2 * 1024 ** 3)
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("np.load inflated a file that cannot fit"))
    with pytest.raises(AffinekitError, match=r"S001_001.npz: loading this prepared file needs about \d+\.\d GB"):
        load_sequence(data, "S001_001")


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_received_npz_with_an_object_array_is_refused(command, checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    arrays = _arrays(data / "S001_001.npz")
    arrays["subject"] = np.array([{"__reduce__": "payload"}], dtype=object)     # read only by unpickling
    np.savez_compressed(data / "S001_001.npz", **arrays)
    before = files_in(tmp_path)
    argv = _train(data, tmp_path / "run") if command == "train" else _evaluate(data, checkpoint)
    code, _, err = cli(argv, capsys)
    assert_one_line_error(code, err, "S001_001.npz", "object arrays (subject)", "refused")
    assert files_in(tmp_path) == before


@pytest.mark.parametrize("command", ["train", "evaluate", "prepare"])
def test_received_manifest_nested_100000_deep_is_one_line(command, checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    (data / "manifest.json").write_text(DEEP)
    frames = tmp_path / "clip"
    frames.mkdir()
    (frames / "0001.png").write_bytes(encoded(np.zeros((32, 32), np.uint8), "PNG"))
    before = files_in(tmp_path)
    argv = {"train": _train(data, tmp_path / "run"), "evaluate": _evaluate(data, checkpoint),
            "prepare": ["prepare", frames, "--out", data, "--size", 16]}[command]
    code, _, err = cli(argv, capsys)
    assert_one_line_error(code, err, "manifest.json", "nests deeper")
    assert files_in(tmp_path) == before


def test_config_json_nested_100000_deep_is_one_line(tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    (tmp_path / "deep.json").write_text('{"train": ' + DEEP + "}")
    before = files_in(tmp_path)
    code, _, err = cli([*_train(data, tmp_path / "run"), "--config", tmp_path / "deep.json"], capsys)
    assert_one_line_error(code, err, "deep.json", "nests deeper", "--config")
    assert files_in(tmp_path) == before


def test_received_manifest_entry_of_the_wrong_type_is_one_line(tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    _rewrite_manifest(data, lambda e: e[0].update(frames="many"))
    code, _, err = cli(_train(data, tmp_path / "run"), capsys)
    assert_one_line_error(code, err, "manifest.json", "S000_000", "frames of the wrong type")


@pytest.fixture(scope="module")
def prepared_faces(tmp_path_factory) -> tuple[Path, Path]:
    """(source, prepared): two frame folders of a real face prepared at 32 px, once for the module."""
    from skimage import data as skdata
    from test_hostile_inputs import face_clips

    root = tmp_path_factory.mktemp("faces")
    src = face_clips(np.ascontiguousarray(skdata.astronaut()[:, 40:440]), root / "src", ["a", "b"])
    from affinekit.cli import main
    assert main(["prepare", str(src), "--out", str(root / "out"), "--size", "32"]) == 0
    return src, root / "out"


HOSTILE = ["nan landmarks", "a link out of the folder", "more frames than listed", "object array",
           "key leaving the folder"]


def _make_hostile(out: Path, kind: str, outside: Path) -> None:
    path = out / "b_frames.npz"
    arrays = _arrays(path)
    if kind == "nan landmarks":
        arrays["landmarks"][1, 30] = np.nan
    elif kind == "more frames than listed":
        arrays = {k: np.concatenate([v, v]) if v.ndim and v.shape[0] == 2 else v for k, v in arrays.items()}
    elif kind == "object array":
        arrays["label"] = np.array([None], dtype=object)
    if kind == "a link out of the folder":
        outside.write_bytes(path.read_bytes())
        path.unlink()
        path.symlink_to(outside)
        return
    if kind == "key leaving the folder":
        outside.write_bytes(path.read_bytes())
        _rewrite_manifest(out, lambda e: [x.update(key=f"../{outside.stem}", file=None) for x in e
                                          if x["key"] == "b_frames"])
        return
    np.savez_compressed(path, **arrays)


@pytest.mark.parametrize("kind", HOSTILE)
def test_prepare_prepares_a_damaged_or_hostile_file_again_instead_of_reusing_it(kind, prepared_faces, tmp_path,
                                                                                 capsys):
    src, done = prepared_faces
    out = tmp_path / "out"
    out.mkdir()
    for p in done.iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    outside = tmp_path / "outside.npz"
    _make_hostile(out, kind, outside)
    kept = outside.read_bytes() if outside.exists() else None
    code, stdout, _ = cli(["prepare", src, "--out", out, "--size", 32], capsys)
    assert code == 0 and "prepared it again" in stdout, stdout
    assert "prepared 1 sequence(s), reused 1" in stdout, stdout
    assert not (out / "b_frames.npz").is_symlink()
    seq = load_sequence(out, "b_frames")          # whole, finite, as listed
    assert seq.frames.shape == (2, 32, 32, 3) and np.isfinite(seq.landmarks).all()
    if kept is not None:
        assert outside.read_bytes() == kept       # the link's target and the key's file were not touched
    keys = [e["key"] for e in json.loads((out / "manifest.json").read_text())["sequences"]]
    assert sorted(keys) == ["a_frames", "b_frames"]


# ------------------------------------------------------------ 2. received checkpoints

def _tiny_generator(mouth: bool = False) -> Generator:
    torch.manual_seed(0)
    g = Generator(TINY)
    if mouth:
        g.mouth = MouthRefiner(MouthConfig(size=32, width=8, max_width=16, depth=2), TINY.num_labels)
    return g


def _edited_checkpoint(tmp_path: Path, edit, mouth: bool = False) -> Path:
    path = save_generator_only(_tiny_generator(mouth), TINY, tmp_path / "model.pt")
    ckpt = torch.load(path, weights_only=True)
    edit(ckpt)
    return atomic_save(ckpt, path)


def test_received_checkpoint_with_image_size_65536_is_refused_before_allocating(tmp_path, capsys, monkeypatch):
    path = _edited_checkpoint(tmp_path, lambda c: c["model_config"].update(image_size=65536))
    built = []
    monkeypatch.setattr("affinekit.models.generator.border_window",
                        lambda *a, **k: built.append(a) or pytest.fail("a 65536 px buffer was being built"))
    with pytest.raises(AffinekitError, match="model.image_size is 65536 px, more than any affinekit model"):
        load_generator(path)
    code, _, err = cli(["generate", "--demo", "--out", tmp_path / "c.gif", "--checkpoint", path], capsys)
    assert_one_line_error(code, err, "model.pt", "65536")
    assert not built and not (tmp_path / "c.gif").exists()


def test_received_checkpoint_whose_config_does_not_fit_its_weights_is_refused_before_building(tmp_path):
    path = _edited_checkpoint(tmp_path, lambda c: c["model_config"].update(image_size=1024))
    with pytest.raises(AffinekitError, match=r"prior of shape \(7, 2, 1024, 1024\) but the file holds"):
        load_generator(path)


def test_received_checkpoint_with_a_65536_px_mouth_is_refused(tmp_path):
    path = _edited_checkpoint(tmp_path, lambda c: c["mouth_config"].update(size=65536), mouth=True)
    with pytest.raises(AffinekitError, match="mouth.size=65536 is not valid"):
        load_generator(path)


@pytest.mark.parametrize("where", ["generator", "mouth stage"])
def test_received_checkpoint_with_a_nan_weight_is_refused_at_load(where, tmp_path, capsys):
    name = "decoder.out.weight" if where == "generator" else "mouth.out.bias"
    path = _edited_checkpoint(tmp_path, lambda c: c["generator"][name].view(-1)[0].fill_(float("nan")), mouth=True)
    with pytest.raises(AffinekitError, match=f"its tensor generator.{name} holds NaN"):
        load_generator(path)
    code, _, err = cli(["generate", "--demo", "--out", tmp_path / "c.gif", "--checkpoint", path], capsys)
    assert_one_line_error(code, err, "model.pt", name, "NaN")
    assert not (tmp_path / "c.gif").exists()


def test_a_sound_checkpoint_with_a_mouth_still_loads(tmp_path):
    g = _tiny_generator(mouth=True)
    loaded, cfg = load_generator(save_generator_only(g, TINY, tmp_path / "model.pt"))
    assert cfg == TINY and loaded.mouth is not None
    torch.testing.assert_close(loaded.mouth.out.weight, g.mouth.out.weight)


# ------------------------------------------------------------ 5. readers that say what they do not recognise

def _photo(path: Path, seed: int = 0, fmt: str | None = None, side: int = 40) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (side, side), dtype=np.uint8)
    Image.fromarray(pixels).save(path, format=fmt)
    return path


def test_jaffe_folder_with_dashed_names_is_read_as_jaffe_pairs_not_one_sequence(tmp_path):
    for i, name in enumerate(["KA-NE1-26.tiff", "KA-HA1-29.tiff", "KM-NE1-17.tiff", "KM_SU2_30.tiff"]):
        _photo(tmp_path / name, i, "TIFF")
    records = {r.key: r for r in read_source(tmp_path)}
    assert sorted(records) == ["jaffe-KA_HA1", "jaffe-KM_SU2"]
    ka = records["jaffe-KA_HA1"]
    assert (ka.subject, ka.label, ka.kind) == ("jaffe-KA", "happy", "pair")
    assert [p.name for p in ka.frames] == ["KA-NE1-26.tiff", "KA-HA1-29.tiff"]     # one person per record


def test_jaffe_like_names_that_do_not_parse_are_refused_naming_the_files(tmp_path, capsys):
    for i, name in enumerate(["KA_HA1.png", "KM_SU2.png", "KR_NE1.png"]):     # no take serial: not JAFFE
        _photo(tmp_path / "src" / name, i)
    before = files_in(tmp_path)
    code, _, err = cli(["prepare", tmp_path / "src", "--out", tmp_path / "out", "--size", 32], capsys)
    assert_one_line_error(code, err, "named like JAFFE files of 3 different people", "KA_HA1.png", "KM_SU2.png",
                          "one folder of frames is one sequence of one person")
    assert files_in(tmp_path) == before


def test_yale_files_ending_gif_are_read_as_yale_pairs_not_one_frame_videos(tmp_path):
    for i, condition in enumerate(["normal", "happy", "sad", "sleepy"]):
        _photo(tmp_path / f"subject01.{condition}.gif", i, "GIF")
    _photo(tmp_path / "subject02.surprised.gif", 9, "GIF")
    records = {r.key: r for r in read_source(tmp_path)}
    assert sorted(records) == ["yale-subject01_happy", "yale-subject01_sad", "yale-subject02_surprised"]
    assert all(r.source == "yale" and r.kind == "pair" for r in records.values())
    assert [p.name for p in records["yale-subject01_sad"].frames] == ["subject01.normal.gif", "subject01.sad.gif"]
    assert "no neutral photo" in records["yale-subject02_surprised"].error


def test_ck48_crops_above_128_px_are_apex_records_not_sequences_of_several_people(tmp_path):
    for i, name in enumerate(["S010_004_00000017", "S010_004_00000018", "S011_002_00000009"]):
        _photo(tmp_path / "happy" / f"{name}.png", i, side=256)
    _photo(tmp_path / "anger" / "S012_001_00000020.png", 5, side=256)
    records = {r.key: r for r in read_source(tmp_path)}
    assert sorted(records) == ["ck48-S010_004", "ck48-S011_002", "ck48-S012_001"]
    assert {(r.kind, r.source) for r in records.values()} == {("apex", "ck48")}
    assert {r.subject for r in records.values()} == {"ck48-S010", "ck48-S011", "ck48-S012"}
    assert records["ck48-S010_004"].extra["tight_crop"] is False     # not CK+48's 48 px crops: no fixed box


def test_ck_frames_starting_at_the_neutral_frame_in_an_emotion_folder_say_why_they_are_skipped(tmp_path):
    for i in (1, 2, 3):
        _photo(tmp_path / "happy" / f"S010_006_{i:08d}.png", i, side=256)
    (record,) = read_source(tmp_path)
    assert record.kind == "apex" and "frame 1 is the sequence's neutral face" in record.error
    assert "S010_006_00000001.png" in record.error


def test_ckplus_emotion_file_holding_inf_is_one_line(tmp_path, capsys):
    for i in (1, 2):
        _photo(tmp_path / "ck" / "cohn-kanade-images" / "S005" / "001" / f"S005_001_{i:08d}.png", i)
    emotion = tmp_path / "ck" / "Emotion" / "S005" / "001" / "S005_001_00000002_emotion.txt"
    emotion.parent.mkdir(parents=True)
    emotion.write_text("   inf\n")
    (record,) = read_source(tmp_path / "ck")
    assert "emotion code 'inf' is not one of 0-7" in record.error
    code, _, err = cli(["prepare", tmp_path / "ck", "--out", tmp_path / "out", "--size", 32], capsys)
    assert_one_line_error(code, err, "S005_001_00000002_emotion.txt: emotion code 'inf' is not one of 0-7")


@pytest.mark.parametrize("names, words", [
    (["subject01_happy.png", "subject02_sad.png"], ["Yale", "subject01_happy.png"]),
    (["S010_001_00000001.png", "S011_003_00000001.png"], ["CK+", "S011_003_00000001.png"]),
    (["007_03.jpg", "012_03.jpg"], ["FRLL", "012_03.jpg"]),
], ids=["yale", "ck+", "frll"])
def test_folder_of_frames_named_as_several_peoples_files_is_refused(names, words, tmp_path, capsys):
    for i, name in enumerate(names):
        _photo(tmp_path / "src" / name, i, "JPEG" if name.endswith(".jpg") else None)
    code, _, err = cli(["prepare", tmp_path / "src", "--out", tmp_path / "out", "--size", 32], capsys)
    assert_one_line_error(code, err, "2 different people", *words)
    assert not (tmp_path / "out").exists()


def test_folder_of_one_persons_frames_is_still_one_sequence(tmp_path):
    for i in range(3):
        _photo(tmp_path / "clip" / f"S010_001_{i + 1:08d}.png", i)
    (record,) = read_source(tmp_path / "clip")
    assert record.source == "frames" and len(record.frames) == 3 and record.error is None


# ------------------------------------------------------------ 6. the mouth refiner's run, received or resumed

MOUTH = MouthConfig(size=32, width=8, max_width=16, depth=2, steps=4, batch_size=2)


@pytest.fixture(scope="module")
def mouth_inputs(tmp_path_factory) -> tuple[Path, Path]:
    """(a colour generator that lists its training items, their prepared folder) for train_mouth."""
    from helpers import face_points

    root = tmp_path_factory.mktemp("mouth")
    rng = np.random.default_rng(0)
    points = face_points((32.0, 28.0), 20.0)
    t = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    points[48:68] = np.array([32.0, 28.0]) + 20.0 * np.column_stack([0.4 * np.cos(t), 0.5 + 0.12 * np.sin(t)])
    entries = []
    for i in range(3):
        key = f"S{i:03d}_001"
        np.savez_compressed(root / f"{key}.npz", frames=rng.integers(0, 255, (3, 64, 64, 3), dtype=np.uint8),
                            landmarks=np.repeat(points[None], 3, 0).astype(np.float32),
                            lip_masks=np.zeros((3, 64, 64), np.uint8), transforms=np.zeros((3, 2, 3), np.float32),
                            label=np.array("happy"), subject=np.array(f"S{i:03d}"), sequence=np.array("001"),
                            source=np.array("test"))
        entries.append({"key": key, "file": f"{key}.npz", "subject": f"S{i:03d}", "sequence": "001",
                        "label": "happy", "frames": 3, "source": "test", "intensities": [0.0, 0.5, 1.0]})
    (root / "manifest.json").write_text(json.dumps({"config": to_dict(DataConfig(crop_size=64)),
                                                    "sequences": entries, "skipped": []}))
    torch.manual_seed(0)
    g = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=2, max_width=16))
    return save_generator_only(g, g.cfg, root / "g.pt", data={"keys": [e["key"] for e in entries]}), root


KILLED_AT_3 = """
import os, signal, sys
from affinekit.config import MouthConfig
from affinekit.training.mouth import train_mouth
def kill(record):
    if record["step"] == 3:          # step 3 is logged, its checkpoint (every 2 steps) is not written
        os.kill(os.getpid(), signal.SIGKILL)
train_mouth(sys.argv[1], [sys.argv[2]], sys.argv[3], MouthConfig(**eval(sys.argv[4])), checkpoint_every=2,
            progress=kill)
"""


def test_mouth_refiner_log_after_kill_9_and_resume_holds_each_step_once(mouth_inputs, tmp_path):
    from affinekit.training.mouth import train_mouth

    generator, data = mouth_inputs
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", KILLED_AT_3, generator, data, out, repr(vars(MOUTH))],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    logged = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert logged == [1, 2, 3] and safe_load(out / "checkpoints" / "last.pt")["step"] == 2
    trainer = train_mouth(generator, [data], out, MOUTH, checkpoint_every=2)
    assert trainer.step == 4
    logged = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert logged == [1, 2, 3, 4]


class Payload:
    """A pickled object that would write a file if unpickled: the safe loader must refuse it."""

    def __reduce__(self):
        return (Path.write_text, (Path(os.environ.get("HOSTILE_MARK", "/nonexistent/mark")), "ran"))


@pytest.mark.parametrize("kind", ["pickle payload", "nan levels", "another size"])
def test_mouth_refiner_bank_pt_is_read_by_the_safe_loader_and_cut_again_when_foreign(kind, mouth_inputs, tmp_path,
                                                                                    monkeypatch):
    from affinekit.training.mouth import train_mouth
    from affinekit.weights.checkpoint import CUTS_FORMAT

    generator, data = mouth_inputs
    out = tmp_path / "run"
    out.mkdir()
    mark = tmp_path / "payload-ran"
    monkeypatch.setenv("HOSTILE_MARK", str(mark))
    n = 4
    bank = {"format": CUTS_FORMAT, "patches": torch.zeros(n, 4, 3, MOUTH.size, MOUTH.size, dtype=torch.uint8),
            "labels": torch.zeros(n, dtype=torch.long), "levels": torch.ones(n), "gray": torch.zeros(n, dtype=torch.bool),
            "weights": torch.ones(n, dtype=torch.float64)}
    if kind == "pickle payload":
        torch.save({**bank, "extra": Payload()}, out / "bank.pt")
    elif kind == "nan levels":
        torch.save({**bank, "levels": torch.full((n,), float("nan"))}, out / "bank.pt")
    else:
        torch.save({**bank, "patches": torch.zeros(n, 4, 3, 64, 64, dtype=torch.uint8)}, out / "bank.pt")
    trainer = train_mouth(generator, [data], out, MouthConfig(**{**vars(MOUTH), "steps": 1}))
    assert trainer.step == 1 and not mark.exists()
    cut = safe_load(out / "bank.pt")          # cut again from the generator's items: 3 items x 2 frames
    assert cut["format"] == CUTS_FORMAT and cut["patches"].shape == (6, 4, 3, MOUTH.size, MOUTH.size)
    assert torch.isfinite(cut["levels"]).all()


# ------------------------------------------------------------ 6. scripts and benchmarks: their arguments

SCRIPT_CASES = [
    ("benchmarks/train_ckplus_10min.py", ["--seconds", "-5"], "argument --seconds: must be a finite number above 0"),
    ("benchmarks/train_ckplus_10min.py", ["--seconds", "nan"], "argument --seconds: must be a finite number"),
    ("benchmarks/train_ckplus_10min.py", ["--data", "NONE"], "NONE: no prepared CK+ folder"),
    ("benchmarks/bench_generate.py", ["--runs", "0"], "argument --runs: must be a whole number at least 1"),
    ("scripts/choose_notebook03_steps.py", ["--lr-decay-from", "2"], "argument --lr-decay-from: must be a finite number from 0 to 1"),
    ("scripts/choose_notebook03_steps.py", ["--lr-decay-from", "nan"], "argument --lr-decay-from: must be a finite"),
    ("scripts/choose_notebook03_steps.py", ["--set", "model.prior=off"], "argument --set: only train.KEY=VALUE"),
    ("scripts/choose_notebook03_steps.py", ["--folds", "3", "--fold", "3"], "argument --fold: must be a fold from 0 to 2"),
    ("scripts/choose_notebook03_steps.py", ["--set", "train.nope=1"], "argument --set: TrainConfig has no field 'nope'"),
    ("scripts/choose_notebook03_steps.py", ["--set", "train.lambda_warmup=-3"], "train.lambda_warmup=-3 is not valid"),
    ("benchmarks/full_strength.py", ["--checkpoint", "X.pt", "--parts", "teeth"], "argument --parts: unknown teeth"),
    ("benchmarks/full_strength.py", ["--checkpoint", "NONE.pt", "--parts", "faithful"], "NONE.pt"),
    ("benchmarks/strength_chain.py", ["--data", "NONE"], "NONE: not prepared"),
    ("benchmarks/teeth.py", ["--checkpoint", "X.pt", "--baseline-name", "model"], "argument --baseline-name"),
    ("benchmarks/bench_generate.py", ["--checkpoint", "NONE.pt", "--runs", "1"], "NONE.pt: no such checkpoint"),
    ("benchmarks/bench_evaluate.py", ["--frames", "0"], "argument --frames: must be a whole number from 2 to 1000"),
    ("benchmarks/bench_prepare.py", ["NONE", "--size", "20000"], "argument --size: must be a whole number from 16"),
    ("benchmarks/bench_train_throughput.py", ["--steps", "-1"], "argument --steps: must be a whole number"),
    ("benchmarks/discriminator_check.py", ["NONE"], "NONE/config.json: missing"),
    ("benchmarks/mouth_flicker.py", ["--data", "NONE", "--test-fraction", "2"], "argument --test-fraction"),
    ("benchmarks/paired_targets.py", ["NONE.json"], "NONE.json: no such file"),
    ("benchmarks/prior_only.py", ["--data", "NONE"], "NONE: no manifest.json"),
    ("benchmarks/wild_faces.py", ["--frames", "0"], "argument --frames: must be a whole number from 1 to 1000"),
    ("benchmarks/specks_by_expression.py", ["--intensity", "0"], "argument --intensity: must be a finite number"),
    ("benchmarks/specks_by_expression.py", ["--faces", "validation", "--prepared", "NONE"], "NONE: none of frll256"),
    ("benchmarks/wild_faces.py", ["--intensity", "3"], "argument --intensity: must be a finite number from 0 to 2"),
    ("benchmarks/wild_faces.py", ["--faces", "validation", "--prepared", "NONE"], "NONE: none of frll256"),
    ("scripts/export_model.py", ["NONE", "--out", "OUT.pt"], "NONE/config.json: missing"),
    ("scripts/train_folds.py", ["NONE", "--out", "OUT", "--parallel", "0"], "argument --parallel"),
    ("scripts/train_folds.py", ["NONE", "--out", "OUT", "--folds", "1"], "argument --folds"),
    ("scripts/train_folds.py", ["NONE", "--out", "OUT"], "NONE: no manifest.json"),
    ("scripts/train_mouth_refiner.py", ["--data", "NONE", "--generator", "NONE.pt", "--out", "OUT"],
     "NONE.pt: no such checkpoint"),
    ("scripts/train_mouth_refiner.py", ["--data", "NONE", "--set", "size=65536", "--out", "OUT"],
     "mouth.size=65536 is not valid"),
    ("scripts/train_classifier.py", ["--data", "NONE", "--epochs", "0"], "argument --epochs"),
    ("scripts/frll_showcase.py", ["--person", "../../etc/x", "--out", "OUT"], "argument --person"),
    ("scripts/training_summary.py", ["NONE", "--out", "OUT.json"], "NONE: no log.jsonl and config.json"),
]


@pytest.mark.parametrize("script, args, words", SCRIPT_CASES,
                         ids=[f"{Path(s).stem} {' '.join(a)}" for s, a, _ in SCRIPT_CASES])
def test_script_argument_is_a_one_line_error(script, args, words, tmp_path, monkeypatch, capsys):
    """Exit 2, no traceback, one error line naming the option or file (argparse's usage line may precede
    it). Run in this process, as `python SCRIPT ARGS` runs it (its `__main__`), to keep the suite fast."""
    import runpy

    names = {"NONE": str(tmp_path / "none"), "OUT": str(tmp_path / "out")}
    argv = [names[a.split(".")[0]] + a[len(a.split(".")[0]):] if a.split(".")[0] in names else a for a in args]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(REPO / script), *argv])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(REPO / script), run_name="__main__")
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and "Traceback" not in err, err
    assert words.replace("NONE", str(tmp_path / "none")) in err.splitlines()[-1], err
    assert len([line for line in err.splitlines() if "error" in line]) == 1, err
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.pt").exists()


def test_train_ckplus_10min_that_finishes_no_step_does_not_report_success(tmp_path, monkeypatch, capsys):
    """A budget that ends after the first step (`TimeBudget` stops once a step has taken longer): before,
    the means of an empty window, "G_L1 lowered by nan%" and exit 0."""
    import runpy

    data = write_prepared(tmp_path / "P", n=3, size=16)
    monkeypatch.setattr(sys, "argv", ["train_ckplus_10min.py", "--data", str(data), "--out", str(tmp_path / "run"),
                                      "--seconds", "0.001", "--image-size", "16", "--base-width", "8", "--depth", "2",
                                      "--batch-size", "2", "--targets", "2"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(REPO / "benchmarks" / "train_ckplus_10min.py"), run_name="__main__")
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and "step(s) finished within --seconds 0.001" in err.splitlines()[-1], err


def test_train_ckplus_10min_refuses_to_empty_a_folder_that_is_not_a_run(tmp_path, monkeypatch, capsys):
    import runpy

    data = write_prepared(tmp_path / "P", n=3, size=16)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    before = files_in(tmp_path)
    monkeypatch.setattr(sys, "argv", ["train_ckplus_10min.py", "--data", str(data), "--out", str(mine)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(REPO / "benchmarks" / "train_ckplus_10min.py"), run_name="__main__")
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and "not empty and not a run folder" in err, err
    assert files_in(tmp_path) == before
