"""evaluation.breakdown: per-expression means and intervals, best and worst clips, protocols side by side,
checked against numbers worked out by hand."""
from __future__ import annotations

import math

import pytest

from affinekit.evaluation.breakdown import best_and_worst, compare_protocols, per_expression
from affinekit.evaluation.table import ResultTable, RowResult


def item(row, key, label, psnr, correct=True, acd_m=0.1):
    return dict(row=row, key=key, label=label, psnr=psnr, ssim=0.5, acd_m=acd_m, correct=correct)


PER_SEQUENCE = [item("model", "s1", "happy", 20.0), item("model", "s2", "happy", 24.0, correct=False),
                item("model", "s3", "fear", 18.0, acd_m=math.nan), item("copy-input", "s1", "happy", 21.0),
                item("copy-input", "s2", "happy", 21.0), item("copy-input", "s3", "fear", 19.0)]


def test_per_expression_means_intervals_and_counts():
    got = per_expression(PER_SEQUENCE, ["model", "copy-input"])
    assert got.means["psnr"]["model"] == {"happy": 22.0, "fear": 18.0}
    assert got.means["correct"]["model"]["happy"] == 0.5
    assert math.isnan(got.means["acd_m"]["model"]["fear"])          # no finite value: no mean
    # 1.96 * s / sqrt(n) with s = std(20, 24) = 2 * sqrt(2), n = 2
    assert got.errors["psnr"]["model"]["happy"] == pytest.approx(1.96 * 2 * math.sqrt(2) / math.sqrt(2))
    assert math.isnan(got.errors["psnr"]["model"]["fear"])           # one sequence says nothing of spread
    assert got.errors["psnr"]["copy-input"]["happy"] == 0.0
    assert "correct" not in got.errors                               # no normal interval on a proportion
    assert got.counts == {"happy": 2, "fear": 1}


def test_best_and_worst_never_share_a_clip():
    best, worst = best_and_worst(PER_SEQUENCE, "model", 3)
    assert [b["key"] for b in best] == ["s2"] and [w["key"] for w in worst] == ["s3"]   # 3 clips: one each
    assert best_and_worst(PER_SEQUENCE[:1], "model", 3) == ([], [])
    best, worst = best_and_worst(PER_SEQUENCE, "copy-input", 1)
    assert best[0]["psnr"] == 21.0 and worst[0]["key"] == "s3"


def table(psnr_model, videos):
    rows = [RowResult("real videos", "reference", {"psnr": math.inf, "ssim": 1.0, "expr_acc": 0.9}, videos=videos),
            RowResult("copy-input", "baseline", {"psnr": 21.5, "ssim": 0.8, "expr_acc": 0.0}, videos=videos),
            RowResult("model", "model", {"psnr": psnr_model, "ssim": 0.7, "expr_acc": 0.5}, videos=videos)]
    return ResultTable("t", rows)


def test_compare_protocols_puts_each_protocol_beside_the_other():
    text = compare_protocols({"subject": table(22.25, 8), "paper": table(30.5, 38)}, metrics=("psnr",))
    lines = text.splitlines()
    assert lines[0] == "| row | psnr (subject) | psnr (paper) |"
    assert "| model | 22.25 | 30.50 |" in lines and "| copy-input | 21.50 | 21.50 |" in lines
    assert text.endswith("Test videos per protocol: subject: 8, paper: 38.")
    only_one = table(20.0, 8)
    only_one.rows = only_one.rows[:2]
    assert "| model |" not in compare_protocols({"subject": table(22.0, 8), "paper": only_one})


def test_paired_difference_is_taken_sequence_by_sequence():
    from affinekit.evaluation.breakdown import paired_difference

    # two rows whose means differ by 1 dB, and on each sequence by exactly 1 dB; a third sequence
    # with no finite score on one row is left out
    items = [{"row": r, "key": k, "psnr": v} for k, a, b in (("s1", 21.0, 20.0), ("s2", 31.0, 30.0),
                                                             ("s3", 26.0, float("inf")))
             for r, v in (("model", a), ("warp", b))]
    d = paired_difference(items, "model", "warp")
    assert (d.mean, d.half_width, d.n, d.wins) == (1.0, 0.0, 2, 2)
    # the same means, but the difference changes sign between sequences: an interval that holds 0
    items[1]["psnr"], items[3]["psnr"] = 19.0, 32.0
    d = paired_difference(items, "model", "warp")
    assert d.n == 2 and d.wins == 1 and d.mean - d.half_width < 0 < d.mean + d.half_width
    assert str(d).startswith("+0.50 ±")
