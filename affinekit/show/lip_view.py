"""What the lip discriminator receives: not notebook 02's full-size patch, but the frame times
its lip mask at the model's size, cut to a small square around the lips (`lip_crops`)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from affinekit.io.images import to_model
from affinekit.models.discriminators import LipDiscriminator, lip_crops
from affinekit.show.plots import frame_grid
from affinekit.training.batches import resize_batch


@torch.no_grad()
def lip_discriminator_input(crop: np.ndarray, mask: np.ndarray, image_size: int = 64,
                            title: str = "") -> tuple[Any, np.ndarray]:
    """(figure, the square it sees): an aligned crop (H, W, 3) uint8 and its lip mask (H, W) {0, 1},
    brought to the model's `image_size` as training does (`resize_batch`), then multiplied and cut by `lip_crops` to
    the lip discriminator's own square (half the model's size). Outside the mask the product is 0,
    the middle of the models' [-1, 1]: the discriminator sees the lips on flat grey."""
    frame = to_model(crop[None])                                                       # (1, 3, H, W)
    batch = resize_batch({"x0": frame, "targets": frame[None],
                          "masks": torch.from_numpy(mask.astype(np.float32))[None, None, None]}, image_size)
    x, m = batch["targets"][0], batch["masks"][0]                                     # (1, C, s, s), (1, 1, s, s)
    side = LipDiscriminator(3, 7, 8, image_size).crop
    seen = lip_crops(x, m, side)[0]
    fig = frame_grid([[x[0], m[0] * 2 - 1, x[0] * m[0], seen]],
                     col_labels=[f"frame at {image_size} px", "lip mask", "frame x mask",
                                 f"what the lip D sees: {side} px"],
                     title=title or "the lip discriminator's input, for a real or a generated frame alike", cell=1.9)
    return fig, seen.numpy()
