"""Does the mouth flicker? Consecutive-frame change inside the mouth box, generated against real.

    python benchmarks/mouth_flicker.py --data prepared/ck256 [--checkpoint PATH]

On the CK+ validation people (the subject split `affinekit evaluate --protocol subject` tests on,
never trained on by the bundled model), each real sequence is regenerated from its first frame
at the real frames' positions (intensity t / (T - 1)), with the mouth refiner and without it. For
each clip: the mean absolute difference of consecutive frames (0-255 luma, float) inside the
mouth box of the neutral face; the ratio of the generated clip's to the real sequence's is
printed per row (issue 19's target: at most 1.5 with the refiner). It also prints the mouth box's
sharpness (variance of the Laplacian) of the generated apex over the real apex.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

from affinekit.commands.script_args import number, run_script
from affinekit.data.dataset import subject_split
from affinekit.data.prepared import load_sequence
from affinekit.evaluation import metrics
from affinekit.evaluation.mouth import cut, mouth_box
from affinekit.expressions import EXPRESSIONS
from affinekit.generate.inference import render_crops
from affinekit.io.images import LUMA, to_model, to_uint8
from affinekit.weights.bundled import DEFAULT_WEIGHTS
from affinekit.weights.checkpoint import load_generator


def luma(frames: np.ndarray) -> np.ndarray:
    """(..., H, W, C) uint8 -> (..., H, W) float luma."""
    f = frames.astype(np.float64)
    return f[..., 0] if f.shape[-1] == 1 else f @ np.asarray(LUMA)


def flicker(frames: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mean absolute difference of consecutive frames (T, H, W, C) inside the box, 0-255 units."""
    y = luma(np.stack([cut(f, box) for f in frames]))
    return float(np.abs(np.diff(y, axis=0)).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="prepared CK+ folder (any crop size)")
    parser.add_argument("--checkpoint", default=str(DEFAULT_WEIGHTS))
    parser.add_argument("--test-fraction", type=number(0, 1, above=True), default=0.2)
    args = parser.parse_args()
    generator, _ = load_generator(args.checkpoint)
    _, test_keys = subject_split(args.data, args.test_fraction, 0)
    rows: dict[str, list[float]] = {"real": [], "refiner on": [], "refiner off": []}
    sharp: dict[str, list[float]] = {"refiner on": [], "refiner off": []}
    for key in test_keys:
        seq = load_sequence(args.data, key)
        T = len(seq.frames)
        x0 = to_model(seq.frames[:1])
        x0 = x0.expand(-1, 3, -1, -1) if x0.shape[1] == 1 else x0
        lam = torch.arange(T, dtype=torch.float32) / (T - 1)
        label = torch.tensor([EXPRESSIONS.index(seq.label)])
        points = torch.from_numpy(seq.landmarks[:1]).float()
        box = mouth_box(seq.landmarks[0], seq.frames.shape[1:3])
        rows["real"].append(flicker(seq.frames, box))
        for name, on in (("refiner on", True), ("refiner off", False)):
            clip = to_uint8(render_crops(generator, x0, label, lam, points, mouth=on))[0]
            rows[name].append(flicker(clip, box))
            sharp[name].append(metrics.sharpness_ratio(cut(clip[-1], box), cut(seq.frames[-1], box)))
    real = np.mean(rows["real"])
    print(f"{len(test_keys)} CK+ validation sequences ({', '.join(sorted({k.split('_')[0] for k in test_keys}))}), "
          f"{args.checkpoint}")
    print(f"  real sequences: mean consecutive-frame change in the mouth box {real:.3f}")
    for name in ("refiner on", "refiner off"):
        mean = np.mean(rows[name])
        print(f"  {name:11s}: {mean:.3f} = {mean / real:.2f} x real (target <= 1.5: "
              f"{'met' if mean / real <= 1.5 else 'MISSED'}); apex mouth sharpness vs real apex "
              f"{metrics.geometric_mean_ratio(sharp[name]):.2f}")


if __name__ == "__main__":
    sys.exit(run_script(main))
