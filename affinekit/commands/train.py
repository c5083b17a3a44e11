"""`affinekit train`: options and configs checked, a run started or resumed through `launch.train`."""
from __future__ import annotations

import dataclasses
from typing import Any

import torch.distributed as dist

from affinekit.config import ModelConfig, TrainConfig
from affinekit.data.prepared import load_manifest
from affinekit.errors import AffinekitError
from affinekit.io.destinations import writable_folder
from affinekit.io.locks import folder_lock
from affinekit.memory import require_memory
from affinekit.training.callbacks import ProgressBar, SampleSaver
from affinekit.training.resume import resumed_configs, training_bytes
from affinekit.training.run import resolve_configs, train, training_keys
from affinekit.weights.checkpoint import safe_load


def main(args: Any) -> int:
    """`affinekit train --data PREPARED --out RUN [--config FILE] [--set k=v ...] [--resume] [--device D]`."""
    manifest = load_manifest(args.data)
    configs, user_keys = resolve_configs(args.config, args.set)
    model_cfg, train_cfg, data_cfg = configs["model"], configs["train"], configs["data"]
    if args.device:
        train_cfg = dataclasses.replace(train_cfg, device=args.device)

    data_channels = int(manifest.get("config", {}).get("channels", model_cfg.channels))
    if "channels" not in user_keys["model"]:
        model_cfg = dataclasses.replace(model_cfg, channels=data_channels)

    out = writable_folder(args.out, "--out")     # a read-only run folder fails now, not at the first save
    ckpt_path = out / "checkpoints" / "last.pt"
    if args.resume:
        ckpt = safe_load(ckpt_path) if ckpt_path.is_file() else None
        if ckpt is None:
            raise AffinekitError(f"{ckpt_path}: no checkpoint to resume from; drop --resume to start a fresh run")
        # The run's own configs win; only train.* overrides (e.g. more steps) apply on top, each said.
        model_cfg, train_cfg = resumed_configs(ckpt, ckpt_path, configs, user_keys, args.device)
    elif ckpt_path.is_file():
        raise AffinekitError(f"{out}: already holds a run (checkpoints/last.pt); pass --resume to continue it "
                             "or choose another --out")

    require_memory(training_bytes(model_cfg, train_cfg, data_cfg), f"train.batch_size={train_cfg.batch_size}",
                   f"a training step on {model_cfg.image_size} px faces", "lower train.batch_size or model.image_size")
    callbacks = [ProgressBar(), SampleSaver()]
    with folder_lock(out, "--out"):
        return _run(args, out, model_cfg, train_cfg, data_cfg, callbacks, ckpt if args.resume else None)


def _run(args: Any, out: Any, model_cfg: ModelConfig, train_cfg: TrainConfig, data_cfg: Any, callbacks: list,
         ckpt: dict | None) -> int:
    try:
        keys = training_keys(args.data, data_cfg)
        if ckpt is not None:    # a resumed run keeps the sequences it started on, as its checkpoint says
            keys = (ckpt.get("data") or {}).get("keys", keys)
        trainer = train(args.data, out, model_cfg, train_cfg, data_cfg, keys=keys,
                        callbacks=callbacks, resume=args.resume)
        if trainer.dist.main:
            print(f"trained {trainer.step} steps: {out / 'generator.pt'}, log {trainer.log_path}")
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0
