"""What the judge reads on real photos outside its own test people: the generator's training people.

    python benchmarks/judge_ceiling.py [--prepared prepared] [--judge PATH]

The judge's held-out table (JUDGE_CARD.md) rests on 28 people, 16 of them CK+48's. The generator's
training people are many more, and the judge never saw them (`training.judge_data`: it may learn only
from the generator's validation people). Their real expression photos, read as a generated clip is
read, say how often the judge names a real anger, disgust, ... of a colour face outside CK+: a ceiling
for what it can read on generated clips of such faces (`benchmarks/wild_faces.py`). Nothing is
trained or chosen here.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from affinekit.commands.script_args import run_script

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("ck128", "frll", "jaffe", "yale", "mead")
ASKED = ["anger", "disgust", "fear", "happy", "sadness", "surprise"]


def main(argv: list[str] | None = None) -> int:
    from affinekit.evaluation.judge import load_judge
    from affinekit.expressions import EXPRESSIONS
    from affinekit.training.classifier import probabilities as net_probabilities
    from affinekit.training.judge import held_out_report, scores_table
    from affinekit.training.judge_data import generator_roles, read_faces

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepared", default=str(ROOT / "prepared"),
                        help="folder holding the prepared sources (one sub-folder each)")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma-separated sub-folders of --prepared")
    parser.add_argument("--judge", default=None, help="a judge checkpoint (default: the bundled one)")
    args = parser.parse_args(argv)
    folders = [Path(args.prepared) / s for s in args.sources.split(",") if s]
    missing = [str(f) for f in folders if not (f / "manifest.json").is_file()]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)}: not prepared (no manifest.json); prepare them with "
                                "`affinekit prepare`, or pass --prepared")
    judge = load_judge(args.judge)
    faces = read_faces(generator_roles(folders), judge.config.size, neutral=False,
                       equalize=judge.equalize, oval=judge.oval)
    # the six expressions `wild_faces.py` asks for (MEAD also shows contempt)
    faces = faces.subset([i for i, label in enumerate(faces.labels) if EXPRESSIONS[label] in ASKED])
    # the faces are already the judge's input (grey, sized, equalised as it was trained): read them as
    # its held-out report reads judge-test, not through `Judge.probabilities`, which would prepare them again
    probabilities = net_probabilities(judge.net, faces.images)
    report = held_out_report(probabilities, faces, judge.labels)
    outside = [i for i, s in enumerate(faces.sources) if s != "ckplus"]
    if outside:
        report["outside CK+"] = held_out_report(probabilities[outside], faces.subset(outside), judge.labels)["all"]
    print(f"the judge ({args.judge or 'bundled'}) on the real expression photos of the generator's training "
          f"people ({len(set(faces.people))} people, {len(faces.labels)} faces; it never saw them)")
    print(scores_table(report, ASKED, head="real photos"))
    names = judge.named(probabilities)
    shares = {s: sum(n == "neutral" for n, t in zip(names, faces.sources) if t == s) / faces.sources.count(s)
              for s in sorted(set(faces.sources))}
    print("read as neutral: " + ", ".join(f"{s} {v:.2f}" for s, v in shares.items()))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
