"""One training step: the discriminators on real against detached fakes, then the generator.

  1. the generator encodes x0, infers each real target's intensity by projection,
     and decodes the reconstruction (l = 0) and the K targets in one batch
     (`generator_step.GeneratorStep`);
  2. the discriminators (frame PatchGAN `d["patch"]`, lip patch `d["lip"]`,
     intensity spread, and the unpaired apex one when it has faces) step on real
     vs detached fakes;
  3. the generator steps on GAN + lip + L1 + reconstruction (+ intensity, motion)
     losses, each weighted by its `train.w_*` and kept apart so that its share of
     the gradient can be measured.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from affinekit.models.affine import intensity_stats
from affinekit.models.motion import field_smoothness, landmark_error
from affinekit.seeds import step_seed
from affinekit.training.generator_step import frozen
from affinekit.training.losses import discriminator_loss, frame_losses, gradient_shares, weighted

if TYPE_CHECKING:
    from affinekit.training.loop import Trainer


def train_step(trainer: "Trainer", batch: dict[str, Any], step: int) -> dict[str, float]:
    """One discriminator and one generator update of `trainer` on `batch`; returns the step's scalars."""
    cfg, gan, dev, d = trainer.train_cfg, trainer.gan, trainer.device, trainer.d
    x0 = batch["x0"].to(dev).float()
    targets = batch["targets"].to(dev).float()
    positions = batch["positions"].to(dev).float()
    label = batch["label"].to(dev).long()
    masks = batch["masks"].to(dev).float()
    gray = batch["gray"].to(dev) if "gray" in batch else torch.zeros(len(label), dtype=torch.bool, device=dev)
    B, K = positions.shape
    blend = trainer.blend(step)

    rec, fake, lam, flow, mask, correction, outputs = trainer.g_step(x0, label, targets, positions, blend)

    # Pairs (x0, frame, label) for the frame-level discriminators.
    n = B * K
    x0_k = x0.unsqueeze(1).expand_as(targets).flatten(0, 1)
    label_k = label.repeat_interleave(K)
    real_f, fake_f, masks_f = targets.flatten(0, 1), fake.flatten(0, 1), masks.flatten(0, 1)
    draws = torch.Generator().manual_seed(step_seed(cfg.seed, step, 1000 + trainer.dist.rank))
    uniform = torch.rand(n, generator=draws).to(dev)
    # the apex discriminator: each generated apex against a real apex face of another person, same label
    use_apex = trainer.apex_pool is not None and cfg.w_apex > 0
    if use_apex:
        real_apex = trainer.apex_pool.for_step(label, fake.shape[-1], cfg.seed, step, trainer.dist.rank).to(dev)
        fake_apex = fake[:, -1]

    # -- discriminators: real vs detached fake, one forward each (DDP-friendly)
    two = lambda a: torch.cat([a, a])    # noqa: E731
    pred = d["patch"](two(x0_k), torch.cat([real_f, fake_f.detach()]), two(label_k))
    D_real, D_fake = discriminator_loss(gan, pred[:n], pred[n:])
    pred = d["lip"](two(x0_k), torch.cat([real_f, fake_f.detach()]), two(masks_f), two(label_k))
    D_lip = 0.5 * sum(discriminator_loss(gan, pred[:n], pred[n:]))
    pred = d["intensity"](torch.cat([uniform, lam.detach().flatten()]))
    D_lambda = 0.5 * sum(discriminator_loss(gan, pred[:n], pred[n:]))
    loss_d = 0.5 * (D_real + D_fake) + D_lip + D_lambda
    values: dict[str, torch.Tensor] = {}
    if use_apex:
        pred = d["apex"](torch.cat([real_apex, fake_apex.detach()]), two(label))
        D_apex_real, D_apex_fake = discriminator_loss(gan, pred[:B], pred[B:])
        loss_d = loss_d + 0.5 * (D_apex_real + D_apex_fake)
        values.update(D_apex_real=D_apex_real, D_apex_fake=D_apex_fake)
    trainer.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    trainer.opt_d.step()

    # -- generator: each term weighted, kept apart so that its share of the gradient can be measured
    with frozen(d.values()):
        G_GAN = gan(d["patch"](x0_k, fake_f, label_k), True)
        G_lip = gan(d["lip"](x0_k, fake_f, masks_f, label_k), True)
        G_lambda = gan(d["intensity"](lam.flatten()), True)
        G_apex = gan(d["apex"](fake_apex, label), True) if use_apex else None
    g_terms = {"G_GAN": G_GAN, "G_lip": G_lip, "G_lambda": G_lambda,
               **frame_losses(rec, fake, lam, x0, targets, positions, gray)}   # a grey item teaches luma only
    if G_apex is not None:
        g_terms["G_apex"] = G_apex
    if flow is not None:
        # the field at frame t's landmarks must point back to the same landmarks in x0
        lm_t = batch["landmarks"].to(dev).float().flatten(0, 1)
        lm_0 = batch["x0_landmarks"].to(dev).float().repeat_interleave(K, 0)
        g_terms["G_landmark"] = landmark_error(flow.flatten(0, 1), lm_t, lm_0, x0.shape[-1])
        g_terms["G_smooth"] = field_smoothness(correction)   # the prior is smooth already; smooth what is learned
        g_terms["G_mask"] = mask.mean()
    terms = weighted(g_terms, cfg)
    values.update(g_terms, D_real=D_real, D_fake=D_fake, D_lip=D_lip, D_lambda=D_lambda)
    shares = {}
    if cfg.share_every and step % cfg.share_every == 0 and not trainer.dist.enabled:
        shares = gradient_shares(terms, outputs)
    loss_g = sum(terms.values())
    trainer.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    trainer.opt_g.step()

    logs = {k: float(v.detach()) for k, v in values.items()}
    logs.update(shares)
    logs.update(intensity_stats(lam, positions))
    logs["lambda_blend"] = blend
    return logs
