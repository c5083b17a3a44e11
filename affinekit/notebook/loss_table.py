"""Notebook 03's table of the generator's loss terms, made from `TrainConfig` itself: a weight
added, renamed or given another default there shows in the table without anyone retyping it."""
from __future__ import annotations

from dataclasses import fields

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
            "`D_lambda` (intensities), `D_apex_real` + `D_apex_fake` (apex faces, when given); "
            f"GAN loss `{cfg.gan_loss}`, chance level {GAN_CHANCE[cfg.gan_loss]:.3f}.")
