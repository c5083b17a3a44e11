"""plots.py and charts.py: images, figures, the live board's throttling."""
from __future__ import annotations

import math

import imageio.v3 as iio
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from affinekit.evaluation import metrics  # noqa: E402
from affinekit.io.runlog import read_log  # noqa: E402
from affinekit.show import charts, plots  # noqa: E402
from affinekit.show.live_board import LiveBoard  # noqa: E402


def test_montage_tiles_rows_and_pads():
    clips = np.zeros((2, 3, 1, 10, 12), np.float32)  # (B, T, C, H, W)
    m = plots.montage(clips, pad=2)
    assert m.shape == (2 * 12 + 2, 3 * 14 + 2, 3)
    nested = plots.montage([[np.zeros((4, 4), np.uint8)], [np.zeros((6, 5), np.uint8)] * 2], pad=1)
    assert nested.shape == (2 * 7 + 1, 2 * 6 + 1, 3)
    with pytest.raises(ValueError):
        plots.montage([])


def test_pick_frames_keeps_ends():
    assert plots.pick_frames(list(range(10)), 4) == [0, 3, 6, 9]
    assert plots.pick_frames(list(range(3)), 8) == [0, 1, 2]


def test_figures_render_to_png(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)
    lm = np.random.default_rng(1).uniform(10, 54, (68, 2)).astype(np.float32)
    mask = np.zeros((64, 64), np.uint8)
    mask[40:50, 20:44] = 1
    figs = [
        plots.frame_grid([[img] * 3, [img] * 2], row_labels=["a", "b"], col_labels=["0", "1", "2"], title="t"),
        plots.landmark_overlay(img, lm, numbers=True, highlight=range(48, 68)),
        plots.lip_steps(img, lm, img, lm, mask, img * mask),
        charts.dataset_overview({"happy": 3, "anger": 1}, {"S1": 2, "S2": 2}, [10, 12, 15]),
        charts.loss_curves([{"step": i, "G_L1": 1.0 / (i + 1), "D_frame_real": 0.5, "D_frame_fake": 0.4} for i in range(30)]),
        plots.show_image(img, "x"),
    ]
    for i, fig in enumerate(figs):
        path = plots.save(fig, tmp_path / f"f{i}.png")
        image = iio.imread(path)                        # the whole figure, at 120 dpi, with something drawn
        width, height = fig.get_size_inches() * 120
        assert np.allclose(image.shape[:2], (height, width), atol=1) and image[..., :3].std() > 10, i


def test_read_log_skips_half_written_lines(tmp_path):
    p = tmp_path / "log.jsonl"
    p.write_text('{"step": 0, "G_L1": 1.0}\n{"step": 1, "G_L1": 0.5}\n{"step": 2, "G_')
    assert [r["step"] for r in read_log(p)] == [0, 1]


def test_smooth_is_a_trailing_mean():
    assert np.allclose(charts.smooth([1, 3, 5, 7], 2), [1, 2, 4, 6])


class FakeHandle:
    def __init__(self):
        self.updates = 0

    def update(self, obj):
        self.updates += 1


def test_liveboard_updates_one_handle_in_place_and_throttles():
    now = [0.0]
    created = []

    def fake_display(obj, display_id=False):
        assert display_id is True
        created.append(FakeHandle())
        return created[-1]

    board = LiveBoard(every=5.0, display_fn=fake_display, clock=lambda: now[0])
    for step in range(20):                           # 20 steps in 2 simulated seconds
        now[0] = step * 0.1
        board.on_step(None, step, {"G_L1": torch.tensor(1.0 / (step + 1)), "D_frame_real": 0.3, "D_frame_fake": 0.2, "note": "x"})
    assert board.draws == 1                          # the first step draws, the rest are throttled
    now[0] = 6.0
    board.on_step(None, 20, {"G_L1": 0.01, "D_frame_real": 0.3, "D_frame_fake": 0.2})
    assert board.draws == 2
    board.on_sample(None, 20, torch.zeros(2, 5, 1, 16, 16))   # samples always redraw
    board.on_end(None)
    assert board.draws == 4
    assert len(created) == 1 and created[0].updates == 3      # one handle, updated in place
    assert len(board.log) == 21 and "note" not in board.log[0]
    assert board.samples is not None and board.samples.ndim == 3


def test_liveboard_outside_a_notebook_draws_nothing_but_keeps_history(tmp_path):
    board = LiveBoard(every=0.0)
    board.on_step(None, 0, {"G_L1": 1.0})
    board.on_end(None)
    assert board.log == [{"step": 0, "G_L1": 1.0}]
    assert board.save(tmp_path / "board.png").exists()


def test_confidence_half_width_by_hand():
    assert metrics.confidence_half_width([1.0, 3.0]) == pytest.approx(1.96 * np.sqrt(2.0) / np.sqrt(2))
    assert math.isnan(metrics.confidence_half_width([5.0])) and math.isnan(metrics.confidence_half_width([]))
    fig = charts.per_expression_bars({"psnr": {"m": {"happy": 20.0, "fear": 21.0}}},
                               errors={"psnr": {"m": {"happy": 1.5, "fear": float("nan")}}})
    assert len(fig.axes[0].containers) >= 1            # bars drawn, with their error bars


def test_intensity_against_position_draws_each_curve_at_its_positions():
    fig = charts.intensity_against_position({"run": [0.0, 0.4, 1.1], "bundled": [0.1, 0.9]}, title="S1",
                                            styles={"bundled": "s:"})
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert set(lines) == {"run", "bundled", "l = position"}
    assert np.allclose(lines["run"].get_xdata(), [0.0, 0.5, 1.0]) and np.allclose(lines["run"].get_ydata(), [0, 0.4, 1.1])
    assert np.allclose(lines["bundled"].get_xdata(), [0.0, 1.0]) and lines["bundled"].get_linestyle() == ":"


def test_balance_bars_and_lambda_and_lips_draw_what_they_are_given():
    counts = {"FRLL": {"happy": 6}, "demo clips": {"happy": 3, "anger": 1}}
    shares = {"FRLL": {"happy": 0.25}, "demo clips": {"happy": 0.25, "anger": 0.5}}
    left, right = charts.balance_bars(counts, shares).axes
    assert sorted(b.get_height() for b in left.patches if not math.isnan(b.get_height())) == [1, 3, 6]
    assert sorted(b.get_height() for b in right.patches if not math.isnan(b.get_height())) == [25, 25, 50]
    scores = {f"S{i}": {"label": "happy", "lambda": [0.0, 0.5, 1.0], "lips": [0.0, 0.1, 0.3], "corr_lips": 0.98}
              for i in range(5)}
    fig = charts.lambda_and_lips(scores)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 5 and len(fig.axes) == 10               # a twin axis per panel: l left, lips right
    assert panels[0].get_title() == "S0 (happy): r = 0.98"
    assert np.allclose(panels[0].get_lines()[0].get_ydata(), [0.0, 0.5, 1.0])
