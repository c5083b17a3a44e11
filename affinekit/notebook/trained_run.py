"""Notebook 03's trained run, for the notebook that reads it (03b): reused where it is, else trained.

Notebook 03 trains a generator and its discriminators into a run folder (runs/notebook03_<data>);
notebook 03b looks at what that run's intensity means. Run after 03, it rebuilds the run from the
folder and trains nothing; run on its own, it trains the run with 03's very call first.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from affinekit.config import DataConfig, ModelConfig, TrainConfig, from_dict
from affinekit.errors import AffinekitError
from affinekit.io.run_folder import RunFolder
from affinekit.training.loop import Trainer
from affinekit.training.run import train, trainer_from_run


def reuse_or_train(prepared: str | Path, run_dir: str | Path, model_cfg: ModelConfig, train_cfg: TrainConfig,
                   data_cfg: DataConfig, keys: Sequence[str]) -> tuple[Trainer, bool]:
    """(the Trainer of the run in `run_dir`, whether it was reused rather than trained here).

    With a checkpoint in `run_dir` (checkpoints/last.pt) the run is rebuilt by `trainer_from_run`, on the
    CPU, and nothing is trained, whatever its step count (an interrupted run is read as far as it got).
    It must be a run of `model_cfg` on `keys`: another model or other training sequences (other
    parameters than the run's, so other held-out faces) is an AffinekitError naming both. Without a
    checkpoint the run is trained by notebook 03's own call, `train(prepared, run_dir, model_cfg,
    train_cfg, data_cfg, keys=keys)`.
    """
    run = RunFolder(run_dir)
    if not run.holds_run():
        return train(prepared, run_dir, model_cfg, train_cfg, data_cfg, keys=list(keys)), False
    config = run.read_config()
    saved_model, saved_keys = from_dict(ModelConfig, config["model"]), config["data"].get("keys")
    if saved_model != model_cfg:
        raise AffinekitError(f"{run.path}: holds a run of {saved_model}, not of {model_cfg}; give the parameters "
                             "it was trained with, or another RUN_DIR to train one here")
    if saved_keys is not None and sorted(saved_keys) != sorted(keys):
        raise AffinekitError(f"{run.path}: was trained on {len(saved_keys)} other sequences than this split's "
                             f"{len(keys)} training sequences (other MAX_SEQUENCES, SEED or data?); give the "
                             "parameters it was trained with, or another RUN_DIR to train one here")
    return trainer_from_run(run.path), True
