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


def tiny_motion_generator():
    from affinekit.config import ModelConfig
    from affinekit.models.generator import Generator
    torch.manual_seed(0)
    g = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=3, max_width=32)).eval()
    g.prior[EXPRESSIONS.index("happy"), 0] = 0.1        # a field along x for happy
    return g


def test_learned_along_prior_reads_a_learned_field_that_cancels_or_adds():
    """A learned field of -0.4 times the prior reads -0.4, +0.3 times reads +0.3; the prior alone reads 0."""
    from affinekit.evaluation.strength import learned_along_prior
    from affinekit.models.motion import Motion

    g = tiny_motion_generator()
    x0 = torch.zeros(1, 3, 32, 32)
    happy = EXPRESSIONS.index("happy")
    assert learned_along_prior(g.prior_alone(), x0, happy) == pytest.approx(0.0, abs=1e-6)
    for share in (-0.4, 0.3):
        field = (g.window * g.prior[happy]).reshape(2, 32, 32)
        # as decode_motion makes it: the flow at l = 1 is the windowed prior plus the learned part
        g.motion = lambda x, label, levels, s=share, f=field: Motion(
            torch.stack([torch.zeros_like(f), f + s * f])[None], torch.zeros(1, 2, 1, 32, 32),
            torch.zeros(1, 2, 3, 32, 32), torch.stack([torch.zeros_like(f), s * f])[None])
        assert learned_along_prior(g, x0, happy) == pytest.approx(share, rel=1e-5)


def test_the_prior_alone_warps_by_l_times_the_prior_and_nothing_else():
    """Whatever the trained weights, the copy's field is l F, its mask shut, its mouth stage gone; the
    model itself is untouched."""
    g = tiny_motion_generator()
    with torch.no_grad():
        g.decoder.out.weight.normal_(0, 0.5)            # a "trained" decoder: a learned field and an open mask
        g.decoder.out.bias.fill_(1.0)
    g.mouth = torch.nn.Identity()
    alone = g.prior_alone()
    x0 = torch.rand(1, 3, 32, 32) * 2 - 1
    happy = torch.tensor([EXPRESSIONS.index("happy")])
    with torch.no_grad():
        motion = alone.motion(x0, happy, torch.tensor([0.0, 0.7]))
    assert torch.allclose(motion.flow[0, 1], 0.7 * g.window * g.prior[happy[0]], atol=1e-7)
    assert float(motion.mask.max()) < 1e-12 and alone.mouth is None
    with torch.no_grad():
        assert float(g.motion(x0, happy, torch.tensor([0.0, 0.7])).mask.max()) > 0.1 and g.mouth is not None


def test_the_field_alone_keeps_the_whole_field_and_shuts_the_mask():
    """The copy's field is the model's own (prior and learned part), its mask shut, its mouth stage gone."""
    g = tiny_motion_generator()
    with torch.no_grad():
        g.decoder.out.weight.normal_(0, 0.5)
        g.decoder.out.bias.fill_(1.0)
    g.mouth = torch.nn.Identity()
    alone = g.prior_alone(learned=True)
    x0 = torch.rand(1, 3, 32, 32) * 2 - 1
    happy, levels = torch.tensor([EXPRESSIONS.index("happy")]), torch.tensor([0.0, 0.7])
    with torch.no_grad():
        mine, model = alone.motion(x0, happy, levels), g.motion(x0, happy, levels)
    assert torch.allclose(mine.flow, model.flow, atol=1e-6)
    assert float((model.flow[0, 1] - 0.7 * g.window * g.prior[happy[0]]).abs().max()) > 1e-3    # it learned
    assert float(mine.mask.max()) < 1e-12 < float(model.mask.max()) and alone.mouth is None and g.mouth is not None


def test_learned_along_prior_reads_a_region_apart_and_the_hull_mask_covers_the_face():
    """A learned field that keeps the prior inside a region and cancels it outside reads 0 and -1 there."""
    from affinekit.evaluation.strength import hull_mask, learned_along_prior
    from affinekit.models.motion import Motion

    g = tiny_motion_generator()
    happy = EXPRESSIONS.index("happy")
    field = (g.window * g.prior[happy]).reshape(2, 32, 32)
    inside = torch.zeros(32, 32, dtype=torch.bool)
    inside[8:24, 8:24] = True
    learned = torch.where(inside, torch.zeros_like(field), -field)
    g.motion = lambda x, label, levels: Motion(torch.stack([torch.zeros_like(field), field + learned])[None],
                                               torch.zeros(1, 2, 1, 32, 32), torch.zeros(1, 2, 3, 32, 32),
                                               torch.stack([torch.zeros_like(field), learned])[None])
    x0 = torch.zeros(1, 3, 32, 32)
    assert learned_along_prior(g, x0, happy, region=inside) == pytest.approx(0.0, abs=1e-6)
    assert learned_along_prior(g, x0, happy, region=~inside) == pytest.approx(-1.0, rel=1e-5)
    mask = hull_mask(face_points(center=(64.0, 64.0), iod=40.0), crop=128, size=32)
    assert mask[16, 16] and not mask[0, 0] and not mask[31, 31] and 0.1 < mask.float().mean() < 0.9
