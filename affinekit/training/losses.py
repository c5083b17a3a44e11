"""Losses: the adversarial loss (BCE or least squares), L1, and the generator's terms with their weights.

The paper compares a BCE GAN loss with a least-squares (MSE) one; both are
written on raw discriminator logits so a discriminator never ends in a sigmoid
(BCEWithLogits is the numerically stable form of BCE).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from affinekit.config import TrainConfig
from affinekit.io.images import tensor_channels

GAN_LOSSES = ("bce", "lsgan")
# A discriminator's loss on real (or on fake) samples when it cannot tell them apart and
# answers 0.5 for everything: BCE -ln(0.5) = ln 2; least squares (0.5 - 1)^2 = (0.5 - 0)^2.
GAN_CHANCE = {"bce": 0.6931471805599453, "lsgan": 0.25}
# Each term of the generator's loss, by its name in the log: the TrainConfig weight that scales it
# and what it asks of the generator. The trainer weighs the terms through this table (`weighted`).
GENERATOR_TERMS: dict[str, tuple[str, str]] = {
    "G_frame": ("w_frame", "fool the frame PatchGAN"),
    "G_lip": ("w_lip", "fool the lip discriminator"),
    "G_lambda": ("w_lambda", "inferred intensities look uniform to the intensity discriminator"),
    "G_apex": ("w_apex", "the generated apex fools the apex discriminator (unpaired real apex faces)"),
    "G_expression": ("w_expression", "a classifier of the same real apex faces reads the generated apex (its "
                                     "warp alone, by default: `train.expression_reads`) as the requested "
                                     "expression (StarGAN's classification term); with `train.expression_fakes` "
                                     "it also learns generated apexes as no expression"),
    "G_L1": ("w_l1", "mean absolute difference from the real frames, decoded at the driving intensities"),
    "G_rec": ("w_rec", "l = 0 gives x0 back (zero by construction for the motion head)"),
    "G_sup": ("w_lambda_sup", "inferred intensity vs frame position (an anchor; the paper has none)"),
    "G_landmark": ("w_landmark", "motion head: the field at the driving l carries frame t's landmarks back to "
                                 "x0's (pixels); through l it supervises the intensity too"),
    "G_smooth": ("w_smooth", "motion head: roughness of the learned field"),
    "G_keep": ("w_keep", "motion head: how much the learned field changes the prior's strength (its part "
                         "along the prior, either way): the prior sets the strength, the learned field bends it"),
    "G_mask": ("w_mask", "motion head: mean mask (paint little)"),
}


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


def frame_losses(rec: torch.Tensor, fake: torch.Tensor, lam: torch.Tensor, x0: torch.Tensor,
                 targets: torch.Tensor, positions: torch.Tensor, gray: torch.Tensor | None = None,
                 ) -> dict[str, torch.Tensor]:
    """The generator's terms measured against the real frames (no discriminator), from `GeneratorStep`'s
    outputs: G_L1 (the K frames (B, K, C, H, W) against the targets), G_rec (the frame at l = 0 against
    x0) and G_sup (the inferred intensities (B, K) against the frames' positions). `gray` (B,) marks
    grey items, compared on luma alone (None: none)."""
    if gray is None:
        gray = torch.zeros(len(x0), dtype=torch.bool, device=x0.device)
    return {"G_L1": l1_luma_where_gray(fake, targets, gray), "G_rec": l1_luma_where_gray(rec, x0, gray),
            "G_sup": F.mse_loss(lam, positions)}


def weighted(terms: dict[str, torch.Tensor], cfg: TrainConfig) -> dict[str, torch.Tensor]:
    """Each generator term times its weight in `cfg` (GENERATOR_TERMS); their sum is G's loss."""
    return {name: getattr(cfg, GENERATOR_TERMS[name][0]) * value for name, value in terms.items()}


def gradient_shares(terms: dict[str, torch.Tensor], outputs: Sequence[torch.Tensor]) -> dict[str, float]:
    """{"share_<term>": its part of the generator's gradient}, measured on the generator's raw outputs.

    Everything a loss term can ask of G reaches it through these tensors (the motion head's
    field, mask and residual; the pixel head's frames), so the norm of a term's gradient on
    them says how hard it pulls; the shares add up to 1. Costs one extra backward per term
    through the compositing and the discriminators, not through the U-Net.
    """
    norms = {}
    for name, value in terms.items():
        # a term at exactly 0 (weighted by 0, as G_keep by default, or at its minimum) pulls nothing: every
        # term is a non-negative loss, so no backward is spent on it
        if not value.requires_grad or float(value.detach()) == 0.0:
            norms[name] = 0.0
            continue
        grads = torch.autograd.grad(value, list(outputs), retain_graph=True, allow_unused=True)
        norms[name] = sum(float((g.double() ** 2).sum()) for g in grads if g is not None) ** 0.5
    total = sum(norms.values()) or 1.0
    return {f"share_{name}": v / total for name, v in norms.items()}
