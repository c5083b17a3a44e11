"""How long notebook 03's default run trains, chosen on training-side subjects, never on its test ones.

    python scripts/choose_notebook03_steps.py --data prepared/ckplus_128px [--steps 300 --every 50]

Notebook 03 splits the CK+ sample by subject (`subject_split(..., 0.2, seed)`) and reports its held-out
curve on the test subjects. This script holds out a quarter of the *training* subjects again, trains
notebook 03's recipe (`notebook.trained_run.notebook03_recipe`, the configs the notebook trains) on
the rest, and scores the held-out quarter every `--every` steps from the run's own step 0
(`notebook.held_out.HeldOutCurve`), so that STEPS is picked where that curve is highest. On 7 Dec 2026 (subjects S074 and S113 held out) it rose from 21.8 dB at
step 0 to 22.7 at step 300, still rising, so the default became 300 steps, the most that fits 10 CPU
minutes. With `--folds 3` (each third of the eight training subjects held out in turn; the record is
figures/notebook03_steps_ckplus.jsonl) the mean rose from 24.02 dB at step 0 to 24.24 at step 250
and 24.21 at 300, a difference far below the 0.4 dB a second seed moves, so 300 stayed; one third
(S052, S125, S130) was best at step 0. Those runs had constant learning rates (`--lr-decay-from 1`);
the same folds with both rates falling linearly to 0 over the second half (`--lr-decay-from 0.5`,
figures/notebook03_lr_decay_ckplus.jsonl) ended higher at step 300, so that schedule became the
recipe's default, and this script's. Scoring a running average of the weights on top of it
(`--set train.average_decay=0.99`, figures/notebook03_average_ckplus.jsonl) lifted the mean at step 300
to 24.41 dB with every third above its step 0, so the recipe scores the average too.
Prints one line per scoring and writes them as JSON lines into --out.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from affinekit.commands.script_args import COUNT, SEED, number, run_script

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    from affinekit.data.dataset import subject_kfold, subject_split
    from affinekit.data.prepared import load_manifest
    from affinekit.io.atomic import atomic_write_text
    from affinekit.io.destinations import output_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "prepared" / "ckplus_128px"), help="CK+ prepared at 128 px")
    parser.add_argument("--steps", type=COUNT, default=300)
    parser.add_argument("--every", type=COUNT, default=50)
    parser.add_argument("--seed", type=SEED, default=0)
    parser.add_argument("--folds", type=COUNT, default=1,
                        help="1: a quarter of the training subjects held out once; K > 1: each of K groups of them "
                             "held out in turn and the K curves averaged (a fold already scored in --work is read back)")
    parser.add_argument("--fold", type=int, default=None,
                        help="train and score only this fold (0 to K-1), so that folds can run side by side; "
                             "a later run without --fold reads them back and averages")
    parser.add_argument("--lr-decay-from", type=number(0, 1), default=None,
                        help="train.lr_decay_from of the recipe tried (default: notebook 03's; 1: constant learning rates)")
    parser.add_argument("--set", action="append", default=[], metavar="train.KEY=VALUE",
                        help="a training setting tried on top of the recipe (repeatable), e.g. train.lambda_warmup=1000")
    parser.add_argument("--work", default=str(ROOT / "runs" / "choose_notebook03_steps"))
    parser.add_argument("--out", default=str(ROOT / "runs" / "choose_notebook03_steps.jsonl"))
    args = parser.parse_args(argv)
    wrong = [item for item in args.set if not item.startswith("train.")]
    if wrong:
        parser.error(f"argument --set: only train.KEY=VALUE settings are tried here, got {wrong[0]!r}")
    try:                                # a wrong key or value is refused before anything trains
        recipe = tried_recipe(args)
    except ValueError as err:
        parser.error(f"argument --set: {err}")
    if args.fold is not None and not 0 <= args.fold < args.folds:
        parser.error(f"argument --fold: must be a fold from 0 to {args.folds - 1} (--folds {args.folds}), got {args.fold}")
    out = output_file(args.out, "--out", inputs={"--data": args.data})
    entries = load_manifest(args.data)["sequences"]
    train_keys, _ = subject_split(entries, test_fraction=0.2, seed=args.seed)      # notebook 03's split
    inner = [e for e in entries if e["key"] in set(train_keys)]
    splits = (subject_kfold(inner, args.folds, args.seed) if args.folds > 1
              else [subject_split(inner, test_fraction=0.25, seed=args.seed)])
    rows: list[dict] = []
    for fold, (fit_keys, choose_keys) in enumerate(splits):
        people = sorted({e["subject"] for e in inner if e["key"] in set(choose_keys)})
        work = Path(args.work) / f"fold{fold}" if args.folds > 1 else Path(args.work)
        if args.fold is not None:
            if fold == args.fold:
                _fold_curve(args, recipe, work, fit_keys, choose_keys, people)
                print(f"fold {fold} scored into {work}; run again without --fold to average the folds")
            continue
        rows += [{"fold": fold, "subjects": people, "lr_decay_from": recipe.train.lr_decay_from,
                  **({"set": args.set} if args.set else {}), **row}
                 for row in _fold_curve(args, recipe, work, fit_keys, choose_keys, people)]
    if args.fold is not None:
        return 0
    atomic_write_text(out, "".join(json.dumps(row) + "\n" for row in rows))
    steps = sorted({row["step"] for row in rows})
    mean = {step: sum(r["psnr"] for r in rows if r["step"] == step) / len(splits) for step in steps}
    if len(splits) > 1:
        for step in steps:
            print(f"step {step:4d}: mean PSNR {mean[step]:.2f} dB over {len(splits)} folds")
    best = max(steps, key=lambda step: mean[step])
    print(f"highest at step {best} ({mean[best]:.2f} dB); written: {out}")
    return 0


def tried_recipe(args: argparse.Namespace):
    """Notebook 03's recipe at the script's length and seed, with --lr-decay-from and every --set applied
    (ValueError on a wrong key or value)."""
    from affinekit.config import apply_overrides
    from affinekit.notebook.trained_run import notebook03_recipe

    schedule = {} if args.lr_decay_from is None else {"lr_decay_from": args.lr_decay_from}
    recipe = notebook03_recipe(steps=args.steps, sample_every=0, seed=args.seed, **schedule)
    return recipe._replace(train=apply_overrides(recipe.train, [item[len("train."):] for item in args.set]))


def _fold_curve(args: argparse.Namespace, recipe, work: Path, fit_keys: list[str], choose_keys: list[str],
                people: list[str]) -> list[dict]:
    """One fold's held-out curve: trained and scored, or read back from `work`/curve.jsonl."""
    from affinekit.io.atomic import atomic_write_text
    from affinekit.notebook.held_out import HeldOutCurve
    from affinekit.training.run import train

    from affinekit.errors import AffinekitError
    from affinekit.io.run_folder import RunFolder

    done = work / "curve.jsonl"
    if done.is_file():
        rows = [json.loads(line) for line in done.read_text().splitlines() if line.strip()]
        if rows and rows[0]["step"] == 0 and rows[-1]["step"] == args.steps:
            print(f"read back: {done} ({', '.join(people)})", flush=True)
            return rows
    if RunFolder(work).holds_run():     # a run cut short has no step 0 of its own to resume from
        raise AffinekitError(f"{work}: holds an unfinished choice run; remove that folder to train it again")
    print(f"training on {len(fit_keys)} sequences; choosing on {len(choose_keys)} of {', '.join(people)}", flush=True)
    curve = HeldOutCurve(args.data, choose_keys, every=args.every, last_step=args.steps)
    train(args.data, work, recipe.model, recipe.train, recipe.data, keys=fit_keys, callbacks=[curve])
    for row in curve.rows:
        print(f"step {row['step']:4d}: PSNR {row['psnr']:.2f} dB on {', '.join(people)}", flush=True)
    atomic_write_text(done, "".join(json.dumps(row) + "\n" for row in curve.rows))
    return curve.rows


if __name__ == "__main__":
    sys.exit(run_script(main))
