"""Trainer callbacks: a progress bar, a wall-clock budget, sample grids on disk (the notebook's live
board, which draws, is `affinekit.show.live_board.LiveBoard`).

A callback implements any of on_step(trainer, step, logs), on_sample(trainer,
step, frames (B, T, C, H, W) in [-1, 1]) and on_end(trainer).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Sequence

import torch

from affinekit.io.images import to_pixel_scale, write_png

if TYPE_CHECKING:                      # annotations only: the trainer imports nothing from here
    from affinekit.training.loop import Trainer


class ProgressBar:
    """tqdm progress bar over the steps with the main losses as postfix."""

    def __init__(self, keys: Sequence[str] = ("G_L1", "G_frame", "D_frame_real", "D_frame_fake", "lambda_corr"), **tqdm_kwargs: Any):
        self.keys, self.kwargs, self.bar = tuple(keys), tqdm_kwargs, None

    def on_step(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        if self.bar is None:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=trainer.train_cfg.steps, initial=step - 1, unit="step", **self.kwargs)
        self.bar.update(1)
        self.bar.set_postfix({k: f"{logs[k]:.3f}" for k in self.keys if k in logs}, refresh=False)

    def on_end(self, trainer: Trainer) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class TimeBudget:
    """Stops training cleanly (checkpoint and export written) once `seconds` of wall-clock have passed."""

    def __init__(self, seconds: float):
        self.seconds, self.start = float(seconds), None

    def on_step(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        now = time.perf_counter()
        if self.start is None:
            self.start = now - logs.get("step_time", 0.0)
        if now - self.start >= self.seconds:
            trainer.request_stop()


class SampleSaver:
    """Writes each sample grid (rows: sequences, columns: intensity 0 -> 1) to <run>/samples/step_N.png."""

    def on_sample(self, trainer: Trainer, step: int, frames: torch.Tensor) -> None:
        B, T, C, H, W = frames.shape
        grid = to_pixel_scale(frames.clamp(-1, 1)).round().byte()
        grid = grid.permute(0, 3, 1, 4, 2).reshape(B * H, T * W, C).numpy()
        path = trainer.run.samples_dir / f"step_{step:06d}.png"
        write_png(path, grid[..., 0] if C == 1 else grid, fix="check that the run folder is writable",
                  within=trainer.run.path)
