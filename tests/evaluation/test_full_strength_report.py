"""benchmarks/full_strength.py's verdicts on a hand-made record (no model, no data)."""
from __future__ import annotations

from helpers import load_repo_script


def load_script():
    return load_repo_script("benchmarks/full_strength.py")


def test_each_target_gets_its_verdict():
    script = load_script()
    record = {
        "checkpoint": "model.pt", "seconds": 1.0,
        "prior_px": {"happy": 0.50, "sadness": 0.30},                    # 86% and 83% of 0.58, 0.36
        "strength": {"model": {"happy": (0.9, 10), "sadness": (1.3, 4)},
                     "real apex (same detector)": {"happy": (0.6, 10), "sadness": (0.0, 4)},
                     "landmark-warp": {"happy": (0.4, 10)}},
        "faithful": {"l=1": {"sharpness_kept": 0.95, "warp_sharpness_kept": 0.97, "specks": 0.002,
                             "specks_outside_mouth": 0.0005, "synthesised_share": 0.05, "clips": 6},
                     "l=2": {"sharpness_kept": 0.85, "warp_sharpness_kept": 0.9, "specks": 0.01,
                             "specks_outside_mouth": 0.006, "synthesised_share": 0.08, "clips": 6}},
        "astronaut": [["photo_neutral.png", "happy"], ["007_03.jpg", "sadness"]],
        "like": {"ck128": {"same": 0.7, "n": 10}, "pooled": {"same": 0.55, "n": 20}},
    }
    rows = {}
    for line in script.report(record):
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0] not in ("target", "---"):
            rows[(cells[0].split(" (")[0], cells[1].split(" ")[0])] = cells[4]
    assert rows[("Prior", "happy")] == "met" and rows[("Prior", "sadness")] == "MISSED"
    assert rows[("Strength", "happy")] == "met" and rows[("Strength", "sadness")] == "MISSED"
    assert rows[("Sharpness outside the mouth box", "l=1,")] == "met"
    assert rows[("Sharpness outside the mouth box", "l=2,")] == "MISSED"
    assert rows[("Specks", "l=1")] == "met" and rows[("Specks", "l=2")] == "MISSED"
    assert rows[("--like astronaut", "from")] == "met"
    assert rows[("--like top weight right", "ck128")] == "MISSED"


def test_parts_not_measured_again_are_read_back_from_the_same_checkpoints_record(tmp_path):
    import json
    script = load_script()
    earlier = tmp_path / "full_strength.json"
    earlier.write_text(json.dumps([{"checkpoint": "other.pt", "like": {"x": 0}},
                                   {"checkpoint": "model.pt", "strength": {"model": {}}, "faithful": {"old": 1},
                                    "like": {"pooled": {"same": 0.5, "n": 2}}}]))
    fresh = {"checkpoint": "model.pt", "prior_px": {}, "faithful": {"new": 1}, "seconds": 2.0}
    merged = script.with_earlier_parts(fresh, earlier)
    assert merged["faithful"] == {"new": 1}                       # what was measured now stays
    assert merged["strength"] == {"model": {}} and merged["like"]["pooled"]["n"] == 2
    assert merged["read_back"] == ["strength", "like"]
    assert script.with_earlier_parts({"checkpoint": "new.pt"}, earlier) == {"checkpoint": "new.pt"}
    assert script.with_earlier_parts(fresh, tmp_path / "none.json") == fresh
