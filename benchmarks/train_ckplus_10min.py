"""Does training lower G_L1 on real faces within a wall-clock budget? (default: 10 minutes, CPU)

    python benchmarks/train_ckplus_10min.py [--data prepared/ckplus64] [--seconds 600] [--out runs/ckplus_10min]
                                            [--image-size 64] [--batch-size 8] [--base-width 32] [--depth 4]

Trains a fresh model on every labelled sequence of a prepared CK+ folder
(prepared/ckplus64, else prepared/ckplus128 resized on the fly) until the
budget is spent, then prints G_L1 averaged over the first and the last 20
steps (and the same for G_rec and the intensity correlation), from the run's
log.jsonl. The run folder keeps the log, samples/ and the checkpoint.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from affinekit.commands.script_args import COUNT, SEED, number, run_script, whole
from affinekit.config import ModelConfig, TrainConfig
from affinekit.data.dataset import SequenceDataset
from affinekit.errors import AffinekitError
from affinekit.io.run_folder import RunFolder
from affinekit.training.callbacks import SampleSaver, TimeBudget
from affinekit.training.loop import Trainer

REPO = Path(__file__).resolve().parent.parent
WINDOW = 20


class PrintEvery:
    """A few plain lines instead of a progress bar (the run is usually in the background)."""

    def __init__(self, every: int):
        self.every = every

    def on_step(self, trainer, step, logs):
        if step == 1 or step % self.every == 0:
            print(f"step {step:5d}  G_L1 {logs['G_L1']:.4f}  G_rec {logs['G_rec']:.4f}  G_frame {logs['G_frame']:.3f}  "
                  f"D_frame_real {logs['D_frame_real']:.3f}  D_frame_fake {logs['D_frame_fake']:.3f}  lambda {logs['lambda_mean']:.2f}"
                  f"+-{logs['lambda_std']:.2f} (r={logs['lambda_corr']:.2f})  {logs['step_time']:.2f} s/step",
                  flush=True)


def find_data(given: str | None) -> Path:
    for candidate in ([given] if given else ["prepared/ckplus64", "prepared/ckplus128"]):
        path = Path(candidate) if Path(candidate).is_absolute() else REPO / candidate
        if (path / "manifest.json").is_file():
            return path
    raise AffinekitError(f"{given or 'prepared/ckplus64'}: no prepared CK+ folder: run "
                         "`affinekit prepare CKPLUS_ROOT --out prepared/ckplus64 --size 64`")


def mean(log: list[dict], key: str, part: slice) -> float:
    return float(np.mean([row[key] for row in log[part]]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data")
    p.add_argument("--seconds", type=number(0, above=True), default=600.0)
    p.add_argument("--out", default=str(REPO / "runs" / "ckplus_10min"))
    p.add_argument("--image-size", type=whole(16, 4096), default=64)
    p.add_argument("--batch-size", type=COUNT, default=8)
    p.add_argument("--targets", type=COUNT, default=5)
    p.add_argument("--base-width", type=COUNT, default=32)
    p.add_argument("--depth", type=whole(1, 10), default=4)
    p.add_argument("--gan-loss", default="lsgan", choices=["lsgan", "bce"])
    p.add_argument("--seed", type=SEED, default=0)
    args = p.parse_args()

    data = find_data(args.data)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not (out / "log.jsonl").is_file():
        # the folder is emptied for a fresh run: only ever one this benchmark (or `affinekit train`) wrote
        raise AffinekitError(f"--out {out}: not empty and not a run folder (no log.jsonl); pass a new folder")
    shutil.rmtree(out, ignore_errors=True)
    dataset = SequenceDataset(data, num_targets=args.targets, augment=True, seed=args.seed, channels=1)
    model = ModelConfig(image_size=args.image_size, channels=1, base_width=args.base_width, depth=args.depth)
    train = TrainConfig(steps=10 ** 9, batch_size=args.batch_size, gan_loss=args.gan_loss, seed=args.seed,
                        checkpoint_every=200, sample_every=50, device="cpu")
    print(f"data {data} ({len(dataset)} labelled sequences), model {args.image_size} px base {args.base_width} "
          f"depth {args.depth}, batch {args.batch_size} x {args.targets} targets, budget {args.seconds:.0f} s, "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads", flush=True)
    start = time.perf_counter()
    trainer = Trainer(model, train, dataset, out, callbacks=[TimeBudget(args.seconds), PrintEvery(25), SampleSaver()],
                      data_info={"prepared": str(data)})
    trainer.fit()
    wall = time.perf_counter() - start

    log = RunFolder(out).read_log()
    n = len(log)
    if n < 2:
        # nothing to compare: saying "lowered by nan%" with exit 0 would report success
        raise AffinekitError(f"{n} step(s) finished within --seconds {args.seconds:g}; give a longer budget")
    w = min(WINDOW, max(1, n // 2))
    first, last = slice(0, w), slice(n - w, n)
    print(f"\n{n} steps in {wall:.0f} s ({wall / max(n, 1):.2f} s/step incl. sampling and checkpoints)")
    for key in ("G_L1", "G_rec", "G_frame", "lambda_corr", "lambda_mean", "lambda_std"):
        print(f"{key:12s} first {w} steps {mean(log, key, first):8.4f}   last {w} steps {mean(log, key, last):8.4f}")
    print(f"G_L1 lowered by {100 * (1 - mean(log, 'G_L1', last) / mean(log, 'G_L1', first)):.0f}%; "
          f"run folder {out}")


if __name__ == "__main__":
    sys.exit(run_script(main, (ValueError,)))
