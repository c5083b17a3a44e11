"""A training run's generator as a small, safe file to ship or to evaluate elsewhere.

`export_run(run, out)` writes `out` (float16 generator weights and model config:
no optimiser state, nothing that unpickles) and `out.json` (the run's
config.json: model, train and data sections with the training sequence keys,
which `affinekit evaluate` reads to warn when a test sequence was seen in
training; `exported`, the steps and seconds the run reached; and `face_stats`,
the training faces' contrast that `affinekit.change` matches new faces to).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.atomic import atomic_write
from affinekit.change import measure_face_stats
from affinekit.checkpoint import load_generator, save_generator_only
from affinekit.data.cache import load_sequence
from affinekit.data.dataset import SequenceDataset
from affinekit.errors import AffinekitError
from affinekit.plots import read_log


def export_run(run: str | Path, out: str | Path, prepared: str | Path | None = None) -> dict[str, Any]:
    """Export `run`'s last checkpoint to `out` (+ `out.json`); returns the JSON written.

    `prepared` overrides the data folder named in the run's config (a run trained
    on another machine)."""
    run, out = Path(run), Path(out)
    ckpt, config_file = run / "checkpoints" / "last.pt", run / "config.json"
    for path in (ckpt, config_file):
        if not path.is_file():
            raise AffinekitError(f"{path}: missing; pass a run folder written by `affinekit train`")
    generator, cfg = load_generator(ckpt)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_generator_only(generator, cfg, out, half=True)
    config = json.loads(config_file.read_text())
    log = read_log(run / "log.jsonl")
    config["exported"] = {"from": str(run), "steps": log[-1]["step"] if log else 0,
                          "train_seconds": round(sum(r.get("step_time", 0.0) for r in log))}
    data_dir = Path(prepared) if prepared else Path(config["data"]["prepared"])
    keys = config["data"].get("keys") or SequenceDataset(data_dir).keys
    first_frames = np.concatenate([load_sequence(data_dir, k).frames[:1] for k in keys])
    config["face_stats"] = measure_face_stats(first_frames)
    text = json.dumps(config, indent=1).encode()
    atomic_write(out.with_suffix(".json"), lambda f: f.write(text))
    return config
