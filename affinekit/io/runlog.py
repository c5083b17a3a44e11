"""A run's log.jsonl: one JSON object per training step, written by the Trainer.

A run killed mid-write can leave a half-written last line; readers skip it,
and a resumed run drops it (and any line past its checkpoint) before going on.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a run's log.jsonl (a missing or half-written last line is skipped)."""
    rows = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def logged_step(line: str) -> float:
    """The step of a log line; infinity for a blank or half-written one (a kill mid-write), so it is dropped."""
    try:
        return float(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return float("inf")
