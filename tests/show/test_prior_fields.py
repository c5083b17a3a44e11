"""The prior figure on hand-made fields."""
from __future__ import annotations

import torch

from affinekit.expressions import EXPRESSIONS
from affinekit.show.prior_fields import field_pixels, prior_comparison


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
