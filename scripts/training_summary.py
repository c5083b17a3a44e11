"""A training run's curve summary, from its log alone: the `curves` of figures/training_<data>.json.

    python scripts/training_summary.py runs/notebook03_ckplus --out figures/training_ckplus.json

Notebook 03 writes this summary (`run_summary.curve_summary`: G_L1's start, peak and end, the
step from which D_frame_real and D_frame_fake stay at chance, G's gradient shares) with everything else it
measures once its last cell has run. When a run's training finished but the notebook did not
(the anchor comparison's three extra trainings take the longest), this writes the same `curves`
from the run folder's log.jsonl and config.json, keeping the file's other keys.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from affinekit.io.atomic import atomic_write_text
    from affinekit.io.runlog import read_log
    from affinekit.show.run_summary import curve_summary
    from affinekit.training.losses import GAN_CHANCE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run folder written by `affinekit train` or notebook 03")
    parser.add_argument("--out", required=True, help="the summary file; its other keys are kept")
    args = parser.parse_args(argv)
    run, out = Path(args.run), Path(args.out)
    if not (run / "log.jsonl").is_file() or not (run / "config.json").is_file():
        print(f"{run}: no log.jsonl and config.json; pass a run folder", file=sys.stderr)
        return 2
    log = read_log(run / "log.jsonl")
    gan_loss = json.loads((run / "config.json").read_text())["train"]["gan_loss"]
    curves = curve_summary(log, GAN_CHANCE[gan_loss])
    curves["blend_last"] = log[-1].get("lambda_blend")
    record = json.loads(out.read_text()) if out.is_file() else {}
    record["curves"] = curves
    atomic_write_text(out, json.dumps(record, indent=1, sort_keys=True) + "\n")   # a link there is replaced
    print(f"{out}: curves of {run} ({curves['steps']} steps, {gan_loss})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
