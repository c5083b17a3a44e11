"""The files the kit ships in this folder: the bundled generators, the expression classifier and the judge."""
from __future__ import annotations

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent
DEFAULT_WEIGHTS = WEIGHTS_DIR / "affinekit_default.pt"       # the kit's motion head
PIXELS_WEIGHTS = WEIGHTS_DIR / "affinekit_pixels.pt"         # the paper's pixel head, same recipe (for comparison)
CLASSIFIER_WEIGHTS = WEIGHTS_DIR / "expression_classifier.pt"
JUDGE_WEIGHTS = WEIGHTS_DIR / "expression_judge.pt"          # the multi-source judge (JUDGE_CARD.md)
