"""More prepared folders joining training, and how a batch draws from the mix.

`extra_entries` adds a source's labelled items, dropping any that repeats a
sequence already taken (the same first frame), so a test sequence cannot enter
training through another folder; `balanced_weights` draws expressions evenly,
then sources evenly within an expression.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from affinekit.data.prepared import load_sequence, teaching_entries


def balanced_weights(entries: Sequence[dict[str, Any]]) -> np.ndarray:
    """Probability of each entry ({"label", "source"}) in a batch: expressions evenly, then sources
    evenly within an expression, then entries evenly within (expression, source).

    So 82 still smiles make up their source's share of "happy", not most of every batch.
    """
    cells: dict[tuple[str, str], int] = {}
    for e in entries:
        cell = (e["label"], str(e.get("source", "")))
        cells[cell] = cells.get(cell, 0) + 1
    labels = {label for label, _ in cells}
    sources_of = {label: sum(1 for l, _ in cells if l == label) for label in labels}
    w = np.array([1.0 / len(labels) / sources_of[e["label"]] / cells[(e["label"], str(e.get("source", "")))]
                  for e in entries])
    return w / w.sum()


# Mean absolute difference (grey levels) of two aligned first frames below which
# they are the same recording (measured: 0.0 for a copied sequence, >= 30 for two people).
SAME_RECORDING = 2.0


def extra_entries(taken_dirs: Sequence[Path] | Path, extra_dir: Path, taken: set[str],
                  allowed: Sequence[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """(entries of extra_dir's labelled items to add, keys dropped as repeats of the taken folders').

    `allowed` keeps only those keys of extra_dir (None: all).
    """
    taken_dirs = [taken_dirs] if isinstance(taken_dirs, Path) else list(taken_dirs)
    firsts = [load_sequence(d, e["key"]).frames[0].astype(np.float32) for d in taken_dirs for e in teaching_entries(d)]
    wanted = None if allowed is None else set(allowed)
    added, dropped = [], []
    for e in teaching_entries(extra_dir):
        if wanted is not None and e["key"] not in wanted:
            continue
        first = load_sequence(extra_dir, e["key"]).frames[0].astype(np.float32)
        same_size = [f for f in firsts if f.shape == first.shape]
        if e["key"] in taken or any(np.abs(f - first).mean() < SAME_RECORDING for f in same_size):
            dropped.append(e["key"])
        else:
            added.append(dict(e, dir=str(extra_dir)))
            taken.add(e["key"])
    return added, dropped
