"""images.py: the one place pictures and model tensors are converted."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from affinekit.io.images import (
    MODEL_RANGE,
    UNIT_RANGE,
    as_gray,
    as_rgb,
    network_input,
    picture,
    picture_rgb,
    tensor_channels,
    to_channels,
    to_model,
    to_model_scale,
    to_pixel_scale,
    to_uint8,
)


def test_picture_maps_the_range_it_is_given():
    chw = torch.zeros(1, 8, 6) - 1.0                 # model range, channels first
    assert picture(chw, MODEL_RANGE).shape == (8, 6) and picture(chw, MODEL_RANGE).max() == 0
    ramp = np.array([[-1.0, -0.5, 0.0, 0.5, 1.0]], np.float32)
    assert picture(ramp, MODEL_RANGE).tolist() == [[0, 64, 128, 191, 255]]
    # the same numbers read as [0, 1]: negatives are black, 0.5 mid grey (what the look-inside outputs hold)
    assert picture(ramp, UNIT_RANGE).tolist() == [[0, 0, 0, 128, 255]]
    out = picture(np.full((3, 8, 6), 0.5, np.float32), UNIT_RANGE)
    assert out.shape == (8, 6, 3) and out.dtype == np.uint8 and (out == 128).all()
    raw = np.full((8, 6), 7, np.uint8)
    assert picture(raw) is raw
    assert picture_rgb(raw).shape == (8, 6, 3) and (picture_rgb(raw) == 7).all()


def test_a_float_picture_without_a_range_is_refused():
    with pytest.raises(ValueError, match="value_range"):
        picture(np.zeros((8, 6), np.float32))
    with pytest.raises(ValueError, match="rise"):
        picture(np.zeros((8, 6), np.float32), (1.0, 1.0))


def test_model_round_trip_is_exact_on_uint8():
    frames = np.arange(2 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 4, 5, 3) * 2
    x = to_model(frames)
    assert x.shape == (2, 3, 4, 5) and float(x.min()) >= -1 and float(x.max()) <= 1
    assert np.array_equal(to_uint8(x), frames)


def test_gray_by_luma_and_network_input_resizes_by_the_one_antialiased_filter():
    rgb = torch.zeros(1, 3, 8, 8)
    rgb[:, 1] = 1.0                                  # pure green: luma 0.587
    assert torch.allclose(tensor_channels(rgb, 1), torch.full((1, 1, 8, 8), 0.587))
    x = torch.zeros(1, 3, 8, 8)
    x[..., :4, :4] = 1.0                             # one quadrant lit
    small = network_input(x, channels=3, size=2)
    assert small.shape == (1, 3, 2, 2)
    # shrinking 4x, a triangle filter 4 pixels wide each side of an output pixel's centre (1.5 in input
    # pixels): weights 5 7 7 5 3 1 0 0 (/8), so the lit half carries 24 of 28 along each axis
    lit = 24 / 28
    assert torch.allclose(small[0, 0], torch.tensor([[lit * lit, lit * (1 - lit)], [lit * (1 - lit), (1 - lit) ** 2]]))
    assert network_input(x, 3, 8) is x              # already the network's size: untouched


def test_one_rgb_and_one_gray_conversion_for_every_layout():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for layout in (gray, gray[..., None]):
        rgb = as_rgb(layout)
        assert rgb.shape == (3, 4, 3) and rgb.flags.c_contiguous and (rgb == gray[..., None]).all()
        assert np.array_equal(as_gray(layout), gray)
    rgba = np.dstack([np.full((3, 4, 3), 200, np.uint8), np.zeros((3, 4), np.uint8)])
    assert (as_rgb(rgba) == 200).all() and (as_gray(rgba) == 200).all()         # alpha dropped
    with pytest.raises(ValueError, match="picture"):
        as_rgb(np.zeros((3, 4, 2), np.uint8))
    assert np.array_equal(to_channels(rgba, gray=True), as_gray(rgba))


def test_to_model_converts_channels_and_the_scales_invert():
    frames = np.zeros((2, 4, 4, 3), np.uint8)
    frames[..., 1] = 255                                 # pure green
    x = to_model(frames, channels=1)
    assert x.shape == (2, 1, 4, 4) and torch.allclose(x, torch.full_like(x, 0.587 * 2 - 1))
    assert to_model(frames[..., :1], channels=3).shape == (2, 3, 4, 4)
    levels = np.array([0.0, 63.75, 255.0])
    assert np.allclose(to_model_scale(levels), [-1.0, -0.5, 1.0])
    assert np.allclose(to_pixel_scale(to_model_scale(levels)), levels)
