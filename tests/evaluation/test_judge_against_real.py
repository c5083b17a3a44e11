"""The judge's accuracy on generated apexes against the same people's real photos, on its test people only."""
from __future__ import annotations

import math

from affinekit.evaluation.judge import accuracy_against_real

MODEL, REAL = "model", "real expression photo"


def item(subject: str, label: str, row: str, correct: int) -> dict:
    return {"subject": subject, "label": label, "row": row, "judge_correct": correct}


def test_only_the_given_people_count_and_ratios_are_per_expression():
    items = [item("a", "happy", REAL, 1), item("a", "happy", MODEL, 1),
             item("b", "happy", REAL, 1), item("b", "happy", MODEL, 0),
             item("a", "fear", REAL, 0), item("a", "fear", MODEL, 0),
             item("c", "happy", REAL, 0), item("c", "happy", MODEL, 1)]       # c: a judge-train person
    out = accuracy_against_real(items, MODEL, {"a", "b"})
    assert out["happy"] == {"n": 2, "real": 1.0, "generated": 0.5, "ratio": 0.5}
    assert out["fear"]["n"] == 1 and math.isnan(out["fear"]["ratio"])       # no real photo read right
    assert out["all"]["n"] == 3 and out["all"]["real"] == 2 / 3 and out["all"]["generated"] == 1 / 3
