"""A training run's generator as a small, safe file to ship or to evaluate elsewhere.

`export_run(run, out)` writes `out` (float16 generator weights and model config:
no optimiser state, nothing that unpickles) and `out.json` (the run's
config.json: model, train and data sections with the training sequence keys,
which `affinekit evaluate` reads to warn when a test sequence was seen in
training; and `exported`, the steps and seconds the run reached). Nothing in
the JSON changes what the weights do: the same file behaves the same anywhere.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from affinekit.errors import AffinekitError
from affinekit.io.atomic import atomic_write_text
from affinekit.io.runlog import read_log
from affinekit.weights.checkpoint import load_generator, save_generator_only, training_data


def export_run(run: str | Path, out: str | Path, weights: bool = True) -> dict[str, Any]:
    """Export `run`'s last checkpoint to `out` (+ `out.json`); returns the JSON written.

    `weights=False` rewrites only `out.json` and needs no checkpoint."""
    run, out = Path(run), Path(out)
    ckpt, config_file = run / "checkpoints" / "last.pt", run / "config.json"
    for path in (ckpt, config_file) if weights else (config_file,):
        if not path.is_file():
            raise AffinekitError(f"{path}: missing; pass a run folder written by `affinekit train`")
    out.parent.mkdir(parents=True, exist_ok=True)
    config = json.loads(config_file.read_text())
    if weights:
        generator, cfg = load_generator(ckpt)
        save_generator_only(generator, cfg, out, half=True, data=training_data(ckpt) or config.get("data"))
    log = read_log(run / "log.jsonl")
    config["exported"] = {"from": str(run), "steps": log[-1]["step"] if log else 0,
                          "train_seconds": round(sum(r.get("step_time", 0.0) for r in log))}
    atomic_write_text(out.with_suffix(".json"), json.dumps(config, indent=1))
    return config
