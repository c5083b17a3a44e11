"""Where the specks come from: issue 28's speck measure per expression, with the mouth stage on and off.

    python benchmarks/specks_by_expression.py [--checkpoint PATH] [--faces open|validation] [--intensity L]

`evaluation.faithful.apex_measures` on each face's apex for each of the six expressions, as
`benchmarks/full_strength.py` measures the target (the share of the face box outside the mouth box
whose chroma departs from the warped photo's by more than 15), once as `affinekit generate` renders
it and once with the mouth stage off. Prints both means and, per expression, what the mouth stage
adds. The mouth box is the input photo's (the neutral mouth), so a mouth the model opens below it
counts there too. Faces: the open faces, or the judge-test validation people's neutral faces
(`wild_faces.py --faces validation`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from affinekit.commands.script_args import number, run_script

sys.path.insert(0, str(Path(__file__).resolve().parent))      # the sibling benchmark wild_faces
from wild_faces import SIX, add_face_options, aligned_faces, chosen_faces  # noqa: E402


def specks_on_and_off(animator, faces: list[tuple[str, np.ndarray]], level: float) -> dict[str, dict[str, list[float]]]:
    """{expression: {"on": [...], "off": [...]}}: each face's specks outside the mouth box at `level`,
    with the mouth stage on and off (faces the detector misses are skipped, named on stderr; an open
    face's own mouths are left out of the bank)."""
    from affinekit.evaluation.faithful import apex_measures
    from affinekit.expressions import EXPRESSIONS

    out: dict[str, dict[str, list[float]]] = {e: {"on": [], "off": []} for e in SIX}
    for _, aligned in aligned_faces(animator, faces):
        for e in SIX:
            for key, mouth in (("on", True), ("off", False)):
                m = apex_measures(animator.generator, aligned, EXPRESSIONS.index(e), level, mouth=mouth)
                out[e][key].append(m["specks_outside_mouth"])
    return out


def report(specks: dict[str, dict[str, list[float]]]) -> list[str]:
    """The lines printed: both means over every clip, then the mouth stage's change per expression."""
    on = [v for e in SIX for v in specks[e]["on"]]
    off = [v for e in SIX for v in specks[e]["off"]]
    lines = [f"specks outside the mouth box ({len(on)} clips): mouth stage on {np.mean(on):.3%}, "
             f"off {np.mean(off):.3%} (target < 0.1% at l = 1, < 0.5% at l = 2)"]
    lines += [f"  {e:9s} on {np.mean(specks[e]['on']):.3%}  off {np.mean(specks[e]['off']):.3%}  "
              f"mouth stage adds {np.mean(specks[e]['on']) - np.mean(specks[e]['off']):+.3%}"
              for e in SIX if specks[e]["on"]]
    return lines


def main(argv: list[str] | None = None) -> int:
    from affinekit.generate.animate import load_pretrained

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a checkpoint instead of the bundled model")
    add_face_options(parser)
    parser.add_argument("--intensity", type=number(0, 2, above=True), default=1.0)
    args = parser.parse_args(argv)
    faces = chosen_faces(args)          # before the model: a missing folder fails at once
    animator = load_pretrained(args.checkpoint)
    if animator.generator.mouth is None:
        raise ValueError(f"{args.checkpoint}: this model has no mouth stage to compare; use one that has "
                         "(the bundled model, or scripts/train_mouth_refiner.py --attach)")
    print("\n".join(report(specks_on_and_off(animator, faces, args.intensity))))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main, also=(ValueError,)))
