"""The hidden-affine U-Net generator.

Two encoders of the same U-Net shape read the neutral face x0: a base encoder
E_b(x0) and a direction encoder E_d(x0, y) that also sees the label as one-hot
planes. At every skip level and at the bottleneck the decoder receives

    code(l) = E_b(x0) + l * E_d(x0, y)

so l = 0 decodes the base path alone (trained to reproduce x0), l = 1 is the
apex and l > 1 extrapolates. A clip needs one encoding and one batched decode of
all its (sample, intensity) codes.

Speed: codes at full resolution are cheap to make (C -> w0 channels) and the
only full-resolution decoder layer maps to C channels; the expensive layers
run at half resolution and below. GroupNorm rather than BatchNorm keeps every
frame independent of its batch (a clip's frames must not depend on each other).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from affinekit.config import ModelConfig
from affinekit.models.affine import mix_codes, project_intensity

SLOPE = 0.2  # LeakyReLU slope, as in pix2pix's encoder


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

    def __init__(self, out_channels: int, widths: list[int], upsample: str = "transpose"):
        super().__init__()
        depth = len(widths) - 1
        self.ups = nn.ModuleList(
            _up(widths[i] if i == depth else 2 * widths[i], widths[i - 1], upsample)
            for i in range(depth, 0, -1))
        self.out = nn.Conv2d(2 * widths[0], out_channels, 3, 1, 1)

    def forward(self, codes: list[torch.Tensor]) -> torch.Tensor:
        """Codes per level (full resolution first) -> image in [-1, 1]."""
        h = self.ups[0](codes[-1])
        for up, skip in zip(self.ups[1:], reversed(codes[1:-1])):
            h = up(torch.cat([h, skip], 1))
        return torch.tanh(self.out(F.leaky_relu(torch.cat([h, codes[0]], 1), SLOPE)))


class Generator(nn.Module):
    """Hidden-affine generator: `generate(x0, label, intensities) -> (B, T, C, H, W)` in [-1, 1]."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        size = cfg.image_size
        if size % (2 ** cfg.depth) or size // 2 ** cfg.depth < 2:
            raise ValueError(f"model.image_size {size} must be divisible by 2**depth "
                             f"({2 ** cfg.depth}) with a bottleneck of at least 2 pixels")
        self.cfg = cfg
        widths = level_widths(cfg)
        self.base_encoder = Encoder(cfg.channels, widths)
        self.direction_encoder = Encoder(cfg.channels + cfg.num_labels, widths)
        self.decoder = Decoder(cfg.channels, widths, getattr(cfg, "upsample", "transpose"))

    # -- pieces -------------------------------------------------------------
    def _check(self, x: torch.Tensor, name: str) -> None:
        c, s = self.cfg.channels, self.cfg.image_size
        if x.shape[-3:] != (c, s, s):
            raise ValueError(f"{name} has shape {tuple(x.shape)}; this model takes (..., {c}, {s}, {s}) in [-1, 1]")

    def encode(self, x0: torch.Tensor, label: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Base codes E_b(x0) and direction codes E_d(x0, y), one tensor per level."""
        self._check(x0, "x0")
        planes = label_planes(label.to(x0.device), self.cfg.num_labels, x0.shape[-2:])
        return self.base_encoder(x0), self.direction_encoder(torch.cat([x0, planes.to(x0.dtype)], 1))

    def decode(self, base: list[torch.Tensor], direction: list[torch.Tensor],
               intensities: torch.Tensor) -> torch.Tensor:
        """Frames (B, T, C, H, W) for intensities (B, T), all decoded in one batch."""
        B, T = intensities.shape
        out = self.decoder(mix_codes(base, direction, intensities))
        return out.view(B, T, *out.shape[1:])

    # -- public API ---------------------------------------------------------
    def generate(self, x0: torch.Tensor, label: torch.Tensor, intensities: torch.Tensor) -> torch.Tensor:
        """A clip per input: x0 (B,C,H,W), label (B,), intensities (T,) or (B,T) -> (B,T,C,H,W)."""
        intensities = torch.as_tensor(intensities, dtype=x0.dtype, device=x0.device)
        if intensities.dim() == 1:
            intensities = intensities.unsqueeze(0).expand(x0.shape[0], -1)
        base, direction = self.encode(x0, label)
        return self.decode(base, direction, intensities)

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
        return project_intensity(code_t.view(*lead, *code_t.shape[1:]), code_0, direction)
