"""Lip masks from landmarks 48-67: position, area, patches."""
from __future__ import annotations

import numpy as np
import pytest

from affinekit.data.ckplus import read_ckplus
from affinekit.data.faces import FaceAligner
from affinekit.data.lips import lip_box, lip_mask, lip_masks, lip_patch


def _check_mask(mask: np.ndarray, size: int) -> None:
    assert mask.shape == (size, size) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 1}
    ys, xs = np.nonzero(mask)
    assert ys.min() > size / 2, "lips must lie in the lower half of the crop"
    assert abs(xs.mean() - size / 2) < 0.08 * size, "lips must be centred horizontally"
    assert 0.01 < mask.mean() < 0.12, f"implausible lip area fraction {mask.mean():.3f}"


def test_mask_of_a_synthetic_polygon():
    points = np.zeros((68, 2), np.float32)
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    points[48:60] = np.stack([50 + 20 * np.cos(angles), 80 + 10 * np.sin(angles)], 1)
    plain = lip_mask(points, 100, dilation=0)
    area = np.pi * 20 * 10  # ellipse; the 12-gon is a bit smaller
    assert 0.9 * area < plain.sum() < 1.1 * area
    grown = lip_mask(points, 100, dilation=3)
    assert grown.sum() > plain.sum() and np.all(grown >= plain)
    top, bottom, left, right = lip_box(plain)
    assert abs(top - 70) <= 1 and abs(bottom - 91) <= 1 and abs(left - 30) <= 1 and abs(right - 71) <= 1


def test_astronaut_lip_mask_and_patch(face_photo):
    crop, points, _ = FaceAligner(128).align(face_photo, "astronaut")
    mask = lip_mask(points, 128)
    _check_mask(mask, 128)
    patch = lip_patch(crop, mask)
    assert patch.shape == crop.shape
    assert not patch[mask == 0].any()
    assert np.array_equal(patch[mask == 1], crop[mask == 1])


@pytest.mark.ckplus
def test_ckplus_lip_masks_follow_the_mouth(ckplus_root):
    record = next(r for r in read_ckplus(ckplus_root) if r.label == "surprise")
    crops, points, _ = FaceAligner(128).align_sequence(record.load_frames(gray=True), record.key)
    masks = lip_masks(points, 128)
    assert masks.shape == (len(crops), 128, 128)
    _check_mask(masks[0], 128)
    _check_mask(masks[-1], 128)
    # Surprise opens the mouth: the apex lip mask is taller than the neutral one.
    top0, bottom0, _, _ = lip_box(masks[0])
    top1, bottom1, _, _ = lip_box(masks[-1])
    assert bottom1 - top1 > 1.3 * (bottom0 - top0)
