"""The least-squares prior beside the plain mean (issue 28 item 2): figures/prior_least_squares.png + .json.

    python benchmarks/prior_figure.py [--data prepared/ck128 --data prepared/frll ...] [--size 64]

Both fits use the training people (`validation_split`, 0.2, seed 0) of the prepared folders,
joined as `affinekit train` joins its data.sources (the first folder the main one): "plain mean"
teaches every item at intensity 1 (data.intensity=position), "least squares" each at its measured
intensity, weak items left out (data.intensity=measured). The JSON holds each fit's mean motion per
expression in pixels of the crop (the Prior target's number), the items used, and the folders.
Takes ~5 minutes on a busy 2-core CPU (the sources' repeat check reads every first frame).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREPARED = Path("prepared")       # as the README prepares them (affinekit prepare ... --out prepared/NAME)
DEFAULT_DATA = [PREPARED / n for n in ("ck128", "frll", "jaffe", "yale", "mead", "affinegan128", "ck48")]


def main(argv: list[str] | None = None) -> int:
    from affinekit.evaluation.strength import SIX, field_motion, training_priors
    from affinekit.io.atomic import atomic_write_text
    from affinekit.show.plots import save
    from affinekit.show.prior_fields import prior_comparison

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", help="a prepared folder (repeatable; the first is the main one)")
    parser.add_argument("--size", type=int, default=64, help="the prior's side in pixels (the model's crop)")
    parser.add_argument("--out", default=str(ROOT / "figures" / "prior_least_squares.png"))
    args = parser.parse_args(argv)
    folders = [Path(d) for d in (args.data or DEFAULT_DATA)]
    missing = [str(f) for f in folders if not (f / "manifest.json").is_file()]
    if missing:
        print(f"not prepared folders: {', '.join(missing)} (affinekit prepare SOURCE --out DIR)", file=sys.stderr)
        return 2
    fitted = training_priors(folders, args.size)
    fits = {"plain mean": fitted["plain"], "least squares": fitted["least_squares"]}
    motion = {name: field_motion(f) for name, f in fits.items()}
    fig = prior_comparison(fits, SIX, "motion prior at l = 1: plain mean over items vs least squares at "
                                      "measured intensities (arrows: how the face moves)")
    out = Path(args.out)
    save(fig, out)
    record = {"folders": [str(f) for f in folders], "crop_px": args.size, "items": fitted["items"],
              "mean_motion_px": {name: {e: round(v, 4) for e, v in m.items()} for name, m in motion.items()}}
    atomic_write_text(out.with_suffix(".json"), json.dumps(record, indent=1) + "\n")
    for name, m in motion.items():
        print(f"{name:14s} " + ", ".join(f"{e} {v:.2f}" for e, v in m.items()) + " px")
    print(f"figure: {out} (+ {out.with_suffix('.json').name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
