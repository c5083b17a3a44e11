"""Are a run's discriminators at chance? Their ranking accuracy and each G loss term's gradient share.

    python benchmarks/discriminator_check.py RUN [RUN ...] [--batches 20]

For each run folder it prints, on batches of its own training items that no step used,
how often each discriminator ranks a real sample above the generated one made for it
(0.5 = chance), then the mean share of G's gradient of each loss term over the last
tenth of the log (`share_*` entries), and the LSGAN losses there (chance 0.25).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from affinekit.commands.script_args import COUNT, run_script
from affinekit.io.run_folder import RunFolder
from affinekit.training.discriminator_check import ranking_accuracy
from affinekit.training.run import trainer_from_run


def log_summary(run: Path) -> tuple[dict[str, float], dict[str, float]]:
    """(mean gradient shares, mean discriminator losses) over the last tenth of a run's log."""
    rows = RunFolder(run).read_log()
    tail = rows[-max(1, len(rows) // 10):]
    keys = sorted({k for r in tail for k in r})
    mean = lambda k: float(np.mean([r[k] for r in tail if k in r]))
    shares = {k[6:]: mean(k) for k in keys if k.startswith("share_")}
    losses = {k: mean(k) for k in keys if k.startswith("D_")}
    return shares, losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--batches", type=COUNT, default=20)
    args = parser.parse_args()
    torch.set_num_threads(2)
    for run in args.runs:
        trainer = trainer_from_run(run)
        fresh = range(10 ** 6, 10 ** 6 + args.batches)        # step numbers no training run reaches
        accuracy = ranking_accuracy(trainer, fresh)
        shares, losses = log_summary(run)
        print(f"{run} (step {trainer.step})")
        print("  ranking accuracy (0.5 = chance): " + ", ".join(f"{k} {v:.2f}" for k, v in accuracy.items()))
        print("  G gradient shares, last tenth:   " + ", ".join(f"{k} {v:.3f}" for k, v in shares.items() if v > 0))
        print("  D losses, last tenth (0.25 = chance): " + ", ".join(f"{k} {v:.3f}" for k, v in losses.items()))


if __name__ == "__main__":
    sys.exit(run_script(main))
