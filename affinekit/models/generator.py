"""The hidden-affine U-Net generator.

Two encoders of the same U-Net shape read the neutral face x0: a base encoder
E_b(x0) and a direction encoder E_d(x0, y) that also sees the label as one-hot
planes. At every skip level and at the bottleneck the decoder receives

    code(l) = E_b(x0) + l * E_d(x0, y)

so l = 0 decodes the base path alone, l = 1 is the apex and l > 1 extrapolates.
A mixture of labels with weights w_i takes sum_i w_i E_d(x0, y_i) as its direction
(`mixed_direction`; `affinekit.generate.mixtures`): every method that takes labels takes weights.
A clip needs one encoding and one batched decode of all its (sample, intensity) codes.

Two output heads read the decoder (`ModelConfig.output`):
- "pixels", the paper's: the decoder draws the frame (tanh), and a reconstruction
  loss teaches l = 0 to give x0 back;
- "motion", the kit's default: per code the decoder gives a backward field F, a
  mask A and a residual R, and the frame is `(1 - A) * warp(x0, F) + A * R`
  (`affinekit.models.motion`). F = l * prior[y] + bound * (tanh(f_l) - tanh(f_0))
  starts from the label's mean landmark motion (`affinekit.models.prior`) and
  A = min(|l|, 1) * sigmoid(a_l): both vanish at l = 0, so l = 0 returns x0 by
  construction, whatever the weights. A warp keeps the face's identity, colour
  and detail; R paints only what a warp cannot show (mouth cavity, teeth).

Speed: codes at full resolution are cheap to make (C -> w0 channels) and the
only full-resolution decoder layer maps to C channels; the expensive layers
run at half resolution and below. GroupNorm rather than BatchNorm keeps every
frame independent of its batch (a clip's frames must not depend on each other).
"""
from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from affinekit.config import ModelConfig
from affinekit.io.images import to_network_size
from affinekit.models.affine import mix_codes, project_intensity
from affinekit.models.motion import Motion, border_window, compose, mask_window

SLOPE = 0.2  # LeakyReLU slope, as in pix2pix's encoder
OUTPUTS = ("motion", "pixels")
MASK_BIAS = -4.0  # the mask starts almost closed (sigmoid(-4) = 0.018): warp first, paint only where needed


def level_widths(cfg: ModelConfig) -> list[int]:
    """Channel width of each U-Net level, full resolution first, bottleneck last."""
    return [min(cfg.base_width * 2 ** i, cfg.max_width) for i in range(cfg.depth + 1)]


def norm(channels: int) -> nn.GroupNorm:
    """GroupNorm with up to 8 groups (instance-norm-like for tiny widths)."""
    groups = 8 if channels % 8 == 0 else 1
    return nn.GroupNorm(groups, channels)


def label_planes(label: torch.Tensor, num_labels: int, size: tuple[int, int]) -> torch.Tensor:
    """One-hot label planes (B, num_labels, H, W) to concatenate to an image."""
    onehot = F.one_hot(label.long(), num_labels).float()
    return onehot[:, :, None, None].expand(-1, -1, *size)


class Encoder(nn.Module):
    """U-Net encoder: a code at full resolution and after each stride-2 stage.

    Codes are normalised pre-activations, so a direction may point either way;
    the next stage (and the decoder) applies the LeakyReLU.
    """

    def __init__(self, in_channels: int, widths: list[int]):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, 1, 1), norm(widths[0]))
        self.downs = nn.ModuleList(
            nn.Sequential(nn.LeakyReLU(SLOPE), nn.Conv2d(cin, cout, 4, 2, 1), norm(cout))
            for cin, cout in zip(widths[:-1], widths[1:]))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        codes = [self.stem(x)]
        for down in self.downs:
            codes.append(down(codes[-1]))
        return codes


def _up(cin: int, cout: int, mode: str) -> nn.Module:
    if mode == "transpose":   # 2.25x cheaper than resize+3x3 conv for the same widths
        conv: nn.Module = nn.ConvTranspose2d(cin, cout, 4, 2, 1)
    elif mode == "resize":    # no checkerboard artefacts, slower
        conv = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1))
    else:
        raise ValueError(f"model.upsample must be 'transpose' or 'resize', got {mode!r}")
    return nn.Sequential(nn.LeakyReLU(SLOPE), conv, norm(cout))


class Decoder(nn.Module):
    """U-Net decoder: bottleneck up to full resolution, concatenating each level's code."""

    def __init__(self, out_channels: int, widths: list[int], upsample: str = "transpose", squash: bool = True):
        super().__init__()
        self.squash = squash
        depth = len(widths) - 1
        self.ups = nn.ModuleList(
            _up(widths[i] if i == depth else 2 * widths[i], widths[i - 1], upsample)
            for i in range(depth, 0, -1))
        self.out = nn.Conv2d(2 * widths[0], out_channels, 3, 1, 1)

    def forward(self, codes: list[torch.Tensor]) -> torch.Tensor:
        """Codes per level (full resolution first) -> image in [-1, 1] (raw maps without `squash`)."""
        h = self.ups[0](codes[-1])
        for up, skip in zip(self.ups[1:], reversed(codes[1:-1])):
            h = up(torch.cat([h, skip], 1))
        out = self.out(F.leaky_relu(torch.cat([h, codes[0]], 1), SLOPE))
        return torch.tanh(out) if self.squash else out


class Generator(nn.Module):
    """Hidden-affine generator: `generate(x0, label, intensities) -> (B, T, C, H, W)` in [-1, 1].

    With the motion head, `motion(...)` gives the field, mask and residual
    themselves, and `generate` accepts x0 at any size (the field is applied at
    x0's resolution; the network reads a copy resized to `image_size`).
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        size = cfg.image_size
        if size % (2 ** cfg.depth) or size // 2 ** cfg.depth < 2:
            raise ValueError(f"model.image_size {size} must be divisible by 2**depth "
                             f"({2 ** cfg.depth}) with a bottleneck of at least 2 pixels")
        if cfg.output not in OUTPUTS:
            raise ValueError(f"model.output must be one of {', '.join(OUTPUTS)}, got {cfg.output!r}")
        self.cfg = cfg
        # the optional high-resolution mouth refiner (`affinekit.models.mouth`), attached after the
        # generator is trained and saved beside its weights; None: frames stop at the motion composite
        self.mouth: nn.Module | None = None
        widths = level_widths(cfg)
        self.base_encoder = Encoder(cfg.channels, widths)
        self.direction_encoder = Encoder(cfg.channels + cfg.num_labels, widths)
        if cfg.output == "pixels":
            self.decoder = Decoder(cfg.channels, widths, cfg.upsample)
        else:
            # channels: field (2), mask (1), residual (C)
            self.decoder = Decoder(3 + cfg.channels, widths, cfg.upsample, squash=False)
            self._close_learned_field()      # the learned field starts at zero (the motion is the prior's)
            self.register_buffer("prior", torch.zeros(cfg.num_labels, 2, size, size))
            self.register_buffer("window", border_window(size), persistent=False)
            self.register_buffer("mask_window", mask_window(size, cfg.mask_region), persistent=False)

    @torch.no_grad()
    def _close_learned_field(self, mask_weights: bool = False, field: bool = True) -> None:
        """The decoder's field outputs at zero (unless not `field`) and its mask nearly closed
        (sigmoid(MASK_BIAS)), with `mask_weights` entirely closed: weights at zero, bias far below."""
        out = self.decoder.out
        if field:
            out.weight[:2].zero_()
            out.bias[:2].zero_()
        out.bias[2] = MASK_BIAS
        if mask_weights:
            out.weight[2].zero_()
            out.bias[2] = -30.0

    def prior_alone(self, learned: bool = False) -> "Generator":
        """A copy that only warps by l times the prior (with `learned`, by its whole field, prior and
        learned part), its mask shut (so no residual), no mouth stage. What the trained
        parts add is this model's output against the copy's."""
        if not self.moves:
            raise ValueError("this generator draws pixels (model.output='pixels'); it has no motion prior")
        alone = copy.deepcopy(self)
        alone.mouth = None
        alone._close_learned_field(mask_weights=True, field=not learned)
        return alone.eval()

    @property
    def moves(self) -> bool:
        """True for the motion head (the frame is x0 warped), False for the paper's pixel head."""
        return self.cfg.output == "motion"

    @property
    def bottleneck_only(self) -> bool:
        """True when l * direction joins the bottleneck alone (`model.mixing=bottleneck`)."""
        return getattr(self.cfg, "mixing", "every_level") == "bottleneck"

    # -- pieces -------------------------------------------------------------
    def _check(self, x: torch.Tensor, name: str) -> None:
        c, s = self.cfg.channels, self.cfg.image_size
        if x.shape[-3:] != (c, s, s):
            raise ValueError(f"{name} has shape {tuple(x.shape)}; this model takes (..., {c}, {s}, {s}) in [-1, 1]")

    def encode(self, x0: torch.Tensor, label: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Base codes E_b(x0) and direction codes E_d(x0, y), one tensor per level.

        label: (B,) integer labels, or (B, num_labels) float weights of a mixture
        (`mixed_direction`)."""
        self._check(x0, "x0")
        if label.is_floating_point():
            return self.base_encoder(x0), self.mixed_direction(x0, label.to(x0.device))
        planes = label_planes(label.to(x0.device), self.cfg.num_labels, x0.shape[-2:])
        return self.base_encoder(x0), self.direction_encoder(torch.cat([x0, planes.to(x0.dtype)], 1))

    def mixed_direction(self, x0: torch.Tensor, weights: torch.Tensor) -> list[torch.Tensor]:
        """Direction codes of a mixture, sum_i w_i E_d(x0, y_i) per level; weights (B, num_labels).

        Each label with a weight is encoded as a plain label is (same batch shape), so a
        weight vector with a single 1 gives exactly that label's codes."""
        B = x0.shape[0]
        mixed: list[torch.Tensor] | None = None
        for y in (weights != 0).any(0).nonzero().flatten().tolist():
            label = torch.full((B,), y, dtype=torch.long, device=x0.device)
            planes = label_planes(label, self.cfg.num_labels, x0.shape[-2:]).to(x0.dtype)
            codes = self.direction_encoder(torch.cat([x0, planes], 1))
            w = weights[:, y].to(x0.dtype).view(B, 1, 1, 1)
            mixed = [w * c for c in codes] if mixed is None else [m + w * c for m, c in zip(mixed, codes)]
        if mixed is None:                   # no weight anywhere: no direction, every frame is x0
            mixed = [torch.zeros_like(c) for c in self.base_encoder(x0)]
        return mixed

    def label_prior(self, label: torch.Tensor) -> torch.Tensor:
        """The motion prior (B, 2, H, W) of integer labels (B,), or of mixtures (B, num_labels): the
        weighted sum of the labels' prior fields, with the same weights as the direction codes."""
        if label.is_floating_point():
            return torch.einsum("bl,lchw->bchw", label.to(self.prior.dtype), self.prior)
        return self.prior[label.long()]

    def decode_pixels(self, base: list[torch.Tensor], direction: list[torch.Tensor],
                      intensities: torch.Tensor) -> torch.Tensor:
        """The pixel head's frames (B, T, C, H, W) for intensities (B, T), all decoded in one batch."""
        B, T = intensities.shape
        out = self.decoder(mix_codes(base, direction, intensities, self.bottleneck_only))
        return out.view(B, T, *out.shape[1:])

    def decode_motion(self, base: list[torch.Tensor], direction: list[torch.Tensor], intensities: torch.Tensor,
                      label: torch.Tensor) -> Motion:
        """The motion head's field, mask and residual for intensities (B, T), in one batched decode.

        The field's learned part is measured from the l = 0 code; a clip that
        starts at l = 0 (as every clip and training step does) reuses that code.
        """
        B, T = intensities.shape
        starts_at_zero = bool((intensities[:, 0] == 0).all())
        levels = intensities if starts_at_zero else torch.cat([torch.zeros_like(intensities[:, :1]), intensities], 1)
        raw = self.decoder(mix_codes(base, direction, levels, self.bottleneck_only))
        raw = raw.view(B, levels.shape[1], *raw.shape[1:])
        l = levels.view(B, -1, 1, 1, 1)
        bend = torch.tanh(raw[:, :, :2])
        learned = self.window * self.cfg.motion_range * (bend - bend[:, :1])
        flow = self.window * l * self.label_prior(label).unsqueeze(1) + learned
        mask = self.mask_window * l.abs().clamp(max=1.0) * torch.sigmoid(raw[:, :, 2:3])
        residual = torch.tanh(raw[:, :, 3:])
        keep = slice(0, None) if starts_at_zero else slice(1, None)
        return Motion(flow[:, keep], mask[:, keep], residual[:, keep], learned[:, keep])

    def _inputs(self, x0: torch.Tensor, intensities: torch.Tensor | float) -> tuple[torch.Tensor, torch.Tensor]:
        """(x0 at the network's size, intensities (B, T))."""
        intensities = torch.as_tensor(intensities, dtype=x0.dtype, device=x0.device)
        if intensities.dim() == 1:
            intensities = intensities.unsqueeze(0).expand(x0.shape[0], -1)
        size = self.cfg.image_size
        return (to_network_size(x0, size) if self.moves else x0), intensities

    # -- public API ---------------------------------------------------------
    def motion(self, x0: torch.Tensor, label: torch.Tensor, intensities: torch.Tensor) -> Motion:
        """The motion head's field, mask and residual at the network's resolution, for x0 at any size.

        label: (B,) integer labels or (B, num_labels) mixture weights (as every public method)."""
        if not self.moves:
            raise ValueError("this generator draws pixels (model.output='pixels'); it has no motion field")
        small, intensities = self._inputs(x0, intensities)
        base, direction = self.encode(small, label)
        return self.decode_motion(base, direction, intensities, label.to(x0.device))

    def generate(self, x0: torch.Tensor, label: torch.Tensor, intensities: torch.Tensor) -> torch.Tensor:
        """A clip per input: x0 (B,C,H,W), label (B,), intensities (T,) or (B,T) -> (B,T,C,H,W).

        The motion head takes x0 at any size and returns frames at that size.
        """
        if self.moves:
            return compose(x0, self.motion(x0, label, intensities))
        small, intensities = self._inputs(x0, intensities)
        base, direction = self.encode(small, label)
        return self.decode_pixels(base, direction, intensities)

    def forward(self, x0: torch.Tensor, label: torch.Tensor, intensity: torch.Tensor | float) -> torch.Tensor:
        """One frame per input at its intensity (B,) (or one float for all): (B,C,H,W)."""
        intensity = torch.as_tensor(intensity, dtype=x0.dtype, device=x0.device)
        intensity = intensity.expand(x0.shape[0]) if intensity.dim() == 0 else intensity
        return self.generate(x0, label, intensity.unsqueeze(1))[:, 0]

    def infer_intensity(self, x_t: torch.Tensor, x0: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Intensity of real frames x_t (B,C,H,W) -> (B,) or (B,K,C,H,W) -> (B,K) given their neutral x0."""
        self._check(x_t, "x_t")
        base0, direction = self.encode(x0, label)
        return self.project(x_t, base0[-1], direction[-1])

    def project(self, x_t: torch.Tensor, code_0: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
        """Intensities of frames x_t given already computed bottleneck codes of x0 (saves an encoding)."""
        lead = x_t.shape[:-3]
        code_t = self.base_encoder(x_t.reshape(-1, *x_t.shape[-3:]))[-1]
        return project_intensity(code_t.view(*lead, *code_t.shape[1:]), code_0, direction,
                                 official=getattr(self.cfg, "projection", "signed") == "official")
