"""The motion head before its first step, scored as notebook 06 scores its trainings: figures/prior_only_<data>.json.

    python benchmarks/prior_only.py --data prepared/ckplus_128px [--out figures/prior_only_ckplus.json]

Prior only is each label's mean landmark motion (fitted on the training subjects) made dense,
nothing learned: where every motion-head training starts. Scored on notebook 06's split
(`subject_split(prepared, 0.2, seed)`) at its sizes (64 px, base width 32, 16 frames) beside
copy-input and landmark-warp from the same run, so that a training can be read against its own
step 0 without rerunning all of notebook 06 (`experiments_<data>.json` holds the same rows).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from affinekit.commands.script_args import COUNT, SEED, run_script, whole

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    from affinekit.data.dataset import subject_split
    from affinekit.io.atomic import atomic_write_text
    from affinekit.io.destinations import output_file
    from affinekit.notebook import experiments

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "prepared" / "ckplus_128px"), help="prepared sequences")
    parser.add_argument("--out", default=str(ROOT / "figures" / "prior_only_ckplus.json"))
    parser.add_argument("--image-size", type=whole(16, 4096), default=64)
    parser.add_argument("--base-width", type=COUNT, default=32)
    parser.add_argument("--frames", type=whole(2, 1000), default=16)
    parser.add_argument("--seed", type=SEED, default=0)
    args = parser.parse_args(argv)
    output_file(args.out, "--out", {"--data": args.data}, (".json",))       # before any work
    train_keys, test_keys = subject_split(args.data, 0.2, args.seed)
    generator = experiments.prior_only(args.data, train_keys, args.image_size, args.base_width, args.seed)
    rows = experiments.score_generator(generator, args.data, train_keys, test_keys, args.frames)
    rows["prior only"] = rows.pop("model")
    record = {"test_keys": sorted(test_keys), "image_size": args.image_size, "frames": args.frames, "rows": rows}
    atomic_write_text(args.out, json.dumps(record, indent=1, sort_keys=True) + "\n")
    for name, m in rows.items():
        print(f"{name:14s} PSNR {m['psnr']:.2f} dB, SSIM {m['ssim']:.3f}, ACD-I {m['acd_i']:.3f}, "
              f"expression accuracy {m['correct']}/{m['clips']} clips")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main, (ValueError,)))
