"""Configuration dataclasses: one per stage, plain values only.

Plain values (str, int, float, bool, tuples) keep configs JSON-serialisable, so
a checkpoint can store its config and still be read with weights_only=True.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from affinekit.config_check import SEED_LIMIT, check_seed, check_values, current_names, parse_field, section_name
from affinekit.expressions import EXPRESSIONS
from affinekit.json_limits import loads_bounded

# the data.intensity modes that teach intensities measured from the landmarks (the rest: "position")
MEASURED = ("measured", "frame")

T = TypeVar("T")


@dataclass
class DataConfig:
    """How raw faces become training sequences."""
    crop_size: int = 128           # square aligned crop, pixels (the network's side is model.image_size)
    channels: int = 3              # 3 RGB (grey sources stay grey in it), 1 grayscale
    num_targets: int = 5           # K target frames sampled from neutral to apex
    lip_dilation: int = 3          # pixels of dilation of the lip mask
    align_per_frame: bool = False  # CK+ faces sit still: one transform per sequence
    detector: str = "hog"          # "hog" (dlib frontal) or "cnn" (dlib mmod)
    test_fraction: float = 0.2
    folds: int = 0                 # 0: one split; k > 1: k-fold over subjects
    fold: int = 0
    seed: int = 0
    augment: bool = True
    hold_out: bool = False         # train only on the subject split's training side (`dataset.subject_splits`)
    sources: tuple[str, ...] = ()  # more prepared folders (still pairs, clips, apex sets) that join training
    balance: bool = True           # sample expressions evenly, then sources evenly within an expression
    validation_fraction: float = 0.2  # with hold_out: share of each source's people kept for validation
    intensity: str = "measured"    # targets' intensities: "measured" from their landmarks (1 = a CK+ apex; a
                                   # sequence's frames at position x its apex's), "frame" (the same, but each
                                   # sequence frame at its own measured intensity, made non-decreasing), or
                                   # "position" (frame index / (T - 1); every still's apex at 1: the kit before 12-06)

    def __post_init__(self) -> None:
        _require(self.crop_size >= 16, "data.crop_size", self.crop_size, "at least 16 pixels")
        _require(self.channels in (1, 3), "data.channels", self.channels, "1 (gray) or 3 (RGB)")
        _require(self.num_targets >= 1, "data.num_targets", self.num_targets, "at least 1")
        _require(0 < self.test_fraction < 1, "data.test_fraction", self.test_fraction, "between 0 and 1")
        _require(self.folds >= 0 and self.folds != 1, "data.folds", self.folds, "0 (one split) or 2 and more")
        _require(self.fold >= 0 and (self.folds == 0 or self.fold < self.folds), "data.fold", self.fold,
                 "from 0 to data.folds - 1")
        _require(self.detector in ("hog", "cnn"), "data.detector", self.detector, "hog or cnn")
        _require(self.intensity in MEASURED + ("position",), "data.intensity", self.intensity,
                 "measured, frame or position")
        _require(0 <= self.seed < SEED_LIMIT, "data.seed", self.seed, f"a whole number from 0 to {SEED_LIMIT - 1}")
        _require(0 < self.validation_fraction < 1, "data.validation_fraction", self.validation_fraction,
                 "between 0 and 1")
        if isinstance(self.sources, str):      # from JSON or --set: "a,b,c"
            self.sources = tuple(s.strip() for s in self.sources.split(",") if s.strip())
        self.sources = tuple(str(s) for s in self.sources)


@dataclass
class ModelConfig:
    """Shape of the generator and discriminators."""
    image_size: int = 64
    channels: int = 3              # colour: grey sources supervise only the luma of the output
    base_width: int = 32
    depth: int = 4                 # number of down-sampling stages of the U-Net
    num_labels: int = len(EXPRESSIONS)
    max_width: int = 256
    disc_width: int = 32
    upsample: str = "transpose"    # "transpose" (ConvTranspose, fast) or "resize" (nearest + conv)
    output: str = "motion"         # "motion" (field, mask, residual: warps x0) or "pixels" (the paper's: draws the frame)
    motion_range: float = 0.25     # bound of the learned field's correction, normalised units (1 = half the crop)
    prior: str = "on"              # motion head: "on" (field = l * label's mean landmark motion + learned) or "off" (learned only)
    projection: str = "signed"     # "signed" (<dE_b, a>/|a|^2, gradients through it) or "official" (|<dE_b, a>|/|a|, detached where it drives G)
    mixing: str = "every_level"    # "every_level" (base + l * direction at each skip and the bottleneck) or "bottleneck"
    mask_region: str = "face"      # where the motion head's mask may open: "face" (anywhere inside the crop's
                                   # border) or "mouth" (around where lips lie in the aligned crop; the rest is warped)

    def __post_init__(self) -> None:
        for name in ("image_size", "base_width", "depth", "max_width", "disc_width", "num_labels"):
            _require(getattr(self, name) >= 1, f"model.{name}", getattr(self, name), "a positive whole number")
        _require(self.image_size % 2 ** self.depth == 0 and self.image_size // 2 ** self.depth >= 2,
                 "model.image_size", self.image_size,
                 f"divisible by 2**depth = {2 ** self.depth} with a bottleneck of at least 2 pixels")
        _require(self.channels in (1, 3), "model.channels", self.channels, "1 (gray) or 3 (RGB)")
        _require(self.upsample in ("transpose", "resize"), "model.upsample", self.upsample, "transpose or resize")
        _require(self.output in ("motion", "pixels"), "model.output", self.output, "motion or pixels")
        _require(math.isfinite(self.motion_range) and self.motion_range > 0, "model.motion_range",
                 self.motion_range, "a positive number")
        _require(self.prior in ("on", "off"), "model.prior", self.prior, "on or off")
        _require(self.projection in ("signed", "official"), "model.projection", self.projection, "signed or official")
        _require(self.mixing in ("every_level", "bottleneck"), "model.mixing", self.mixing, "every_level or bottleneck")
        _require(self.mask_region in ("face", "mouth"), "model.mask_region", self.mask_region, "face or mouth")


@dataclass
class TrainConfig:
    """Optimisation and bookkeeping of one training run."""
    steps: int = 2000
    batch_size: int = 8
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    # both learning rates hold until this fraction of `steps`, then fall linearly towards 0 at the last
    # step (pix2pix's schedule: the last updates are small, so the weights a run ends on are not a
    # random point of the GAN's oscillation); 1 = constant, as every run before 7 Dec 2026
    lr_decay_from: float = 1.0
    # >0: the generator that is scored, sampled and exported is a running average of the trained one's
    # weights, p_avg <- d p_avg + (1 - d) p after each update (GAN practice since progressive GANs: the
    # average sits at the centre of the updates' oscillation); 0 = the trained weights themselves
    average_decay: float = 0.0
    beta1: float = 0.5
    gan_loss: str = "lsgan"        # "bce" or "lsgan" (mean squared error)
    w_frame: float = 1.0           # the frame PatchGAN `d["frame"]` (w_gan before)
    w_lip: float = 0.5             # the lip-patch discriminator
    w_lambda: float = 0.1          # intensity-distribution discriminator
    w_apex: float = 1.0            # unpaired apex discriminator (real apex faces of other people)
    w_expression: float = 0.0      # the apex is read as its label by a classifier of those real apex faces
    expression_warmup: int = 300   # steps that classifier trains alone on them before the first GAN step
    expression_reads: str = "warp" # what that classifier reads: "warp" (the apex's warp, mask shut) or "frame"
    expression_fakes: float = 0.0  # >0: that classifier also learns generated apexes as no expression, this weighted
    w_l1: float = 100.0
    w_rec: float = 100.0           # reconstruction at intensity 0
    w_landmark: float = 5.0        # motion head: field at frame t's landmarks -> x0's (pixels)
    w_smooth: float = 1.0          # motion head: field smoothness (pixels per pixel)
    w_keep: float = 0.0            # motion head: the learned field keeps the prior's strength (issue 28)
    w_mask: float = 1.0            # motion head: mask sparsity (mean mask)
    w_lambda_sup: float = 10.0     # MSE between inferred intensity and frame position (an anchor; 0 = paper)
    lambda_warmup: int = 500       # steps over which G is driven from frame position to inferred intensity;
                                   # one longer than the run drives G by the measured intensities throughout
    # Intensities that drive G in training are clamped here: an early, untrained projection can return
    # any number (|a| is tiny at initialisation), and decoding at l = 40 would swamp the L1 loss with garbage.
    lambda_range: tuple[float, float] = (-0.25, 1.5)
    log_every: int = 1
    share_every: int = 10          # steps between measurements of each loss term's share of G's gradient (0: never)
    checkpoint_every: int = 200
    sample_every: int = 100
    seed: int = 0
    device: str = "auto"           # "auto", "cpu", "cuda" or "mps"
    num_workers: int = 0
    init_from: str = ""            # a generator checkpoint to start from (a grey one may start a colour model)

    def __post_init__(self) -> None:
        _require(self.steps >= 1, "train.steps", self.steps, "at least 1 (0 would save an untrained model)")
        _require(self.batch_size >= 1, "train.batch_size", self.batch_size, "at least 1")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            _require(math.isfinite(value) and value > 0, f"train.{name}", value, "a positive number")
        _require(0 <= self.beta1 < 1, "train.beta1", self.beta1, "in [0, 1)")
        _require(0 <= self.lr_decay_from <= 1, "train.lr_decay_from", self.lr_decay_from,
                 "a fraction of the run in [0, 1] (1: constant learning rates)")
        _require(0 <= self.average_decay < 1, "train.average_decay", self.average_decay,
                 "in [0, 1) (0: no weight average; 0.99 averages about the last 100 steps)")
        _require(self.gan_loss in ("bce", "lsgan"), "train.gan_loss", self.gan_loss, "bce or lsgan")
        _require(self.expression_reads in ("warp", "frame"), "train.expression_reads", self.expression_reads,
                 "warp or frame")
        _require(math.isfinite(self.expression_fakes) and self.expression_fakes >= 0, "train.expression_fakes",
                 self.expression_fakes, "a number >= 0 (0: the classifier learns real apex faces only)")
        for f in dataclasses.fields(self):
            if f.name.startswith("w_"):
                value = getattr(self, f.name)
                _require(math.isfinite(value) and value >= 0, f"train.{f.name}", value, "a number >= 0")
        _require(self.log_every >= 1, "train.log_every", self.log_every, "at least 1")
        for name in ("checkpoint_every", "sample_every", "lambda_warmup", "num_workers", "share_every",
                     "expression_warmup"):
            _require(getattr(self, name) >= 0, f"train.{name}", getattr(self, name), "0 or more")
        _require(0 <= self.seed < SEED_LIMIT, "train.seed", self.seed, f"a whole number from 0 to {SEED_LIMIT - 1}")
        _require(self.device.split(":")[0] in ("auto", "cpu", "cuda", "mps"), "train.device", self.device,
                 "auto, cpu, cuda or mps")
        given = self.lambda_range
        try:        # from --set or JSON as "-0.25,1.5"
            self.lambda_range = tuple(float(v) for v in (given.split(",") if isinstance(given, str) else given))
        except (TypeError, ValueError):
            self.lambda_range = ()
        low, high = (self.lambda_range + (math.nan, math.nan))[:2]
        _require(len(self.lambda_range) == 2 and low <= 0 and 1 <= high < math.inf, "train.lambda_range", given,
                 "two numbers low <= 0 and high >= 1 (every frame position in [0, 1] must be reachable)")


# a mouth patch is ~1.5 inter-ocular distances: 128 px holds its detail; a file asking 65536 px
# (a saved config is read from anywhere) would allocate 17 GB for the patch's window alone
MOUTH_MAX_SIZE = 1024


@dataclass
class MouthConfig:
    """The mouth refiner (`affinekit.models.mouth`) and its training."""
    size: int = 128                # side of the mouth patch, pixels (the mouth is ~20 px in the 64 px crop)
    width: int = 24                # channels of the refiner's first level (at half the patch's size)
    max_width: int = 128
    depth: int = 3
    box_scale: float = 1.5         # patch side in inter-ocular distances
    drop: float = 0.1              # patch centre below the lips' centre, in inter-ocular distances
    steps: int = 1500
    batch_size: int = 8
    lr: float = 2e-4
    lr_d: float = 2e-4
    w_l1: float = 10.0             # L1 to the real mouth, at the patch's size
    w_l1_coarse: float = 20.0      # L1 at a quarter of the size: where things are, not the texture
    w_gan: float = 1.0             # the mouth discriminator (LSGAN)
    w_temporal: float = 5.0        # painted change between intensities l and l - 0.1 (no flicker)
    w_mask: float = 0.5            # mask sparsity: paint only where a warp cannot show the mouth
    # the exemplar bank (`models.mouth_exemplar`): 0 = today's refiner, which paints luma from nothing
    exemplars: int = 0             # real open mouths in the bank (their JPEG bytes: bank_bytes in all)
    bank_bytes: int = 0
    shift_limit: float = 1.0       # reach of the exemplar refiner's colour correction ([-1, 1] units; 1: anywhere)
    soften_limit: float = 1.0      # the most it may blend the copy with a blurred one (1: all the way)
    bank_size: int = 0             # side of the bank's stored mouths, px (0: `size`; the network reads them at `size`)
    smile_teeth: float = 0.0       # a happy clip copies only mouths whose opening shows at least this share of teeth

    @property
    def bank_side(self) -> int:
        """The side of the bank's stored mouths, px."""
        return self.bank_size or self.size

    def __post_init__(self) -> None:
        _require(16 <= self.size <= MOUTH_MAX_SIZE and self.size % 2 ** (self.depth + 1) == 0, "mouth.size", self.size,
                 f"from 16 to {MOUTH_MAX_SIZE} and divisible by 2**(depth + 1) = {2 ** (self.depth + 1)}")
        _require(self.exemplars >= 0 and self.bank_bytes >= 0 and (self.exemplars == 0) == (self.bank_bytes == 0),
                 "mouth.exemplars", (self.exemplars, self.bank_bytes), "with bank_bytes, both 0 or both positive")
        _require(0 <= self.smile_teeth < 1, "mouth.smile_teeth", self.smile_teeth, "a share from 0 (off) up to 1")
        for name, most in (("shift_limit", 2), ("soften_limit", 1)):
            value = getattr(self, name)
            _require(math.isfinite(value) and 0 < value <= most, f"mouth.{name}", value, f"a number above 0, at most {most}")
        _require(self.bank_size == 0 or (self.size <= self.bank_size <= MOUTH_MAX_SIZE and self.bank_size % self.size == 0),
                 "mouth.bank_size", self.bank_size, f"0, or a multiple of mouth.size ({self.size}) up to {MOUTH_MAX_SIZE}")
        for name in ("width", "max_width", "depth", "steps", "batch_size"):
            _require(getattr(self, name) >= 1, f"mouth.{name}", getattr(self, name), "a positive whole number")
        _require(math.isfinite(self.box_scale) and self.box_scale > 0, "mouth.box_scale", self.box_scale,
                 "a positive number")
        for f in dataclasses.fields(self):
            if f.name.startswith(("w_", "lr")):
                value = getattr(self, f.name)
                _require(math.isfinite(value) and value >= 0, f"mouth.{f.name}", value, "a number >= 0")


def _require(ok: bool, name: str, value: Any, what: str) -> None:
    """A config value out of range is the user's to fix: say which, what it was, what it must be."""
    if not ok:
        raise ValueError(f"{name}={value!r} is not valid: it must be {what}")


def to_dict(cfg: Any) -> dict[str, Any]:
    """A config as a plain dict (for JSON and checkpoints)."""
    return dataclasses.asdict(cfg)


def from_dict(cls: type[T], values: dict[str, Any]) -> T:
    """Build a config from a dict (JSON, a checkpoint), each value's type checked (`config_check`),
    unknown keys refused, with a message naming the field."""
    return cls(**check_values(cls, values))


def apply_overrides(cfg: T, overrides: list[str]) -> T:
    """Apply `key=value` strings (from `--set`) to a config, casting to the field's type."""
    return dataclasses.replace(cfg, **override_values(type(cfg), overrides))


def override_values(cls: type, overrides: list[str]) -> dict[str, Any]:
    """{field: value} from `key=value` strings (from `--set`), each cast to the field's type, the
    combination not yet checked (a config file and `--set` are checked together, not one by one)."""
    defaults = cls()
    section = section_name(cls)
    types = {f.name: f.type for f in dataclasses.fields(cls)}
    changes: dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set expects key=value, got {item!r}")
        old, raw = item.split("=", 1)
        renamed = current_names(section, {old: raw})     # an old name still works; a retired one says why
        if not renamed:
            continue
        key = next(iter(renamed))
        if key not in types:
            raise ValueError(f"{cls.__name__} has no field {key!r}: valid are {', '.join(sorted(types))}")
        changes[key] = parse_field(section, key, getattr(defaults, key), raw)
    if "seed" in changes:
        check_seed(changes["seed"], f"{section}.seed")
    return changes


def load_json_config(path: str | Path) -> dict[str, Any]:
    """Read a JSON config file: {"model": {...}, "train": {...}, "data": {...}}."""
    path = Path(path)
    try:
        return loads_bounded(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: config file not found; pass an existing JSON file to --config") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err.msg} at line {err.lineno}); fix the file or drop --config") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a JSON file (not UTF-8 text); fix the file or drop --config") from None
    except ValueError as err:       # nested deeper than any config (`json_values.MAX_DEPTH`)
        raise ValueError(f"{path}: {err}; fix the file or drop --config") from None
