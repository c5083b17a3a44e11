"""images.py: the one place pictures and model tensors are converted."""
from __future__ import annotations

import numpy as np
import torch

from affinekit.io.images import network_input, picture, picture_rgb, tensor_channels, to_model, to_uint8


def test_picture_handles_the_kits_layouts():
    chw = torch.zeros(1, 8, 6) - 1.0                 # model range, channels first
    assert picture(chw).shape == (8, 6) and picture(chw).max() == 0
    out = picture(np.ones((3, 8, 6), np.float32))
    assert out.shape == (8, 6, 3) and out.dtype == np.uint8 and out.min() == 255
    raw = np.full((8, 6), 7, np.uint8)
    assert picture(raw) is raw
    assert picture_rgb(raw).shape == (8, 6, 3) and (picture_rgb(raw) == 7).all()


def test_model_round_trip_is_exact_on_uint8():
    frames = np.arange(2 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 4, 5, 3) * 2
    x = to_model(frames)
    assert x.shape == (2, 3, 4, 5) and float(x.min()) >= -1 and float(x.max()) <= 1
    assert np.array_equal(to_uint8(x), frames)


def test_gray_by_luma_and_network_input_resizes_by_area():
    rgb = torch.zeros(1, 3, 8, 8)
    rgb[:, 1] = 1.0                                  # pure green: luma 0.587
    assert torch.allclose(tensor_channels(rgb, 1), torch.full((1, 1, 8, 8), 0.587))
    x = torch.zeros(1, 3, 8, 8)
    x[..., :4, :4] = 1.0                             # one quadrant lit
    small = network_input(x, channels=3, size=2)
    assert small.shape == (1, 3, 2, 2)
    assert torch.allclose(small[0, 0], torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
    assert network_input(x, 3, 8) is x              # already the network's size: untouched
