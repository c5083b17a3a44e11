"""One resize to the network's size: the pixels a network reads of a face are the same in training
(the step's batch, the apex faces) and at inference (both heads), because all go through
`io.images.to_network_size`."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import blob_sequence

from affinekit.config import ModelConfig
from affinekit.data.apex import ApexPool
from affinekit.generate.inference import render_crops
from affinekit.io.images import to_model, to_network_size
from affinekit.models.generator import Generator
from affinekit.training.batches import resize_batch

SIZE = 32


def face(side: int = 80) -> np.ndarray:
    """(side, side, 3) uint8: a face-like picture with fine detail, where resize filters differ."""
    grey = blob_sequence(3, 0, frames=6, size=side)[-1].astype(np.float32)
    stripes = 40 * (np.indices((side, side)).sum(0) % 3 == 0)        # high frequencies: aliasing shows
    return np.clip(np.stack([grey, grey * 0.8 + stripes, grey * 0.6], -1), 0, 255).astype(np.uint8)


def read_by_network(output: str, x0: torch.Tensor) -> torch.Tensor:
    """What a generator of head `output` encodes when it renders the crop `x0` (1, C, H, W)."""
    g = Generator(ModelConfig(image_size=SIZE, base_width=8, depth=3, max_width=32, output=output)).eval()
    seen = []
    encode = g.encode
    g.encode = lambda x, label: seen.append(x.clone()) or encode(x, label)
    render_crops(g, x0, torch.tensor([3]), torch.tensor([0.0, 1.0]))
    return seen[0]


@pytest.mark.parametrize("output", ["motion", "pixels"])
def test_training_and_inference_read_the_same_pixels_of_a_face(output):
    crop = to_model(face())[None]                                   # (1, 3, 80, 80), as a dataset holds it
    batch = {"x0": crop, "targets": crop[:, None].repeat(1, 2, 1, 1, 1),
             "masks": torch.ones(1, 2, 1, 80, 80)}
    trained_on = resize_batch(batch, SIZE)
    inferred_from = read_by_network(output, crop)
    assert torch.equal(trained_on["x0"], inferred_from)
    assert torch.equal(trained_on["targets"][:, 0], inferred_from)
    # the same face as a real apex face of the apex discriminator
    pool = ApexPool(face()[None], np.array([3]), ["s0"], 3)
    assert torch.equal(pool.draw(torch.tensor([3]), SIZE, torch.Generator().manual_seed(0)), inferred_from)


def test_the_one_filter_is_antialiased_bilinear():
    """A 1-pixel checkerboard shrunk 2x comes out near its mean (grey), not a copy of one phase,
    and a picture already at the size is not touched."""
    board = torch.from_numpy((np.indices((64, 64)).sum(0) % 2).astype(np.float32))[None, None] * 2 - 1
    small = to_network_size(board, 32)
    assert small.shape == (1, 1, 32, 32) and float(small.abs().max()) < 0.3
    assert to_network_size(small, 32) is small
    # leading dims (B, K) and uint8 input are taken as they come
    frames = torch.randint(0, 255, (2, 3, 1, 64, 64), dtype=torch.uint8)
    assert to_network_size(frames, 16).shape == (2, 3, 1, 16, 16)
