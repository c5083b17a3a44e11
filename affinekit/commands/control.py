"""`affinekit generate`'s control of the expression: --mix, --curve, --like, --layers.

Every option is checked before the model loads, and a bad value gets one line that
names the option: an unknown expression or a weight that is not a number in --mix,
an empty mixture, an unknown curve, a --like photo that is missing or has no face.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.errors import AffinekitError
from affinekit.generate.aligned import AlignedFace, PhotoIn, read_face_photo
from affinekit.generate.checks import MAX_INTENSITY, check_mixture_total, requested_expression
from affinekit.generate.curves import check_curve, intensity_curve
from affinekit.generate.layers import is_layer_file, write_layers
from affinekit.generate.mixtures import mixture_weights, parse_mix
from affinekit.generate.reference import infer_mixture
from affinekit.io.clashes import refuse_clashes, refuse_inside
from affinekit.io.destinations import writable_folder
from affinekit.io.output_folder import check_replaceable
from affinekit.io.photos import MAX_SIDE


@dataclass
class Control:
    """The checked control options of one `generate` run."""
    curve: str = "linear"
    mix: dict[str, float] | None = None
    like: str | None = None
    like_photo: PhotoIn | None = None      # read once, here; aligned once, by `like_expression`
    layers: Path | None = None


def read_control(args: Any, expression: str, batch: bool, max_side: int | None = None) -> Control:
    """The control options of `args`, checked (one line naming the option when one is wrong)."""
    control = Control(curve=check_curve(args.curve, "--curve"))
    mix, like, layers = args.mix, args.like, args.layers
    if mix is not None:
        if getattr(args, "expression", None) is not None:
            raise AffinekitError("--mix and --expression both choose the expression; give one of them")
        control.mix = parse_mix(mix, "--mix")
        check_mixture_total(mixture_weights(control.mix, "--mix"), args.intensity, "--mix")
    one_clip = [name for name, value in (("--mix", mix), ("--like", like), ("--layers", layers)) if value is not None]
    if batch and one_clip:
        raise AffinekitError(f"{one_clip[0]} works on one photo; give a single photo (without --out-dir)")
    if mix is not None and like is not None:
        raise AffinekitError("--mix and --like both choose the expression; give one of them")
    if expression == "all" and one_clip:
        raise AffinekitError(f"{one_clip[0]} makes one clip; drop --expression all")
    if like is not None:
        try:
            control.like_photo = read_face_photo(like, f"--like {like}", max_side or MAX_SIDE)
        except AffinekitError as err:
            raise AffinekitError(str(err) if str(err).startswith("--like") else f"--like: {err}") from None
        control.like = like
    if layers is not None:
        if args.crop_only:
            raise AffinekitError("--layers writes the full frame's layers; drop --crop-only")
        control.layers = writable_folder(layers, "--layers")
        check_replaceable(control.layers, is_layer_file, "--layers")
        refuse_inside(control.layers, "--layers", [("the photo", p) for p in (args.photo or [])] +
                      [("--out", args.out), ("--like", like), ("--checkpoint", args.checkpoint)])
    if like is not None:
        refuse_clashes({"--out": args.out}, {"the --like photo": like})
    return control


def like_expression(animator: Any, face: AlignedFace, control: Control, intensity: float
                    ) -> tuple[dict[str, float], float]:
    """The mixture and intensity the --like face shows, seen from `face` (aligned already); printed.

    --intensity scales the inferred intensity (1, the default: as far as the reference)."""
    other = animator.align(control.like_photo)
    inferred = infer_mixture(animator.generator, face.network_crop, other.network_crop)
    if inferred.intensity <= 0:
        raise AffinekitError(f"--like {control.like}: its face projects onto no expression's direction "
                             "(it looks neutral to the model); give a photo showing an expression")
    print(f"--like {control.like}: inferred {inferred}")
    return inferred.mixture(), min(inferred.intensity * float(intensity), MAX_INTENSITY)


def write_clip_layers(animator: Any, control: Control, expression: Any, frames: np.ndarray, intensity: float) -> None:
    """--layers: the field, mask, residual and frame of every frame of the clip just made."""
    lam = intensity_curve(control.curve, len(frames), intensity)
    info = write_layers(control.layers, animator.generator, animator.last_aligned, requested_expression(expression),
                        lam, frames, mouth=animator.mouth)
    share = info["synthesised_share_mean"]
    print(f"wrote {info['frames']} frames of layers to {control.layers}: on average {share['of_crop']:.1%} of the "
          f"face crop ({share['of_photo']:.1%} of the frame) synthesised rather than warped")
