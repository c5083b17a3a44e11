"""Issue 28's Strength and Prior measures on hand-made fields and landmarks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from affinekit.data.intensity import ExpressionDirections
from affinekit.evaluation.baselines import copy_input
from affinekit.evaluation.strength import (StrengthItem, StrengthMeter, field_motion, per_expression,
                                           prior_motion)
from affinekit.expressions import EXPRESSIONS
from helpers import face_points


def test_field_motion_is_the_mean_length_in_crop_pixels():
    fields = torch.zeros(len(EXPRESSIONS), 2, 64, 64)
    fields[EXPRESSIONS.index("happy"), 0] = 0.1                 # 0.1 normalised = 3.2 px of a 64 px crop
    fields[EXPRESSIONS.index("surprise"), 1, :32] = 0.05        # 1.6 px over half the crop
    motion = field_motion(fields)
    assert motion["happy"] == pytest.approx(3.2)
    assert motion["surprise"] == pytest.approx(0.8)
    assert motion["anger"] == 0.0
    assert list(motion) == ["anger", "disgust", "fear", "happy", "sadness", "surprise"]


def test_prior_motion_needs_a_prior():
    with pytest.raises(ValueError, match="no motion prior"):
        prior_motion(object())


def test_per_expression_means_skip_what_was_not_measured():
    items = [StrengthItem("a", "happy", 0.5, 0.6, 1.0), StrengthItem("b", "happy", np.nan, 0.4, 0.5),
             StrengthItem("c", "fear", 0.2, 0.1, np.nan)]
    assert per_expression(items) == {"happy": (0.75, 2)}
    assert per_expression(items, "real") == {"fear": (0.2, 1), "happy": (0.5, 1)}


class ByBrightness:
    """A stand-in for dlib: a dark image has the neutral landmarks, a light one the apex's (in the
    enlarged image's pixels, as the real finder returns them)."""

    def __init__(self, neutral: np.ndarray, apex: np.ndarray, scale: float):
        self.points = {False: neutral * scale, True: apex * scale}
        self.aligner = self

    def landmarks(self, image, name="<crop>", box=None):
        return self.points[bool(image.mean() > 127)]

    def find(self, image, fallback, name="<crop>"):
        return self.landmarks(image), False


def test_strength_meter_reads_a_known_motion():
    """A hand-made direction and an apex that moves the mouth by 0.6 of it measure 0.6, whatever the
    crop's enlargement."""
    neutral = face_points(center=(64.0, 64.0), iod=40.0)
    direction = np.zeros((68, 2))
    direction[48:68, 1] = 0.2                                   # the mouth drops by 0.2 IOD
    meter = StrengthMeter(ExpressionDirections({"surprise": direction}))
    apex = neutral + 0.6 * 40.0 * direction
    meter.finder = ByBrightness(neutral, apex, scale=2.0)       # a 128 px crop is found at 256 px
    dark, light = np.zeros((128, 128, 3), np.uint8), np.full((128, 128, 3), 255, np.uint8)
    assert meter.intensity(dark, light, "surprise") == pytest.approx(0.6)
    assert np.isnan(meter.intensity(dark, light, "happy"))      # no direction for that label
    # a maker that does nothing makes an apex with the neutral landmarks: intensity 0
    assert meter.generated_intensity(copy_input, dark, neutral, "surprise") == pytest.approx(0.0, abs=1e-9)
