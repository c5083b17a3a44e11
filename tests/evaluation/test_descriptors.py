"""descriptors.py stands on the kit's one face detector and landmark predictor."""
from __future__ import annotations

import numpy as np
import pytest

from affinekit.data.faces import frontal_detector, shape_predictor
from affinekit.evaluation.descriptors import FaceDescriber


def test_the_describer_holds_the_detector_and_predictor_that_prepare_and_generate_use():
    describer = FaceDescriber(box="detect")
    assert describer.detector is frontal_detector()
    assert describer.predictor is shape_predictor()


def test_frames_must_be_uint8_pictures():
    describer = FaceDescriber(box="crop")
    with pytest.raises(TypeError, match="uint8"):
        describer.landmarks(np.zeros((48, 48), np.float32))
    with pytest.raises(ValueError, match="picture"):
        describer.landmarks(np.zeros((48, 48, 2), np.uint8))
