"""A run's log.jsonl: one JSON object per training step, written by the Trainer.

A run killed mid-write can leave a half-written last line; readers skip it,
and a resumed run drops it (and any line past its checkpoint) before going on.
Logs written before the lip discriminator's terms were named for it read with
today's names.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# old column -> today's: "patch" named the lip discriminator's terms while d["patch"] is the frame PatchGAN
OLD_COLUMNS = {"D_patch": "D_lip", "G_patch": "G_lip", "share_G_patch": "share_G_lip"}


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a run's log.jsonl (a missing or half-written last line is skipped)."""
    rows = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        rows.append({OLD_COLUMNS.get(k, k): v for k, v in row.items()} if isinstance(row, dict) else row)
    return rows


def logged_step(line: str) -> float:
    """The step of a log line; infinity for a blank or half-written one (a kill mid-write), so it is dropped."""
    try:
        return float(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return float("inf")
