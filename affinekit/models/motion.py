"""The motion head's geometry: backward warps, fields sampled at points, the crop's border window.

A frame of the motion head is

    frame = (1 - A) * warp(x0, F) + A * R

where F is a dense *backward* displacement field: the output pixel p takes its
value from x0 at p + F(p). Fields are in normalised coordinates ([-1, 1] across
the image, x then y, `grid_sample`'s convention with align_corners=False), so
one field applies to the same face at any resolution: the 64 px crop the
network sees, the 128 px crop evaluation scores, or the photo itself.

Pixel coordinates (landmarks, OpenCV) put the centre of pixel i at i; in
normalised units that centre is (2i + 1) / size - 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

# Fraction of the crop, at each edge, over which the field and mask fade to
# zero: beyond the crop the photo must not move, so the crop's edge must not either.
BORDER = 0.08


@dataclass
class Motion:
    """The motion head's raw output for a batch of clips, at the network's resolution."""
    flow: torch.Tensor       # (B, T, 2, h, w) backward displacement, normalised units
    mask: torch.Tensor       # (B, T, 1, h, w) in [0, 1]: where the residual replaces the warp
    residual: torch.Tensor   # (B, T, C, h, w) in [-1, 1]: what a warp cannot show
    correction: torch.Tensor | None = None  # (B, T, 2, h, w) the learned part of `flow` (the rest is the prior)


def pixels_to_normalised(points: torch.Tensor, size: int) -> torch.Tensor:
    """Pixel coordinates (..., 2) of a size x size image -> normalised coordinates."""
    return (2.0 * points + 1.0) / size - 1.0


def normalised_to_pixels(points: torch.Tensor, size: int) -> torch.Tensor:
    """Normalised coordinates (..., 2) -> pixel coordinates of a size x size image (`pixels_to_normalised`'s inverse)."""
    return ((points + 1.0) * size - 1.0) / 2.0


def identity_grid(h: int, w: int, device: torch.device | None = None,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(1, h, w, 2) normalised coordinates of every pixel centre (x, y)."""
    ys = (2.0 * torch.arange(h, device=device, dtype=dtype) + 1.0) / h - 1.0
    xs = (2.0 * torch.arange(w, device=device, dtype=dtype) + 1.0) / w - 1.0
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], -1)[None]


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward warp: image (N, C, H, W) sampled at p + flow(p); flow (N, 2, h, w), resized to H x W.

    A zero field returns the image exactly (the grid hits every pixel centre).
    """
    n, _, h, w = image.shape
    if flow.shape[-2:] != (h, w):
        flow = F.interpolate(flow, size=(h, w), mode="bilinear", align_corners=False)
    grid = identity_grid(h, w, image.device, image.dtype) + flow.permute(0, 2, 3, 1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)


def sample_at(field: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Values of field (N, C, h, w) at normalised points (N, P, 2): (N, P, C), bilinear."""
    out = F.grid_sample(field, points[:, None], mode="bilinear", padding_mode="border", align_corners=False)
    return out[:, :, 0].transpose(1, 2)


def smooth_box(size: int, x: tuple[float, float], y: tuple[float, float], border: float = BORDER) -> torch.Tensor:
    """(1, 1, size, size) weights: 0 outside the box x[0]-x[1], y[0]-y[1] (fractions of the side), rising
    smoothly over `border` inside its edges to 1 (made on the CPU, like every buffer before `.to(device)`:
    also under torch's "meta" device, where `weights.checkpoint` builds a generator to compare shapes,
    and where arange would cost seconds of first-use set-up)."""
    t = (torch.arange(size, dtype=torch.float32, device="cpu") + 0.5) / size

    def ramp(lo: float, hi: float) -> torch.Tensor:
        r = (torch.minimum(t - lo, hi - t) / border).clamp(0, 1)
        return r * r * (3 - 2 * r)              # smoothstep: no kink where the fade starts

    return (ramp(*y)[:, None] * ramp(*x)[None, :])[None, None]


def border_window(size: int, border: float = BORDER) -> torch.Tensor:
    """(1, 1, size, size) weights: 1 inside, falling smoothly to 0 at the crop's edge."""
    return smooth_box(size, (0.0, 1.0), (0.0, 1.0), border)


# Where the lips of the training items lie in the aligned crop (fractions of its side): 99% of the 20
# lip points of every frame of the CK+, AffineGAN, FRLL, JAFFE, Yale and MEAD training items fall in
# x 0.33-0.67, y 0.63-0.87 (FaceAligner puts the eyes at y 0.40, the nose's base at 0.61). The mouth
# region adds MOUTH_MARGIN on each side, then fades over BORDER.
MOUTH_BOX = (0.33, 0.63, 0.67, 0.87)
MOUTH_MARGIN = 0.05


def mouth_window(size: int, border: float = BORDER) -> torch.Tensor:
    """(1, 1, size, size) weights: 1 over the aligned crop's mouth region (MOUTH_BOX widened by
    MOUTH_MARGIN), falling smoothly to 0 over `border` of the side outside it."""
    x0, y0, x1, y1 = MOUTH_BOX
    reach = MOUTH_MARGIN + border
    return smooth_box(size, (x0 - reach, x1 + reach), (y0 - reach, y1 + reach), border)


def mask_window(size: int, region: str) -> torch.Tensor:
    """(1, 1, size, size): where a motion head's mask may open (`ModelConfig.mask_region`): the whole
    face inside the crop's border ("face") or the mouth's region alone ("mouth"; the rest is warped)."""
    return border_window(size) if region == "face" else mouth_window(size)


def compose(x0: torch.Tensor, motion: Motion) -> torch.Tensor:
    """Frames (B, T, C, H, W) of clips from x0 (B, C, H, W) at any size: (1 - A) warp(x0, F) + A R.

    The field, mask and residual are resized from the network's resolution to x0's.
    """
    B, T = motion.flow.shape[:2]
    H, W = x0.shape[-2:]
    x = x0.unsqueeze(1).expand(-1, T, -1, -1, -1).flatten(0, 1)
    warped = warp(x, motion.flow.flatten(0, 1))
    mask, residual = motion.mask.flatten(0, 1), motion.residual.flatten(0, 1)
    if mask.shape[-2:] != (H, W):
        mask = F.interpolate(mask, size=(H, W), mode="bilinear", align_corners=False)
        residual = F.interpolate(residual, size=(H, W), mode="bilinear", align_corners=False)
    if residual.shape[1] != x.shape[1]:
        # a grayscale model's residual on a colour input: the same value in every channel
        residual = residual.mean(1, keepdim=True).expand_as(x)
    out = (1 - mask) * warped + mask * residual
    return out.view(B, T, *out.shape[1:])


def field_smoothness(flow: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of neighbouring field vectors, in pixels of the field's grid."""
    h, w = flow.shape[-2:]
    scale = torch.tensor([w / 2.0, h / 2.0], device=flow.device, dtype=flow.dtype).view(2, 1, 1)
    px = flow * scale
    dx = (px[..., :, 1:] - px[..., :, :-1]).abs().mean()
    dy = (px[..., 1:, :] - px[..., :-1, :]).abs().mean()
    return dx + dy


def strength_change(flow: torch.Tensor, learned: torch.Tensor) -> torch.Tensor:
    """How much the learned field changes the prior's strength: the sum over pixels of |learned . prior|
    over the sum of |prior|^2, the prior being flow - learned (any shape (..., 2, h, w)). 0 when the
    learned part only bends the motion sideways; 1 when it cancels (or doubles) the prior everywhere."""
    prior = flow - learned
    along = (learned * prior).sum(-3).abs()
    return along.sum() / (prior ** 2).sum().clamp(min=1e-12)


def landmark_error(flow: torch.Tensor, landmarks_t: torch.Tensor, landmarks_0: torch.Tensor,
                   size: int) -> torch.Tensor:
    """Mean distance (pixels of a size x size crop) between where the field sends frame t's
    landmarks and where they are in x0.

    flow (N, 2, h, w); landmarks_t, landmarks_0 (N, 68, 2) in pixels of the size x size crop.
    A backward field maps each output point p to its source p + F(p); for a real
    frame that source must be the same landmark in x0.
    """
    pt = pixels_to_normalised(landmarks_t, size)
    p0 = pixels_to_normalised(landmarks_0, size)
    moved = pt + sample_at(flow, pt)
    return ((moved - p0) * (size / 2.0)).norm(dim=-1).mean()
