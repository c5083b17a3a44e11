"""Trainer: gradients, logs, resume, Ctrl-C, checkpoints, torchrun, the CLI, on tiny data."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import BlobSequences, blob_apex_pool, write_prepared

from affinekit.cli import main as cli_main
from affinekit.config import DataConfig, ModelConfig, TrainConfig
from affinekit.errors import AffinekitError
from affinekit.training.batches import collate
from affinekit.training.loop import Trainer
from affinekit.weights.checkpoint import atomic_save, load_generator, safe_load, training_data

TINY_MODEL = ModelConfig(image_size=32, channels=1, base_width=8, depth=3, max_width=32, disc_width=8)


def tiny_train(**changes) -> TrainConfig:
    base = dict(steps=6, batch_size=4, checkpoint_every=3, sample_every=2, lambda_warmup=4, device="cpu")
    base.update(changes)
    return TrainConfig(**base)




def read_log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]


LOSSES = ("G_frame", "G_L1", "G_rec", "D_frame_real", "D_frame_fake", "D_lip", "D_lambda", "lambda_mean", "lambda_std")


# ---------------------------------------------------------------------------


def test_one_step_reaches_both_encoders_and_all_discriminators(tmp_path):
    trainer = Trainer(TINY_MODEL, tiny_train(lambda_warmup=0, share_every=1, w_expression=1.0), BlobSequences(), tmp_path,
                      apex_pool=blob_apex_pool())
    logs = trainer.train_step(trainer.batches[1], 1)
    for name in LOSSES + ("G_apex", "D_apex_real", "D_apex_fake"):
        assert np.isfinite(logs[name]), name
    g = trainer.generator
    for part in (g.base_encoder, g.direction_encoder, g.decoder):
        for name, p in part.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, name
    for dname, d in trainer.discriminators.items():
        for name, p in d.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, f"{dname}.{name}"
    # each term's share of G's gradient is logged, and they add up to one
    shares = {k: v for k, v in logs.items() if k.startswith("share_")}
    assert {"share_G_frame", "share_G_L1", "share_G_apex", "share_G_landmark"} <= set(shares)
    assert abs(sum(shares.values()) - 1) < 1e-6 and shares["share_G_L1"] > 0 and shares["share_G_apex"] > 0


def test_log_callbacks_samples_and_files(tmp_path):
    seen = {"steps": [], "samples": [], "end": 0, "start": []}

    class Recorder:
        def on_start(self, trainer):          # before any update
            seen["start"].append((trainer.step, seen["steps"][:]))

        def on_step(self, trainer, step, logs):
            seen["steps"].append(step)

        def on_sample(self, trainer, step, frames):
            seen["samples"].append((step, tuple(frames.shape)))

        def on_end(self, trainer):
            seen["end"] += 1

    from affinekit.training.callbacks import SampleSaver
    run = tmp_path / "run"
    Trainer(TINY_MODEL, tiny_train(), BlobSequences(), run, callbacks=[Recorder(), SampleSaver()]).fit()
    log = read_log(run)
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5, 6]
    assert all(k in log[0] for k in LOSSES + ("lambda_corr", "G_sup"))
    assert seen["steps"] == [1, 2, 3, 4, 5, 6] and seen["end"] == 1
    assert seen["start"] == [(0, [])]
    assert seen["samples"] == [(2, (4, 6, 1, 32, 32)), (4, (4, 6, 1, 32, 32)), (6, (4, 6, 1, 32, 32))]
    assert len(list((run / "samples").glob("*.png"))) == 3
    assert json.loads((run / "config.json").read_text())["model"]["base_width"] == 8
    ckpt = torch.load(run / "checkpoints" / "last.pt", weights_only=True)   # plain values only
    assert ckpt["step"] == 6 and set(ckpt["rng"]) >= {"torch", "numpy", "python"}
    g, cfg = load_generator(run / "generator.pt")
    assert cfg == TINY_MODEL and not g.training


def test_resume_gives_the_same_losses_as_an_uninterrupted_run(tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    Trainer(TINY_MODEL, tiny_train(), BlobSequences(), straight).fit()
    Trainer(TINY_MODEL, tiny_train(steps=3), BlobSequences(), split).fit()
    torch.manual_seed(12345)          # the caller's RNG state must not matter
    np.random.seed(7)
    Trainer(TINY_MODEL, tiny_train(), BlobSequences(), split).fit(resume=True)
    a, b = read_log(straight), read_log(split)
    assert [r["step"] for r in b] == [1, 2, 3, 4, 5, 6]
    for ra, rb in zip(a, b):
        for key in LOSSES:
            assert ra[key] == rb[key], (ra["step"], key)
    wa = torch.load(straight / "checkpoints" / "last.pt", weights_only=True)["generator"]
    wb = torch.load(split / "checkpoints" / "last.pt", weights_only=True)["generator"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_loader_workers_see_the_same_batches(tmp_path):
    Trainer(TINY_MODEL, tiny_train(steps=2), BlobSequences(), tmp_path / "main").fit()
    Trainer(TINY_MODEL, tiny_train(steps=2, num_workers=1), BlobSequences(), tmp_path / "worker").fit()
    for ra, rb in zip(read_log(tmp_path / "main"), read_log(tmp_path / "worker")):
        assert all(ra[key] == rb[key] for key in LOSSES)


def test_request_stop_ends_cleanly_with_an_export(tmp_path):
    class StopAt3:
        def on_step(self, trainer, step, logs):
            if step == 3:
                trainer.request_stop()

    trainer = Trainer(TINY_MODEL, tiny_train(steps=100), BlobSequences(), tmp_path, callbacks=[StopAt3()]).fit()
    assert trainer.step == 3 and (tmp_path / "generator.pt").is_file()
    assert torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=True)["step"] == 3


def test_ctrl_c_saves_a_checkpoint_at_a_step_boundary_and_resumes(tmp_path):
    class CtrlC:
        def on_step(self, trainer, step, logs):
            if step == 2:
                os.kill(os.getpid(), signal.SIGINT)   # as a terminal would: the trainer's handler sets a flag

    run = tmp_path / "run"
    before = signal.getsignal(signal.SIGINT)      # the default, or SIG_IGN when the suite runs in the background
    with pytest.raises(KeyboardInterrupt):
        Trainer(TINY_MODEL, tiny_train(checkpoint_every=0), BlobSequences(), run, callbacks=[CtrlC()]).fit()
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == 2
    assert signal.getsignal(signal.SIGINT) is before                      # handler given back
    Trainer(TINY_MODEL, tiny_train(steps=4), BlobSequences(), run).fit(resume=True)
    assert [r["step"] for r in read_log(run)] == [1, 2, 3, 4]


def test_malicious_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "affinekit-checkpoint-1", "model_config": {}, "generator": Evil()}, path)
    with pytest.raises(AffinekitError, match="refused"):
        load_generator(path)
    with pytest.raises(AffinekitError, match="refused"):
        safe_load(path)
    assert not marker.exists()


def test_damaged_or_foreign_checkpoints_are_one_line_errors(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(AffinekitError, match="junk.pt"):
        load_generator(tmp_path / "junk.pt")
    atomic_save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(AffinekitError, match="not an affinekit checkpoint"):
        load_generator(tmp_path / "other.pt")
    with pytest.raises(AffinekitError, match="no such checkpoint"):
        load_generator(tmp_path / "missing.pt")


def test_generator_export_half_is_small_and_loads(tmp_path):
    trainer = Trainer(TINY_MODEL, tiny_train(), BlobSequences(), tmp_path)
    full = trainer.save_generator_only(tmp_path / "g32.pt")
    half = trainer.save_generator_only(tmp_path / "g16.pt", half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    g, cfg = load_generator(half)
    x0 = collate([BlobSequences()[0]])["x0"]
    with torch.no_grad():
        a = trainer.generator.generate(x0, torch.tensor([3]), torch.linspace(0, 1, 3))
        b = g.generate(x0, torch.tensor([3]), torch.linspace(0, 1, 3))
    assert next(g.parameters()).dtype == torch.float32
    torch.testing.assert_close(a, b, atol=0.02, rtol=0)


DDP_SCRIPT = """
import hashlib, sys, torch
from pathlib import Path
from affinekit.config import ModelConfig, TrainConfig
from affinekit.training.run import train
out = Path(sys.argv[2])
model = ModelConfig(image_size=32, channels=1, base_width=8, depth=3, max_width=32, disc_width=8)
trainer = train(sys.argv[1], out, model, TrainConfig(steps=3, batch_size=4, checkpoint_every=0, sample_every=0,
                                                     device="cpu"))
h = hashlib.sha256()
for module in (trainer.generator, trainer.discriminators):
    for k, v in module.state_dict().items():
        h.update(k.encode()); h.update(v.numpy().tobytes())
(out / f"weights_rank{trainer.dist.rank}.sha256").write_text(h.hexdigest())
(out / f"items_rank{trainer.dist.rank}.txt").write_text(str(trainer.batches.indices(1)))
# as `affinekit train` does: close the process group, or gloo may abort at exit (seen once in ~10 runs:
# "terminate called without an active exception", exit -6, after the weights were written)
import torch.distributed as dist
if dist.is_initialized():
    dist.barrier()
    dist.destroy_process_group()
"""


@pytest.mark.slow
def test_torchrun_two_processes_end_with_identical_weights(tmp_path):
    data = write_prepared(tmp_path / "prepared")
    script = tmp_path / "ddp_train.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "run"
    env = dict(os.environ, OMP_NUM_THREADS="1", GLOO_SOCKET_IFNAME=os.environ.get("GLOO_SOCKET_IFNAME", "lo"))
    torchrun = Path(sys.executable).parent / "torchrun"
    proc = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node=2", str(script), str(data), str(out)],
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    h0, h1 = (out / "weights_rank0.sha256").read_text(), (out / "weights_rank1.sha256").read_text()
    assert h0 == h1
    # each rank trained on its own half of the step's batch
    assert (out / "items_rank0.txt").read_text() != (out / "items_rank1.txt").read_text()
    assert [r["step"] for r in read_log(out)] == [1, 2, 3]           # rank 0 alone logs
    assert json.loads((out / "config.json").read_text())["world_size"] == 2


def run_cli(capsys, *args: str) -> tuple[int, str]:
    """`affinekit train ARGS` in this process (the process itself is tested in tests/commands): exit code, stderr."""
    code = cli_main(["train", *args])
    return code, capsys.readouterr().err


def test_cli_smoke_trains_resizes_and_resumes(tmp_path, capsys):
    data = write_prepared(tmp_path / "prepared", size=32)
    run = tmp_path / "run"
    common = ["--data", str(data), "--out", str(run), "--set", "model.image_size=16", "--set", "model.depth=2",
              "--set", "model.base_width=8", "--set", "model.max_width=16", "--set", "model.disc_width=8",
              "--set", "train.batch_size=3", "--set", "data.num_targets=2", "--set", "train.sample_every=2"]
    code, err = run_cli(capsys, *common, "--set", "train.steps=3")
    assert code == 0, err[-3000:]
    assert [r["step"] for r in read_log(run)] == [1, 2, 3]
    g, cfg = load_generator(run / "generator.pt")
    assert (cfg.image_size, cfg.channels) == (16, 1)                     # resized from the 32 px data
    assert (run / "samples" / "step_000002.png").is_file()
    # a second plain run refuses to clobber; --resume with more steps continues
    code, err = run_cli(capsys, *common, "--set", "train.steps=5")
    assert code == 2 and "--resume" in err
    code, err = run_cli(capsys, *common, "--set", "train.steps=5", "--resume")
    assert code == 0, err[-3000:]
    assert [r["step"] for r in read_log(run)] == [1, 2, 3, 4, 5]
    # what it trained on travels inside both files, not in a JSON found by guessing paths
    for path in (run / "checkpoints" / "last.pt", run / "generator.pt"):
        assert training_data(path)["prepared"] == str(data) and training_data(path)["sequences"] > 0


def test_cli_bad_paths_are_one_line_errors(tmp_path, capsys):
    code, err = run_cli(capsys, "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "no manifest.json" in lines[0] and "affinekit prepare" in lines[0]
    data = write_prepared(tmp_path / "prepared")
    code, err = run_cli(capsys, "--data", str(data), "--out", str(tmp_path / "run"), "--set", "train.nonsense=1")
    assert code == 2 and "nonsense" in err and len(err.strip().splitlines()) == 1
    code, err = run_cli(capsys, "--data", str(data), "--out", str(tmp_path / "run"), "--resume")
    assert code == 2 and "no checkpoint to resume" in err


def test_hold_out_trains_on_the_subjects_evaluate_does_not_test_on(tmp_path):
    from affinekit.data.dataset import subject_kfold, subject_split
    from affinekit.training.spec import training_keys

    entries = [{"key": f"S{s:03d}_{q:03d}", "subject": f"S{s:03d}", "sequence": f"{q:03d}", "label": "happy", "frames": 8}
               for s in range(10) for q in range(2)] + [{"key": "S099_001", "subject": "S099", "label": ""}]
    (tmp_path / "manifest.json").write_text(json.dumps({"config": {}, "sequences": entries, "skipped": []}))
    assert training_keys(tmp_path, DataConfig()) is None
    keys = training_keys(tmp_path, DataConfig(hold_out=True, seed=3))
    train_keys, test_keys = subject_split(entries[:-1], 0.2, 3)
    assert sorted(keys) == sorted(train_keys) and len(keys) == 16
    assert not {k[:4] for k in keys} & {k[:4] for k in test_keys} and "S099_001" not in keys
    assert sorted(training_keys(tmp_path, DataConfig(hold_out=True, folds=5, fold=2))) == \
        sorted(subject_kfold(entries[:-1], 5, 0)[2][0])
    with pytest.raises(ValueError, match="data.fold"):
        DataConfig(hold_out=True, folds=5, fold=5)


@pytest.mark.parametrize("override, words", [
    ("model.image_size=100", "divisible by 2**depth"), ("model.depth=0", "model.depth"),
    ("model.base_width=-4", "model.base_width"), ("train.lr_g=nan", "train.lr_g"),
    ("train.gan_loss=wgan", "bce or lsgan"), ("model.upsample=bicubic", "transpose or resize"),
    ("train.log_every=0", "train.log_every"), ("train.steps=0", "untrained"), ("data.augment=maybe", "true or false"),
])
def test_bad_options_fail_before_any_work_with_one_line(override, words, tmp_path, capsys):
    prepared = write_prepared(tmp_path / "prep")
    assert cli_main(["train", "--data", str(prepared), "--out", str(tmp_path / "run"), "--set", override]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()                     # nothing started


def test_resume_survives_a_half_written_log_line(tmp_path):
    from affinekit.io.runlog import logged_step
    assert logged_step('{"step": 3, "G_L1": 0.1}') == 3
    assert logged_step('{"step": 4, "G_L') == float("inf") and logged_step("") == float("inf")
