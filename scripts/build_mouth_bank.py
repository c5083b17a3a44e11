"""Build the exemplar bank of real open mouths (FRLL training people's smiles, open clips' frames).

    python scripts/build_mouth_bank.py --frll ../shared/data/frll --split prepared/frll \\
        --clips ../shared/data/clips --out runs/mouth_bank.pt [--size 256]

--split is a prepared FRLL folder (any size): its manifest decides who is a training person
(`validation_split(manifest, 0.2, seed=0)`); validation people never enter the bank. Only sources
the kit may ship go in (see `affinekit.training.mouth_bank`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from affinekit.config import MOUTH_MAX_SIZE, MouthConfig
from affinekit.commands.script_args import COUNT, run_script
from affinekit.training.mouth_bank import Bank, add_clip, add_frll, frll_training_people


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frll", required=True, help="FRLL's folder (smiling_front/NNN_08.jpg)")
    parser.add_argument("--split", required=True, help="a prepared FRLL folder: its manifest gives the split")
    parser.add_argument("--clips", help="a folder of open clips (*.mp4) to add")
    parser.add_argument("--per-clip", type=int, default=12)
    parser.add_argument("--size", type=COUNT, default=MouthConfig.size,
                        help="side of the stored mouths, px: the refiner's patch size (128) or a multiple of it; "
                             "larger keeps the teeth's detail in large photos (scripts/replace_mouth_bank.py)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:                  # MouthConfig owns the rule for a bank's side
        cfg = MouthConfig(bank_size=args.size)
    except ValueError:
        parser.error(f"--size {args.size}: must be a multiple of the refiner's patch size {MouthConfig.size}, "
                     f"up to {MOUTH_MAX_SIZE}")
    bank = Bank()
    people = frll_training_people(args.split)
    print(f"FRLL training people: {len(people)}")
    add_frll(bank, args.frll, people, cfg)
    for clip in sorted(Path(args.clips).glob("*.mp4")) if args.clips else []:
        add_clip(bank, clip, cfg, per_clip=args.per_clip)
    path = bank.save(args.out)
    size = sum(len(j) for j in bank.jpeg)
    print(f"{path}: {len(bank.jpeg)} exemplars of {len(bank.names)} people, {size / 1e6:.2f} MB of JPEG")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
