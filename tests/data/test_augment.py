"""augment.py: the rotation the classifier draws moves a picture's pixels where its matrix moves points."""
from __future__ import annotations

import numpy as np

from affinekit.data.augment import Augmentation


def test_rotation_moves_pixels_and_landmarks_alike():
    size = 48
    frames = np.zeros((1, size, size, 1), np.uint8)
    frames[0, 10, 30] = 255                          # a dot at x=30, y=10
    masks = np.zeros((1, size, size), np.uint8)
    pts = np.tile(np.array([[30.0, 10.0]], np.float32), (1, 68, 1))
    aug = Augmentation(rotation=90.0)
    moved, _, points = aug(frames, masks, pts)
    # a quarter turn about the centre (23.5, 23.5), counter-clockwise on screen: (30, 10) -> (10, 17)
    assert np.allclose(points[0, 0], [10.0, 17.0], atol=1e-4)
    y, x = np.unravel_index(int(moved[0, ..., 0].argmax()), (size, size))
    assert (x, y) == (10, 17)
    # the same draw on pictures alone (no masks, no landmarks) moves them the same way
    assert np.array_equal(aug.pictures(frames), moved)


def test_rotation_zero_is_the_old_matrix():
    aug = Augmentation(flip=True, scale=1.05, shift=(1.5, -2.0))
    c = 127 / 2
    assert np.allclose(aug.matrix(128), [[-1.05, 0, c + 1.05 * c + 1.5], [0, 1.05, c - 1.05 * c - 2.0]])
