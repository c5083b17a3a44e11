"""Notebook 03's trained run, for the notebook that reads it (03b): reused where it is, else trained.

Notebook 03 trains a generator and its discriminators into a run folder (runs/notebook03_<data>);
notebook 03b looks at what that run's intensity means. Run after 03, it rebuilds the run from the
folder and trains nothing; run on its own, it trains the run with 03's very call first.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Sequence

from affinekit.config import DataConfig, ModelConfig, TrainConfig, from_dict
from affinekit.errors import AffinekitError
from affinekit.io.run_folder import RunFolder
from affinekit.training.loop import Trainer
from affinekit.training.run import train, trainer_from_run


class Recipe(NamedTuple):
    """The three configs of notebook 03's run: what `train` takes besides the data and the run folder."""

    model: ModelConfig
    train: TrainConfig
    data: DataConfig


def notebook03_recipe(*, image_size: int = 64, base_width: int = 32, crop_size: int = 128, steps: int = 300,
                      batch_size: int = 8, sample_every: int = 100, seed: int = 0,
                      lr_decay_from: float = 0.5, average_decay: float = 0.99) -> Recipe:
    """Notebook 03's run (grey, the given sizes; four checkpoints along it), the one place it is written.

    Notebooks 03 and 03b and `scripts/choose_notebook03_steps.py` all build their configs here, so the
    length chosen by the script is a length of the very run the notebooks train. The defaults are
    notebook 03's parameters. `sample_every` and the checkpoints change what is saved, not what is learned.
    """
    return Recipe(ModelConfig(image_size=image_size, channels=1, base_width=base_width),
                  TrainConfig(steps=steps, batch_size=batch_size, sample_every=sample_every,
                              checkpoint_every=max(steps // 4, 1), seed=seed, device="auto",
                              lr_decay_from=lr_decay_from, average_decay=average_decay),
                  DataConfig(crop_size=crop_size, seed=seed))


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
