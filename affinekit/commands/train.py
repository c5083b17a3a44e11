"""`affinekit train`: options checked, the run spec resolved (`training.spec.run_spec`), the run started or resumed."""
from __future__ import annotations

from typing import Any

import torch.distributed as dist

from affinekit.errors import AffinekitError
from affinekit.io.destinations import writable_folder
from affinekit.io.locks import folder_lock
from affinekit.io.run_folder import RunFolder
from affinekit.memory import require_memory
from affinekit.training.callbacks import ProgressBar, SampleSaver
from affinekit.training.resume import training_bytes
from affinekit.training.run import train_run
from affinekit.training.spec import RunSpec, run_spec


def main(args: Any) -> int:
    """`affinekit train --data PREPARED --out RUN [--config FILE] [--set k=v ...] [--resume] [--device D]`."""
    spec = run_spec(args.data, args.config, args.set, device=args.device,
                    resume_from=RunFolder(args.out) if args.resume else None)
    run = RunFolder(writable_folder(args.out, "--out"))   # a read-only run folder fails now, not at the first save
    if run.holds_run() and not args.resume:
        raise AffinekitError(f"{run.path}: already holds a run (checkpoints/last.pt); pass --resume to continue it "
                             "or choose another --out")
    require_memory(training_bytes(spec.model, spec.train, spec.data), f"train.batch_size={spec.train.batch_size}",
                   f"a training step on {spec.model.image_size} px faces", "lower train.batch_size or model.image_size")
    with folder_lock(run.path, "--out"):
        return _run(spec, run)


def _run(spec: RunSpec, run: RunFolder) -> int:
    try:
        trainer = train_run(spec, run.path, callbacks=[ProgressBar(), SampleSaver()])
        if trainer.dist.main:
            print(f"trained {trainer.step} steps: {run.generator_path}, log {run.log_path}")
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0
