"""Timing curves: the intensity of each frame of a clip.

A clip is the photo's codes moved along an expression's direction; the curve
says how far at each frame (1 = the apex, the chosen `intensity` at the top):

- linear          0 to the intensity in even steps (the kit's original clip);
- ease            the same path, slow at both ends (smoothstep), like a real expression's onset;
- apex-hold       eases up over the first 60% of the frames, then holds the apex;
- there-and-back  neutral -> apex -> neutral, a raised cosine over one period.
                  The last frame is one step short of neutral, so a looping GIF
                  or MP4 goes straight from it to the first frame (neutral) with
                  no repeated frame and no jump: the clip loops cleanly. (With an
                  odd number of frames the apex falls between two frames; both
                  are scaled to it, so the clip still reaches the intensity.)

Every curve starts at intensity 0 (the photo itself), which also lets the motion
head reuse its l = 0 code (`Generator.decode_motion`).
"""
from __future__ import annotations

import torch

from affinekit.errors import AffinekitError

CURVES = ("linear", "ease", "apex-hold", "there-and-back")
RISE = 0.6          # apex-hold: share of the clip spent rising to the apex
LOOPING = ("there-and-back",)


def _smoothstep(t: torch.Tensor) -> torch.Tensor:
    t = t.clamp(0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def check_curve(curve: str, option: str = "--curve") -> str:
    """The curve's name, or one line naming the option and the curves there are."""
    name = str(curve).strip().lower()
    if name not in CURVES:
        raise AffinekitError(f"{option}: unknown timing curve {curve!r}; use one of {', '.join(CURVES)}")
    return name


def intensity_curve(curve: str, frames: int, intensity: float) -> torch.Tensor:
    """(frames,) float32 intensities of a clip, starting at 0 (see the module's list of curves)."""
    name = check_curve(curve, "curve")
    top = float(intensity)
    if frames == 1:                                  # one frame is the apex (a ramp would give the photo)
        return torch.tensor([top])
    if name == "linear":
        return torch.linspace(0.0, top, frames)     # exactly what the kit always made
    if name == "there-and-back":
        phase = torch.arange(frames, dtype=torch.float64) / frames
        wave = 0.5 * (1.0 - torch.cos(2.0 * torch.pi * phase))
        return (top * wave / wave.max()).float()        # an odd count holds the apex for two frames
    t = torch.linspace(0.0, 1.0, frames, dtype=torch.float64)
    if name == "apex-hold":
        t = t / RISE
    return (top * _smoothstep(t)).float()


def loops(curve: str) -> bool:
    """Whether a clip with this curve returns to neutral, so that it may play in a loop."""
    return check_curve(curve, "curve") in LOOPING

