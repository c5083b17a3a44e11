"""Losses: the adversarial loss (BCE or least squares) and L1.

The paper compares a BCE GAN loss with a least-squares (MSE) one; both are
written on raw discriminator logits so a discriminator never ends in a sigmoid
(BCEWithLogits is the numerically stable form of BCE).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from affinekit.io.images import tensor_channels

GAN_LOSSES = ("bce", "lsgan")
# A discriminator's loss on real (or on fake) samples when it cannot tell them apart and
# answers 0.5 for everything: BCE -ln(0.5) = ln 2; least squares (0.5 - 1)^2 = (0.5 - 0)^2.
GAN_CHANCE = {"bce": 0.6931471805599453, "lsgan": 0.25}


class GANLoss:
    """`GANLoss(mode)(logits, real: bool)`: how far logits are from saying real / fake."""

    def __init__(self, mode: str = "lsgan"):
        if mode not in GAN_LOSSES:
            raise ValueError(f"train.gan_loss must be one of {', '.join(GAN_LOSSES)}, got {mode!r}")
        self.mode = mode

    def __call__(self, logits: torch.Tensor, real: bool) -> torch.Tensor:
        target = torch.full_like(logits, 1.0 if real else 0.0)
        if self.mode == "bce":
            return F.binary_cross_entropy_with_logits(logits, target)
        return F.mse_loss(logits, target)


def discriminator_loss(gan: GANLoss, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss on real, loss on fake) of a discriminator."""
    return gan(real_logits, True), gan(fake_logits, False)


def l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference (G_L1, G_rec)."""
    return (a - b).abs().mean()


def l1_luma_where_gray(fake: torch.Tensor, real: torch.Tensor, gray: torch.Tensor) -> torch.Tensor:
    """L1 of frames (B, ..., C, H, W) with grey items (gray (B,) True) compared on luma alone.

    A grey photo says nothing about colour: comparing a colour output with it channel by
    channel would teach the model to grey everything out. Its luma is what it shows.
    """
    if fake.shape[-3] == 1:
        return l1(fake, real)
    dims = tuple(range(1, fake.dim()))
    full = (fake - real).abs().mean(dims)
    luma = (tensor_channels(fake.flatten(0, -4), 1) - tensor_channels(real.flatten(0, -4), 1)).abs()
    luma = luma.view(fake.shape[0], -1).mean(1)
    return torch.where(gray.to(fake.device).bool(), luma, full).mean()


def gradient_shares(terms: dict[str, torch.Tensor], outputs: Sequence[torch.Tensor]) -> dict[str, float]:
    """{"share_<term>": its part of the generator's gradient}, measured on the generator's raw outputs.

    Everything a loss term can ask of G reaches it through these tensors (the motion head's
    field, mask and residual; the pixel head's frames), so the norm of a term's gradient on
    them says how hard it pulls; the shares add up to 1. Costs one extra backward per term
    through the compositing and the discriminators, not through the U-Net.
    """
    norms = {}
    for name, value in terms.items():
        if not value.requires_grad:
            norms[name] = 0.0
            continue
        grads = torch.autograd.grad(value, list(outputs), retain_graph=True, allow_unused=True)
        norms[name] = sum(float((g.double() ** 2).sum()) for g in grads if g is not None) ** 0.5
    total = sum(norms.values()) or 1.0
    return {f"share_{name}": v / total for name, v in norms.items()}
