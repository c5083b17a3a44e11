"""benchmarks/strength_chain.py's table on a hand-made record (no model, no data)."""
from __future__ import annotations

from helpers import load_repo_script


def test_each_stage_is_a_row_and_the_model_is_read_against_the_ceiling():
    script = load_repo_script("benchmarks/strength_chain.py")
    rows = {name: {"happy": (0.8, 10), "sadness": (0.5, 4)} for name in script.ROWS}
    rows["CK+ apex motion, warped"] = {"happy": (0.8, 10), "sadness": (0.5, 4)}
    rows["model"] = {"happy": (0.6, 10), "sadness": (0.75, 4)}
    rows["learned along prior"] = {"happy": (-0.25, 10)}
    lines = script.report({"checkpoint": "m.pt", "seconds": 2.0, "rows": rows})
    table = [line for line in lines if line.startswith("| ")]
    assert table[0] == "| stage | anger | disgust | fear | happy | sadness | surprise |"
    assert "| model (up to n=10) | - | - | - | +0.60 | +0.75 | - |" in table
    assert "| learned along prior (up to n=10) | - | - | - | -0.25 | - | - |" in table
    assert table[-1] == "| model / CK+ apex motion, warped | - | - | - | 75% | 150% | - |"
