"""What the lip discriminator receives: not notebook 02's full-size patch, but the frame times
its lip mask at the model's size, cut to a small square around the lips (`lip_crops`)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from affinekit.io.images import network_input, to_model
from affinekit.models.discriminators import LipDiscriminator, lip_crops
from affinekit.show.plots import frame_grid


@torch.no_grad()
def lip_discriminator_input(crop: np.ndarray, mask: np.ndarray, image_size: int = 64,
                            title: str = "") -> tuple[Any, np.ndarray]:
    """(figure, the square it sees): an aligned crop (H, W, 3) uint8 and its lip mask (H, W) {0, 1},
    brought to the model's `image_size` as training does, then multiplied and cut by `lip_crops` to
    the lip discriminator's own square (half the model's size). Outside the mask the product is 0,
    the middle of the models' [-1, 1]: the discriminator sees the lips on flat grey."""
    x = network_input(to_model(crop[None]), 3, image_size)                            # (1, 3, s, s)
    m = F.interpolate(torch.from_numpy(mask.astype(np.float32))[None, None], size=(image_size, image_size),
                      mode="area")
    side = LipDiscriminator(3, 7, 8, image_size).crop
    seen = lip_crops(x, m, side)[0]
    fig = frame_grid([[x[0], m[0] * 2 - 1, x[0] * m[0], seen]],
                     col_labels=[f"frame at {image_size} px", "lip mask", "frame x mask",
                                 f"what the lip D sees: {side} px"],
                     title=title or "the lip discriminator's input, for a real or a generated frame alike", cell=1.9)
    return fig, seen.numpy()
