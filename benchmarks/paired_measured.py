"""The paired mouth error at intensity 1 and at each pair's own measured intensity (issue 28's Paired target).

    python benchmarks/paired_measured.py [--data prepared/frll256] [--checkpoint X ...]

A model whose "l = 1" is a full CK+ apex overshoots a mild FRLL smile (a median 0.42 of a CK+ apex):
scored only at 1 it looks worse than a model that learned the mild smile as its apex. So each
validation pair is also made at the intensity its own landmarks measure (`affinekit.data.intensity`),
and both are scored against the real expression photo (mouth error in inter-ocular distances after a
similarity fit on the eyes and nose, as the paired protocol does). Target: at least 30% below the
neutral photo's error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from affinekit.data.dataset import validation_split
from affinekit.data.faces import FaceAligner
from affinekit.data.intensity import apex_intensity, item_intensities
from affinekit.data.prepared import load_manifest
from affinekit.commands.script_args import run_script
from affinekit.errors import AffinekitError
from affinekit.evaluation.makers import load_model_maker
from affinekit.evaluation.mouth import LandmarkFinder, mouth_error
from affinekit.evaluation.paired import load_pair, pair_keys
from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import to_model, to_uint8
from affinekit.weights.bundled import DEFAULT_WEIGHTS


def apex_points(maker, items, levels, finder) -> list[np.ndarray]:
    """dlib's landmarks on each item's apex made at its level (the input's landmarks where none is found)."""
    out = []
    for it, level in zip(items, levels):
        clip = maker(to_model(it.x0[None]), torch.tensor([it.label]), torch.tensor([0.0, float(level)]),
                     torch.from_numpy(it.x0_landmarks[None]))
        out.append(finder.find(to_uint8(clip[0, 1]), it.x0_landmarks, it.key)[0])
    return out


def mean_error(points: list[np.ndarray], references: list[list[np.ndarray]]) -> float:
    """Mean over items of the mouth error against each item's references (averaged over them)."""
    return float(np.mean([np.mean([mouth_error(p, ref) for ref in refs]) for p, refs in zip(points, references)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="prepared/frll256", help="a prepared still-pair folder")
    parser.add_argument("--checkpoint", action="append", default=None, help="models (repeatable; default bundled)")
    args = parser.parse_args(argv)
    folder = Path(args.data)
    _, held = validation_split(load_manifest(folder)["sequences"], 0.2, seed=0)
    items = [load_pair(folder, k) for k in pair_keys(folder) if k in set(held)]
    if not items:
        raise AffinekitError(f"{folder}: no validation pairs; prepare a still-pair set")
    measured = [apex_intensity(item_intensities(np.concatenate([it.x0_landmarks[None], it.reference_landmarks]),
                                                EXPRESSIONS[it.label], "pair") or [0.0, 1.0], "pair") for it in items]
    finder = LandmarkFinder(FaceAligner())
    # the references' landmarks, found once by the same detector as the generated apexes
    references = [[finder.find(r, lm, it.key)[0] for r, lm in zip(it.references, it.reference_landmarks)]
                  for it in items]
    neutral = mean_error([finder.find(it.x0, it.x0_landmarks, it.key)[0] for it in items], references)
    print(f"{folder}: {len(items)} validation pairs, measured intensity median {np.median(measured):.2f}")
    print(f"{'row':50s} mouth error   vs neutral")
    print(f"{'the neutral photo':50s} {neutral:.4f}")
    for path in args.checkpoint or [str(DEFAULT_WEIGHTS)]:
        maker, _ = load_model_maker(path)
        for name, levels in (("l = 1", [1.0] * len(items)), ("measured l", measured)):
            e = mean_error(apex_points(maker, items, levels, finder), references)
            verdict = "met" if e <= 0.7 * neutral else "missed"
            print(f"{Path(path).name + ', ' + name:50s} {e:.4f}   {100 * (1 - e / neutral):+.0f}% ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
