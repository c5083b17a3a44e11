"""`train --resume`: the run's saved configs, the overrides that may change them, and a step's memory.

A resumed run keeps its model (its weights fit no other shape) and its data;
`train.*` overrides (more steps, another learning rate) apply on top, each said
in one line. A `model.*` override that differs from the saved model is refused
(it used to be dropped without a word), and so is a `generator.pt` export
named `last.pt` (it has no optimiser state to continue from).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from affinekit.config import DataConfig, ModelConfig, TrainConfig, from_dict
from affinekit.devices import resolve_device
from affinekit.errors import AffinekitError
from affinekit.weights.checkpoint import FORMAT

FLOAT_BYTES = 4
# tensors kept per U-Net level for the backward pass (convolution, normalisation, activation): measured
# with /usr/bin/time on the CPU, a 64 px default model took 70 MB more per sample of the batch, this 72 MB
LAYERS_PER_LEVEL = 3


def resumed_configs(ckpt: dict[str, Any], path: Path, configs: dict[str, Any], user_keys: dict[str, set[str]],
                    device: str | None, log=print) -> tuple[ModelConfig, TrainConfig]:
    """(model, train) configs of a resumed run: the checkpoint's, with the user's train.* overrides."""
    if ckpt.get("format") != FORMAT or "train_config" not in ckpt:
        raise AffinekitError(f"{path}: is a generator export, not a training checkpoint (it has no optimiser "
                             "state to continue from); start a new --out, e.g. with --set train.init_from=" f"{path}")
    try:
        model_cfg = from_dict(ModelConfig, ckpt["model_config"])
        saved = from_dict(TrainConfig, ckpt["train_config"])
    except (KeyError, TypeError, ValueError) as err:
        raise AffinekitError(f"{path}: its saved config is not valid ({err}); start a new --out") from None
    clashing = [f"model.{k}={getattr(configs['model'], k)!r}" for k in sorted(user_keys["model"])
                if getattr(configs["model"], k) != getattr(model_cfg, k)]
    if clashing:
        key = clashing[0].split("=")[0].removeprefix("model.")
        raise AffinekitError(f"{', '.join(clashing)}: a resumed run keeps its model ({path} has "
                             f"model.{key}={getattr(model_cfg, key)!r}); drop the override or train into a new --out")
    changed = {k: getattr(configs["train"], k) for k in sorted(user_keys["train"])}
    if device:
        changed["device"] = device
    for key, value in changed.items():
        if value != getattr(saved, key):
            log(f"resuming with train.{key}={value!r} (the run had {getattr(saved, key)!r})")
    return model_cfg, dataclasses.replace(saved, **changed)


def training_bytes(model_cfg: ModelConfig, train_cfg: TrainConfig, data_cfg: DataConfig) -> int:
    """The memory of one training step's activations on the CPU: each image of the batch passes the
    U-Net's levels (width times area) once per encoding and decoding, forward and backward.
    0 when the step runs on an accelerator (its memory is not the host's)."""
    if resolve_device(train_cfg.device).type != "cpu":
        return 0
    size, activations = model_cfg.image_size, 0
    for level in range(model_cfg.depth + 1):
        width = min(model_cfg.base_width * 2 ** level, model_cfg.max_width)
        activations += width * (size // 2 ** level) ** 2
    passes = 2 * data_cfg.num_targets + 2          # targets decoded and encoded, x0 by both encoders
    return train_cfg.batch_size * passes * 2 * LAYERS_PER_LEVEL * activations * FLOAT_BYTES
