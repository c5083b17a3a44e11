"""Export a training run's generator as the bundled model (float16 weights + the run's config).

    python scripts/export_model.py runs/bundled128 [--out affinekit/weights/affinekit_default.pt]

Writes `<out>` (generator weights and model config only: no optimiser state,
nothing that unpickles) and `<out>.json` (the run's config.json: model, train
and data sections, the training sequence keys among them, which `affinekit
evaluate` reads to warn when a test sequence was seen in training; and
`face_stats`, the training faces' contrast, which `affinekit.change` matches
new faces to).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from affinekit.animate import DEFAULT_WEIGHTS
from affinekit.change import measure_face_stats
from affinekit.checkpoint import load_generator, save_generator_only
from affinekit.data.cache import load_sequence
from affinekit.data.dataset import SequenceDataset
from affinekit.plots import read_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run folder written by `affinekit train`")
    parser.add_argument("--out", default=str(DEFAULT_WEIGHTS))
    args = parser.parse_args()
    run, out = Path(args.run), Path(args.out)
    generator, cfg = load_generator(run / "checkpoints" / "last.pt")
    save_generator_only(generator, cfg, out, half=True)
    config = json.loads((run / "config.json").read_text())
    log = read_log(run / "log.jsonl")
    config["exported"] = {"from": str(run), "steps": log[-1]["step"] if log else 0,
                          "train_seconds": round(sum(r.get("step_time", 0.0) for r in log))}
    # the training faces' contrast, which `affinekit.change` matches new faces to
    prepared = config["data"]["prepared"]
    keys = config["data"].get("keys") or SequenceDataset(prepared).keys
    config["face_stats"] = measure_face_stats(np.concatenate([load_sequence(prepared, k).frames[:1] for k in keys]))
    out.with_suffix(".json").write_text(json.dumps(config, indent=1))
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB, step {config['exported']['steps']}) and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
