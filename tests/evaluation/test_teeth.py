"""Teeth, their texture and the dark cavity inside the inner lips, on hand-made faces whose answer is
worked out by hand."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from affinekit.evaluation.teeth import MEASURE_IOD, mouth_inside, polygon_pixels, ratio


def hand_made_face(scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A white 200 px image with eyes 85 px apart (MEASURE_IOD: no resizing at scale 1) and an inner-lip
    rectangle whose edges fall between pixel centres: x 69.5-129.5, y 119.5-139.5, i.e. pixels x 70..129
    and y 120..139 (60 x 20 = 1200). Its left half (x 70..99) stays white (teeth), its right half
    (x 100..129) is black (the cavity)."""
    assert MEASURE_IOD == 85.0
    image = np.full((200, 200, 3), 255, np.uint8)
    image[120:140, 100:130] = 0
    points = np.zeros((68, 2), np.float64)
    points[36:42] = (50.0, 50.0)
    points[42:48] = (135.0, 50.0)
    points[48:60] = (100.0, 130.0)
    points[60:68] = [(69.5, 119.5), (89.5, 119.5), (109.5, 119.5), (129.5, 119.5),
                     (129.5, 139.5), (109.5, 139.5), (89.5, 139.5), (69.5, 139.5)]
    if scale != 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        points = (points + 0.5) * scale - 0.5
    return image, points


def test_the_polygon_holds_the_pixel_centres_inside_its_edges():
    _, points = hand_made_face()
    inside = polygon_pixels(points[60:68], (200, 200))
    assert inside.sum() == 60 * 20
    assert inside[120:140, 70:130].all()


def test_teeth_cavity_and_texture_of_a_hand_made_mouth():
    image, points = hand_made_face()
    m = mouth_inside(image, points)
    unit = 85.0 ** 2
    assert m.opening == pytest.approx(1200 / unit)
    assert m.teeth == pytest.approx(600 / unit)         # the white half: L* 100, chroma 0
    assert m.cavity == pytest.approx(600 / unit)        # the black half: L* 0
    # |Laplacian| of L* over the teeth: 0 except on their last column (x 99), whose right neighbour is
    # black: 100 + 0 + 100 + 100 - 4 * 100 = -100 on its 20 pixels; mean over 600 teeth pixels = 100 / 30
    assert m.texture == pytest.approx(100 / 30, rel=1e-3)


def test_a_smooth_grey_band_is_no_teeth_and_a_coloured_light_lip_is_none_either():
    image, points = hand_made_face()
    grey = image.copy()
    grey[120:140, 70:130] = 110                          # L* about 46: mid grey, below TEETH_LIGHTNESS (60)
    m = mouth_inside(grey, points)
    assert m.teeth == 0 and m.texture == 0 and m.cavity == 0
    pink = image.copy()
    pink[120:140, 70:130] = (250, 120, 140)              # light, but a lip's chroma (a* about 45)
    assert mouth_inside(pink, points).teeth == 0
    # a grey photo has no chroma: light alone decides
    assert mouth_inside(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), points).teeth == pytest.approx(600 / 85.0 ** 2)


def test_the_measures_do_not_depend_on_the_photos_resolution():
    small = mouth_inside(*hand_made_face())
    big = mouth_inside(*hand_made_face(scale=3.0))       # resized back to an 85 px IOD before measuring
    assert big.teeth == pytest.approx(small.teeth, rel=0.05)
    assert big.cavity == pytest.approx(small.cavity, rel=0.05)


def test_ratio():
    assert ratio(0.3, 0.6) == 0.5
    assert np.isnan(ratio(0.3, 0.0))
