"""A training run's generator as a small, safe file to ship or to evaluate elsewhere.

`export_run(checkpoint, config, out, exported)` writes `out` (float16 generator
weights and model config: no optimiser state, nothing that unpickles) and
`out.json` (the run's config: model, train and data sections with the training
sequence keys, which `affinekit evaluate` reads to warn when a test sequence was
seen in training; and `exported`, how far the run got, which the caller read
in the run folder with `io.run_folder.RunFolder.progress`). Nothing in the JSON
changes what the weights do: the same file behaves the same anywhere.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from affinekit.errors import AffinekitError
from affinekit.io.atomic import atomic_write_text
from affinekit.weights.checkpoint import load_generator, save_generator_only, training_data


def export_run(checkpoint: str | Path, config: dict[str, Any], out: str | Path, exported: dict[str, Any],
               weights: bool = True) -> dict[str, Any]:
    """Export a run's training `checkpoint` to `out` and its `config` (config.json's content), with
    `exported` (e.g. steps and seconds reached) added, to `out.json`; returns the JSON written.

    `weights=False` rewrites only `out.json` and needs no checkpoint."""
    checkpoint, out = Path(checkpoint), Path(out)
    if weights and not checkpoint.is_file():
        raise AffinekitError(f"{checkpoint}: missing; pass a run folder written by `affinekit train`")
    out.parent.mkdir(parents=True, exist_ok=True)
    config = dict(config, exported=dict(exported))
    if weights:
        generator, cfg = load_generator(checkpoint)
        save_generator_only(generator, cfg, out, half=True, data=training_data(checkpoint) or config.get("data"))
    atomic_write_text(out.with_suffix(".json"), json.dumps(config, indent=1))
    return config
