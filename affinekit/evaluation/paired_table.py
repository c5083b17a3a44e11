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
from affinekit.evaluation.two_sample import FOLDS, PATCH_SHAPE
from affinekit.io.json_values import plain

REAL_PHOTO = "real expression photo"
COLUMNS = ("mouth_error", "closer", "face_ssim", "mouth_ssim", "sharpness", "two_sample", "expr_acc", "judge_acc",
           "acd_i")
HEADERS = {"mouth_error": "mouth error (IOD)", "closer": "closer than copy-input", "face_ssim": "face SSIM",
           "mouth_ssim": "mouth SSIM", "sharpness": "mouth sharpness", "two_sample": "mouth two-sample acc.",
           "expr_acc": "expr. acc.", "judge_acc": "judge acc.", "acd_i": "ACD-I"}
DIGITS = {"mouth_error": 3, "closer": 2, "face_ssim": 3, "mouth_ssim": 3, "sharpness": 2, "two_sample": 2,
          "expr_acc": 3, "judge_acc": 3, "acd_i": 3}


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
            "judge_acc": _mean(r.get("judge_correct", float("nan")) for r in records),   # NaN: no judge
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
        if row == REAL_PHOTO and key not in ("expr_acc", "judge_acc", "acd_i"):
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


def paired_notes(info: dict[str, Any], all_keys: bool, judged: bool = False, mouth_fitted: bool = True) -> list[str]:
    """How every number of the paired table was measured (`judged`: a judge column was filled;
    `mouth_fitted`: the two-sample test's probe was handed down, so that column was measured)."""
    notes = [
        "Each pair: input = the neutral photo's aligned crop, requested label = the pair's, generated apex = "
        "the maker's frame at intensity 1 (uint8, as a saved video holds it); references = the expression "
        "photo(s), each aligned on its own. With several references (MEAD apex frames) every score is the "
        "mean over them (sharpness: geometric mean).",
        "Mouth error: 68 dlib landmarks found on the generated apex and on the reference crop alike (the "
        "kit's HOG detector and shape predictor; where no single face is found, the predictor runs on the box "
        "of the input's landmarks, or of the reference's prepared landmarks: 'landmark fallbacks'); a "
        "least-squares similarity from the generated eye and nose points (27-47) to the reference's moves the "
        "generated mouth points (48-67); the mean distance to the reference's, over the reference's "
        "inter-ocular distance (eye centres). ± is a 95% CI of the mean over pairs. Copy-input's is the "
        "neutral photo's own error. 'closer than copy-input': share of pairs whose mouth error is below "
        "copy-input's on the same pair.",
        f"Detector floor: the reference crops' landmarks against their prepared landmarks (found on the "
        f"full photo) differ by {info['detector_floor']:.3f} IOD at the mouth; "
        f"{info['reference_fallbacks']}/{info['references']} references needed the fallback box.",
        "Face SSIM: the box around the reference's 68 landmarks (no background), the same box cut from the "
        "generated apex; mouth SSIM: the box around the reference's mouth points 48-67 grown by 25% of its "
        "size on each side. SSIM in float on the 0-255 scale, scikit-image defaults, channels averaged.",
        "Mouth sharpness: variance of the 4-neighbour Laplacian (grey, float) of the generated mouth box over "
        "the reference's; the row is the geometric mean over pairs (1 = as sharp as the real photo).",
        "Mouth two-sample accuracy: for each row, a small CNN learns to tell the real photos' mouth boxes "
        "from the row's generated ones (one patch of each per pair, the box of the first reference; grey "
        f"luma, resized to {PATCH_SHAPE[1]} x {PATCH_SHAPE[0]} px, each patch standardised, so neither a grey "
        f"source nor exposure gives a patch away), cross-validated in {FOLDS} folds drawn by person (a person's "
        "real and generated mouth always on one side); the share of held-out patches it classifies right, with "
        "a 95% Wilson interval. 0.5: the generated mouths cannot be told from real ones; 1.0: every one gives "
        "itself away. Copy-input's is how well a neutral mouth is told from the expression's. Per source and "
        "expression: the same held-out answers, counted over that group's patches.",
        "Expression accuracy: the kit's CK+48 classifier on the apex, framed by the input's landmarks; "
        "ACD-I: dlib face descriptor distance of the apex to the input (fixed box calibrated on the inputs), "
        "apexes where no face is found are left out ('faces not found'). The real expression photo's row "
        "gives the targets for these two; its other cells are the photo against itself.",
    ]
    if judged:
        notes.append("Judge acc.: the multi-source judge (affinekit/weights/JUDGE_CARD.md) on the apex crop as "
                     "the generator frames it (grey, 48 px, histogram-equalised): the share read as the requested "
                     "expression, neutral counting as missed (copy-input's: how often a neutral face already reads "
                     "so). Its own held-out accuracy on real photos is the ceiling; the real photo row here "
                     "includes judge-train people, so it reads optimistically.")
    if not mouth_fitted:
        notes.append("Mouth two-sample accuracy: not measured (no probe trainer handed down: pass "
                     "mouth_fit=affinekit.training.two_sample.fit_mouth_probe).")
    if all_keys:
        notes.append("--all-keys: training people are scored too, and landmark-warp was fitted on their pairs.")
    return notes
