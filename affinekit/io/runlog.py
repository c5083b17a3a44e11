"""A run's log.jsonl: one JSON object per training step, written by the Trainer.

A run killed mid-write can leave a half-written last line; readers skip it,
and a resumed run drops it (and any line past its checkpoint) before going on.
Logs written before the discriminators had one name each read with today's
names: the lip discriminator's terms were D_patch/G_patch, the frame
PatchGAN's (`d["frame"]`) D_real/D_fake/G_GAN.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# old column -> today's: "patch" named the lip discriminator's terms while d["patch"] was the frame PatchGAN
OLD_COLUMNS = {"D_patch": "D_lip", "G_patch": "G_lip", "share_G_patch": "share_G_lip"}
# the frame PatchGAN's old columns; read only in rows that carry G_GAN, as a GAN run's old rows do
# (the mouth refiner's log has D_real/D_fake of its own discriminator, and keeps them)
OLD_FRAME_COLUMNS = {"D_real": "D_frame_real", "D_fake": "D_frame_fake", "G_GAN": "G_frame",
                     "share_G_GAN": "share_G_frame"}


def current_columns(row: dict[str, Any]) -> dict[str, Any]:
    """A log row with old column names (`OLD_COLUMNS`, `OLD_FRAME_COLUMNS`) read as today's."""
    names = {**OLD_COLUMNS, **OLD_FRAME_COLUMNS} if "G_GAN" in row else OLD_COLUMNS
    return {names.get(k, k): v for k, v in row.items()}


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a run's log.jsonl (a missing or half-written last line is skipped)."""
    rows = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError):     # half-written, or nested past any row: not a row
            continue
        rows.append(current_columns(row) if isinstance(row, dict) else row)
    return rows


def logged_step(line: str) -> float:
    """The step of a log line; infinity for a blank or half-written one (a kill mid-write), so it is dropped."""
    try:
        return float(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError, RecursionError):
        return float("inf")
