"""Time `prepare` on a source (default: the CK+ development sample) into a fresh temp folder.

    python benchmarks/bench_prepare.py [SOURCE] [--size 128] [--rgb] [--per-frame] [--detector hog|cnn]

Prints wall time, sequences and frames per second, and the share of time spent
reading frames vs. detecting/aligning.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from affinekit.commands.script_args import run_script, whole
from affinekit.config import DataConfig
from affinekit.data.folders import read_source
from affinekit.data.paths import require_ckplus
from affinekit.data.prepare import prepare


def main() -> None:
    """Run the benchmark once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", help="default: the CK+ sample / AFFINEKIT_CKPLUS")
    parser.add_argument("--size", type=whole(16, 4096), default=128)
    parser.add_argument("--rgb", action="store_true")
    parser.add_argument("--per-frame", action="store_true")
    parser.add_argument("--detector", default="hog", choices=["hog", "cnn"])
    args = parser.parse_args()
    source = args.source or require_ckplus()
    config = DataConfig(crop_size=args.size, channels=3 if args.rgb else 1,
                        align_per_frame=args.per_frame, detector=args.detector)

    records = [r for r in read_source(source) if not r.error]
    start = time.perf_counter()
    frames = sum(len(r.load_frames(gray=config.channels == 1)) for r in records)
    read_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        report = prepare(source, out, config, progress=False, verbose=False)
        total = time.perf_counter() - start
    n = len(report.prepared)
    print(f"source: {source}")
    print(f"config: size={config.crop_size} channels={config.channels} per_frame={config.align_per_frame} "
          f"detector={config.detector}; cores: {os.cpu_count()}")
    print(f"prepared {n} sequences ({frames} frames), skipped {len(report.skipped)}, in {total:.2f} s")
    print(f"{n / total:.2f} sequences/s, {frames / total:.1f} frames/s")
    print(f"reading frames alone: {read_s:.2f} s ({100 * read_s / total:.0f}% of the run)")


if __name__ == "__main__":
    sys.exit(run_script(main))
