"""`affinekit generate`: videos written and read back, one-line errors, no partial files.

The bundled model is trained later, so a tiny random generator exported to a
checkpoint stands in for it (`--checkpoint`); the pipeline is the same.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image
from skimage import data

from affinekit.cli import main
from affinekit.expressions import EXPRESSIONS


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    paths = {}
    for name, image in [("astronaut.jpg", data.astronaut()), ("camera.png", data.camera()),
                        ("chelsea.jpg", data.chelsea())]:
        paths[name] = folder / name
        Image.fromarray(image).save(paths[name])
    (folder / "notes.jpg").write_text("not a picture\n")
    paths["notes.jpg"] = folder / "notes.jpg"
    return paths


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_mp4_from_a_photo(checkpoint, photos, tmp_path, capsys):
    out = tmp_path / "clip.mp4"
    code, stdout, _ = run(["generate", photos["astronaut.jpg"], "--expression", "happy", "--frames", 6,
                           "--checkpoint", checkpoint, "--out", out], capsys)
    assert code == 0 and "clip.mp4" in stdout
    frames = iio.imread(out)  # decodes: a playable H.264 file
    assert frames.shape == (6, 512, 512, 3)
    # frame 0 is the photo itself (up to H.264's loss)
    assert np.abs(frames[0].astype(int) - data.astronaut()).mean() < 4
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temporary file left


def test_gif_and_demo(checkpoint, tmp_path, capsys):
    out = tmp_path / "clip.gif"
    code, _, _ = run(["generate", "--demo", "--frames", 4, "--checkpoint", checkpoint, "--out", out], capsys)
    assert code == 0
    assert iio.imread(out).shape[:3] == (4, 512, 512)


def test_expression_all_is_a_grid_of_seven_close_ups_and_the_full_frame(checkpoint, tmp_path, capsys):
    out = tmp_path / "grid.mp4"
    code, _, _ = run(["generate", "--demo", "--expression", "all", "--frames", 3, "--checkpoint", checkpoint,
                      "--out", out], capsys)
    assert code == 0
    frames = iio.imread(out)
    t, gh, gw, _ = frames.shape
    assert t == 3 and gw <= 1024 and gw % 4 == 0
    cells = [frames[0, r * gh // 2:(r + 1) * gh // 2, c * gw // 4:(c + 1) * gw // 4]
             for r in range(2) for c in range(4)]
    assert all(cell.mean() > 20 for cell in cells[:7])
    # the eighth cell: the whole 512 x 512 frame letterboxed into a panel (black bars only if not square)
    assert cells[7].mean() > 20


def test_crop_only_writes_a_close_up_of_the_face(checkpoint, tmp_path, capsys):
    out = tmp_path / "face.mp4"
    code, _, _ = run(["generate", "--demo", "--crop-only", "--frames", 5, "--checkpoint", checkpoint,
                      "--out", out], capsys)
    assert code == 0
    assert iio.imread(out).shape == (5, 256, 256, 3)


def test_max_size(checkpoint, photos, tmp_path, capsys):
    out = tmp_path / "small.gif"
    code, _, _ = run(["generate", photos["astronaut.jpg"], "--max-size", 300,
                      "--frames", 2, "--checkpoint", checkpoint, "--out", out], capsys)
    assert code == 0
    assert iio.imread(out).shape[:3] == (2, 300, 300)


def test_timing_prints_each_stage(checkpoint, tmp_path, capsys):
    code, stdout, _ = run(["generate", "--demo", "--frames", 2, "--timing", "--checkpoint", checkpoint,
                           "--out", tmp_path / "t.mp4"], capsys)
    assert code == 0
    for stage in ("load", "read", "detect", "align", "generate", "encode", "total"):
        assert f"  {stage} " in stdout, stage


@pytest.mark.parametrize("photo, words", [
    ("camera.png", ["camera.png", "no face"]),
    ("chelsea.jpg", ["chelsea.jpg", "no face"]),
    ("notes.jpg", ["notes.jpg", "not an image"]),
    ("missing.jpg", ["missing.jpg", "no such file"]),
])
def test_bad_photo_exit_2_one_line_no_output(checkpoint, photos, tmp_path, capsys, photo, words):
    path = photos.get(photo, tmp_path / photo)
    out = tmp_path / "clip.mp4"
    code, stdout, stderr = run(["generate", path, "--checkpoint", checkpoint, "--out", out], capsys)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and all(w in lines[0] for w in words), stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unknown_expression_lists_valid_names(checkpoint, tmp_path, capsys):
    code, _, stderr = run(["generate", "--demo", "--expression", "smug", "--checkpoint", checkpoint,
                           "--out", tmp_path / "c.mp4"], capsys)
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert all(name in stderr for name in EXPRESSIONS) and "all" in stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, words", [
    (["--demo", "--out", "{tmp}/clip.avi"], [".avi", ".mp4 or .gif"]),
    (["--demo", "--out", "{tmp}/nope/clip.mp4"], ["does not exist"]),
    ([], ["--demo"]),
])
def test_bad_arguments(checkpoint, tmp_path, capsys, argv, words):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, stderr = run(["generate", *argv, "--checkpoint", checkpoint], capsys)
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert all(w in stderr for w in words), stderr


def test_without_the_bundled_model(monkeypatch, tmp_path, capsys):
    import affinekit.generate.animate as animate

    monkeypatch.setattr(animate, "DEFAULT_WEIGHTS", tmp_path / "affinekit_default.pt")
    code, _, stderr = run(["generate", "--demo", "--out", tmp_path / "c.mp4"], capsys)
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and "bundled model" in stderr
    assert not (tmp_path / "c.mp4").exists()


def test_command_line_process_prints_no_traceback(tmp_path):
    """The real entry point, in its own process: exit 2, one line, no traceback."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.run([sys.executable, "-m", "affinekit.cli", "generate", str(tmp_path / "missing.jpg"),
                           "--out", str(tmp_path / "c.mp4")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "missing.jpg" in proc.stderr


# --------------------------------------------------------------------------- conventions and batches

def test_version_and_python_dash_m():
    from affinekit import __version__
    for cmd in ([sys.executable, "-m", "affinekit", "--version"],):
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and result.stdout.strip() == f"affinekit {__version__}"


def test_help_names_the_choices(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = capsys.readouterr().out
    assert all(e in text for e in EXPRESSIONS) and "--device" in text and "frames per second" in text
    code, _, err = run(["generate", "--demo", "--expression", "smirk"], capsys)
    assert code == 2 and all(e in err for e in EXPRESSIONS)


def test_device_auto_runs_on_this_machine(checkpoint, tmp_path, capsys):
    import torch as _torch

    from affinekit.devices import resolve_device
    assert resolve_device("auto").type == ("cuda" if _torch.cuda.is_available() else resolve_device("auto").type)
    code, out, _ = run(["generate", "--demo", "--frames", 2, "--device", "auto", "--checkpoint", checkpoint,
                        "--out", tmp_path / "a.mp4"], capsys)
    assert code == 0 and "wrote" in out
    if not _torch.cuda.is_available():
        code, _, err = run(["generate", "--demo", "--device", "cuda", "--checkpoint", checkpoint,
                            "--out", tmp_path / "b.mp4"], capsys)
        assert code == 2 and "no CUDA GPU" in err


def test_batch_goes_on_past_failures_and_says_so(checkpoint, photos, tmp_path, capsys):
    folder = photos["astronaut.jpg"].parent
    out = tmp_path / "clips"
    code, stdout, _ = run(["generate", folder, str(folder / "astro*.jpg"), "--out-dir", out, "--frames", 3,
                           "--checkpoint", checkpoint], capsys)
    assert code == 1                                          # some photos failed
    lines = stdout.strip().splitlines()
    assert lines[-1] == "1 clip(s) written, 3 photo(s) failed"
    assert sum("error:" in line for line in lines) == 3 and any("no face found" in line for line in lines)
    assert sorted(p.name for p in out.iterdir()) == ["astronaut_happy.mp4"]   # the glob's repeat is not redone
    assert iio.imread(out / "astronaut_happy.mp4").shape[0] == 3


def test_batch_of_good_photos_exits_zero_and_matches_one_at_a_time(checkpoint, photos, tmp_path, capsys):
    second = tmp_path / "astronaut_small.png"
    Image.fromarray(data.astronaut()[::2, ::2]).save(second)
    out = tmp_path / "clips"
    code, stdout, _ = run(["generate", photos["astronaut.jpg"], second, "--out-dir", out, "--frames", 3,
                           "--format", "gif", "--checkpoint", checkpoint], capsys)
    assert code == 0 and stdout.strip().splitlines()[-1] == "2 clip(s) written, 0 photo(s) failed"
    single = tmp_path / "single.gif"
    assert run(["generate", second, "--out", single, "--frames", 3, "--checkpoint", checkpoint], capsys)[0] == 0
    # batched through the network or not, the frames are the same
    assert np.abs(iio.imread(out / "astronaut_small_happy.gif").astype(int) - iio.imread(single)).max() <= 1


def test_batch_needs_an_out_dir(checkpoint, photos, capsys):
    code, _, err = run(["generate", photos["astronaut.jpg"], photos["camera.png"], "--checkpoint", checkpoint],
                       capsys)
    assert code == 2 and "--out-dir" in err


def test_demo_starts_from_the_neutral_frll_face(checkpoint, tmp_path, capsys):
    """Issue 28 item 7: the demo's first frame is the shipped neutral FRLL face, not the smiling astronaut."""
    from affinekit.io.photos import demo_face
    out = tmp_path / "demo.mp4"
    code, _, _ = run(["generate", "--demo", "--frames", 2, "--checkpoint", checkpoint, "--out", out], capsys)
    assert code == 0
    first = iio.imread(out)[0].astype(int)
    assert np.abs(first - demo_face()).mean() < 4
    assert np.abs(first - data.astronaut()).mean() > 20
