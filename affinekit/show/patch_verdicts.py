"""What the frame PatchGAN says, patch by patch: its verdicts on a neutral face offered as the
expression, on the real expression and on the generator's frame (notebook 03b's D map)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from affinekit.models.generator import Generator
from affinekit.show.look_inside import network_crop


@torch.no_grad()
def patch_verdicts(discriminator: torch.nn.Module, x0: torch.Tensor, frames: torch.Tensor, label: int,
                   gan_loss: str = "lsgan") -> np.ndarray:
    """(N, h, w) the frame PatchGAN's verdict on each patch of each frame (N, C, H, W) beside the
    neutral x0 (1, C, H, W), as training reads it: 1 real, 0 fake, 0.5 cannot tell (BCE logits
    through a sigmoid; a least-squares discriminator's output is its verdict already)."""
    n, device = len(frames), next(discriminator.parameters()).device
    out = discriminator(x0.expand(n, -1, -1, -1).to(device), frames.to(device),
                        torch.full((n,), label, dtype=torch.long, device=device))[:, 0]
    return (torch.sigmoid(out) if gan_loss == "bce" else out).cpu().numpy()


@torch.no_grad()
def judge_pair(generator: Generator, discriminator: torch.nn.Module, neutral: np.ndarray, real: np.ndarray,
               label: int, gan_loss: str = "lsgan") -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The frame PatchGAN on one face: ({name: frame in [0, 1]}, (3, h, w) verdicts) for the neutral
    crop shown as if it were the expression, the real expression crop, and the generator's frame at
    l = 1, each judged beside the neutral crop (uint8 crops, any size: resized to the model's)."""
    x0, frame = (network_crop(c, generator) for c in (neutral, real))
    device = next(generator.parameters()).device
    fake = generator.generate(x0.to(device), torch.tensor([label], device=device), torch.tensor([1.0]))[:, 0].cpu()
    frames = torch.cat([x0, frame, fake])
    verdicts = patch_verdicts(discriminator, x0, frames, label, gan_loss)
    pictures = ((frames + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1).squeeze(-1).numpy()
    names = ("neutral x0 as the frame", "real expression", "generated, l = 1")
    return dict(zip(names, pictures)), verdicts


def plot_patch_verdicts(frames: dict[str, np.ndarray], verdicts: np.ndarray, title: str = "") -> Any:
    """Each frame (H, W[, C], values in [0, 1]) with its patch verdicts (h, w) drawn over it on one
    colour scale centred on chance (0.5): red judged real, blue judged fake."""
    import matplotlib.pyplot as plt

    names = list(frames)
    spread = max(0.1, float(np.abs(verdicts - 0.5).max()))
    fig, axes = plt.subplots(1, len(names), figsize=(2.6 * len(names) + 0.8, 2.9), squeeze=False)
    for ax, name, verdict in zip(axes[0], names, verdicts):
        img = frames[name]
        height, width = img.shape[:2]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
        im = ax.imshow(verdict, cmap="coolwarm", vmin=0.5 - spread, vmax=0.5 + spread, alpha=0.55,
                       extent=(0, width, height, 0), interpolation="nearest")
        ax.set_title(f"{name}\nmean verdict {verdict.mean():.2f}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title or "frame PatchGAN, one verdict per patch (1 real, 0 fake)", fontsize=9)
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label="verdict (0.5: cannot tell)")
    return fig
