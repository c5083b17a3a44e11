"""Stamp figures made outside the notebooks with the weights that made them (figures/made_with.json).

    python scripts/stamp_figure.py figures/paired_mouth_refiner_5dec.md --remake "affinekit evaluate ..."
    python scripts/stamp_figure.py figures/x.png --weights runs/mix/generator.pt --remake "python ..."

Without --weights the figure is stamped with the bundled generators and the classifier
(`affinekit.notebook.provenance.BUNDLED`). Run it right after the command that made the figure:
the stamp says "made from these bytes", and tests/notebook/test_figure_weights.py holds it to that.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from affinekit.notebook.provenance import BUNDLED, stamp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", nargs="+", help="figure files, all in one folder (its made_with.json is updated)")
    parser.add_argument("--weights", nargs="*", help="the weights files that made them (default: the bundled ones)")
    parser.add_argument("--remake", required=True, help="the command that makes them again")
    args = parser.parse_args(argv)
    paths = [Path(f) for f in args.figures]
    folders = {p.parent.resolve() for p in paths}
    missing = [str(p) for p in paths if not p.is_file()]
    if missing or len(folders) != 1:
        print(f"stamp_figure: {'no such file: ' + ', '.join(missing) if missing else 'figures must share one folder'}",
              file=sys.stderr)
        return 2
    weights = args.weights or list(BUNDLED.values())
    stamp(folders.pop(), [p.name for p in paths], weights, args.remake)
    print(f"stamped {len(paths)} figure(s) with {len(weights)} weights file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
