"""Bad input, round two (issue 23): outputs that name inputs, devices and pipes as photos, configs that
arrive as JSON, prepared files that are valid but wrong, labels CSVs, two runs at once, SIGTERM, requests
too large for memory, huge JPEGs and long or non-ASCII names.

Every refusal is exit code 2 and one line naming the file or option and the fix, and the files already
on disk stay byte for byte. Inputs are made on the fly; models are tiny and most cases end before any
work, so the module runs in seconds.
"""
from __future__ import annotations

import errno
import io
import json
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import TINY_MODEL, write_prepared
from PIL import Image
from test_hostile_inputs import OLD, TINY_TRAIN, assert_one_line_error, cli, encoded, files_in, temporaries

from affinekit.models.generator import Generator
from affinekit.weights.checkpoint import save_generator_only

TINY = TINY_MODEL


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> tuple[Path, Path]:
    """A prepared folder and a run trained 2 steps on it (a real training checkpoint)."""
    root = tmp_path_factory.mktemp("run2")
    data = write_prepared(root / "prepared", n=3, size=16)
    code = main_code(["train", "--data", data, "--out", root / "run", *TINY_TRAIN, "--set", "train.steps=2"])
    assert code == 0
    return data, root / "run"


def main_code(argv: list) -> int:
    from affinekit.cli import main
    return main([str(a) for a in argv])


# -------------------------------------------------------------------------- outputs that name inputs

def test_generate_out_naming_the_photo_is_refused(checkpoint, tmp_path, capsys):
    photo = tmp_path / "photo.gif"
    photo.write_bytes(encoded(np.full((64, 64), 120, np.uint8), "GIF"))
    before = files_in(tmp_path)
    code, _, err = cli(["generate", photo, "--out", photo, "--checkpoint", checkpoint], capsys)
    assert_one_line_error(code, err, "--out", "photo.gif", "the photo", "choose another --out")
    assert files_in(tmp_path) == before


def test_generate_out_naming_the_checkpoint_is_refused(checkpoint, tmp_path, capsys):
    copy = tmp_path / "model.gif"           # a checkpoint under a video's name
    copy.write_bytes(checkpoint.read_bytes())
    code, _, err = cli(["generate", "--demo", "--out", copy, "--checkpoint", copy], capsys)
    assert_one_line_error(code, err, "--out", "model.gif", "--checkpoint")
    assert copy.read_bytes() == checkpoint.read_bytes()


@pytest.mark.parametrize("target, words", [
    ("P/manifest.json", ["--json", "manifest.json", "--data"]),
    ("P/S000_000.npz", ["--json", "S000_000.npz", "--data"]),
    ("CKPT", ["--json", "tiny.pt", "--checkpoint"]),
    ("other.pt", ["--json", "other.pt", "is a model checkpoint"]),
], ids=["manifest", "prepared npz", "the checkpoint", "another checkpoint"])
def test_evaluate_output_naming_an_input_or_checkpoint_is_refused(target, words, checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    (tmp_path / "other.pt").write_bytes(checkpoint.read_bytes())
    path = checkpoint if target == "CKPT" else tmp_path / target
    before, model = files_in(tmp_path), checkpoint.read_bytes()
    code, _, err = cli(["evaluate", "--data", data, "--checkpoint", checkpoint, "--json", path], capsys)
    assert_one_line_error(code, err, *words)
    assert files_in(tmp_path) == before and checkpoint.read_bytes() == model


def test_evaluate_json_and_markdown_naming_one_file_is_refused(checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    (tmp_path / "t.txt").write_bytes(OLD)
    code, _, err = cli(["evaluate", "--data", data, "--checkpoint", checkpoint, "--json", tmp_path / "t.txt",
                        "--markdown", tmp_path / "t.txt"], capsys)
    assert_one_line_error(code, err, "--json and --markdown both name", "t.txt")
    assert (tmp_path / "t.txt").read_bytes() == OLD


def test_batch_clip_names_stay_distinct_across_folders_case_and_photos_in_the_out_dir(tmp_path):
    from affinekit.generate.many_photos import clip_names

    photos = [Path("x/a.jpg"), Path("y/a.png"), Path("z/A.jpg"), Path("clips/a_happy-4.gif")]
    names = clip_names(photos, "happy", "gif", reserved={"a_happy-4.gif"})
    assert len({n.casefold() for n in names} | {"a_happy-4.gif"}) == len(names) + 1
    long = clip_names([Path("p" * 250 + ".jpg")], "surprise", "mp4")[0]
    assert len(long.encode()) <= 255 and long.endswith("_surprise.mp4")


def test_widget_save_on_a_full_disk_keeps_the_old_clip(tmp_path, monkeypatch):
    pytest.importorskip("ipywidgets")
    from helpers import StubAnimator, face

    import affinekit.io.video as video
    from affinekit.show.widgets import GeneratorApp

    app = GeneratorApp(StubAnimator(), {"one": face()}, out_dir=tmp_path / "clips")
    app.n_frames.value = 3
    app.on_generate()
    old = app.save("mp4").read_bytes()

    def stops_short(frames, path, fps=8):
        Path(path).write_bytes(b"\x00" * 64)        # what a full disk let the encoder write

    monkeypatch.setattr(video, "write_video", stops_short)
    assert app.save("mp4") is None
    assert "could not save" in app.status.value and "did not finish" in app.status.value
    assert (tmp_path / "clips" / "clip.mp4").read_bytes() == old and not temporaries(tmp_path)


@pytest.mark.parametrize("where", ["an existing folder", "a folder to create"])
def test_widget_save_on_a_read_only_disk_is_one_line(where, tmp_path, monkeypatch):
    pytest.importorskip("ipywidgets")
    import tempfile

    from helpers import StubAnimator, face

    from affinekit.show.widgets import GeneratorApp

    def read_only(*args, **kwargs):      # root writes anywhere by permissions: the disk refuses instead
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    folder = tmp_path / "clips" if where == "an existing folder" else tmp_path / "new" / "clips"
    (tmp_path / "clips").mkdir()
    app = GeneratorApp(StubAnimator(), {"one": face()}, out_dir=folder)
    app.n_frames.value = 3
    app.on_generate()
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(Path, "mkdir", read_only)
    assert app.save("mp4") is None
    status = app.status.value
    assert "could not save" in status and "Read-only file system" in status and str(folder) in status
    assert "Broken pipe" not in status and "FFMPEG" not in status and "\n" not in status
    assert files_in(tmp_path) == {}


# ------------------------------------------------------------------------------- devices, pipes, seeds

@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/urandom", "fifo"])
def test_device_or_pipe_as_a_photo_is_refused_at_once(kind, checkpoint, tmp_path, capsys):
    path = Path(kind) if kind != "fifo" else tmp_path / "photo.jpg"
    if kind == "fifo":
        os.mkfifo(path)
    elif not path.exists():
        pytest.skip(f"{kind} is missing here")
    done = threading.Event()
    threading.Timer(20, lambda: done.is_set() or os.kill(os.getpid(), signal.SIGINT)).start()   # never hang
    code, _, err = cli(["generate", path, "--checkpoint", checkpoint, "--out", tmp_path / "c.mp4"], capsys)
    done.set()
    assert_one_line_error(code, err, str(path), "not a regular file")
    assert files_in(tmp_path) == {}


def test_prepare_of_a_device_names_it(tmp_path, capsys):
    code, _, err = cli(["prepare", "/dev/zero", "--out", tmp_path / "out"], capsys)
    assert_one_line_error(code, err, "/dev/zero", "not a file or folder")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, words", [
    (["evaluate", "--seed", "-1"], ["--seed=-1", "from 0 to"]),
    (["evaluate", "--protocol", "paper", "--size", "0"], ["--size 0", "at least 16"]),
    (["evaluate", "--protocol", "paper", "--size", "-5"], ["--size -5", "at least 16"]),
    (["evaluate", "--folds", "2", "--train-steps", "1", "--train-size", "60"], ["--train-size 60", "divisible"]),
    (["train", "--set", "train.seed=-1"], ["train.seed=-1", "from 0 to"]),
    (["train", "--set", "data.seed=-1"], ["data.seed=-1", "from 0 to"]),
    (["generate", "--intensity", "2.5"], ["intensity", "from 0 to 2.0"]),
], ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0] in ("evaluate", "train", "generate") else "")
def test_bad_value_is_one_line_before_any_work(argv, words, checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=6, size=16)
    out = tmp_path / "out"
    extra = {"evaluate": ["--data", data, "--checkpoint", checkpoint, "--json", out / "t.json"],
             "train": ["--data", data, "--out", out], "generate": ["--demo", "--checkpoint", checkpoint,
                                                                  "--out", out / "c.mp4"]}[argv[0]]
    code, _, err = cli(argv + extra, capsys)
    assert_one_line_error(code, err, *words)
    assert not out.exists()


# --------------------------------------------------------------------------------------- --config JSON

@pytest.mark.parametrize("content, words", [
    ("[]", ["c.json", "must be a JSON object", "not a list"]),
    ('"string"', ["c.json", "must be a JSON object", "not a string"]),
    ('{"train": {"steps": 2.5}}', ["train.steps=2.5", "whole number"]),
    ('{"train": {"steps": true}}', ["train.steps=True", "whole number"]),
    ('{"train": []}', ["the train section", "JSON object"]),
    ('{"data": {"augment": 1}}', ["data.augment=1", "true or false"]),
    ('{"model": {"image_size": 64.5}}', ["model.image_size=64.5", "whole number"]),
])
def test_config_json_is_checked_like_set(content, words, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    (tmp_path / "c.json").write_text(content)
    before = files_in(tmp_path)
    code, _, err = cli(["train", "--data", data, "--out", tmp_path / "out", "--config", tmp_path / "c.json"], capsys)
    assert_one_line_error(code, err, *words)
    assert files_in(tmp_path) == before


def test_config_whole_float_is_taken_as_a_whole_number(tmp_path):
    from affinekit.training.spec import resolve_configs

    (tmp_path / "c.json").write_text('{"model": {"image_size": 64.0}, "train": {"lr_g": 1}}')
    configs, _ = resolve_configs(str(tmp_path / "c.json"), ["model.base_width=16.0"])
    assert configs["model"].image_size == 64 and type(configs["model"].image_size) is int
    assert configs["model"].base_width == 16 and configs["train"].lr_g == 1.0
    (tmp_path / "c.json").write_text('{"model": {"image_size": 16}}')      # valid only with the --set below
    assert resolve_configs(str(tmp_path / "c.json"), ["model.depth=2"])[0]["model"].image_size == 16


# ---------------------------------------------------------------------------- prepared files and resume

def damage(data: Path, kind: str) -> None:
    path = data / "S001_001.npz"
    with np.load(path) as z:
        arrays = dict(z)
    if kind == "64 px":
        arrays["frames"] = np.zeros((6, 64, 64, 1), np.uint8)
        arrays["lip_masks"] = np.zeros((6, 64, 64), np.uint8)
    elif kind == "float64":
        arrays["frames"] = arrays["frames"].astype(np.float64) * 3
    elif kind == "nan landmarks":
        arrays["landmarks"][2, 10] = np.nan
    np.savez_compressed(path, **arrays)


@pytest.mark.parametrize("kind, words", [("64 px", ["64x64 px", "manifest says 16 px"]),
                                         ("float64", ["float64", "not uint8"]),
                                         ("nan landmarks", ["NaN"])])
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_prepared_file_not_what_the_manifest_says_is_refused(command, kind, words, checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    damage(data, kind)
    before = files_in(tmp_path)
    argv = {"train": ["train", "--data", data, "--out", tmp_path / "run", *TINY_TRAIN],
            "evaluate": ["evaluate", "--data", data, "--checkpoint", checkpoint]}[command]
    code, _, err = cli(argv, capsys)
    assert_one_line_error(code, err, "S001_001.npz", *words, "rerun `affinekit prepare`")
    assert files_in(tmp_path) == before


@pytest.mark.parametrize("content", ["[]", '{"sequences": 3}', '{"sequences": [{"file": "a.npz"}]}'])
@pytest.mark.parametrize("command", ["train", "evaluate", "prepare"])
def test_manifest_of_the_wrong_shape_is_one_line(command, content, checkpoint, tmp_path, capsys):
    data = write_prepared(tmp_path / "P", n=3, size=16)
    (data / "manifest.json").write_text(content)
    before = files_in(data)
    frames = tmp_path / "clip"
    frames.mkdir()
    (frames / "0001.png").write_bytes(encoded(np.zeros((32, 32), np.uint8), "PNG"))
    argv = {"train": ["train", "--data", data, "--out", tmp_path / "run", *TINY_TRAIN],
            "evaluate": ["evaluate", "--data", data, "--checkpoint", checkpoint],
            "prepare": ["prepare", frames, "--out", data, "--size", 16]}[command]
    code, _, err = cli(argv, capsys)
    assert_one_line_error(code, err, "manifest.json", "not a manifest")
    assert files_in(data) == before


def test_prepare_re_prepares_a_file_of_another_size_and_says_so(tmp_path, capsys):
    from skimage import data as skdata
    from test_hostile_inputs import face_clips

    src = face_clips(np.ascontiguousarray(skdata.astronaut()[:, 40:440]), tmp_path / "src", ["a"])
    out = tmp_path / "out"
    assert cli(["prepare", src, "--out", out, "--size", 32], capsys)[0] == 0
    with np.load(out / "a_frames.npz") as z:
        arrays = dict(z)
    arrays["frames"] = np.zeros((2, 64, 64, 3), np.uint8)      # a 64 px file among 32 px ones
    np.savez_compressed(out / "a_frames.npz", **arrays)
    code, stdout, _ = cli(["prepare", src, "--out", out, "--size", 32], capsys)
    assert code == 0 and "a_frames.npz: its frames are 64x64 px but the manifest says 32 px" in stdout
    assert "prepared 1 sequence(s), reused 0" in stdout
    with np.load(out / "a_frames.npz") as z:
        assert z["frames"].shape == (2, 32, 32, 3)


def test_resume_refuses_model_overrides_and_says_train_ones(trained_run, tmp_path, capsys):
    data, run = trained_run
    before = files_in(run)
    code, _, err = cli(["train", "--data", data, "--out", run, *TINY_TRAIN, "--resume",
                        "--set", "model.image_size=32", "--set", "model.output=pixels"], capsys)
    assert_one_line_error(code, err, "model.image_size=32", "a resumed run keeps its model", "model.image_size=16")
    assert files_in(run) == before
    code, out, err = cli(["train", "--data", data, "--out", run, *TINY_TRAIN, "--resume", "--set", "train.steps=3",
                          "--set", "model.image_size=16"], capsys)       # an override equal to the run's passes
    assert code == 0 and "resuming with train.steps=3 (the run had 2)" in out, err


def test_resume_from_a_generator_export_is_refused(trained_run, tmp_path, capsys):
    data, _ = trained_run
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    save_generator_only(Generator(TINY), TINY, run / "checkpoints" / "last.pt")
    before = files_in(run)
    code, _, err = cli(["train", "--data", data, "--out", run, *TINY_TRAIN, "--resume"], capsys)
    assert_one_line_error(code, err, "last.pt", "generator export", "init_from")
    assert files_in(run) == before


def test_checkpoint_write_on_a_full_disk_keeps_the_errno(tmp_path, monkeypatch):
    import affinekit.weights.checkpoint as checkpoint_module

    class FullDisk(io.RawIOBase):
        def writable(self):
            return True

        def write(self, _data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(checkpoint_module, "atomic_write", lambda path, write, within=None: write(FullDisk()))
    with pytest.raises(OSError) as caught:
        checkpoint_module.atomic_save({"weights": torch.zeros(1000)}, tmp_path / "last.pt")
    assert caught.value.errno == errno.ENOSPC      # torch's zip writer said only "file write failed"


def test_a_write_failing_on_a_full_disk_names_the_file_and_keeps_it(tmp_path):
    from affinekit.cli import environment_error
    from affinekit.io.atomic import atomic_write

    target = tmp_path / "last.pt"
    target.write_bytes(OLD)

    def full(_f):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))       # what a plain write says: no file named

    with pytest.raises(OSError) as caught:
        atomic_write(target, full)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert environment_error(caught.value).startswith(f"{target}: No space left on device; free some space")
    assert target.read_bytes() == OLD and not temporaries(tmp_path)


# -------------------------------------------------------------------------------------------- labels

BAD_LABELS = {
    "path,label\n": ["labels.csv", "header but no rows"],
    "path,label\nclip,happy\nclip,sad\n": ["labels.csv:3", "labelled happy on line 2 and sad"],
    "path,label\nclip,happy\nnot-there,sad\n": ["labels.csv", "1 row(s) name no sequence", "not-there"],
    "path,label\nclip\n": ["labels.csv:2", "no label column", "unlabelled"],
    "path,label\nclip,\n": ["labels.csv:2", "label is empty", "unlabelled to keep"],
}


@pytest.mark.parametrize("content", BAD_LABELS, ids=["header only", "conflicting", "unmatched", "short row",
                                                     "empty label"])
def test_labels_csv_that_would_mislabel_silently_is_refused(content, tmp_path, capsys):
    clip = tmp_path / "clip"
    clip.mkdir()
    (clip / "0001.png").write_bytes(encoded(np.zeros((32, 32), np.uint8), "PNG"))
    (tmp_path / "labels.csv").write_text(content)
    before = files_in(tmp_path)
    code, _, err = cli(["prepare", tmp_path, "--labels", tmp_path / "labels.csv", "--out", tmp_path / "out"], capsys)
    assert_one_line_error(code, err, *BAD_LABELS[content])
    assert files_in(tmp_path) == before


def test_labels_csv_with_a_bom_is_read(tmp_path):
    from affinekit.data.folders import read_labels_csv

    (tmp_path / "labels.csv").write_bytes("\ufeffpath,label\nclip,happy\nclip,happy\n".encode("utf-8"))
    assert read_labels_csv(tmp_path / "labels.csv") == {(tmp_path / "clip").resolve(): "happy"}


# ------------------------------------------------------------------------------ two runs, SIGTERM

def test_second_run_into_a_locked_folder_is_refused(tmp_path, capsys):
    from affinekit.io.locks import folder_lock

    data = write_prepared(tmp_path / "P", n=3, size=16)
    run = tmp_path / "run"
    with folder_lock(run):                          # the first run, still going
        code, _, err = cli(["train", "--data", data, "--out", run, *TINY_TRAIN, "--set", "train.steps=1"], capsys)
        assert_one_line_error(code, err, "--out", "another affinekit run is writing there")
        code, _, err = cli(["prepare", data, "--out", run], capsys)
        assert_one_line_error(code, err, "--out", "another affinekit run is writing there")
    assert not run.exists()          # nothing written; the lock took no file


def test_sigterm_mid_train_saves_says_so_and_resumes(tmp_path, capsys, monkeypatch):
    import affinekit.training.callbacks as callbacks

    class TermAtStep2:
        def on_step(self, trainer, step, logs):
            if step == 2:
                os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(callbacks, "SampleSaver", TermAtStep2)
    monkeypatch.setattr("affinekit.commands.train.SampleSaver", TermAtStep2)
    data = write_prepared(tmp_path / "P", n=3, size=16)
    run = tmp_path / "run"
    argv = ["train", "--data", data, "--out", run, *TINY_TRAIN, "--set", "train.steps=5"]
    code, out, err = cli(argv, capsys)
    assert code == 130 and "interrupted after step 2" in out + err and "--resume" in out + err
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == 2
    monkeypatch.setattr("affinekit.commands.train.SampleSaver", callbacks.ProgressBar)
    assert cli(argv + ["--resume"], capsys)[0] == 0
    steps = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


# ----------------------------------------------------------------------------------------------- memory

@pytest.mark.parametrize("argv", [
    ["train", "--set", "train.batch_size=100000"],
    ["evaluate", "--frames", "5000"],
    ["generate", "--expression", "all", "--frames", "1000"],
    ["prepare", "--size", "4096"],
], ids=lambda a: " ".join(a))
def test_request_too_large_for_memory_says_how_much(argv, checkpoint, tmp_path, capsys, monkeypatch):
    import affinekit.memory as memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 64 * 1024 ** 2)
    data = write_prepared(tmp_path / "P", n=6, size=16)
    clip = tmp_path / "clip"
    clip.mkdir()
    for i in range(2):
        (clip / f"{i}.png").write_bytes(encoded(np.zeros((32, 32), np.uint8), "PNG"))
    out, before = tmp_path / "out", files_in(tmp_path)
    extra = {"train": ["--data", data, "--out", out, "--device", "cpu"],
             "evaluate": ["--data", data, "--checkpoint", checkpoint, "--json", out / "t.json"],
             "generate": ["--demo", "--checkpoint", checkpoint, "--out", tmp_path / "c.mp4"],
             "prepare": [clip, "--out", out]}[argv[0]]
    code, _, err = cli(argv[:1] + extra + argv[1:], capsys)
    assert_one_line_error(code, err, argv[-1], "needs about", "of memory but 64 MB is available")
    assert files_in(tmp_path) == before


def test_prepare_size_beyond_any_model_is_refused_with_its_memory(tmp_path, capsys):
    code, _, err = cli(["prepare", tmp_path, "--out", tmp_path / "out", "--size", 20000], capsys)
    assert_one_line_error(code, err, "--size 20000", "14.2 GB of memory", "at most 4096")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------- big photos and names

def test_a_110_megapixel_jpeg_decodes_at_a_reduced_scale():
    import cv2

    from affinekit.io.image_decoder import decode_image

    side = 10_500                                  # 110 MP: above Pillow's 89 MP guard
    ok, jpeg = cv2.imencode(".jpg", np.full((side, side), 90, np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 50])
    pixels = decode_image(jpeg.tobytes(), "big.jpg", max_side=1024)
    assert pixels.shape == (-(-side // 8),) * 2 and abs(int(pixels.mean()) - 90) <= 1
    assert decode_image(jpeg.tobytes(), "big.jpg").shape == (side // 2,) * 2      # no max_side: within 89 MP


def test_a_float_tiff_of_0_to_1_is_not_black():
    from affinekit.io.image_decoder import decode_image

    image = Image.fromarray(np.full((32, 32), 0.5, np.float32), mode="F")
    assert abs(int(decode_image(encoded(image, "TIFF"), "f.tif").mean()) - 128) <= 1


def test_one_frame_with_an_expression_is_the_apex():
    from affinekit.generate.curves import intensity_curve

    assert intensity_curve("linear", 1, 0.7).tolist() == pytest.approx([0.7])
    assert intensity_curve("linear", 3, 1.0).tolist() == [0.0, 0.5, 1.0]


def test_a_long_output_name_keeps_its_temporary_within_the_name_limit(tmp_path):
    from affinekit.io.atomic import atomic_write_text

    target = tmp_path / ("t" * 244 + ".json")
    target.write_bytes(OLD)
    atomic_write_text(target, "{}")
    assert target.read_text() == "{}" and not temporaries(tmp_path)


def test_non_ascii_frame_folder_keys_do_not_collide():
    from affinekit.data.records import safe_key

    keys = [safe_key(n) for n in ("张三", "李四", "café", "cafe", "cafe\u0301")]
    assert len(set(keys)) == 4 and keys[2] == keys[4]          # one accent, typed two ways, is one key


def test_encoder_error_is_one_line_naming_the_requested_file(tmp_path, monkeypatch):
    import affinekit.io.video as video
    from affinekit.errors import AffinekitError

    def broken_pipe(frames, path, fps=8):
        raise OSError("[Errno 32] Broken pipe\n\nFFMPEG COMMAND:\nffmpeg -y -f rawvideo ...\n\nFFMPEG STDERR:\n")

    monkeypatch.setattr(video, "write_video", broken_pipe)
    target = tmp_path / "clip.mp4"
    with pytest.raises(AffinekitError) as caught:
        video.save_video(np.zeros((2, 16, 16, 3), np.uint8), target)
    message = str(caught.value)
    assert message.startswith(f"{target}: ") and "Broken pipe" in message and "\n" not in message
    assert "FFMPEG" not in message and not temporaries(tmp_path)


def test_a_face_shrunk_past_finding_is_named_as_too_small(checkpoint, tmp_path, capsys):
    from skimage import data as skdata
    from affinekit.io.images import write_png
    write_png(tmp_path / "astronaut.png", skdata.astronaut())    # a face a quarter of the photo wide
    code, _, err = cli(["generate", tmp_path / "astronaut.png", "--max-size", 128, "--frames", 2, "--checkpoint", checkpoint,
                        "--out", tmp_path / "c.mp4"], capsys)
    line = assert_one_line_error(code, err, "the face is only", "128x128", "raise --max-size")
    assert "no face found" not in line and not (tmp_path / "c.mp4").exists()


def test_a_small_face_in_a_large_jpeg_is_named_as_too_small(checkpoint, tmp_path, capsys):
    import cv2
    from skimage import data as skdata

    canvas = np.full((1600, 2400, 3), 120, np.uint8)     # an 87 px face; the JPEG is decoded at 1/2 for 512 px
    canvas[544:1056, 944:1456] = skdata.astronaut()
    cv2.imwrite(str(tmp_path / "wide.jpg"), canvas[:, :, ::-1])
    before = files_in(tmp_path)
    code, _, err = cli(["generate", tmp_path / "wide.jpg", "--max-size", 512, "--frames", 2, "--checkpoint",
                        checkpoint, "--out", tmp_path / "c.mp4"], capsys)
    line = assert_one_line_error(code, err, "wide.jpg", "the face is only", "512x340", "crop the photo")
    assert "no face found" not in line and files_in(tmp_path) == before
