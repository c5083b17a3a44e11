"""Notebook 06's markdown table: every variant and reference row, with its numbers as recorded."""
from __future__ import annotations

from affinekit.notebook.experiments import results_markdown


def scores(psnr, ssim, correct, clips, acd=0.16):
    return {"psnr": psnr, "ssim": ssim, "expr_acc": correct / clips, "correct": correct, "clips": clips,
            "acd_i": acd}


def test_the_table_has_one_row_per_variant_then_the_references():
    results = {"Q1?": {"A": {"model": scores(23.094, 0.8004, 6, 7)}, "B": {"model": scores(22.1, 0.7031, 4, 7, 0.239)}},
               "Q2?": {"C": {"model": scores(24.745, 0.832, 7, 7)}}}
    reference = {"copy-input": {k: v for k, v in scores(21.69, 0.78, 1, 7).items() if k != "acd_i"},
                 "prior only": scores(23.25, 0.797, 5, 7)}
    lines = results_markdown(results, reference).splitlines()
    assert lines[2] == "| Q1? | A | 23.09 | 0.800 | 6/7 | 0.160 |"
    assert lines[3] == "|  | B | 22.10 | 0.703 | 4/7 | 0.239 |"
    assert lines[4] == "| Q2? | C | 24.75 | 0.832 | 7/7 | 0.160 |"
    assert lines[5] == "| measured against | copy-input | 21.69 | 0.780 | 1/7 | - |"
    assert lines[6].startswith("|  | prior only | 23.25") and len(lines) == 7
