"""A result table broken down: scores per requested expression (with 95% confidence intervals),
two rows' paired difference, the best and worst test clips, and two protocols' tables side by side.

All of it reads `ResultTable.per_sequence` (one dict per row and test sequence:
"row", "key", "label", "psnr", "ssim", "acd_m", "correct", ...) or the rows' means;
nothing is re-measured.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from affinekit.evaluation.metrics import confidence_half_width, mean_of_finite
from affinekit.evaluation.table import DIGITS, ResultTable, fmt

PER_EXPRESSION_METRICS = ("psnr", "ssim", "acd_m", "correct")
# the accuracy is a proportion of one or two clips per expression: a normal interval means nothing there
WITH_INTERVALS = ("psnr", "ssim", "acd_m")


@dataclass
class PerExpression:
    """Per-expression scores: means[metric][row][label], half-widths of their 95% confidence
    intervals errors[metric][row][label] (NaN under two sequences), and the test sequences
    per label."""

    means: dict[str, dict[str, dict[str, float]]]
    errors: dict[str, dict[str, dict[str, float]]]
    counts: dict[str, int]


def per_expression(per_sequence: Iterable[Mapping[str, Any]], rows: Sequence[str],
                   metrics: Sequence[str] = PER_EXPRESSION_METRICS) -> PerExpression:
    """Average each row's per-sequence scores per requested expression, ignoring non-finite
    values (a frame with no face found has no ACD). `rows` are the table rows to keep, in order."""
    values: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for item in per_sequence:
        if item["row"] in rows:
            for metric in metrics:
                values[(item["row"], metric)][item["label"]].append(float(item[metric]))
    means = {metric: {row: {label: mean_of_finite(v) for label, v in values[(row, metric)].items()} for row in rows}
             for metric in metrics}
    errors = {metric: {row: {label: confidence_half_width(v) for label, v in values[(row, metric)].items()}
                       for row in rows} for metric in metrics if metric in WITH_INTERVALS}
    counts = {label: len(v) for label, v in values[(rows[0], metrics[0])].items()} if rows else {}
    return PerExpression(means, errors, counts)


@dataclass
class PairedDifference:
    """Row a minus row b, test sequence by test sequence: the mean, the half-width of its 95%
    interval (normal approximation, `confidence_half_width`), how many sequences, on how many a won."""

    mean: float
    half_width: float
    n: int
    wins: int

    def __str__(self) -> str:
        return f"{self.mean:+.2f} ± {self.half_width:.2f} ({self.wins}/{self.n} sequences above)"


def paired_difference(per_sequence: Iterable[Mapping[str, Any]], row_a: str, row_b: str,
                      metric: str = "psnr") -> PairedDifference:
    """`row_a` minus `row_b` on each test sequence both scored finitely: the same clip's real video,
    so what every row shares (a hard face, a long clip) cancels. A difference whose interval holds
    0 is not a finding, however the rows' means compare."""
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for item in per_sequence:
        if item["row"] in (row_a, row_b):
            scores[item["key"]][item["row"]] = float(item[metric])
    diffs = [s[row_a] - s[row_b] for s in scores.values()
             if len(s) == 2 and all(math.isfinite(v) for v in s.values())]
    return PairedDifference(mean_of_finite(diffs), confidence_half_width(diffs), len(diffs),
                            sum(d > 0 for d in diffs))


def best_and_worst(per_sequence: Iterable[Mapping[str, Any]], row: str, n: int,
                   metric: str = "psnr") -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(best, worst): up to `n` test clips of `row` with the highest and the lowest `metric`, best
    first and worst first. Never the same clip in both: with k clips each list holds at most k // 2."""
    scored = sorted((item for item in per_sequence if item["row"] == row), key=lambda item: item[metric])
    shown = min(n, len(scored) // 2)
    return scored[::-1][:shown], scored[:shown]


def compare_protocols(tables: Mapping[str, ResultTable], metrics: Sequence[str] = ("psnr", "ssim", "expr_acc"),
                      ) -> str:
    """A markdown table: one line per row name the tables share (in the first table's order), one
    column per protocol and metric, and the number of test videos under each protocol."""
    names = list(tables)
    shared = [r.name for r in tables[names[0]].rows if all(_has_row(t, r.name) for t in tables.values())]
    header = ["row"] + [f"{m} ({p})" for m in metrics for p in names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in shared:
        cells = [fmt(tables[p].row(name).metrics.get(m), DIGITS[m]) for m in metrics for p in names]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    videos = ", ".join(f"{p}: {tables[p].rows[0].videos}" for p in names)
    return "\n".join(lines) + f"\n\nTest videos per protocol: {videos}."


def _has_row(table: ResultTable, name: str) -> bool:
    return any(r.name == name for r in table.rows)
