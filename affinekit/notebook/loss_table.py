"""Notebook 03's table of the generator's loss terms, made from `TrainConfig` itself: a weight
added, renamed or given another default there shows in the table without anyone retyping it;
and the legend names of its gradient-share panel."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping, Sequence

from affinekit.config import TrainConfig
from affinekit.training.losses import GAN_CHANCE, GENERATOR_TERMS


def loss_table(cfg: TrainConfig) -> str:
    """Markdown: one row per weight of TrainConfig (`w_*`, in its order) with the log key of the term
    it scales, its default, its value in `cfg` and what the term asks of the generator; then the
    discriminators' log keys and the chance level of `cfg.gan_loss`."""
    term_of = {weight: (key, what) for key, (weight, what) in GENERATOR_TERMS.items()}
    rows = ["| log key | weight | default | this run | what it measures |", "|---|---|---|---|---|"]
    for f in fields(TrainConfig):
        if f.name.startswith("w_"):
            key, what = term_of[f.name]
            rows.append(f"| `{key}` | `train.{f.name}` | {f.default:g} | {getattr(cfg, f.name):g} | {what} |")
    return ("\n".join(rows) + "\n\nDiscriminators: `D_frame_real` + `D_frame_fake` (frame PatchGAN), `D_lip` (lips), "
            "`D_lambda` (intensities), `D_apex_real` + `D_apex_fake` (apex faces, when given), `D_expression` "
            "(the expression classifier of those faces, when `train.w_expression` > 0); "
            f"GAN loss `{cfg.gan_loss}`, chance level {GAN_CHANCE[cfg.gan_loss]:.3f}.")


# which discriminator each adversarial term answers to: the legend says it, since "patch" has meant both
DISCRIMINATOR_OF = {"G_GAN": "frame D", "G_lip": "lip D", "G_apex": "apex D", "G_lambda": "intensity D",
                   "G_expression": "expression classifier"}


def share_labels(log: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Legend names for the `share_<term>` keys of a training log: the term's log key, the
    discriminator it answers to, and "0: not on G's raw outputs" for a term whose share is 0 at every
    measured step (`losses.gradient_shares` measures on the field, mask and residual, so a term
    that reaches G only through the inferred l or the field's learned correction reads 0 there)."""
    keys = sorted({k for row in log for k in row if k.startswith("share_")})
    labels = {}
    for key in keys:
        term = key[len("share_"):]
        name = f"{term} ({DISCRIMINATOR_OF[term]})" if term in DISCRIMINATOR_OF else term
        values = [row[key] for row in log if isinstance(row.get(key), (int, float))]
        labels[key] = name + (": 0, not on G's raw outputs" if values and not any(values) else "")
    return labels
