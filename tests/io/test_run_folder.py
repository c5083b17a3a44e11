"""The run folder: its layout in one place, its log trimmed on resume, what an export records."""
from __future__ import annotations

import json

import pytest

from affinekit.errors import AffinekitError
from affinekit.io.run_folder import RunFolder
from affinekit.io.runlog import read_log


def test_the_layout_lives_in_one_object(tmp_path):
    run = RunFolder(tmp_path / "run")
    assert run.config_path == tmp_path / "run" / "config.json" and run.log_path == tmp_path / "run" / "log.jsonl"
    assert run.checkpoint_path == tmp_path / "run" / "checkpoints" / "last.pt"
    assert run.generator_path == tmp_path / "run" / "generator.pt"
    assert not run.holds_run() and not run.path.exists()            # nothing is made until written
    run.checkpoint_path.parent.mkdir(parents=True)
    run.checkpoint_path.write_bytes(b"state")
    assert run.holds_run()
    assert RunFolder.containing(run.checkpoint_path).path == run.path
    assert RunFolder.containing(run.generator_path).path == run.path
    assert RunFolder.containing(tmp_path / "exports" / "fold0.pt").path == tmp_path / "exports"


def test_config_round_trip_and_one_line_when_missing_or_damaged(tmp_path):
    run = RunFolder(tmp_path / "run")
    with pytest.raises(AffinekitError, match="config.json: missing; pass a run folder"):
        run.read_config()
    run.write_config({"model": {"image_size": 64}})
    assert run.read_config() == {"model": {"image_size": 64}}
    run.config_path.write_text("{not json")
    with pytest.raises(AffinekitError, match="config.json: damaged"):
        run.read_config()


def test_a_resumed_log_drops_the_steps_past_its_checkpoint_and_a_torn_line(tmp_path):
    run = RunFolder(tmp_path)
    run.start_log()
    with run.open_log() as log:
        for step in (1, 2, 3, 4):
            run.write_row(log, {"step": step, "step_time": 0.5})
    with run.log_path.open("a") as log:
        log.write('{"step": 5, "G_L')                                  # killed mid-write
    run.start_log(resumed_at=2)
    assert [r["step"] for r in run.read_log()] == [1, 2]
    run.start_log()                                                    # a fresh run starts an empty log
    assert run.read_log() == []


def test_progress_is_what_an_export_records(tmp_path):
    run = RunFolder(tmp_path)
    assert run.progress() == {"from": str(tmp_path), "steps": 0, "train_seconds": 0}
    run.log_path.write_text("".join(json.dumps({"step": s, "step_time": 1.4}) + "\n" for s in (1, 2, 3)))
    assert run.progress() == {"from": str(tmp_path), "steps": 3, "train_seconds": 4}


def test_old_logs_read_with_the_lip_discriminators_names(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"step": 1, "D_patch": 0.3, "G_patch": 0.7, "share_G_patch": 0.1, "D_real": 0.2}) + "\n")
    assert read_log(path) == [{"step": 1, "D_lip": 0.3, "G_lip": 0.7, "share_G_lip": 0.1, "D_real": 0.2}]


def test_old_logs_read_with_the_frame_discriminators_one_name(tmp_path):
    """A GAN run's old row (it has G_GAN) reads D_real/D_fake/G_GAN as the frame PatchGAN's names; a row
    without G_GAN (the mouth refiner's own D_real/D_fake) keeps its columns."""
    path = tmp_path / "log.jsonl"
    rows = [{"step": 1, "D_real": 0.2, "D_fake": 0.3, "G_GAN": 0.9, "share_G_GAN": 0.1, "G_L1": 0.05},
            {"step": 1, "M_L1": 0.1, "D_real": 0.4, "D_fake": 0.5}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert read_log(path) == [{"step": 1, "D_frame_real": 0.2, "D_frame_fake": 0.3, "G_frame": 0.9,
                               "share_G_frame": 0.1, "G_L1": 0.05}, rows[1]]
