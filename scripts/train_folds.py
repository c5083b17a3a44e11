"""Train the per-fold models of a subject-disjoint cross-validation, then export each.

    python scripts/train_folds.py prepared/ckplus128 --out runs/cv128 --folds 5 --parallel 5 \\
        --set model.image_size=128 --set model.base_width=16 --set model.depth=5 --set train.steps=2000
    affinekit evaluate --data prepared/ckplus128 --folds 5 --fold-checkpoint 'runs/cv128/fold{fold}.pt'

Fold K is an ordinary `affinekit train` run in OUT/foldK on the training subjects
of fold K of `subject_kfold(folds, seed)` (data.hold_out), the split that
`affinekit evaluate --folds` tests on; a rerun resumes unfinished folds. With
`--parallel N` N folds train at once (one GPU holds several of these small
models). `--seconds S` interrupts every run after S seconds as Ctrl-C would:
each saves its checkpoint and the export records the steps it reached.
Each run is exported to OUT/foldK.pt and OUT/foldK.json (`affinekit.weights.export`).
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

from affinekit.commands.script_args import SEED, number, run_script, whole
from affinekit.data.prepared import load_manifest
from affinekit.io.atomic import append_line
from affinekit.io.run_folder import RunFolder
from affinekit.weights.export import export_run


def fold_command(data: str, run: Path, fold: int, folds: int, seed: int, overrides: list[str],
                 device: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "affinekit.cli", "train", "--data", data, "--out", str(run),
           "--set", "data.hold_out=true", "--set", f"data.folds={folds}", "--set", f"data.fold={fold}",
           "--set", f"data.seed={seed}"]
    for item in overrides:
        cmd += ["--set", item]
    if device:
        cmd += ["--device", device]
    if RunFolder(run).holds_run():
        cmd.append("--resume")
    return cmd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="a prepared folder")
    parser.add_argument("--out", required=True, help="folder for the fold runs and their exports")
    parser.add_argument("--folds", type=whole(2, 100), default=5)
    parser.add_argument("--seed", type=SEED, default=0, help="seed of the split (as evaluate --seed)")
    parser.add_argument("--parallel", type=whole(1, 64), default=1, help="folds trained at once")
    parser.add_argument("--seconds", type=number(0, above=True), default=None, help="interrupt every run after this long")
    parser.add_argument("--device", default=None, help="cpu, cuda or auto (as train --device)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="as train --set")
    parser.add_argument("--only", type=whole(0), nargs="+", metavar="FOLD",
                        help="train and export only these folds (e.g. to share them between two machines)")
    args = parser.parse_args()
    load_manifest(args.data)       # a missing or hostile folder is one line here, not a failed run per fold
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    chosen = sorted(set(args.only)) if args.only else list(range(args.folds))
    if any(not 0 <= f < args.folds for f in chosen):
        parser.error(f"--only: folds are numbered 0 to {args.folds - 1}")
    pending, running = list(chosen), {}
    while pending or running:
        while pending and len(running) < args.parallel:
            fold = pending.pop(0)
            run = out / f"fold{fold}"
            log = append_line(out / f"fold{fold}.log", within=out)     # a planted link is refused
            running[fold] = (subprocess.Popen(fold_command(args.data, run, fold, args.folds, args.seed, args.set,
                                                           args.device), stdout=log, stderr=subprocess.STDOUT), log)
            print(f"fold {fold}: training in {run} (log {out / f'fold{fold}.log'})", flush=True)
        time.sleep(2)
        if args.seconds is not None and time.monotonic() - start > args.seconds:
            for proc, _ in running.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
            pending = []
        for fold, (proc, log) in list(running.items()):
            if proc.poll() is not None:
                log.close()
                del running[fold]
                how = {0: "finished", 130: "stopped by --seconds (checkpoint saved)",
                       -signal.SIGINT: "stopped by --seconds (checkpoint saved)"}
                print(f"fold {fold}: {how.get(proc.returncode, f'failed, exit code {proc.returncode}')}", flush=True)
    failed = 0
    for fold in chosen:
        run = RunFolder(out / f"fold{fold}")
        if not run.holds_run():
            print(f"fold {fold}: no checkpoint; see {out / f'fold{fold}.log'}")
            failed += 1
            continue
        config = export_run(run.checkpoint_path, run.read_config(), out / f"fold{fold}.pt", run.progress())
        print(f"fold {fold}: {out / f'fold{fold}.pt'} at step {config['exported']['steps']}, "
              f"{config['exported']['train_seconds']} s of training")
    print(f"{time.monotonic() - start:.0f} s in all")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_script(main))
