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
    from affinekit.errors import AffinekitError
    from affinekit.io.atomic import atomic_write_text
    from affinekit.io.json_values import read_json
    from affinekit.io.runlog import read_log
    from affinekit.show.run_summary import curve_summary
    from affinekit.training.losses import GAN_CHANCE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run folder written by `affinekit train` or notebook 03")
    parser.add_argument("--out", required=True, help="the summary file; its other keys are kept")
    args = parser.parse_args(argv)
    run, out = Path(args.run), Path(args.out)
    fix = "pass a run folder written by `affinekit train`"
    if not (run / "log.jsonl").is_file() or not (run / "config.json").is_file():
        raise AffinekitError(f"{run}: no log.jsonl and config.json; {fix}")
    log = read_log(run / "log.jsonl")
    config = read_json(run / "config.json", fix)
    train = config.get("train") if isinstance(config, dict) else None
    gan_loss = train.get("gan_loss") if isinstance(train, dict) else None
    if gan_loss not in GAN_CHANCE or not log:
        raise AffinekitError(f"{run}: config.json names no train.gan_loss or log.jsonl has no rows; {fix}")
    curves = curve_summary(log, GAN_CHANCE[gan_loss])
    curves["blend_last"] = log[-1].get("lambda_blend")
    record = read_json(out, "pass --out a summary JSON (or a new file)") if out.is_file() else {}
    if not isinstance(record, dict):
        raise AffinekitError(f"{out}: not a summary (not a JSON object); pass another --out")
    record["curves"] = curves
    atomic_write_text(out, json.dumps(record, indent=1, sort_keys=True) + "\n")   # a link there is replaced
    print(f"{out}: curves of {run} ({curves['steps']} steps, {gan_loss})")
    return 0


if __name__ == "__main__":
    from affinekit.commands.script_args import run_script
    sys.exit(run_script(main))
