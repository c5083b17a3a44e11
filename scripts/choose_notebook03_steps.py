"""How long notebook 03's default run trains, chosen on training-side subjects, never on its test ones.

    python scripts/choose_notebook03_steps.py --data prepared/ckplus_128px [--steps 300 --every 50]

Notebook 03 splits the CK+ sample by subject (`subject_split(..., 0.2, seed)`) and reports its held-out
curve on the test subjects. This script holds out a quarter of the *training* subjects again, trains
notebook 03's recipe (`notebook.trained_run.notebook03_recipe`, the configs the notebook trains) on
the rest, and scores the held-out quarter every `--every` steps from the run's own step 0
(`notebook.held_out.HeldOutCurve`), so that STEPS is picked where that curve is highest. On 7 Dec 2026 (subjects S074 and S113 held out) it rose from 21.8 dB at
step 0 to 22.7 at step 300, still rising, so the default became 300 steps, the most that fits 10 CPU
minutes.
Prints one line per scoring and writes them as JSON lines into --out.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from affinekit.commands.script_args import COUNT, SEED, run_script

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    from affinekit.data.dataset import subject_split
    from affinekit.data.prepared import load_manifest
    from affinekit.io.atomic import atomic_write_text
    from affinekit.io.destinations import output_file
    from affinekit.notebook.held_out import HeldOutCurve
    from affinekit.notebook.trained_run import notebook03_recipe
    from affinekit.training.run import train

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "prepared" / "ckplus_128px"), help="CK+ prepared at 128 px")
    parser.add_argument("--steps", type=COUNT, default=300)
    parser.add_argument("--every", type=COUNT, default=50)
    parser.add_argument("--seed", type=SEED, default=0)
    parser.add_argument("--work", default=str(ROOT / "runs" / "choose_notebook03_steps"))
    parser.add_argument("--out", default=str(ROOT / "runs" / "choose_notebook03_steps.jsonl"))
    args = parser.parse_args(argv)
    out = output_file(args.out, "--out", inputs={"--data": args.data})
    entries = load_manifest(args.data)["sequences"]
    train_keys, _ = subject_split(entries, test_fraction=0.2, seed=args.seed)      # notebook 03's split
    inner = [e for e in entries if e["key"] in set(train_keys)]
    fit_keys, choose_keys = subject_split(inner, test_fraction=0.25, seed=args.seed)
    people = sorted({e["subject"] for e in inner if e["key"] in set(choose_keys)})
    print(f"training on {len(fit_keys)} sequences; choosing on {len(choose_keys)} of {', '.join(people)}", flush=True)
    curve = HeldOutCurve(args.data, choose_keys, every=args.every, last_step=args.steps)
    model_cfg, train_cfg, data_cfg = notebook03_recipe(steps=args.steps, sample_every=0, seed=args.seed)
    train(args.data, args.work, model_cfg, train_cfg, data_cfg, keys=fit_keys, callbacks=[curve])
    for row in curve.rows:
        print(f"step {row['step']:4d}: PSNR {row['psnr']:.2f} dB on the subjects held out for the choice")
    atomic_write_text(out, "".join(json.dumps(row) + "\n" for row in curve.rows))
    best = max(curve.rows, key=lambda r: r["psnr"])
    print(f"highest at step {best['step']} ({best['psnr']:.2f} dB); written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
