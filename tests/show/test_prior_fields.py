"""The prior figures on hand-made fields, and the prior split from a tiny generator's learned correction."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from affinekit.config import ModelConfig
from affinekit.expressions import EXPRESSIONS
from affinekit.models.generator import Generator
from affinekit.models.motion import Motion
from affinekit.show.prior_fields import (field_pixels, field_summary, plot_prior_and_learned, prior_comparison,
                                         split_motion)

SIZE = 16
CFG = ModelConfig(image_size=SIZE, channels=1, base_width=4, depth=2, max_width=8)
HAPPY, ANGER = EXPRESSIONS.index("happy"), EXPRESSIONS.index("anger")
PATCH = (slice(4, 8), slice(9, 13))         # where the hand-set correction moves the face (rows, columns)


class HandSetCorrection(Generator):
    """A fresh generator (its learned correction zero) with a correction set by hand: 0.25 of the crop
    (2 px at 16 px) to the right, on PATCH alone."""

    def motion(self, x0, label, intensities):
        m = super().motion(x0, label, intensities)
        extra = torch.zeros_like(m.flow)
        extra[..., 0, PATCH[0], PATCH[1]] = 0.25
        return Motion(m.flow + extra, m.mask, m.residual, m.correction + extra)


def tiny(cls=Generator) -> Generator:
    torch.manual_seed(0)
    g = cls(CFG).eval()
    with torch.no_grad():
        g.prior[HAPPY, 1] = 0.125                # the prior: 1 px down, everywhere but the faded border
        g.decoder.out.bias[2] = -30.0            # the mask shut: a frame is the warp alone
    return g


def faces(n: int = 2) -> torch.Tensor:
    return torch.rand(n, 1, SIZE, SIZE, generator=torch.Generator().manual_seed(1)) * 2 - 1


def test_prior_comparison_draws_one_panel_per_fit_and_expression():
    plain = torch.zeros(len(EXPRESSIONS), 2, 32, 32)
    least = torch.zeros_like(plain)
    plain[EXPRESSIONS.index("happy"), 0] = 0.1                  # 1.6 px of a 32 px crop
    least[EXPRESSIONS.index("happy"), 0] = 0.2                  # twice as far
    fig = prior_comparison({"plain mean": plain, "least squares": least}, ["happy", "sadness"])
    titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert len(titles) == 4
    assert "happy, plain mean\nmean 1.60 px" in titles and "happy, least squares\nmean 3.20 px" in titles
    assert "sadness, least squares\nmean 0.00 px" in titles
    assert abs(field_pixels(least[EXPRESSIONS.index("happy")])[0].max() - 3.2) < 1e-6


def test_without_a_correction_the_model_frame_is_the_prior_frame():
    g = tiny()
    parts = split_motion(g, faces(), [HAPPY, ANGER])
    assert parts["input"].shape == parts["prior"].shape == parts["model"].shape == (2, SIZE, SIZE, 1)
    assert parts["prior_field"].shape == parts["correction"].shape == (2, 2, SIZE, SIZE)
    assert np.array_equal(parts["prior"], parts["model"]) and not np.any(parts["correction"])
    # the prior's part is the buffer as the model applies it: l * F_y, faded at the crop's border, in pixels
    expected = (g.window[0, 0] * g.prior[HAPPY] * SIZE / 2).double().numpy()
    assert np.allclose(parts["prior_field"][0], expected) and not np.any(parts["prior_field"][1])
    assert not np.array_equal(parts["prior"][0], parts["input"][0])        # the prior moved the face
    assert np.array_equal(parts["prior"][1], parts["input"][1])            # anger has no prior here


def test_the_prior_frame_differs_from_the_model_frame_where_the_correction_is():
    parts = split_motion(tiny(HandSetCorrection), faces(), [HAPPY, ANGER])
    moved = np.hypot(parts["correction"][:, 0], parts["correction"][:, 1]) > 0
    assert moved[:, PATCH[0], PATCH[1]].all() and moved.sum() == 2 * 16
    assert np.allclose(parts["correction"][:, 0, PATCH[0], PATCH[1]], 2.0)          # 0.25 of 8 px
    differs = np.abs(parts["model"].astype(int) - parts["prior"]).max(-1) > 0
    assert differs.any(axis=(1, 2)).all() and not (differs & ~moved).any()
    summary = field_summary(parts, ["happy", "anger"])
    assert summary["anger"]["correction_max_px"] == 2.0 and summary["anger"]["prior_mean_px"] == 0.0
    assert summary["happy"]["against_prior"] == 0.0      # sideways to a downward prior: takes none of it back


def test_field_summary_averages_each_group_and_measures_the_share_taken_back():
    prior = np.zeros((3, 2, 4, 4))
    prior[:, 1] = 2.0
    correction = np.zeros_like(prior)
    correction[0, 1], correction[1, 1], correction[2, 0] = -1.0, -0.5, 3.0
    summary = field_summary({"prior_field": prior, "correction": correction}, ["happy", "happy", "anger"])
    assert list(summary) == ["happy", "anger"]
    assert summary["happy"] == {"prior_mean_px": 2.0, "correction_mean_px": 0.75, "prior_max_px": 2.0,
                                "correction_max_px": 0.75, "against_prior": 0.375}
    assert summary["anger"]["correction_mean_px"] == 3.0 and summary["anger"]["against_prior"] == 0.0


def test_plot_prior_and_learned_draws_five_panels_per_row_on_one_colour_scale():
    parts = split_motion(tiny(HandSetCorrection), faces(), [HAPPY, ANGER],
                         landmarks=torch.full((2, 68, 2), 8.0))
    fig = plot_prior_and_learned(parts, ["face 1\nhappy", "face 1\nanger"], title="tiny")
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 10
    titles = [ax.get_title() for ax in panels]
    assert titles[:3] == ["input", "prior alone, l=1", "the model, l=1"]
    assert titles[3].startswith("|l F_y|, the prior\nmean ") and titles[4].startswith("|learned correction|\nmean ")
    assert titles[9] == "mean 0.12 px, max 2.0"                    # anger: 2 px on 16 of 256 pixels
    scales = {(ax.get_images()[0].norm.vmin, ax.get_images()[0].norm.vmax) for ax in panels[3:5] + panels[8:10]}
    assert len(scales) == 1                                        # the two fields share one colour scale
    assert len(fig.axes) == 11 and "pixels of the model's crop" in fig.axes[-1].get_ylabel()    # its colourbar
    assert parts["landmarks"].shape == (2, 68, 2)


def test_split_motion_needs_a_motion_head():
    with pytest.raises(ValueError, match="no motion field"):
        split_motion(Generator(ModelConfig(**{**CFG.__dict__, "output": "pixels"})), faces(1), [HAPPY])
