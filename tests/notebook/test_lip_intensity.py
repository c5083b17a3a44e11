"""lip_intensity.py: the displacement measure and its summary over sequences."""
from __future__ import annotations

import math

import numpy as np

from affinekit.notebook.lip_intensity import lip_displacement, summary


def test_summary_averages_each_correlation_skipping_clips_without_one():
    scores = {"a": {"corr_lips": 0.9, "corr_position": 0.5, "lips_position": math.nan},
              "b": {"corr_lips": math.nan, "corr_position": 0.7, "lips_position": 0.2}}
    got = summary(scores)
    assert got["sequences"] == 2 and got["corr_lips_mean"] == 0.9 and got["lips_position_mean"] == 0.2
    assert abs(got["corr_position_mean"] - 0.6) < 1e-12


def test_lip_displacement_is_in_inter_ocular_distances():
    pts = np.zeros((2, 68, 2))
    pts[:, 36:42, 0], pts[:, 42:48, 0] = 0.0, 10.0      # eyes 10 px apart
    pts[1, 48:68, 1] += 5.0                              # every lip point 5 px down
    assert np.allclose(lip_displacement(pts), [0.0, 0.5])
