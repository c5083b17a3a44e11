"""A training run's generator as a small, safe file to ship or to evaluate elsewhere.

`export_run(run, out)` writes `out` (float16 generator weights and model config:
no optimiser state, nothing that unpickles) and `out.json` (the run's
config.json: model, train and data sections with the training sequence keys,
which `affinekit evaluate` reads to warn when a test sequence was seen in
training; `exported`, the steps and seconds the run reached; and `face_stats`,
the training faces' contrast that `affinekit.change` matches new faces to, with
`change_prior`, where each expression changed the training faces).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.atomic import atomic_write
from affinekit.change import measure_change_prior, measure_face_stats
from affinekit.checkpoint import load_generator, save_generator_only
from affinekit.data.cache import load_manifest, load_sequence
from affinekit.data.dataset import SequenceDataset
from affinekit.errors import AffinekitError
from affinekit.plots import read_log


def export_run(run: str | Path, out: str | Path, prepared: str | Path | None = None,
               weights: bool = True) -> dict[str, Any]:
    """Export `run`'s last checkpoint to `out` (+ `out.json`); returns the JSON written.

    `prepared` overrides the data folder named in the run's config (a run trained
    on another machine); `weights=False` rewrites only `out.json` (e.g. to add
    statistics to an existing export) and needs no checkpoint."""
    run, out = Path(run), Path(out)
    ckpt, config_file = run / "checkpoints" / "last.pt", run / "config.json"
    for path in (ckpt, config_file) if weights else (config_file,):
        if not path.is_file():
            raise AffinekitError(f"{path}: missing; pass a run folder written by `affinekit train`")
    out.parent.mkdir(parents=True, exist_ok=True)
    if weights:
        generator, cfg = load_generator(ckpt)
        save_generator_only(generator, cfg, out, half=True)
    config = json.loads(config_file.read_text())
    log = read_log(run / "log.jsonl")
    config["exported"] = {"from": str(run), "steps": log[-1]["step"] if log else 0,
                          "train_seconds": round(sum(r.get("step_time", 0.0) for r in log))}
    data_dir = Path(prepared) if prepared else Path(config["data"]["prepared"])
    config["face_stats"] = measure_training_faces(data_dir, config["data"].get("keys"))
    text = json.dumps(config, indent=1).encode()
    atomic_write(out.with_suffix(".json"), lambda f: f.write(text))
    return config


def measure_training_faces(prepared: str | Path, keys: list[str] | None = None) -> dict[str, Any]:
    """What `affinekit.change` needs to know of the training faces (of `keys`, or all labelled
    sequences of `prepared`): their contrast ranges and the change prior."""
    keys = keys or SequenceDataset(prepared).keys
    labels = {e["key"]: e.get("label") for e in load_manifest(prepared)["sequences"]}
    sequences = [(labels[k], load_sequence(prepared, k).frames) for k in keys]
    stats = measure_face_stats(np.concatenate([frames[:1] for _, frames in sequences]))
    stats["change_prior"] = measure_change_prior((label, frames[0], frames[-1]) for label, frames in sequences)
    return stats
