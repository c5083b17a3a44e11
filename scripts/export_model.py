"""Export a training run's generator as the bundled model (float16 weights + the run's config).

    python scripts/export_model.py runs/bundled128 [--out affinekit/weights/affinekit_default.pt]
    python scripts/export_model.py runs/cv128/fold0 --out runs/cv128/fold0.pt --json-only   # refresh the JSON
    python scripts/export_model.py runs/x --out runs/x.pt --mouth-from affinekit/weights/affinekit_default.pt

See `affinekit.weights.export.export_run` for what the two files hold.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from affinekit.commands.script_args import run_script
from affinekit.io.run_folder import RunFolder
from affinekit.weights.bundled import DEFAULT_WEIGHTS
from affinekit.weights.export import export_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run folder written by `affinekit train`")
    parser.add_argument("--out", default=str(DEFAULT_WEIGHTS))
    parser.add_argument("--json-only", action="store_true",
                        help="rewrite only <out>.json (the weights stay as they are; no checkpoint needed)")
    parser.add_argument("--mouth-from", metavar="PT",
                        help="a generator export whose mouth stage goes into the export, unchanged")
    args = parser.parse_args()
    out, run = Path(args.out), RunFolder(args.run)
    config = export_run(run.checkpoint_path, run.read_config(), out, run.progress(), weights=not args.json_only)
    if args.mouth_from:
        from affinekit.training.mouth_attach import move_mouth
        move_mouth(out, args.mouth_from)
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB, step {config['exported']['steps']}) and {out.with_suffix('.json')}")


if __name__ == "__main__":
    sys.exit(run_script(main))
