"""The paired evaluation's table: each maker's scores against the people's real expression photos,
overall, per source and per expression, from one list of per-item records."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from affinekit.evaluation import metrics
from affinekit.evaluation.table import fmt
from affinekit.io.json_values import plain

REAL_PHOTO = "real expression photo"
COLUMNS = ("mouth_error", "closer", "face_ssim", "mouth_ssim", "sharpness", "two_sample", "expr_acc", "acd_i")
HEADERS = {"mouth_error": "mouth error (IOD)", "closer": "closer than copy-input", "face_ssim": "face SSIM",
           "mouth_ssim": "mouth SSIM", "sharpness": "mouth sharpness", "two_sample": "mouth two-sample acc.",
           "expr_acc": "expr. acc.", "acd_i": "ACD-I"}
DIGITS = {"mouth_error": 3, "closer": 2, "face_ssim": 3, "mouth_ssim": 3, "sharpness": 2, "two_sample": 2,
          "expr_acc": 3, "acd_i": 3}


def _mean(values: Iterable[float]) -> float:
    return metrics.mean_skipping_nan(np.asarray([float(x) for x in values], np.float64))


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """One row's scores over its per-item records: means, the mouth error's 95% CI half-width, the
    geometric mean of the sharpness ratios (a ratio of 2 and one of 1/2 average to 1), the two-sample
    accuracy over the records' held-out mouth patches with its 95% Wilson interval, counts."""
    told = int(sum(r["two_sample_correct"] for r in records))
    patches = int(sum(r["two_sample_patches"] for r in records))
    low, high = metrics.wilson_interval(told, patches)
    return {"mouth_error": _mean(r["mouth_error"] for r in records),
            "mouth_error_ci": metrics.confidence_half_width([r["mouth_error"] for r in records]),
            "closer": _mean(r["closer"] for r in records),
            "face_ssim": _mean(r["face_ssim"] for r in records),
            "mouth_ssim": _mean(r["mouth_ssim"] for r in records),
            "sharpness": metrics.geometric_mean_ratio(r["sharpness"] for r in records),
            "two_sample": told / patches if patches else float("nan"),
            "two_sample_low": low, "two_sample_high": high, "two_sample_patches": patches,
            "expr_acc": _mean(r["correct"] for r in records),
            "acd_i": _mean(r["acd_i"] for r in records),
            "n": len(records),
            "fallbacks": int(sum(r["fallback"] for r in records)),
            "faces_not_found": int(sum(not r["face_found"] for r in records))}


@dataclass
class PairedTable:
    """Rows (makers, in order) scored on still pairs; `items` holds one record per row and item."""
    title: str
    rows: list[str]
    items: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def _groups(self, by: str | None) -> dict[str, dict[str, dict[str, float]]]:
        """{group: {row: summary}}; one group "all" when `by` is None."""
        names = ["all"] if by is None else sorted({str(r[by]) for r in self.items})
        return {g: {row: summarise([r for r in self.items if r["row"] == row and (by is None or str(r[by]) == g)])
                    for row in self.rows} for g in names}

    @property
    def overall(self) -> dict[str, dict[str, float]]:
        """{row: summary} over every scored item."""
        return self._groups(None)["all"]

    def _cell(self, row: str, key: str, s: dict[str, float]) -> str:
        if row == REAL_PHOTO and key not in ("expr_acc", "acd_i"):
            return "—"                       # the photo against itself: 0 error, SSIM 1 by definition
        if row == "copy-input" and key == "closer":
            return "—"
        text = fmt(s[key], DIGITS[key])
        if key == "mouth_error" and text != "n/a" and math.isfinite(s["mouth_error_ci"]):
            text += f" ± {fmt(s['mouth_error_ci'], 3)}"
        if key == "two_sample" and text != "n/a":
            text += f" [{fmt(s['two_sample_low'], 2)}, {fmt(s['two_sample_high'], 2)}]"
        return text

    def _markdown_table(self, summaries: dict[str, dict[str, float]], extra: bool) -> list[str]:
        head = ["row"] + [HEADERS[k] for k in COLUMNS] + ["n"] + (["landmark fallbacks", "faces not found"]
                                                                   if extra else [])
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row, s in summaries.items():
            cells = [row] + [self._cell(row, k, s) for k in COLUMNS] + [str(s["n"])]
            if extra:
                cells += [f"{s['fallbacks']}/{s['n']}", f"{s['faces_not_found']}/{s['n']}"]
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def to_markdown(self) -> str:
        """The overall table, then one table per source and per expression, then the notes."""
        lines = [f"### {self.title}", ""] + self._markdown_table(self.overall, extra=True)
        for by, what in (("source", "Source"), ("label", "Expression")):
            for group, summaries in self._groups(by).items():
                lines += ["", f"#### {what}: {group}", ""] + self._markdown_table(summaries, extra=False)
        lines += ["", "Notes:"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The same numbers nested: overall[row], by_source[source][row], by_expression[label][row],
        plus the per-item records, JSON-ready (NaN as null)."""
        return plain({"title": self.title, "rows": self.rows, "overall": self.overall,
                          "by_source": self._groups("source"), "by_expression": self._groups("label"),
                          "notes": self.notes, "config": self.config, "items": self.items})

    def to_json(self) -> str:
        """`to_dict()` as indented JSON."""
        return json.dumps(self.to_dict(), indent=1)
