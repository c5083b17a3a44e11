"""Issue 28 item 4's measures on hand-made arrays (and once on a real photo with an untrained model)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from affinekit.evaluation.faithful import (SPECK_CHROMA, chroma, moved_mouth_box, outside, sharpness_kept,
                                           speck_share, synthesised_share)


def texture(size: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3)).astype(np.uint8)


def test_outside_clears_the_inner_box_within_the_outer_one():
    keep = outside((10, 20), inner=(4, 2, 8, 5), within=(2, 1, 12, 9))
    assert keep.shape == (8, 10)
    assert not keep[1:4, 2:6].any()             # the inner box, shifted into the outer box's pixels
    assert keep.sum() == 8 * 10 - 3 * 4
    assert outside((6, 6), inner=(0, 0, 6, 6)).sum() == 0


def test_the_moved_mouth_box_follows_the_field_into_the_photo():
    import torch
    from affinekit.evaluation.mouth import mouth_box
    rng = np.random.default_rng(0)
    crop_points = rng.uniform(20, 44, (68, 2))
    M = np.array([[0.5, 0.0, -10.0], [0.0, 0.5, -20.0]])          # photo -> 64 px crop: half size, shifted
    photo_points = (crop_points - M[:, 2]) / 0.5
    shape = (400, 400, 3)
    still = torch.zeros(2, 64, 64)
    assert moved_mouth_box(crop_points, still, M, shape) == mouth_box(photo_points, shape)
    # a backward field that reads 3 crop pixels higher moves the picture 3 crop pixels (6 photo pixels) down
    down = torch.zeros(2, 64, 64)
    down[1] = -3 * 2 / 64
    left, top, right, bottom = moved_mouth_box(crop_points, down, M, shape)
    l0, t0, r0, b0 = mouth_box(photo_points, shape)
    assert (left, right) == (l0, r0) and abs(top - (t0 + 6)) <= 1 and abs(bottom - (b0 + 6)) <= 1


def test_synthesised_share_leaves_the_mouth_out():
    mask = np.full((32, 32), 0.2)
    mask[20:26, 10:22] = 1.0                    # the mouth, fully synthesised
    assert synthesised_share(mask, face=(4, 4, 28, 30), mouth=(10, 20, 22, 26)) == pytest.approx(0.2)
    assert synthesised_share(mask, face=(4, 4, 28, 30), mouth=(0, 0, 1, 1)) > 0.2


def test_sharpness_kept_is_one_for_the_photo_and_drops_with_blur():
    photo = texture()
    assert sharpness_kept(photo, photo) == pytest.approx(1.0)
    blurred = cv2.GaussianBlur(photo, (0, 0), 1.0)
    assert sharpness_kept(blurred, photo) < 0.5
    # blur only inside a region that `where` leaves out does not count
    apex = photo.copy()
    apex[20:40, 20:40] = blurred[20:40, 20:40]
    where = np.ones(photo.shape[:2], bool)
    where[18:42, 18:42] = False
    assert sharpness_kept(apex, photo, where) == pytest.approx(1.0)
    assert sharpness_kept(apex, photo) < 1.0


def test_specks_count_coloured_pixels_not_light_or_small_tints():
    warped = np.full((50, 40, 3), 128, np.uint8)
    apex = warped.copy()
    apex[5:7, 5:10] = (60, 60, 220)               # 10 blue specks
    apex[30:40] = 200                             # lighter, still grey: no chroma change
    assert speck_share(apex, warped) == pytest.approx(10 / 2000)
    tint = warped.copy()
    tint[..., 0] = 134                            # a faint red tint stays under the step
    assert np.linalg.norm(chroma(tint) - chroma(warped), axis=-1).max() < SPECK_CHROMA
    assert speck_share(tint, warped) == 0.0
    where = np.ones((50, 40), bool)
    where[:10] = False
    assert speck_share(apex, warped, where) == 0.0


def test_apex_measures_at_zero_intensity_keep_the_photo(checkpoint, face_photo):
    """At l = 0 the field is zero: the warp is the photo itself, whatever the (untrained) network."""
    from affinekit.evaluation.faithful import apex_measures
    from affinekit.generate.animate import load_pretrained

    animator = load_pretrained(checkpoint)
    aligned = animator.align(face_photo, "astronaut")
    m = apex_measures(animator.generator, aligned, 4, 0.0, mouth=False)
    assert m["warp_sharpness_kept"] == pytest.approx(1.0)
    assert set(m) == {"synthesised_share", "sharpness_kept", "warp_sharpness_kept", "specks", "specks_outside_mouth",
                      "specks_outside_mouths"}
    assert 0.0 <= m["synthesised_share"] <= 1.0 and 0.0 <= m["specks"] <= 1.0
