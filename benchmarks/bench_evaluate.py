"""Throughput of evaluation: dlib face descriptors, and a whole `evaluate()` run.

    python benchmarks/bench_evaluate.py [--data prepared/ckplus128] [--sequences 4] [--frames 16]
                                        [--checkpoint RUN/checkpoints/last.pt]

Prints descriptor extraction in frames per second (distinct frames, then the same
frames again from the cache) and whole-evaluation throughput: frames scored per
second of wall time (every row: real videos, copy-input, landmark-warp, models).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from affinekit.commands.script_args import COUNT, run_script, whole
from affinekit.data.dataset import subject_split
from affinekit.data.paths import REPO_ROOT
from affinekit.data.prepared import load_manifest, load_sequence
from affinekit.evaluation.baselines import LandmarkWarp
from affinekit.evaluation.descriptors import FaceDescriber
from affinekit.evaluation.makers import load_model_maker
from affinekit.evaluation.scoring import evaluate


def bench_descriptors(prepared: Path, keys: list[str], count: int) -> None:
    """Descriptor frames per second, cold and cached."""
    frames = np.concatenate([load_sequence(prepared, k).frames for k in keys])[:count]
    describer = FaceDescriber(box="crop")
    start = time.perf_counter()
    _, found = describer.describe(frames)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    describer.describe(frames)
    warm = time.perf_counter() - start
    size = frames.shape[1]
    print(f"descriptors: {len(frames)} distinct {size} px frames in {cold:.2f} s = {len(frames) / cold:.1f} frames/s "
          f"({found.sum()} with a face); cached: {len(frames) / warm:.0f} frames/s")


def bench_evaluate(prepared: Path, train: list[str], test: list[str], frames: int, checkpoints: list[str]) -> None:
    """Wall time of one evaluate() call and frames scored per second."""
    makers = {"landmark-warp": LandmarkWarp().fit(prepared, train)}
    for c in checkpoints:
        makers[f"model {Path(c).name}"] = load_model_maker(c)[0]
    start = time.perf_counter()
    table = evaluate(makers, prepared, test, frames)
    wall = time.perf_counter() - start
    scored = sum(r.frames_described for r in table.rows)
    print(f"evaluate: {len(test)} sequences x {frames} frames x {len(table.rows)} rows = {scored} frames "
          f"scored in {wall:.1f} s = {scored / wall:.1f} frames/s")
    for r in table.rows:
        if r.fps is not None:
            print(f"  generation, {r.name}: {r.fps:.1f} frames/s")


def main() -> None:
    """Run both benchmarks once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO_ROOT / "prepared" / "ckplus128"))
    parser.add_argument("--sequences", type=COUNT, default=4)
    parser.add_argument("--frames", type=whole(2, 1000), default=16)
    parser.add_argument("--descriptor-frames", type=COUNT, default=64)
    parser.add_argument("--checkpoint", action="append", default=[])
    args = parser.parse_args()
    prepared = Path(args.data)
    if not (prepared / "manifest.json").is_file():
        raise SystemExit(f"{prepared}: not prepared; run `affinekit prepare <CK+ root> --out {prepared}` first")
    train, test = subject_split(load_manifest(prepared)["sequences"], 0.2, 0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, data {prepared}")
    bench_descriptors(prepared, test, args.descriptor_frames)
    bench_evaluate(prepared, train, test[:args.sequences], args.frames, args.checkpoint)


if __name__ == "__main__":
    sys.exit(run_script(main))
