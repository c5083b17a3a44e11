"""Train the mouth refiner behind a generator, on that generator's own training items prepared at a
larger crop, then put it inside a copy of the generator's file.

    python scripts/train_mouth_refiner.py --data prepared/ck256,prepared/frll256,prepared/jaffe256,\\
        prepared/yale256,prepared/mead256,prepared/affinegan256 --out runs/mouth --set steps=1500
    python scripts/train_mouth_refiner.py ... --attach affinekit/weights/affinekit_default.pt

A rerun with the same --out resumes from runs/mouth/checkpoints/last.pt. See `affinekit.training.mouth`.
With --bank (a file of scripts/build_mouth_bank.py) it trains the exemplar refiner instead, which
copies teeth and cavities from the bank's real mouths (`affinekit.training.mouth_exemplar`).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm.auto import tqdm

from affinekit.commands.script_args import COUNT, SEED, run_script, whole
from affinekit.config import MouthConfig, apply_overrides
from affinekit.errors import AffinekitError
from affinekit.io.atomic import atomic_write_text
from affinekit.io.json_values import read_json
from affinekit.io.run_folder import RunFolder
from affinekit.training.mouth import train_mouth
from affinekit.training.mouth_attach import attach_destination, attach_mouth
from affinekit.training.mouth_exemplar import train_exemplar_mouth
from affinekit.weights.bundled import DEFAULT_WEIGHTS


def describe_mouth(described: Path, run: RunFolder, chosen: Path) -> None:
    """Add the refiner's run (its config.json) and the chosen step to the export's readable JSON."""
    if not described.is_file():
        return
    info = read_json(described, "export the generator again with scripts/export_model.py")
    if not isinstance(info, dict):
        raise AffinekitError(f"{described}: not an export's description (not a JSON object); export it again")
    info["mouth"] = {**run.read_config(), "checkpoint": str(chosen)}
    atomic_write_text(described, json.dumps(info, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default=str(DEFAULT_WEIGHTS), help="the frozen generator (its training "
                        "items are read from --data)")
    parser.add_argument("--data", required=True, help="prepared folders, comma-separated, the CK+ one first")
    parser.add_argument("--out", default="runs/mouth")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a MouthConfig field")
    parser.add_argument("--bank", metavar="PATH", help="an exemplar bank (scripts/build_mouth_bank.py): train the "
                        "refiner that copies real mouths from it")
    parser.add_argument("--seed", type=SEED, default=0)
    parser.add_argument("--snapshot-every", type=whole(0), default=0, metavar="N",
                        help="also keep the refiner of every N-th step (to pick a step on validation people)")
    parser.add_argument("--attach", metavar="PATH", help="after training, write the generator with the refiner "
                        "inside to PATH (may be --generator itself)")
    parser.add_argument("--attach-step", type=COUNT, metavar="N",
                        help="attach the snapshot of step N (--snapshot-every) instead of the last step")
    args = parser.parse_args()
    try:
        cfg = apply_overrides(MouthConfig(), args.set)
        folders = [f.strip() for f in args.data.split(",") if f.strip()]
        if not folders:
            parser.error("--data: give at least one prepared folder (comma-separated)")
        if args.attach:       # checked before training: it replaced a manifest, a photo, a run's last.pt
            attach_destination(args.attach, args.generator, folders, args.out)
        bars = []      # made at the first step: an error before it stays one line, without a bar beside it

        def show(record: dict) -> None:
            if not bars:
                bars.append(tqdm(total=cfg.steps, unit="step", file=sys.stderr))
            bar = bars[0]
            bar.n = record["step"]
            bar.set_postfix(L1=f"{record['M_L1']:.3f}", warp=f"{record['warp_L1']:.3f}",
                            D=f"{record['D_real']:.2f}/{record['D_fake']:.2f}", refresh=False)
            bar.refresh()

        if args.bank:
            trainer = train_exemplar_mouth(args.generator, folders, args.bank, args.out, cfg, seed=args.seed,
                                           snapshot_every=args.snapshot_every, progress=show)
        else:
            trainer = train_mouth(args.generator, folders, args.out, cfg, seed=args.seed,
                                  snapshot_every=args.snapshot_every, progress=show)
        if bars:
            bars[0].close()
        run = RunFolder(args.out)
        print(f"refiner at step {trainer.step}: {run.checkpoint_path}")
        if args.attach:
            last = run.checkpoint_path
            chosen = last.with_name(f"step{args.attach_step}.pt") if args.attach_step else last
            path = attach_mouth(args.generator, chosen, args.attach, args.bank)
            describe_mouth(path.with_suffix(".json"), run, chosen)
            print(f"{path} ({path.stat().st_size / 1e6:.1f} MB): the generator with its mouth refiner ({chosen})")
    except ValueError as err:       # a --set value: one line and exit 2, by `run_script`
        raise AffinekitError(str(err)) from None


if __name__ == "__main__":
    sys.exit(run_script(main))
