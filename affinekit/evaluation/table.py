"""The result table: one row per clip maker, metric means (over videos, then folds), their spread over
folds, the notes that say how each number was measured, and the published rows quoted apart."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from affinekit.io.json_values import plain

ClipMaker = Callable[..., torch.Tensor]
METRIC_KEYS = ("psnr", "ssim", "acd_c", "acd_i", "acd_m", "expr_acc")
REAL = "real videos"

# Published numbers, quoted (never measured here): the seed paper's Table 2, whose
# columns are PSNR, SSIM, ACD (the mean pairwise distance within a video, our ACD-C)
# and ACD-I; it reports no ACD-M.
QUOTED_SOURCE = ("Hung, Duy, Huy, \"Creating a Video from Facial Image Using Conditional Generative "
                 "Adversarial Network\", Table 2, CK+; its ACD is the ACD-C column here")
QUOTED_ROWS: list[dict[str, Any]] = [
    {"name": "VGAN", "psnr": 16.32, "ssim": 0.41, "acd_c": 0.14, "acd_i": 1.55, "acd_m": None},
    {"name": "MoCoGAN", "psnr": 18.16, "ssim": 0.58, "acd_c": 0.15, "acd_i": 0.90, "acd_m": None},
    {"name": "ImaGINator", "psnr": 20.29, "ssim": 0.85, "acd_c": 0.08, "acd_i": 0.29, "acd_m": None},
    {"name": "AffineGAN", "psnr": 35.50, "ssim": 0.91, "acd_c": 0.06, "acd_i": 0.16, "acd_m": None},
]


# -- the table ---------------------------------------------------------------------------
@dataclass
class RowResult:
    """One row: metric means (over videos, then folds), their spread over folds, speed, faces lost."""
    name: str
    kind: str                                      # "reference", "baseline" or "model"
    metrics: dict[str, float]
    spread: dict[str, float] | None = None         # std over folds
    fps: float | None = None
    faces_not_found: int = 0
    frames_described: int = 0
    videos: int = 0
    note: str | None = None


def fmt(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}f}"


DIGITS = {"psnr": 2, "ssim": 3, "acd_c": 3, "acd_i": 3, "acd_m": 3, "expr_acc": 3}
HEADERS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "acd_c": "ACD-C", "acd_i": "ACD-I", "acd_m": "ACD-M",
           "expr_acc": "expr. acc."}


@dataclass
class ResultTable:
    """Rows measured in one run, the quoted published rows apart, notes, per-sequence results."""
    title: str
    rows: list[RowResult]
    notes: list[str] = field(default_factory=list)
    wraparound: dict[str, float] = field(default_factory=dict)
    per_sequence: list[dict[str, Any]] = field(default_factory=list)
    clips: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)   # key -> row -> (T,H,W,C) uint8
    config: dict[str, Any] = field(default_factory=dict)
    quoted: list[dict[str, Any]] = field(default_factory=lambda: [dict(r) for r in QUOTED_ROWS])

    def row(self, name: str) -> RowResult:
        """The row called `name`."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no row {name!r}; rows are {', '.join(r.name for r in self.rows)}")

    def _cell(self, r: RowResult, key: str) -> str:
        value = r.metrics.get(key)
        if r.kind == "reference" and key == "ssim":
            return "—"                              # real vs itself: 1 by definition, not a score
        text = fmt(value, DIGITS[key])
        if r.spread is not None and value is not None and not math.isinf(value) and text != "n/a":
            text += f" ± {fmt(r.spread.get(key), DIGITS[key])}"
        return text

    def to_markdown(self) -> str:
        """The table, the quoted rows apart, and the notes, as markdown."""
        keys = list(METRIC_KEYS)
        head = ["row"] + [HEADERS[k] for k in keys] + ["frames/s", "faces not found"]
        lines = [f"### {self.title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in self.rows:
            fps = "—" if r.fps is None else f"{r.fps:.1f}"
            lost = f"{r.faces_not_found}/{r.frames_described}"
            name = r.name + (" †" if r.note else "")
            lines.append("| " + " | ".join([name] + [self._cell(r, k) for k in keys] + [fps, lost]) + " |")
        for r in self.rows:
            if r.note:
                lines.append(f"\n† {r.name}: {r.note}")
        lines += ["", f"**Quoted, not measured** ({QUOTED_SOURCE}; other data, split and metric code: "
                      "not comparable with the rows above):", "",
                  "| method (quoted) | PSNR (dB) | SSIM | ACD-C | ACD-I | ACD-M |", "|---|---|---|---|---|---|"]
        for q in self.quoted:
            cells = [fmt(q.get(k), DIGITS[k]) for k in ("psnr", "ssim", "acd_c", "acd_i", "acd_m")]
            lines.append("| " + " | ".join([q["name"]] + cells) + " |")
        lines += ["", "Notes:"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def to_dict(self, include_clips: bool = False) -> dict[str, Any]:
        """Everything but the clips (unless asked), JSON-ready (inf as "inf", NaN as null)."""
        out = {"title": self.title, "config": self.config,
               "rows": [r.__dict__ for r in self.rows], "quoted": {"source": QUOTED_SOURCE, "rows": self.quoted},
               "wraparound": self.wraparound, "notes": self.notes, "per_sequence": self.per_sequence}
        if include_clips:
            out["clips"] = {k: {n: c.tolist() for n, c in v.items()} for k, v in self.clips.items()}
        return plain(out)

    def to_json(self) -> str:
        """`to_dict()` as indented JSON."""
        return json.dumps(self.to_dict(), indent=1)
