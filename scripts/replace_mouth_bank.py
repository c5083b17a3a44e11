"""Give a generator export's exemplar mouth stage another bank of real mouths (its weights unchanged).

    python scripts/replace_mouth_bank.py affinekit/weights/affinekit_default.pt --bank runs/mouth_bank256.pt \\
        --out runs/default_bank256.pt

The usual use: the same mouths stored larger (`scripts/build_mouth_bank.py --size 256`), so that in a
large photo the copied teeth keep their own detail. `--leave-out clip-NAME` keeps a person's mouths
out (the bundled bank leaves out clip-WolfgangLanger_Pexels: a hand covers most of its mouths);
`--leave-out clip-NAME:N` only that person's N-th mouth (the bundled bank leaves out ten mouths of
talking clips that show a tongue out or a pout, MODEL_CARD.md). `--out` may be the export itself
(replaced in place).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from affinekit.commands.script_args import run_script
from affinekit.errors import AffinekitError
from affinekit.io.clashes import same_file
from affinekit.io.destinations import writable_file
from affinekit.training.mouth_attach import replace_bank


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generator", help="a generator export with an exemplar mouth stage")
    parser.add_argument("--bank", required=True, help="a bank written by scripts/build_mouth_bank.py")
    parser.add_argument("--out", required=True, help="the new export (.pt); its .json is not written")
    parser.add_argument("--leave-out", action="append", default=[], metavar="PERSON[:N]",
                        help="a person of the bank whose mouths stay out (a clip: clip-<file stem>), or only their "
                             "N-th mouth (from 0, in the bank's order); repeatable")
    args = parser.parse_args(argv)
    out = writable_file(args.out, "--out", (".pt",))
    if same_file(out, args.bank):
        raise AffinekitError(f"--out {out}: is the --bank file; writing the generator there would replace the "
                             "bank; choose a new file (or the generator itself)")
    out = replace_bank(args.generator, args.bank, out, args.leave_out)
    print(f"{out} ({Path(out).stat().st_size / 1e6:.1f} MB): {args.generator}'s mouth stage with the bank {args.bank}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
