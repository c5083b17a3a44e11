"""show.experiment_view: notebook 06's figure for one question."""
from __future__ import annotations

import numpy as np

from affinekit.evaluation.metrics import wilson_interval
from affinekit.show.experiment_view import experiment_bars

LABELS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "expr_acc": "expression accuracy", "acd_i": "ACD-I"}


def scores(psnr: float, correct: int) -> dict:
    return {"model": {"psnr": psnr, "ssim": 0.8, "expr_acc": correct / 7, "acd_i": 0.16, "correct": correct, "clips": 7},
            "copy-input": {"psnr": 21.7, "ssim": 0.78, "expr_acc": 0.0, "acd_i": 0.0},
            "landmark-warp": {"psnr": 23.2, "ssim": 0.79, "expr_acc": 1.0, "acd_i": 0.15}}


def test_one_panel_per_metric_with_values_baselines_and_intervals():
    fig = experiment_bars("LSGAN or BCE?", {"LSGAN": scores(23.24, 7), "BCE": scores(23.17, 5)}, LABELS)
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == list(LABELS.values()) and fig._suptitle.get_text() == "LSGAN or BCE?"
    psnr, _, accuracy, _ = axes
    assert [round(b.get_height(), 2) for b in psnr.patches] == [23.24, 23.17]
    assert [t.get_text() for t in psnr.texts] == ["23.24", "23.17"]
    assert {line.get_label(): line.get_ydata()[0] for line in psnr.get_lines()} == {"copy-input": 21.7, "landmark-warp": 23.2}
    assert psnr.get_ylim()[0] > 0                                # PSNR's axis starts near its values, not at 0
    assert [t.get_text() for t in accuracy.texts] == ["7/7", "5/7"]
    low, high = wilson_interval(5, 7)
    bars = accuracy.collections[0].get_segments()[1]              # BCE's interval, drawn from low to high
    assert np.allclose(sorted(bars[:, 1]), [low, high])


def test_given_reference_rows_are_drawn_prior_only_included():
    reference = {"copy-input": {"psnr": 21.7, "ssim": 0.78, "expr_acc": 0.0, "acd_i": 0.0},
                 "landmark-warp": {"psnr": 23.2, "ssim": 0.79, "expr_acc": 5 / 7, "acd_i": 0.14},
                 "prior only": {"psnr": 23.25, "ssim": 0.797, "expr_acc": 5 / 7, "acd_i": 0.151}}
    fig = experiment_bars("Q?", {"A": scores(22.9, 5), "B": scores(22.95, 5)}, LABELS, reference)
    psnr = fig.axes[0]
    assert {line.get_label(): (line.get_ydata()[0], line.get_linestyle()) for line in psnr.get_lines()} == \
        {"copy-input": (21.7, "--"), "landmark-warp": (23.2, ":"), "prior only": (23.25, "-.")}
    assert psnr.get_ylim()[1] > 23.25                            # every line is inside the axis
