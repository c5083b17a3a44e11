"""The held-out curve of notebook 03: scored when it should be, drawn against step 0."""
from __future__ import annotations

import numpy as np

from affinekit.notebook import held_out
from affinekit.notebook.held_out import HeldOutCurve, plot_held_out


class _Trainer:
    generator = object()


def test_the_curve_scores_every_n_steps_and_at_the_last(monkeypatch):
    calls = []

    def fake_scores(generator, prepared, keys, frames=16):
        calls.append(len(calls))
        return {"psnr": 20.0 + len(calls), "ssim": 0.8, "expr_acc": 1.0, "copy_psnr": 19.0}

    monkeypatch.setattr(held_out, "held_out_scores", fake_scores)
    curve = HeldOutCurve("prepared", ["a"], every=50, last_step=120)
    curve.on_start(_Trainer())                 # step 0: the run's own model before any update
    for step in range(1, 121):
        curve.on_step(_Trainer(), step, {})
    assert [r["step"] for r in curve.rows] == [0, 50, 100, 120]
    assert curve.rows[0]["psnr"] == 21.0 and curve.last["psnr"] == 24.0
    resumed = HeldOutCurve("prepared", ["a"], every=50, step0={"psnr": 20.5, "ssim": 0.7, "expr_acc": 0.5})
    resumed.on_start(_Trainer())              # a given step 0 is kept, not scored again
    assert resumed.rows == [{"step": 0, "psnr": 20.5, "ssim": 0.7, "expr_acc": 0.5}] and len(calls) == 4


def test_the_plot_draws_step_zero_as_a_dashed_line():
    rows = [{"step": 0, "psnr": 23.25}, {"step": 100, "psnr": 23.56}, {"step": 200, "psnr": 23.15}]
    fig = plot_held_out(rows)
    ax = fig.axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and np.allclose(dashed[0].get_ydata(), 23.25)
    assert [t.get_text() for t in ax.texts] == ["23.25", "23.56", "23.15"]
