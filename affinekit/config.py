"""Configuration dataclasses: one per stage, plain values only.

Plain values (str, int, float, bool, tuples) keep configs JSON-serialisable, so
a checkpoint can store its config and still be read with weights_only=True.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from affinekit.expressions import EXPRESSIONS

T = TypeVar("T")


@dataclass
class DataConfig:
    """How raw faces become training sequences."""
    image_size: int = 128          # square aligned crop, pixels
    channels: int = 1              # 1 grayscale, 3 RGB
    num_targets: int = 5           # K target frames sampled from neutral to apex
    lip_dilation: int = 3          # pixels of dilation of the lip mask
    align_per_frame: bool = False  # CK+ faces sit still: one transform per sequence
    detector: str = "hog"          # "hog" (dlib frontal) or "cnn" (dlib mmod)
    split: str = "subject"         # "subject" (disjoint subjects) or "paper" (random frames)
    test_fraction: float = 0.2
    folds: int = 0                 # 0: one split; k > 1: k-fold over subjects
    fold: int = 0
    seed: int = 0
    augment: bool = True
    hold_out: bool = False         # train only on the split's training subjects (see `train.training_keys`)
    extra: str = ""                # another prepared folder whose labelled sequences always join training


@dataclass
class ModelConfig:
    """Shape of the generator and discriminators."""
    image_size: int = 64
    channels: int = 1
    base_width: int = 32
    depth: int = 4                 # number of down-sampling stages of the U-Net
    num_labels: int = len(EXPRESSIONS)
    max_width: int = 256
    disc_width: int = 32
    upsample: str = "transpose"    # "transpose" (ConvTranspose, fast) or "resize" (nearest + conv)
    output: str = "motion"         # "motion" (field, mask, residual: warps x0) or "pixels" (the paper's: draws the frame)
    motion_range: float = 0.25     # bound of the learned field's correction, normalised units (1 = half the crop)


@dataclass
class TrainConfig:
    """Optimisation and bookkeeping of one training run."""
    steps: int = 2000
    batch_size: int = 8
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    gan_loss: str = "lsgan"        # "bce" or "lsgan" (mean squared error)
    w_gan: float = 1.0
    w_patch: float = 0.5           # local lip-patch discriminator
    w_lambda: float = 0.1          # intensity-distribution discriminator
    w_l1: float = 100.0
    w_rec: float = 100.0           # reconstruction at intensity 0
    w_landmark: float = 5.0        # motion head: field at frame t's landmarks -> x0's (pixels)
    w_smooth: float = 1.0          # motion head: field smoothness (pixels per pixel)
    w_mask: float = 1.0            # motion head: mask sparsity (mean mask)
    w_lambda_sup: float = 10.0     # MSE between inferred intensity and frame position (an anchor; 0 = paper)
    lambda_warmup: int = 500       # steps over which G is driven from frame position to inferred intensity
    log_every: int = 1
    checkpoint_every: int = 200
    sample_every: int = 100
    seed: int = 0
    device: str = "auto"           # "auto", "cpu" or "cuda"
    num_workers: int = 0


@dataclass
class EvalConfig:
    """How generated clips are compared with real ones."""
    frames: int = 16
    protocol: str = "subject"      # "subject" or "paper"
    folds: int = 0
    seed: int = 0
    image_size: int = 128
    batch_size: int = 8


def to_dict(cfg: Any) -> dict[str, Any]:
    """A config as a plain dict (for JSON and checkpoints)."""
    return dataclasses.asdict(cfg)


def from_dict(cls: type[T], values: dict[str, Any]) -> T:
    """Build a config from a dict, refusing unknown keys with a clear message."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {', '.join(unknown)}: valid are {', '.join(sorted(names))}")
    return cls(**values)


def apply_overrides(cfg: T, overrides: list[str]) -> T:
    """Apply `key=value` strings (from `--set`) to a config, casting to the field's type."""
    types = {f.name: f.type for f in dataclasses.fields(cfg)}
    changes: dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set expects key=value, got {item!r}")
        key, raw = item.split("=", 1)
        if key not in types:
            raise ValueError(f"{type(cfg).__name__} has no field {key!r}: valid are {', '.join(sorted(types))}")
        current = getattr(cfg, key)
        if isinstance(current, bool):
            if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError(f"--set {key}={raw}: expected true or false")
            value: Any = raw.lower() in ("1", "true", "yes", "on")
        elif isinstance(current, int):
            value = int(raw)
        elif isinstance(current, float):
            value = float(raw)
        else:
            value = raw
        changes[key] = value
    return dataclasses.replace(cfg, **changes)


def load_json_config(path: str | Path) -> dict[str, Any]:
    """Read a JSON config file: {"model": {...}, "train": {...}, "data": {...}}."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: config file not found; pass an existing JSON file to --config") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err.msg} at line {err.lineno}); fix the file or drop --config") from None
