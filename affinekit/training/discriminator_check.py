"""Can the discriminators tell real from generated? Their ranking accuracy on fresh batches.

A least-squares discriminator's loss can sit on its chance line (0.25) while it
still ranks every real frame above its generated twin, or it can answer 0.5
for everything. So each discriminator is scored by how often a real sample gets
a higher score than the generated sample made for it (0.5: chance, 1: always
right), on batches the run never trained on.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import torch


@torch.no_grad()
def ranking_accuracy(trainer: Any, steps: Iterable[int]) -> dict[str, float]:
    """{"frame" | "lip" | "apex": share of (real, generated) pairs ranked right} over the batches of `steps`.

    Each real target frame is paired with the frame G makes for it (the same x0, label and
    intensity the training step would use, after the warm-up); the apex discriminator pairs each
    generated apex with a real apex face of another person with the same label.
    """
    # the generator the discriminators trained against (not its weight average, which they never saw)
    g, d, dev, pool = trainer.model.generator, trainer.model.d, trainer.device, trainer.model.apex_pool
    wins: dict[str, list[float]] = {"frame": [], "lip": [], "apex": []}
    g.eval()
    for step in steps:
        batch = trainer.batches[step]
        x0, targets = batch["x0"].to(dev).float(), batch["targets"].to(dev).float()
        label, masks = batch["label"].to(dev).long(), batch["masks"].to(dev).float()
        B, K = targets.shape[:2]
        lam = g.infer_intensity(targets, x0, label).clamp(*trainer.train_cfg.lambda_range)
        fake = g.generate(x0, label, lam)
        x0_k = x0.unsqueeze(1).expand_as(targets).flatten(0, 1)
        label_k = label.repeat_interleave(K)
        real_f, fake_f, masks_f = targets.flatten(0, 1), fake.flatten(0, 1), masks.flatten(0, 1)
        score = lambda logits: logits.flatten(1).mean(1)
        wins["frame"] += (score(d["frame"](x0_k, real_f, label_k)) > score(d["frame"](x0_k, fake_f, label_k))).tolist()
        wins["lip"] += (score(d["lip"](x0_k, real_f, masks_f, label_k)) >
                        score(d["lip"](x0_k, fake_f, masks_f, label_k))).tolist()
        if pool is not None:
            real_apex = pool.for_step(label, fake.shape[-1], trainer.train_cfg.seed, step).to(dev)
            wins["apex"] += (score(d["apex"](real_apex, label)) > score(d["apex"](fake[:, -1], label))).tolist()
    g.train()
    return {name: float(np.mean(w)) for name, w in wins.items() if w}
