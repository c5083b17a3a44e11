"""Bad input, round three (issue 31, class 1): one write path. Every output folder of every command is
given links planted by someone else (to a file and to a folder outside), and nothing outside the folders
the user named changes, byte for byte; an output that names an input is refused before any work.

The generate features, batches and the paired protocol of round three are in
test_hostile_inputs_3_features.py. Models are tiny and untrained; each case runs in seconds.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import write_prepared
from test_hostile_inputs import TINY_TRAIN, assert_one_line_error, cli, encoded, face_clips, files_in

from affinekit.errors import AffinekitError
from affinekit.io.locks import folder_lock
from affinekit.io.run_folder import RunFolder
from affinekit.training.mouth_attach import attach_destination
from affinekit.weights.checkpoint import atomic_save

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder the user never named, with a file and a sub-folder a planted link can point at."""
    folder = tmp_path / "outside"
    (folder / "dir").mkdir(parents=True)
    (folder / "victim.txt").write_bytes(b"the user's own file\n")
    (folder / "dir" / "kept.txt").write_bytes(b"kept\n")
    return folder


def plant(folder: Path, outside: Path, *names: str, dirs: tuple[str, ...] = ()) -> None:
    """Links named `names` to outside/victim.txt and `dirs` to outside/dir, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(outside / "victim.txt", folder / name)
    for name in dirs:
        os.symlink(outside / "dir", folder / name)


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    from skimage import data
    path = tmp_path_factory.mktemp("photo") / "face.png"
    path.write_bytes(encoded(data.astronaut(), "PNG"))
    return path


def test_layers_folder_with_planted_links_writes_only_inside(checkpoint, photo, outside, tmp_path, capsys):
    layers = tmp_path / "L"
    plant(layers, outside, "frame_000.png", "field_000.npy", "layers.json", "mask_001.png")
    plant(tmp_path, outside, "c.mp4")                     # the clip's own name, too
    before = files_in(outside)
    code, out, err = cli(["generate", photo, "--checkpoint", checkpoint, "--out", tmp_path / "c.mp4", "--frames", "2",
                          "--layers", layers], capsys)
    assert code == 0, err
    assert files_in(outside) == before
    assert not any(p.is_symlink() for p in layers.iterdir()) and not (tmp_path / "c.mp4").is_symlink()
    assert json.loads((layers / "layers.json").read_text())["frames"] == 2


def test_layers_json_never_describes_another_runs_files(checkpoint, photo, tmp_path, capsys):
    layers = tmp_path / "L"
    for frames in ("4", "2"):
        code, _, err = cli(["generate", photo, "--checkpoint", checkpoint, "--out", tmp_path / "c.mp4",
                            "--frames", frames, "--layers", layers], capsys)
        assert code == 0, err
    frames = sorted(p.name for p in layers.glob("frame_*.png"))
    assert frames == ["frame_000.png", "frame_001.png"]       # the first run's frames 2 and 3 went with it
    assert json.loads((layers / "layers.json").read_text())["frames"] == 2


def test_layers_while_another_run_holds_the_lock_is_refused(checkpoint, photo, tmp_path, capsys):
    with folder_lock(tmp_path, "--layers"):
        code, _, err = cli(["generate", photo, "--checkpoint", checkpoint, "--out", tmp_path / "c.mp4",
                            "--frames", "2", "--layers", tmp_path / "L"], capsys)
    assert_one_line_error(code, err, "--layers", "another affinekit run is writing there")
    assert not (tmp_path / "L").exists()


@pytest.mark.parametrize("where", ["the photo", "--out", "a stranger"])
def test_layers_folder_holding_an_input_or_other_files_is_refused(where, checkpoint, photo, tmp_path, capsys):
    layers = tmp_path / "L"
    layers.mkdir()
    target = {"the photo": layers / "face.png", "--out": layers / "c.mp4", "a stranger": layers / "notes.txt"}[where]
    target.write_bytes(photo.read_bytes())
    before = files_in(tmp_path)
    shot = target if where == "the photo" else photo
    out = target if where == "--out" else tmp_path / "c.mp4"
    code, _, err = cli(["generate", shot, "--checkpoint", checkpoint, "--out", out, "--layers", layers], capsys)
    assert_one_line_error(code, err, "--layers", str(layers))
    assert files_in(tmp_path) == before


def test_like_photo_as_out_is_refused(checkpoint, photo, tmp_path, capsys):
    other = tmp_path / "other.gif"
    other.write_bytes(encoded(np.full((64, 64), 90, np.uint8), "GIF"))
    before = files_in(tmp_path)
    code, _, err = cli(["generate", photo, "--checkpoint", checkpoint, "--like", other, "--out", other], capsys)
    assert_one_line_error(code, err, "--out", "--like", "choose another --out")
    assert files_in(tmp_path) == before


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    return write_prepared(tmp_path_factory.mktemp("data") / "P", n=3, size=16)


def train(prepared: Path, out: Path, capsys, *extra: str) -> tuple[int, str, str]:
    return cli(["train", "--data", prepared, "--out", out, *TINY_TRAIN, "--set", "train.steps=2", *extra], capsys)


def test_train_replaces_planted_file_links_and_writes_only_inside(prepared, outside, tmp_path, capsys):
    run = tmp_path / "run"
    plant(run, outside, "log.jsonl", "config.json", "generator.pt", "samples/step_000001.png")
    before = files_in(outside)
    code, _, err = train(prepared, run, capsys, "--set", "train.sample_every=1")
    assert code == 0, err
    assert files_in(outside) == before
    assert not (run / "log.jsonl").is_symlink() and len((run / "log.jsonl").read_text().splitlines()) == 2


@pytest.mark.parametrize("linked", ["checkpoints", "samples"])
def test_train_refuses_a_linked_subfolder(linked, prepared, outside, tmp_path, capsys):
    run = tmp_path / "run"
    plant(run, outside, dirs=(linked,))
    before = files_in(outside)
    code, _, err = train(prepared, run, capsys)
    assert_one_line_error(code, err, linked, "is a link", "does not write through links")
    assert files_in(outside) == before


def test_appending_to_a_planted_log_link_is_refused(outside, tmp_path):
    run = RunFolder(tmp_path / "run")
    plant(run.path, outside, "log.jsonl")
    before = files_in(outside)
    with pytest.raises(AffinekitError, match="log.jsonl: cannot append to it \\(is a link\\)"):
        run.open_log()
    assert files_in(outside) == before


def test_mouth_refiner_outputs_refuse_a_linked_checkpoints_folder(outside, tmp_path):
    run = RunFolder(tmp_path / "mouth")          # train_mouth writes bank.pt, last.pt, step<N>.pt this way
    plant(run.path, outside, "bank.pt", dirs=("checkpoints",))
    before = files_in(outside)
    with pytest.raises(AffinekitError, match="checkpoints: is a link"):
        atomic_save({"step": 1}, run.checkpoint_path, within=run.path)
    atomic_save({"step": 1}, run.path / "bank.pt", within=run.path)
    assert files_in(outside) == before and not (run.path / "bank.pt").is_symlink()


def test_batch_generate_writes_only_inside(checkpoint, photo, outside, tmp_path, capsys):
    clips = tmp_path / "clips"
    plant(clips, outside, "face_happy.mp4", "copy_happy.mp4")
    before = files_in(outside)
    (tmp_path / "copy.png").write_bytes(photo.read_bytes())
    code, _, err = cli(["generate", photo, tmp_path / "copy.png", "--checkpoint", checkpoint, "--out-dir", clips,
                        "--frames", "2"], capsys)
    assert code == 0, err
    assert files_in(outside) == before and not any(p.is_symlink() for p in clips.iterdir())


def test_prepare_writes_only_inside(outside, tmp_path, capsys):
    from skimage import data
    src = face_clips(data.astronaut(), tmp_path / "src", ["a", "b"])
    out = tmp_path / "P"
    plant(out, outside, "a_frames.npz", "b_frames.npz")
    before = files_in(outside)
    code, _, err = cli(["prepare", src, "--out", out, "--size", "32"], capsys)
    assert code == 0, err
    assert files_in(outside) == before
    assert not any(p.is_symlink() for p in out.iterdir())
    assert sorted(e["key"] for e in json.loads((out / "manifest.json").read_text())["sequences"]) == ["a_frames", "b_frames"]
    (out / "manifest.json").unlink()
    plant(out, outside, "manifest.json")       # a link to something that is no manifest: refused, not followed
    code, _, err = cli(["prepare", src, "--out", out, "--size", "32"], capsys)
    assert_one_line_error(code, err, "manifest.json", "damaged manifest")
    assert files_in(outside) == before


@pytest.mark.parametrize("what", ["manifest", "photo", "last.pt", "read-only"])
def test_attach_over_a_file_it_should_not_replace_is_refused(what, prepared, checkpoint, photo, tmp_path):
    run = tmp_path / "mouth"
    last = RunFolder(run).checkpoint_path
    last.parent.mkdir(parents=True)
    atomic_save({"format": "affinekit-mouth-1", "step": 1}, last)
    target = {"manifest": prepared / "manifest.json", "photo": tmp_path / "face.pt", "last.pt": last,
              "read-only": tmp_path / "ro.pt"}[what]
    if what in ("photo", "read-only"):
        target.write_bytes(photo.read_bytes())
    if what == "read-only":
        target.chmod(0o444)
    before = target.read_bytes()
    with pytest.raises(AffinekitError, match="--attach"):
        attach_destination(target, checkpoint, [prepared], run)
    assert target.read_bytes() == before


def test_attach_is_checked_before_training_by_the_script(prepared, checkpoint, tmp_path):
    before = files_in(prepared)
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "train_mouth_refiner.py"), "--generator",
                           str(checkpoint), "--data", str(prepared), "--out", str(tmp_path / "m"), "--attach",
                           str(prepared / "manifest.json")], capture_output=True, text=True, timeout=240,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode != 0 and "--attach" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert files_in(prepared) == before and not (tmp_path / "m").exists()


@pytest.mark.parametrize("script, option", [("prior_only", "--out"), ("mouth_figure", "--figure")])
def test_benchmark_output_naming_an_input_is_refused(script, option, prepared, checkpoint, tmp_path):
    target = prepared / "manifest.json" if script == "prior_only" else tmp_path / "model.png"
    if script == "mouth_figure":
        target.write_bytes(checkpoint.read_bytes())
    before = target.read_bytes()
    argv = ["--data", str(prepared)] if script == "prior_only" else ["--checkpoint", str(target)]
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / f"{script}.py"), *argv, option, str(target)],
                          capture_output=True, text=True, timeout=240, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode != 0 and option in proc.stderr, proc.stderr
    assert target.read_bytes() == before


def test_a_figure_over_a_planted_link_replaces_the_link(outside, tmp_path):
    from matplotlib.figure import Figure

    from affinekit.show.plots import save
    plant(tmp_path / "figs", outside, "f.png")
    before = files_in(outside)
    save(Figure(figsize=(1, 1)), tmp_path / "figs" / "f.png")
    assert files_in(outside) == before and not (tmp_path / "figs" / "f.png").is_symlink()


def test_tables_and_exports_over_a_planted_link_replace_the_link(outside, tmp_path):
    """evaluate --json/--markdown, figures' records and the export JSONs go through atomic_write_text."""
    from affinekit.io.atomic import atomic_write_text
    plant(tmp_path / "tables", outside, "t.json", dirs=("sub",))
    before = files_in(outside)
    atomic_write_text(tmp_path / "tables" / "t.json", "{}\n")
    with pytest.raises(AffinekitError, match="sub: is a link"):
        atomic_write_text(tmp_path / "tables" / "sub" / "t.json", "{}\n", within=tmp_path / "tables")
    assert files_in(outside) == before and (tmp_path / "tables" / "t.json").read_text() == "{}\n"
