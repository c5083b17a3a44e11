"""The run spec: every source of a value lands in it, in its order; --resume's rules; old names still read."""
from __future__ import annotations

import json

import pytest
import torch
from helpers import write_prepared

from affinekit.config import DataConfig, ModelConfig, TrainConfig, from_dict, to_dict
from affinekit.data.dataset import subject_split
from affinekit.errors import AffinekitError
from affinekit.io.run_folder import RunFolder
from affinekit.training.run import train
from affinekit.training.spec import run_spec
from affinekit.weights import checkpoint as checkpoint_module
from affinekit.weights.bundled import DEFAULT_WEIGHTS
from affinekit.weights.checkpoint import FORMAT, atomic_save

TINY = dict(image_size=16, depth=2, base_width=8, max_width=16, disc_width=8)


@pytest.fixture
def prepared(tmp_path):
    return write_prepared(tmp_path / "prepared", size=32)      # grey (1 channel), 3 subjects


def test_every_source_of_a_value_lands_in_the_spec_in_its_order(prepared, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model": {"base_width": 16}, "train": {"steps": 7, "w_patch": 2.5, "lr_g": 1e-3},
                                  "data": {"num_targets": 3, "image_size": 96}}))   # two old names among them
    spec = run_spec(prepared, str(config), ["train.steps=9", "data.hold_out=true"],
                    defaults={"model": {"image_size": 32, "base_width": 4}, "train": {"lr_d": 5e-4}},
                    forced={"train": {"seed": 5}}, device="cpu")
    assert spec.model.image_size == 32 and spec.train.lr_d == 5e-4       # 1. the caller's defaults
    assert spec.model.base_width == 16 and spec.train.lr_g == 1e-3       # 2. the file over them
    assert spec.train.w_lip == 2.5 and spec.data.crop_size == 96         #    its old names read
    assert spec.data.num_targets == 3 and spec.train.steps == 9          # 3. --set over the file
    assert spec.model.channels == 1                                       # 4. the prepared data's channels
    assert spec.train.seed == 5 and spec.train.device == "cpu"           # 5. fixed by the caller, --device
    assert spec.keys == subject_split(prepared, 0.2, 0)[0]               # data.hold_out: the split's training side
    assert spec.resume_state is None and spec.prepared == prepared


def test_the_users_channels_and_a_callers_config_object_win_over_the_data(prepared):
    assert run_spec(prepared, None, ["model.channels=3"]).model.channels == 3
    assert run_spec(prepared, model=ModelConfig(channels=3, **TINY)).model.channels == 3
    assert run_spec(prepared).model.channels == 1
    assert run_spec(prepared).keys is None                                # no hold-out: every sequence
    assert run_spec(prepared, keys=("S000_000",)).keys == ["S000_000"]


def saved_run(folder: RunFolder, train_config: dict, keys: list[str] | None) -> None:
    """A training state as an older affinekit wrote it (what --resume reads)."""
    atomic_save({"format": FORMAT, "step": 2, "model_config": to_dict(ModelConfig(channels=1, **TINY)),
                 "train_config": train_config, "data": {"keys": keys}}, folder.checkpoint_path)


def test_resume_keeps_the_runs_model_and_sequences_and_takes_train_overrides(prepared, tmp_path):
    run = RunFolder(tmp_path / "run")
    old = {k: v for k, v in to_dict(TrainConfig(steps=4, lr_g=3e-4)).items() if k != "w_lip"}
    saved_run(run, dict(old, w_patch=3.0), ["S001_001"])                  # a checkpoint from before the rename
    said = []
    spec = run_spec(prepared, None, ["train.steps=8", "model.base_width=8"], resume_from=run, log=said.append)
    assert spec.model == ModelConfig(channels=1, **TINY)                   # the run's model (same base_width: fine)
    assert (spec.train.steps, spec.train.lr_g, spec.train.w_lip) == (8, 3e-4, 3.0)
    assert said == ["resuming with train.steps=8 (the run had 4)"]
    assert spec.keys == ["S001_001"] and spec.resume_state["step"] == 2
    with pytest.raises(AffinekitError, match="model.base_width=32.*keeps its model"):
        run_spec(prepared, None, ["model.base_width=32"], resume_from=run)
    with pytest.raises(AffinekitError, match="no checkpoint to resume from"):
        run_spec(prepared, resume_from=RunFolder(tmp_path / "empty"))


def test_train_resume_reads_its_checkpoint_once(prepared, tmp_path, monkeypatch):
    model, first = ModelConfig(channels=1, **TINY), TrainConfig(steps=2, batch_size=2, device="cpu", sample_every=0)
    data = DataConfig(num_targets=2, augment=False)
    train(prepared, tmp_path / "run", model, first, data)
    reads = []
    real_load = torch.load
    monkeypatch.setattr(checkpoint_module.torch, "load",
                        lambda f, *a, **k: reads.append(str(f)) or real_load(f, *a, **k))
    trainer = train(prepared, tmp_path / "run", model, TrainConfig(steps=3, batch_size=2, device="cpu", sample_every=0),
                    data, resume=True)
    assert trainer.step == 3
    assert reads == [str(RunFolder(tmp_path / "run").checkpoint_path)]


def test_old_config_files_still_read_and_a_retired_field_says_why():
    old = {"w_patch": 0.7, "w_gan": 3.0}        # a config file written before the lip and frame weights were renamed
    assert from_dict(TrainConfig, old).w_lip == 0.7 and from_dict(TrainConfig, old).w_frame == 3.0
    with pytest.raises(ValueError, match="w_patch and train.w_lip both set"):
        from_dict(TrainConfig, {"w_patch": 1.0, "w_lip": 2.0})
    with pytest.raises(AffinekitError, match="data.split='paper' is no longer an option"):
        run_spec(None, None, ["data.split=paper"])
    assert run_spec(None, None, ["data.split=subject", "train.w_patch=0"]).train.w_lip == 0.0
