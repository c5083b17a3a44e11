"""Issue 28's target "each generated expression reads at least 80% as often as the real photos":
the judge on the paired table's generated apexes against the same people's real expression photos,
on validation people the judge never trained on.

    python benchmarks/judge_against_real.py [--paired figures/paired_real.json]

Reads the per-pair items that notebook 04 writes (`figures/paired_real.json`, the paired protocol on
FRLL, JAFFE, Yale and MEAD validation people) and keeps the judge's test people only (its checkpoint
lists them): half the validation people trained the judge, and their real photos would flatter it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from affinekit.commands.script_args import run_script

ROOT = Path(__file__).resolve().parents[1]
MODEL_ROW = "model: weights/affinekit_default.pt [motion head]"


def main(argv: list[str] | None = None) -> int:
    from affinekit.evaluation.judge import accuracy_against_real, judge_test_people
    from affinekit.json_limits import loads_bounded

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paired", default=str(ROOT / "figures" / "paired_real.json"))
    parser.add_argument("--row", default=MODEL_ROW, help="the model row to read")
    args = parser.parse_args(argv)
    path = Path(args.paired)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no paired table; make it with `affinekit figures --only 04`")
    items = loads_bounded(path.read_text())["items"]
    people = judge_test_people()
    scores = accuracy_against_real(items, args.row, people)
    print(f"{len({it['subject'] for it in items if it['subject'] in people})} judge-test people of the paired table")
    for label, s in scores.items():
        verdict = "—" if s["ratio"] != s["ratio"] else ("met" if s["ratio"] >= 0.8 else "missed")
        print(f"{label:9s} n={s['n']:2d}  real {s['real']:.2f}  generated {s['generated']:.2f}  "
              f"ratio {s['ratio']:.2f}  (target 0.8: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
