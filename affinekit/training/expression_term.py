"""The expression classifier beside the discriminators (`d["expression"]`, `train.w_expression`): what it
reads of a generated apex for G_expression, and its warm-up on the real apex faces before the first step.

StarGAN and GANimation ask a classifier of real faces to read each generated face as the requested
label. Here it reads, by default, the apex's warp alone (x0 moved by the field, mask shut): read on
the whole frame, it taught the residual to paint horizontal stripes that fool it (8 Dec), where the
warp can only move the photo's own pixels.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

from affinekit.models.motion import warp


@contextlib.contextmanager
def evaluating(module: nn.Module) -> Iterator[None]:
    """`module` in eval mode (batch norm's running statistics, no dropout) for the block, then as it was."""
    was = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was)


def expression_input(reads: str, x0: torch.Tensor, flow: torch.Tensor | None,
                     fake_apex: torch.Tensor) -> torch.Tensor:
    """What the classifier reads of a generated apex: with `reads` "warp", x0 (B, C, H, W) warped by the
    apex's field (the last of `flow` (B, K, 2, h, w)); with "frame", or for the pixel head (no field),
    the apex frame itself."""
    return warp(x0, flow[:, -1]) if reads == "warp" and flow is not None else fake_apex


def expression_logits(classifier: nn.Module, seen: torch.Tensor) -> torch.Tensor:
    """The classifier's logits (B, labels) on what it reads of the generated apexes (`expression_input`,
    (B, C, H, W)), for G_expression. In eval mode, so the fakes are normalised by the real faces'
    statistics, not by their own batch's."""
    with evaluating(classifier):
        return classifier(seen)


def no_expression_loss(logits: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of logits (N, labels) against the uniform distribution: smallest when a face is
    read as no label more than another. The classifier learns it on generated apexes
    (`train.expression_fakes`), so that a pattern the generator paints to fool it (the stripes of
    8 Dec) stops carrying an expression, and only what real faces of the label share still does."""
    return -F.log_softmax(logits, dim=1).mean(1).mean()


def classifier_loss(classifier: nn.Module, real_apex: torch.Tensor, label: torch.Tensor,
                    fakes: torch.Tensor | None, fakes_weight: float) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The classifier's loss in a discriminator step and what it logs: cross-entropy on the real apex
    faces (B, C, H, W) at their labels (B,), plus, with `fakes` (the generated apexes as it reads them,
    detached) and `fakes_weight` > 0, `no_expression_loss` on those, weighted. Real and generated faces
    go through in one batch, so that batch norm sees both."""
    learns_fakes = fakes is not None and fakes_weight > 0
    logits = classifier(torch.cat([real_apex, fakes]) if learns_fakes else real_apex)
    logits, fake_logits = logits[:len(real_apex)], logits[len(real_apex):]
    loss = F.cross_entropy(logits, label)
    logged = {"D_expression": loss, "expression_real_acc": (logits.argmax(1) == label).float().mean()}
    if learns_fakes:
        logged["D_expression_fake"] = no_expression_loss(fake_logits)
        loss = loss + fakes_weight * logged["D_expression_fake"]
    return loss, logged


def warm_classifier(classifier: nn.Module, pool: Any, steps: int, size: int, seed: int,
                    device: torch.device, batch: int = 64) -> float:
    """Train `classifier` alone on the real apex faces of `pool` (`data.apex.ApexPool`, at `size` px) for
    `steps` steps, so that G_expression asks for the expression from the first GAN step rather than for
    whatever an untrained classifier answers; its accuracy over the last tenth of the steps (nan
    without faces or steps). Labels are drawn evenly over those the pool holds; half the faces mirrored."""
    if pool is None or steps <= 0:
        return float("nan")
    opt = torch.optim.Adam(classifier.parameters(), lr=1e-3)
    draws = torch.Generator().manual_seed(seed)
    present = torch.tensor(sorted(pool.by_label))
    hits = []
    for i in range(steps):
        label = present[torch.randint(len(present), (batch,), generator=draws)]
        faces = pool.draw(label, size, draws).to(device)
        flip = (torch.rand(batch, generator=draws) < 0.5).view(-1, 1, 1, 1).to(device)
        faces = torch.where(flip, faces.flip(-1), faces)      # a mirrored face shows the same expression
        label = label.to(device)
        logits = classifier(faces)
        loss = F.cross_entropy(logits, label)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i >= steps - max(1, steps // 10):
            hits.append(float((logits.argmax(1) == label).float().mean()))
    return sum(hits) / len(hits)
