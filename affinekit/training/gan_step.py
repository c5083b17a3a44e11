"""One training step of the hidden-affine GAN, in one object: `GANStep.step(batch, step) -> logs`.

`GANStep` owns what a step changes: the generator, the four discriminators and the expression
classifier (DDP-wrapped under torchrun), their optimizers, the GAN loss, the apex pool and the
warm-up blend; `training.loop.Trainer` owns the loop around it. A step: (1) the generator encodes x0,
infers each real target's intensity by projection, and decodes l = 0 and the K targets in one batch
(`GeneratorStep`, one forward for DDP); (2) the discriminators (`d["frame"]`, `d["lip"]`,
`d["intensity"]`, with apex faces `d["apex"]` and, weighted, `d["expression"]`) step on real vs
detached fakes; (3) the generator steps on its terms (`losses.GENERATOR_TERMS`), each weighted by
its `train.w_*` and kept apart so that its share of the gradient can be measured.
"""
from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

from affinekit.config import ModelConfig, TrainConfig
from affinekit.models.affine import intensity_stats
from affinekit.models.discriminators import build_discriminators, current_keys
from affinekit.models.generator import Generator
from affinekit.models.motion import compose, field_smoothness, landmark_error, strength_change
from affinekit.seeds import step_seed
from affinekit.training.expression_term import (classifier_loss, expression_input, expression_logits,
                                                 warm_classifier)
from affinekit.training.losses import GANLoss, discriminator_loss, frame_losses, gradient_shares, weighted
from affinekit.training.runtime import DistInfo, frozen
from affinekit.weights.warm_start import warm_start


class GeneratorStep(nn.Module):
    """Everything the generator computes in a step, as a single forward for DDP.

    DDP synchronises gradients of one forward per backward, so the encodings,
    the intensity inference and the decode live in one call. The intensities that
    drive the generator are clamped to `lambda_range` (`train.lambda_range`).
    """

    def __init__(self, generator: Generator, lambda_range: tuple[float, float] = TrainConfig.lambda_range):
        super().__init__()
        self.generator = generator
        self.lambda_range = tuple(lambda_range)

    def forward(self, x0: torch.Tensor, label: torch.Tensor, targets: torch.Tensor, positions: torch.Tensor,
                blend: float) -> tuple[torch.Tensor, ...]:
        """(frame at l = 0, frames at the targets' intensities, the intensities, for the motion head
        the targets' fields, masks and learned field corrections (else None), and the raw outputs
        every loss reaches G through (the gradient shares are measured on them))."""
        g = self.generator
        base, direction = g.encode(x0, label)
        lam = g.project(targets, base[-1], direction[-1])            # (B, K), inferred intensities
        # Early on the projection is noise, so G is driven by the known position
        # t/(T-1) and hands over to the inferred intensity as `blend` goes 1 -> 0.
        # The gradient through lam is kept: it is how the encoders learn a
        # direction whose projection explains the real frames.
        # The official code drives G with float(alpha): no gradient reaches the projection that way.
        official = g.cfg.projection == "official"
        drive = (blend * positions + (1.0 - blend) * (lam.detach() if official else lam)).clamp(*self.lambda_range)
        levels = torch.cat([torch.zeros_like(drive[:, :1]), drive], 1)
        if not g.moves:
            frames = g.decode_pixels(base, direction, levels)
            return frames[:, 0], frames[:, 1:], lam, None, None, None, (frames,)
        motion = g.decode_motion(base, direction, levels, label)
        frames = compose(x0, motion)
        return (frames[:, 0], frames[:, 1:], lam, motion.flow[:, 1:], motion.mask[:, 1:], motion.correction[:, 1:],
                (motion.flow, motion.mask, motion.residual))


class GANStep:
    """The generator, the discriminators, their optimizers and loss: one D and one G update per `step`.

    `apex_pool`: real apex faces (`data.apex.ApexPool`), or None for no apex discriminator.
    The weights start from `train_cfg.seed` (the same on every rank) without touching the
    caller's global random stream, or from `train_cfg.init_from`. With `train.average_decay` > 0,
    `average` is a running average of the generator's weights (`in_use` is then the average: what is
    scored, sampled and exported); it starts as a copy of the weights at step 0.
    """

    def __init__(self, model_cfg: ModelConfig, train_cfg: TrainConfig, device: torch.device,
                 dist: DistInfo | None = None, apex_pool: Any = None):
        self.cfg, self.device, self.dist = train_cfg, device, dist or DistInfo()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(train_cfg.seed)
            self.generator = Generator(model_cfg).to(device)
            self.discriminators = build_discriminators(model_cfg).to(device)
        if train_cfg.init_from:
            warm_start(self.generator, train_cfg.init_from)
        self.average: Generator | None = None
        if train_cfg.average_decay > 0:
            self.average = copy.deepcopy(self.generator).requires_grad_(False)
        betas = (train_cfg.beta1, 0.999)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=train_cfg.lr_g, betas=betas)
        # the expression classifier has its own optimiser, so that runs from before it resume their opt_d as saved
        judges = [p for name, m in self.discriminators.items() if name != "expression" for p in m.parameters()]
        self.opt_d = torch.optim.Adam(judges, lr=train_cfg.lr_d, betas=betas)
        self.opt_expression = torch.optim.Adam(self.discriminators["expression"].parameters(), train_cfg.lr_d, betas)
        self.gan = GANLoss(train_cfg.gan_loss)
        self.apex_pool = apex_pool

        g_step: nn.Module = GeneratorStep(self.generator, train_cfg.lambda_range)
        d = {name: m for name, m in self.discriminators.items()}
        if self.dist.enabled:
            ids = [device.index] if device.type == "cuda" else None
            g_step = DDP(g_step, device_ids=ids)
            d = {name: DDP(m, device_ids=ids) for name, m in d.items()}
        self.g_step, self.d = g_step, d

    @property
    def in_use(self) -> Generator:
        """The generator that is scored, sampled and exported: the weight average when there is one."""
        return self.average if self.average is not None else self.generator

    def set_prior(self, prior: torch.Tensor) -> None:
        """The motion head's starting field, in the trained generator and its average alike."""
        for g in (self.generator, self.average):
            if g is not None:
                g.prior.copy_(prior)

    @torch.no_grad()
    def update_average(self) -> None:
        """p_avg <- d p_avg + (1 - d) p for every weight. The buffers (the prior) are not trained: `set_prior`
        writes both generators, a checkpoint restores both."""
        if self.average is None:
            return
        for avg, p in zip(self.average.parameters(), self.generator.parameters()):
            avg.lerp_(p, 1.0 - self.cfg.average_decay)

    @property
    def uses_apex(self) -> bool:
        """Whether the apex discriminator takes part: weighted, with real apex faces to learn from."""
        return self.apex_pool is not None and self.cfg.w_apex > 0

    @property
    def uses_expression(self) -> bool:
        """Whether the expression classifier takes part: weighted, beside the apex discriminator (its faces)."""
        return self.uses_apex and self.cfg.w_expression > 0

    def warm_expression(self, steps: int) -> float:
        """`expression_term.warm_classifier` on this step's classifier and apex faces (nan without faces)."""
        return warm_classifier(self.discriminators["expression"], self.apex_pool, steps, self.generator.cfg.image_size,
                               step_seed(self.cfg.seed, 0, 3000 + self.dist.rank), self.device)

    def lr_factor(self, step: int) -> float:
        """The share of `lr_g` and `lr_d` that step `step` (1-based) uses: 1 until `lr_decay_from` of
        the run, then falling linearly to 1/(steps left + 1) at the last step. A pure function of the
        step, so a resumed run learns at the rates an uninterrupted one would."""
        start = round(self.cfg.lr_decay_from * self.cfg.steps)
        if step <= start:
            return 1.0
        return (self.cfg.steps - step + 1) / (self.cfg.steps - start + 1)

    def blend(self, step: int) -> float:
        """Weight of the known position (vs the inferred intensity) driving G at `step`."""
        warm = self.cfg.lambda_warmup
        return max(0.0, 1.0 - step / warm) if warm > 0 else 0.0

    def step(self, batch: dict[str, Any], step: int) -> dict[str, float]:
        """One discriminator and one generator update on `batch` (step number `step`); the step's scalars."""
        cfg, gan, dev, d = self.cfg, self.gan, self.device, self.d
        x0 = batch["x0"].to(dev).float()
        targets = batch["targets"].to(dev).float()
        positions = batch["positions"].to(dev).float()
        label = batch["label"].to(dev).long()
        masks = batch["masks"].to(dev).float()
        gray = batch["gray"].to(dev) if "gray" in batch else torch.zeros(len(label), dtype=torch.bool, device=dev)
        B, K = positions.shape
        blend = self.blend(step)
        rate = self.lr_factor(step)
        for opt, lr in ((self.opt_g, cfg.lr_g), (self.opt_d, cfg.lr_d), (self.opt_expression, cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * rate

        rec, fake, lam, flow, mask, correction, outputs = self.g_step(x0, label, targets, positions, blend)

        # Pairs (x0, frame, label) for the frame-level discriminators.
        n = B * K
        x0_k = x0.unsqueeze(1).expand_as(targets).flatten(0, 1)
        label_k = label.repeat_interleave(K)
        real_f, fake_f, masks_f = targets.flatten(0, 1), fake.flatten(0, 1), masks.flatten(0, 1)
        draws = torch.Generator().manual_seed(step_seed(cfg.seed, step, 1000 + self.dist.rank))
        uniform = torch.rand(n, generator=draws).to(dev)
        # the apex discriminator: each generated apex against a real apex face of another person, same label
        use_apex, use_expression = self.uses_apex, self.uses_expression
        if use_apex:
            real_apex = self.apex_pool.for_step(label, fake.shape[-1], cfg.seed, step, self.dist.rank).to(dev)
            fake_apex = fake[:, -1]
            # what the expression classifier reads of it, made once for its step (detached) and for G_expression
            seen = expression_input(cfg.expression_reads, x0, flow, fake_apex) if use_expression else None

        # -- discriminators: real vs detached fake, one forward each (DDP-friendly)
        two = lambda a: torch.cat([a, a])    # noqa: E731
        pred = d["frame"](two(x0_k), torch.cat([real_f, fake_f.detach()]), two(label_k))
        D_frame_real, D_frame_fake = discriminator_loss(gan, pred[:n], pred[n:])
        pred = d["lip"](two(x0_k), torch.cat([real_f, fake_f.detach()]), two(masks_f), two(label_k))
        D_lip = 0.5 * sum(discriminator_loss(gan, pred[:n], pred[n:]))
        pred = d["intensity"](torch.cat([uniform, lam.detach().flatten()]))
        D_lambda = 0.5 * sum(discriminator_loss(gan, pred[:n], pred[n:]))
        loss_d = 0.5 * (D_frame_real + D_frame_fake) + D_lip + D_lambda
        values: dict[str, torch.Tensor] = {}
        if use_apex:
            pred = d["apex"](torch.cat([real_apex, fake_apex.detach()]), two(label))
            D_apex_real, D_apex_fake = discriminator_loss(gan, pred[:B], pred[B:])
            loss_d = loss_d + 0.5 * (D_apex_real + D_apex_fake)
            values.update(D_apex_real=D_apex_real, D_apex_fake=D_apex_fake)
        if use_expression:
            fakes = seen.detach() if cfg.expression_fakes else None
            D_classifier, logged = classifier_loss(d["expression"], real_apex, label, fakes, cfg.expression_fakes)
            loss_d = loss_d + D_classifier
            values.update(logged)
        for opt in (self.opt_d, self.opt_expression):
            opt.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        if use_expression:
            self.opt_expression.step()

        # -- generator: each term weighted, kept apart so that its share of the gradient can be measured
        with frozen(d.values()):
            G_frame = gan(d["frame"](x0_k, fake_f, label_k), True)
            G_lip = gan(d["lip"](x0_k, fake_f, masks_f, label_k), True)
            G_lambda = gan(d["intensity"](lam.flatten()), True)
            G_apex = gan(d["apex"](fake_apex, label), True) if use_apex else None
            if use_expression:
                logits = expression_logits(d["expression"], seen)
                g_expression = {"G_expression": F.cross_entropy(logits, label)}
                values["expression_fake_acc"] = (logits.argmax(1) == label).float().mean()
        g_terms = {"G_frame": G_frame, "G_lip": G_lip, "G_lambda": G_lambda,
                   **frame_losses(rec, fake, lam, x0, targets, positions, gray)}   # a grey item teaches luma only
        if G_apex is not None:
            g_terms["G_apex"] = G_apex
        if use_expression:
            g_terms.update(g_expression)
        if flow is not None:
            # the field at frame t's landmarks must point back to the same landmarks in x0
            lm_t = batch["landmarks"].to(dev).float().flatten(0, 1)
            lm_0 = batch["x0_landmarks"].to(dev).float().repeat_interleave(K, 0)
            g_terms["G_landmark"] = landmark_error(flow.flatten(0, 1), lm_t, lm_0, x0.shape[-1])
            g_terms["G_smooth"] = field_smoothness(correction)   # the prior is smooth already; smooth what is learned
            g_terms["G_keep"] = strength_change(flow, correction)    # the prior sets the expression's strength
            g_terms["G_mask"] = mask.mean()
        terms = weighted(g_terms, cfg)
        values.update(g_terms, D_frame_real=D_frame_real, D_frame_fake=D_frame_fake, D_lip=D_lip, D_lambda=D_lambda)
        shares = {}
        if cfg.share_every and step % cfg.share_every == 0 and not self.dist.enabled:
            shares = gradient_shares(terms, outputs)
        loss_g = sum(terms.values())
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.update_average()

        logs = {k: float(v.detach()) for k, v in values.items()}
        logs.update(shares)
        logs.update(intensity_stats(lam, positions))
        logs["lambda_blend"] = blend
        logs["lr_factor"] = rate
        return logs

    def state_dict(self) -> dict[str, Any]:
        """The weights and both optimizers' state, as the training checkpoint stores them."""
        state = {"generator": self.generator.state_dict(), "discriminators": self.discriminators.state_dict(),
                 "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                 "opt_expression": self.opt_expression.state_dict()}
        if self.average is not None:
            state["generator_average"] = self.average.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore `state_dict()`'s values (a checkpoint's; older checkpoints' names read too)."""
        self.generator.load_state_dict(state["generator"])
        if self.average is not None:     # a run that averaged resumes its average; one that did not starts one here
            self.average.load_state_dict(state.get("generator_average", state["generator"]))
        # strict=False: a run from before the apex discriminator resumes with a fresh one
        self.discriminators.load_state_dict(current_keys(state["discriminators"]), strict=False)
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if "opt_expression" in state:       # a run from before the expression classifier starts its optimiser fresh
            self.opt_expression.load_state_dict(state["opt_expression"])
