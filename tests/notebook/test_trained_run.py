"""trained_run.reuse_or_train: notebook 03b trains notebook 03's run where it is missing, and
otherwise reads it back without a step (on tiny made-up data)."""
from __future__ import annotations

import dataclasses

import pytest
import torch
from helpers import write_prepared

from affinekit.config import DataConfig, ModelConfig, TrainConfig
from affinekit.errors import AffinekitError
from affinekit.notebook.trained_run import reuse_or_train

MODEL = ModelConfig(image_size=16, channels=1, base_width=8, depth=2, max_width=16, disc_width=8)
TRAIN = TrainConfig(steps=2, batch_size=2, checkpoint_every=1, sample_every=1, device="cpu")
DATA = DataConfig(crop_size=32, num_targets=2, intensity="position")      # made-up faces that do not move


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return write_prepared(tmp_path_factory.mktemp("prepared") / "p", n=6, size=32)


KEYS = ["S000_000", "S001_001", "S000_003", "S001_004"]


def test_without_a_run_it_trains_one_then_reuses_it_untouched(prepared, tmp_path):
    run = tmp_path / "run"
    trainer, reused = reuse_or_train(prepared, run, MODEL, TRAIN, DATA, KEYS)
    assert not reused and trainer.step == 2 and trainer.checkpoint_path.is_file()
    log, weights = trainer.log_path.read_text(), trainer.checkpoint_path.read_bytes()
    again, reused = reuse_or_train(prepared, run, MODEL, TRAIN, DATA, KEYS)
    assert reused and again.step == 2
    assert trainer.log_path.read_text() == log and trainer.checkpoint_path.read_bytes() == weights   # nothing trained
    for name, p in trainer.generator.state_dict().items():
        assert torch.equal(p.cpu(), again.generator.state_dict()[name]), name
    frame = trainer.model.d["frame"].state_dict()
    assert all(torch.equal(v.cpu(), again.model.d["frame"].state_dict()[k]) for k, v in frame.items())
    # more steps asked: the run is read as it is, not continued
    longer, reused = reuse_or_train(prepared, run, MODEL, dataclasses.replace(TRAIN, steps=5), DATA, KEYS)
    assert reused and longer.step == 2 and trainer.log_path.read_text() == log


def test_a_run_of_another_model_or_split_is_refused(prepared, tmp_path):
    run = tmp_path / "run"
    reuse_or_train(prepared, run, MODEL, TRAIN, DATA, KEYS)
    with pytest.raises(AffinekitError, match="another RUN_DIR"):
        reuse_or_train(prepared, run, dataclasses.replace(MODEL, base_width=16, max_width=32), TRAIN, DATA, KEYS)
    with pytest.raises(AffinekitError, match="other sequences"):
        reuse_or_train(prepared, run, MODEL, TRAIN, DATA, KEYS[:3])
