"""Bad input, given as a careless or hostile user gives it (issue 11), through the real command line.

Every case ends in exit code 2 and one line naming the file or option, the
value and what is allowed, or in a correct result; no existing file is lost
and no temporary file is left. The classes:

  photos and frames   corrupt-middle JPEG, corrupt PNG, truncated JPEG/PNG, empty file, text named .jpg
                      (refused); 16-bit PNG, CMYK JPEG, EXIF-rotated JPEG, palette PNG, LA/RGBA PNG
                      (decoded upright and right, the same by `generate` and `prepare`)
  labels              CSV without the label column, unknown expression, empty file, not UTF-8
  options             sizes not divisible by 2**depth, zero/negative sizes, NaN lr, unknown loss,
                      log_every 0, steps 0, augment=maybe, --intensity 1e9, --fps 100000, --folds -1,
                      --limit 0, --frames 0, ... (also tests/training/test_loop.py::test_bad_options_...)
  checkpoints         empty, text, truncated zip, foreign torch file, a pickle with a payload
                      (also tests/training/test_loop.py::test_malicious_checkpoint_is_refused)
  prepared files      truncated .npz (train refuses it, prepare re-prepares it and says so),
                      damaged manifest
  full disk           the video writer failing or stopping short, fsync failing during prepare and
                      train: the old file survives byte for byte, no temporary file is left
  kill -9             during prepare and during train, then a rerun that completes and is whole

Inputs are made on the fly from scikit-image's astronaut (NASA, public domain);
no CK+ image is used. Models and crops are tiny so the module runs in about a minute.
"""
from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from helpers import write_prepared
from PIL import Image

from affinekit.cli import main
from affinekit.config import ModelConfig
from affinekit.data.records import read_image
from affinekit.io.photos import read_photo
from affinekit.models.generator import Generator
from affinekit.weights.checkpoint import save_generator_only

REPO = Path(__file__).resolve().parents[2]
TINY = ModelConfig(image_size=64, channels=1, base_width=8, depth=3)
# a model small enough that a training step takes milliseconds
TINY_TRAIN = ["--set", "model.image_size=16", "--set", "model.depth=2", "--set", "model.base_width=8",
              "--set", "model.max_width=16", "--set", "model.disc_width=8", "--set", "train.batch_size=3",
              "--set", "data.num_targets=2", "--set", "train.sample_every=0", "--device", "cpu"]
OLD = b"the user's precious old file\n"


# --------------------------------------------------------------------------------------------- helpers

def cli(argv: list, capsys) -> tuple[int, str, str]:
    """Run `affinekit ARGV` in-process: (exit code, stdout, stderr); argparse's exits count too."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *words: str) -> str:
    """Exit 2, exactly one line on stderr, no traceback, every word in it; returns the line."""
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert all(w in lines[0] for w in words), (words, lines[0])
    return lines[0]


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under folder and its bytes: compared before and after to prove nothing was lost."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def temporaries(folder: Path) -> list[str]:
    """Leftovers of atomic writes (`.<name>.<pid>.<random><suffix>`) and destination probes."""
    return [p.name for p in folder.rglob(".*") if p.is_file()]


def encoded(image: np.ndarray | Image.Image, fmt: str, **options) -> bytes:
    """An image file's bytes, written by Pillow."""
    buf = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buf, format=fmt, **options)
    return buf.getvalue()


def corrupt_middle(jpeg: bytes, count: int = 512) -> bytes:
    """The JPEG with `count` bytes in the middle of its entropy-coded data overwritten by noise.

    Header, tables and the end marker stay intact and no 0xFF byte is written, so the
    damage is in-stream only (no stray marker): Pillow decodes the file without a word.
    """
    start = jpeg.index(b"\xff\xda")                         # start of scan
    middle = (start + len(jpeg)) // 2
    noise = np.random.default_rng(11).integers(0, 255, count, dtype=np.uint8).tobytes()   # 0..254: never 0xFF
    damaged = jpeg[:middle] + noise + jpeg[middle + count:]
    assert len(damaged) == len(jpeg) and damaged.endswith(b"\xff\xd9")
    Image.open(io.BytesIO(damaged)).load()                  # precondition: Pillow alone does not notice
    return damaged


def corrupt_png(png: bytes) -> bytes:
    """The PNG with one byte of its pixel data flipped and the chunk's CRC left as it was."""
    at = png.index(b"IDAT") + 4 + 100
    return png[:at] + bytes([png[at] ^ 0x01]) + png[at + 1:]


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    """scikit-image's astronaut, cut to 512 x 400 so that a sideways picture shows in its shape."""
    from skimage import data
    return np.ascontiguousarray(data.astronaut()[:, 40:440])


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A tiny random generator: the pipeline is the same as with the bundled model."""
    torch.manual_seed(0)
    return save_generator_only(Generator(TINY), TINY, tmp_path_factory.mktemp("ckpt") / "tiny.pt")


# ----------------------------------------------------------------------------- photos and frames: refused

def bad_photo(kind: str, face: np.ndarray) -> tuple[str, bytes]:
    jpeg, png = encoded(face, "JPEG", quality=90), encoded(face, "PNG")
    return {
        "corrupt middle jpeg": ("corrupt.jpg", corrupt_middle(jpeg)),
        "corrupt png": ("corrupt.png", corrupt_png(png)),
        "truncated jpeg": ("cut.jpg", jpeg[: len(jpeg) * 2 // 3]),
        "truncated png": ("cut.png", png[: len(png) * 2 // 3]),
        "empty file": ("empty.jpg", b""),
        "text named .jpg": ("notes.jpg", b"these are my notes, not a picture\n"),
    }[kind]


BAD_PHOTOS = {   # kind -> words its one line must hold
    "corrupt middle jpeg": ["corrupt.jpg", "its data is corrupt", "Corrupt JPEG data", "re-export"],
    "corrupt png": ["corrupt.png", "its data is corrupt", "checksum", "IDAT"],
    "truncated jpeg": ["cut.jpg", "the file is truncated"],
    "truncated png": ["cut.png", "the file is truncated"],
    "empty file": ["empty.jpg", "the file is empty"],
    "text named .jpg": ["notes.jpg", "not an image file"],
}


@pytest.mark.parametrize("kind", BAD_PHOTOS)
def test_bad_photo_is_refused_by_generate_and_prepare_and_nothing_is_lost(kind, face, checkpoint, tmp_path,
                                                                            capsys):
    name, data = bad_photo(kind, face)
    photo = tmp_path / "in" / name
    photo.parent.mkdir()
    photo.write_bytes(data)
    (tmp_path / "clip.mp4").write_bytes(OLD)                 # the user's earlier clip
    before = files_in(tmp_path)

    code, _, err = cli(["generate", photo, "--checkpoint", checkpoint, "--frames", 2,
                        "--out", tmp_path / "clip.mp4"], capsys)
    assert_one_line_error(code, err, "affinekit generate: error:", *BAD_PHOTOS[kind])
    # a dataset frame is decoded by the same code: the same line
    code, _, err = cli(["prepare", photo, "--out", tmp_path / "prepared", "--size", 32], capsys)
    assert_one_line_error(code, err, "affinekit prepare: error:", *BAD_PHOTOS[kind])
    assert files_in(tmp_path / "in") == {name: data} and (tmp_path / "clip.mp4").read_bytes() == OLD
    assert {k: v for k, v in files_in(tmp_path).items() if not k.startswith("prepared")} == before
    assert not temporaries(tmp_path)


def test_the_command_line_process_prints_one_line_and_no_traceback(face, tmp_path):
    photo = tmp_path / "corrupt.jpg"
    photo.write_bytes(corrupt_middle(encoded(face, "JPEG", quality=90)))
    proc = subprocess.run([sys.executable, "-m", "affinekit.cli", "generate", str(photo),
                           "--out", str(tmp_path / "clip.mp4")],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "corrupt.jpg" in proc.stderr and "corrupt" in proc.stderr
    assert not (tmp_path / "clip.mp4").exists()


# ---------------------------------------------------------------------- photos and frames: decoded right

def good_photo(kind: str, face: np.ndarray) -> tuple[bytes, np.ndarray]:
    """(file bytes, the upright RGB picture a viewer shows) for each awkward but valid kind."""
    gray = np.asarray(Image.fromarray(face).convert("L"))
    if kind == "16-bit png":
        return encoded(Image.fromarray(gray.astype(np.uint16) * 257), "PNG"), np.dstack([gray] * 3)
    if kind == "cmyk jpeg":
        data = encoded(Image.fromarray(face).convert("CMYK"), "JPEG", quality=95)
        return data, np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    if kind == "exif-rotated jpeg":                          # stored sideways, tag 6: turn 90 degrees clockwise
        exif = Image.Exif()
        exif[0x0112] = 6
        data = encoded(np.ascontiguousarray(np.rot90(face, 1)), "JPEG", quality=95, exif=exif)
        return data, face
    if kind == "palette png":
        palette = Image.fromarray(face).quantize(colors=256)
        return encoded(palette, "PNG"), np.asarray(palette.convert("RGB"))
    if kind == "la png":                                      # gray + alpha, fully opaque
        la = np.dstack([gray, np.full_like(gray, 255)])
        return encoded(Image.fromarray(la, "LA"), "PNG"), np.dstack([gray] * 3)
    # rgba png: a transparent frame around the face, its hidden colour black; shown on white
    rgba = np.dstack([face, np.full(face.shape[:2], 255, np.uint8)])
    rgba[:24], rgba[-24:] = 0, 0
    shown = face.copy()
    shown[:24], shown[-24:] = 255, 255
    return encoded(Image.fromarray(rgba, "RGBA"), "PNG"), shown


GOOD_PHOTOS = ["16-bit png", "cmyk jpeg", "exif-rotated jpeg", "palette png", "la png", "rgba png"]


@pytest.mark.parametrize("kind", GOOD_PHOTOS)
def test_awkward_but_valid_photo_is_decoded_upright_alike_and_animated(kind, face, checkpoint, tmp_path, capsys):
    data, shown = good_photo(kind, face)
    photo = tmp_path / f"photo{'.jpg' if 'jpeg' in kind else '.png'}"
    photo.write_bytes(data)
    # one decoder: the photo path and the dataset-frame path give the same pixels, as shown
    pixels = read_photo(photo)[0]
    frame = read_image(photo)
    assert np.array_equal(frame, pixels if pixels.ndim == 3 else np.dstack([pixels] * 3))
    assert frame.shape == shown.shape and np.abs(frame.astype(int) - shown).mean() < 3, kind   # JPEG loses a little

    out = tmp_path / "clip.mp4"
    code, stdout, err = cli(["generate", photo, "--checkpoint", checkpoint, "--frames", 2, "--out", out], capsys)
    assert code == 0 and "wrote" in stdout, err                 # a face was found: the picture is upright
    video = iio.imread(out)
    assert video.shape == (2, 512, 400, 3)
    assert np.abs(video[0].astype(int) - shown).mean() < 6     # frame 0 is the photo (up to H.264)
    code, _, err = cli(["prepare", photo, "--out", tmp_path / "prepared", "--size", 32], capsys)
    assert code == 0 and len(json.loads((tmp_path / "prepared" / "manifest.json").read_text())["sequences"]) == 1


# ------------------------------------------------------------------------------------------------ labels

BAD_LABELS = {    # CSV content -> words of the one line
    "path\nclip\n": ["labels.csv", "columns path,label"],
    "path,label\nclip,smug\n": ["labels.csv:2", "unknown expression 'smug'", "happy"],
    "": ["labels.csv", "columns path,label"],
    b"\xff\xfe\x00\x81 not text": ["labels.csv", "UTF-8"],
}


@pytest.mark.parametrize("content", BAD_LABELS, ids=["missing column", "unknown expression", "empty", "binary"])
def test_bad_labels_csv_is_one_line_before_any_work(content, tmp_path, capsys):
    clip = tmp_path / "clip"
    clip.mkdir()
    (clip / "0001.png").write_bytes(encoded(np.zeros((32, 32), np.uint8), "PNG"))
    csv = tmp_path / "labels.csv"
    csv.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, _, err = cli(["prepare", clip, "--labels", csv, "--out", tmp_path / "out"], capsys)
    assert_one_line_error(code, err, *BAD_LABELS[content])
    assert not (tmp_path / "out" / "manifest.json").exists()


# ----------------------------------------------------------------------------------------------- options

BAD_OPTIONS = [   # (command, arguments, words of the one line); {data} is a prepared folder
    ("train", ["--set", "model.image_size=100"], ["model.image_size=100", "divisible by 2**depth"]),
    ("train", ["--set", "model.image_size=0"], ["model.image_size=0", "positive"]),
    ("train", ["--set", "model.image_size=-64"], ["model.image_size=-64", "positive"]),
    ("train", ["--set", "model.base_width=-4"], ["model.base_width=-4", "positive"]),
    ("train", ["--set", "model.depth=0"], ["model.depth=0", "positive"]),
    ("train", ["--set", "train.lr_g=nan"], ["train.lr_g=nan", "positive number"]),
    ("train", ["--set", "train.lr_d=inf"], ["train.lr_d=inf", "positive number"]),
    ("train", ["--set", "train.gan_loss=wgan"], ["train.gan_loss='wgan'", "bce or lsgan"]),
    ("train", ["--set", "model.upsample=bicubic"], ["model.upsample='bicubic'", "transpose or resize"]),
    ("train", ["--set", "train.log_every=0"], ["train.log_every=0", "at least 1"]),
    ("train", ["--set", "train.steps=0"], ["train.steps=0", "at least 1"]),
    ("train", ["--set", "train.steps=-5"], ["train.steps=-5", "at least 1"]),
    ("train", ["--set", "train.steps=ten"], ["steps=ten", "expected a whole number"]),
    ("train", ["--set", "train.batch_size=0"], ["train.batch_size=0", "at least 1"]),
    ("train", ["--set", "data.augment=maybe"], ["augment=maybe", "expected true or false"]),
    ("train", ["--set", "data.num_targets=0"], ["data.num_targets=0", "at least 1"]),
    ("prepare", ["--size", "0"], ["--size 0", "at least 16 pixels"]),
    ("prepare", ["--size", "-32"], ["--size -32", "at least 16 pixels"]),
    ("generate", ["--intensity", "1e9"], ["intensity", "1000000000.0", "from 0 to 2"]),
    ("generate", ["--intensity", "nan"], ["intensity", "got nan", "from 0 to 2"]),
    ("generate", ["--intensity", "-1"], ["intensity", "got -1.0", "from 0 to 2"]),
    ("generate", ["--fps", "100000"], ["--fps", "got 100000", "from 1 to 60"]),
    ("generate", ["--fps", "0"], ["--fps", "got 0", "from 1 to 60"]),
    ("generate", ["--frames", "0"], ["frames", "got 0", "from 1 to 1000"]),
    ("generate", ["--frames", "100000"], ["frames", "got 100000", "from 1 to 1000"]),
    ("generate", ["--max-size", "0"], ["--max-size", "got 0", "at least 64"]),
    ("evaluate", ["--folds", "-1"], ["--folds -1", "0 (one subject split) or 2 and more"]),
    ("evaluate", ["--folds", "1"], ["--folds 1", "0 (one subject split) or 2 and more"]),
    ("evaluate", ["--limit", "0"], ["--limit 0", "at least 1"]),
    ("evaluate", ["--frames", "0"], ["--frames 0", "at least 2 frames"]),
    ("evaluate", ["--train-steps", "-1"], ["--train-steps -1", "use 0"]),
]


@pytest.mark.parametrize("command, argv, words", BAD_OPTIONS, ids=[" ".join([c[0], *c[1]]) for c in BAD_OPTIONS])
def test_bad_option_is_one_line_naming_it_before_any_work(command, argv, words, checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "prepared", n=3, size=16)
    out = tmp_path / "out"
    base = {"train": ["train", "--data", data, "--out", out],
            "prepare": ["prepare", data, "--out", out],
            "generate": ["generate", "--demo", "--checkpoint", checkpoint, "--out", out / "clip.mp4"],
            "evaluate": ["evaluate", "--data", data, "--checkpoint", checkpoint, "--json", out / "table.json"]}
    out.mkdir()
    code, _, err = cli(base[command] + argv, capsys)
    assert_one_line_error(code, err, f"affinekit {command}: error:", *words)
    assert not list(out.iterdir())                       # nothing started, nothing written


# ------------------------------------------------------------------------------------------- checkpoints

def bad_checkpoint(kind: str, tmp_path: Path, good: Path) -> Path:
    path = tmp_path / f"{kind.replace(' ', '_')}.pt"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("weights: trust me\n")
    elif kind == "truncated zip":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "foreign torch file":
        torch.save({"weights": torch.zeros(3)}, path)
    else:   # a pickle whose payload writes a file when it is unpickled
        class Payload:
            def __reduce__(self):
                return (open, (str(tmp_path / "pwned"), "w"))
        torch.save({"format": "affinekit-generator-1", "model_config": {}, "generator": Payload()}, path)
    return path


BAD_CHECKPOINTS = {
    "empty": ["not a readable checkpoint", "the file is empty"],
    "text": ["not a readable checkpoint", "not a torch file"],
    "truncated zip": ["not a readable checkpoint", "truncated"],
    "foreign torch file": ["not an affinekit checkpoint"],
    "malicious pickle": ["refused to load", "only use checkpoints written by affinekit"],
}


@pytest.mark.parametrize("kind", BAD_CHECKPOINTS)
def test_damaged_or_hostile_checkpoint_is_one_line_and_runs_nothing(kind, checkpoint, tmp_path, capsys):
    path = bad_checkpoint(kind, tmp_path, checkpoint)
    (tmp_path / "clip.mp4").write_bytes(OLD)
    code, _, err = cli(["generate", "--demo", "--checkpoint", path, "--frames", 2,
                        "--out", tmp_path / "clip.mp4"], capsys)
    assert_one_line_error(code, err, path.name, *BAD_CHECKPOINTS[kind])
    assert not (tmp_path / "pwned").exists()               # the payload never ran
    assert (tmp_path / "clip.mp4").read_bytes() == OLD and not temporaries(tmp_path)


# ---------------------------------------------------------------------------------------- prepared files

def test_train_refuses_a_truncated_prepared_file_before_any_step(tmp_path, capsys):
    data = write_prepared(tmp_path / "prepared", n=3, size=16)
    damaged = data / "S001_001.npz"
    damaged.write_bytes(damaged.read_bytes()[:300])
    code, _, err = cli(["train", "--data", data, "--out", tmp_path / "run", *TINY_TRAIN], capsys)
    assert_one_line_error(code, err, "S001_001.npz", "damaged", "affinekit prepare")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_train_refuses_a_damaged_manifest(tmp_path, capsys):
    data = write_prepared(tmp_path / "prepared", n=3, size=16)
    (data / "manifest.json").write_text('{"config": {"image_size": 16}, "sequen')
    code, _, err = cli(["train", "--data", data, "--out", tmp_path / "run", *TINY_TRAIN], capsys)
    assert_one_line_error(code, err, "manifest.json", "damaged manifest")


def face_clips(face: np.ndarray, folder: Path, names: list[str]) -> Path:
    """Frame folders of a still face (two 200 px frames each): a source prepare aligns quickly."""
    small = np.asarray(Image.fromarray(face).convert("L").resize((200, 256)))
    for name in names:
        (folder / name).mkdir(parents=True)
        for i in range(2):
            (folder / name / f"{i:04d}.png").write_bytes(encoded(np.roll(small, i, axis=1), "PNG"))
    return folder


def test_prepare_re_prepares_a_truncated_file_and_says_so(face, tmp_path, capsys):
    src = face_clips(face, tmp_path / "src", ["a", "b"])
    out = tmp_path / "out"
    assert cli(["prepare", src, "--out", out, "--size", 32], capsys)[0] == 0
    whole = (out / "b_frames.npz").read_bytes()
    (out / "b_frames.npz").write_bytes(whole[: len(whole) // 2])
    code, stdout, _ = cli(["prepare", src, "--out", out, "--size", 32], capsys)
    assert code == 0
    assert "b_frames.npz: damaged (truncated or corrupt); prepared it again" in stdout
    assert "prepared 1 sequence(s), reused 1" in stdout
    with np.load(out / "b_frames.npz") as z:
        assert z["frames"].shape == (2, 32, 32, 3)


# --------------------------------------------------------------------------------------------- full disk

def full_disk(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("failure", ["raises", "stops short"])
def test_video_writer_failing_midway_keeps_the_old_video(failure, checkpoint, tmp_path, capsys, monkeypatch):
    import affinekit.io.video as video

    real = video.write_video

    def failing(frames, path, fps=8):
        real(frames, path, fps)
        whole = Path(path).read_bytes()
        Path(path).write_bytes(whole[: len(whole) // 3])     # as far as a full disk let it get
        if failure == "raises":
            full_disk()

    monkeypatch.setattr(video, "write_video", failing)
    out = tmp_path / "clip.mp4"
    out.write_bytes(OLD)
    code, stdout, err = cli(["generate", "--demo", "--checkpoint", checkpoint, "--frames", 2, "--out", out], capsys)
    words = ["No space left on device", "free some space"] if failure == "raises" else ["did not finish the file"]
    assert_one_line_error(code, err, "clip.mp4", *words)
    assert "wrote" not in stdout
    assert out.read_bytes() == OLD and files_in(tmp_path) == {"clip.mp4": OLD}


def test_full_disk_during_prepare_keeps_the_manifest_and_finished_work(face, tmp_path, capsys, monkeypatch):
    src = face_clips(face, tmp_path / "src", ["a"])
    out = tmp_path / "out"
    assert cli(["prepare", src, "--out", out, "--size", 32], capsys)[0] == 0
    face_clips(face, src, ["b"])                              # new material arrives; the disk is now full
    before = files_in(out)
    monkeypatch.setattr(os, "fsync", full_disk)
    code, _, err = cli(["prepare", src, "--out", out, "--size", 32], capsys)
    assert_one_line_error(code, err, "No space left on device")
    assert files_in(out) == before and not temporaries(out)


def test_full_disk_during_train_keeps_the_last_checkpoint(tmp_path, capsys, monkeypatch):
    data = write_prepared(tmp_path / "prepared", n=3, size=16)
    run = tmp_path / "run"
    argv = ["train", "--data", data, "--out", run, *TINY_TRAIN]
    assert cli(argv + ["--set", "train.steps=2"], capsys)[0] == 0
    before = files_in(run)
    monkeypatch.setattr(os, "fsync", full_disk)
    code, _, err = cli(argv + ["--set", "train.steps=4", "--resume"], capsys)
    # the progress bar of the steps that ran comes first; the error is one line after it
    last = err.strip().splitlines()[-1]
    assert code == 2 and "Traceback" not in err and last.startswith("affinekit train: error: "), err
    assert "No space left on device" in last and "--resume" in last
    after = files_in(run)
    assert after["checkpoints/last.pt"] == before["checkpoints/last.pt"]
    assert after["generator.pt"] == before["generator.pt"] and not temporaries(run)


def test_atomic_write_that_fails_midway_leaves_the_old_file(tmp_path):
    from affinekit.io.atomic import atomic_write

    target = tmp_path / "table.json"
    target.write_bytes(OLD)

    def half_then_full(f):
        f.write(b'{"rows": [1, 2')
        full_disk()

    with pytest.raises(OSError):
        atomic_write(target, half_then_full)
    assert files_in(tmp_path) == {"table.json": OLD}


# ------------------------------------------------------------------------------------------------ kill -9

def start_cli(*argv) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "affinekit.cli", *map(str, argv)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, OMP_NUM_THREADS="1"))


def kill_when(proc: subprocess.Popen, ready, timeout: float = 90.0) -> None:
    """SIGKILL the process as soon as `ready()` is true (it has started writing); killed all the same,
    never left running, when it does not start writing within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, f"the run never started writing within {timeout:.0f} s"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()


def manifest_keys(out: Path) -> list[str]:
    try:
        return [e["key"] for e in json.loads((out / "manifest.json").read_text())["sequences"]]
    except (OSError, ValueError, KeyError):
        return []


def test_kill_during_prepare_then_rerun_completes_whole(face, tmp_path, capsys):
    from affinekit.data.prepare import is_whole

    names = ["a", "b", "c", "d"]
    src = face_clips(face, tmp_path / "src", names)
    out = tmp_path / "out"
    proc = start_cli("prepare", src, "--out", out, "--size", 32)
    kill_when(proc, lambda: len(manifest_keys(out)) >= 1)
    assert proc.returncode == -signal.SIGKILL
    done = manifest_keys(out)
    assert 1 <= len(done) < len(names)                            # killed midway

    code, stdout, _ = cli(["prepare", src, "--out", out, "--size", 32], capsys)
    assert code == 0 and f"reused {len(done)}" in stdout
    assert sorted(manifest_keys(out)) == [f"{n}_frames" for n in names]
    assert all(is_whole(out / f"{n}_frames.npz") for n in names)
    assert not temporaries(out)              # the killed write's temporary went with the rerun


def test_kill_during_train_then_resume_completes_whole(tmp_path, capsys):
    from affinekit.weights.checkpoint import load_generator

    data = write_prepared(tmp_path / "prepared", n=3, size=16)
    run = tmp_path / "run"
    argv = ["train", "--data", data, "--out", run, *TINY_TRAIN, "--set", "train.checkpoint_every=2"]
    proc = start_cli(*argv, "--set", "train.steps=100000")
    log = run / "log.jsonl"
    kill_when(proc, lambda: (run / "checkpoints" / "last.pt").is_file() and log.is_file()
              and log.read_text().count("\n") >= 5)
    assert proc.returncode == -signal.SIGKILL
    saved = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"]
    assert saved >= 2

    code, stdout, err = cli(argv + ["--set", f"train.steps={saved + 3}", "--resume"], capsys)
    assert code == 0, err
    steps = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    assert steps == list(range(1, saved + 4))                      # whole: each step once, in order
    generator, cfg = load_generator(run / "generator.pt")
    assert cfg.image_size == 16
    assert not temporaries(run / "checkpoints")
