"""`affinekit prepare | train | evaluate | generate | figures`.

Each subcommand's work lives in `affinekit.commands.<name>.main(args)`; this file only parses
arguments and turns user errors into one line without a traceback.
"""
from __future__ import annotations

import argparse
import errno
import importlib
import sys

from affinekit import __version__
from affinekit.devices import DEVICES
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS

# subcommand -> module whose main(args) does the work
HANDLERS = {name: f"affinekit.commands.{name}" for name in ("prepare", "train", "evaluate", "generate", "figures")}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="affinekit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"affinekit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    device_help = "auto (a GPU when there is one, else the CPU), cpu, cuda or mps"

    p = sub.add_parser("prepare", help="turn CK+, still pairs (FRLL, JAFFE, Yale), MEAD, CK+48, AffineGAN folders, "
                                       "videos or frame folders into aligned crops")
    p.add_argument("source", help="a CK+ root, an FRLL, JAFFE, Yale, MEAD or CK+48 folder (the layout is recognised), "
                                  "an AffineGAN expression folder, a video or a folder of frames")
    p.add_argument("--out", required=True, help="folder for the prepared sequences and manifest.json")
    p.add_argument("--labels", help="CSV (path,label) labelling videos or frame folders")
    p.add_argument("--size", type=int, default=128, help="aligned crop size in pixels (default 128)")
    p.add_argument("--rgb", action="store_true", help="keep colour (the default; kept for old scripts)")
    p.add_argument("--gray", action="store_true", help="store grey crops (for a grey model)")
    p.add_argument("--per-frame", action="store_true", help="align every frame on its own (clips in the wild)")
    p.add_argument("--detector", choices=["hog", "cnn"], default="hog")
    p.add_argument("--labelled-only", action="store_true", help="skip sequences without an expression label")

    p = sub.add_parser("train", help="train the conditional hidden-affine GAN")
    p.add_argument("--data", required=True, help="a folder made by `affinekit prepare`")
    p.add_argument("--out", required=True, help="run folder (log, samples, checkpoints)")
    p.add_argument("--config", help="JSON file with model/train/data sections")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field, e.g. --set train.steps=500 --set model.image_size=64")
    p.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    p.add_argument("--device", default=None, choices=DEVICES, help=device_help + " (default: the config's, auto)")

    p = sub.add_parser("evaluate", help="score a model against real videos and baselines")
    p.add_argument("--checkpoint", action="append", default=[], help="a model checkpoint (repeatable); default: the bundled model")
    p.add_argument("--data", required=True, action="append",
                   help="a prepared folder (subject protocol), a CK+ root (paper protocol), or prepared still-pair "
                        "folders (paired protocol: repeat --data or give a comma list)")
    p.add_argument("--protocol", choices=["subject", "paper", "paired"], default="subject",
                   help="paired: generated apexes against the people's real expression photos")
    p.add_argument("--all-keys", action="store_true",
                   help="paired protocol: score every pair, not only the validation people's")
    p.add_argument("--folds", type=int, default=0, help="k-fold cross-validation over subjects")
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--train-steps", type=int, default=0,
                   help="with --folds: train a fresh model per fold for this many steps")
    p.add_argument("--json", help="write the table as JSON here")
    p.add_argument("--markdown", help="write the table as markdown here")
    p.add_argument("--seed", type=int, default=0, help="seed of the splits (and of per-fold training)")
    p.add_argument("--size", type=int, default=128, help="paper protocol: frames resized to SIZE x SIZE")
    p.add_argument("--train-size", type=int, default=64, help="with --train-steps: the model's image size")
    p.add_argument("--work-dir", help="with --train-steps: folder for the per-fold runs (default runs/eval-folds)")
    p.add_argument("--train-config", help="with --train-steps: JSON config of the per-fold models (as train --config)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="with --train-steps: override the per-fold models' config, e.g. --set model.base_width=16")
    p.add_argument("--fold-checkpoint", metavar="PATH_WITH_{fold}",
                   help="with --folds: per-fold models trained elsewhere, e.g. 'runs/cv/fold{fold}.pt' "
                        "(scripts/train_folds.py)")
    p.add_argument("--limit", type=int, default=None, help="at most this many test sequences per fold (quick runs)")
    p.add_argument("--device", default="auto", choices=DEVICES, help=device_help)

    p = sub.add_parser("generate", help="photos in, videos of those faces making an expression out")
    p.add_argument("photo", nargs="*", help="face photos, folders of photos or globs (omit with --demo); "
                                             "more than one, or --out-dir, makes one clip per photo")
    p.add_argument("--demo", action="store_true",
                   help="use the built-in demo photo: a neutral FRLL face (CC BY 4.0; --expression all shows every expression)")
    p.add_argument("--expression", metavar="EXPRESSION",
                   help=f"one of {', '.join(EXPRESSIONS)}, or all for a grid of every expression (default happy)")
    p.add_argument("--frames", type=int, default=16, help="frames in the clip, 1-1000 (default 16)")
    p.add_argument("--intensity", type=float, default=1.0, help="1 = apex, above 1 extrapolates")
    p.add_argument("--fps", type=int, default=8, help="frames per second of the video, 1-60 (default 8)")
    p.add_argument("--out", default="clip.mp4", help="the video for one photo, .mp4 or .gif (default clip.mp4)")
    p.add_argument("--out-dir", help="folder for one clip per photo, named <photo>_<expression>.<format>")
    p.add_argument("--format", choices=["mp4", "gif"], default="mp4", help="with --out-dir: the videos' format")
    p.add_argument("--device", default="auto", choices=DEVICES, help=device_help)
    p.add_argument("--crop-only", action="store_true", help="write the aligned face alone")
    p.add_argument("--checkpoint", help="a checkpoint instead of the bundled model")
    p.add_argument("--timing", action="store_true", help="print the time of each stage")
    p.add_argument("--no-mouth", action="store_true",
                   help="leave out the model's high-resolution mouth refiner (to compare with and without it)")
    p.add_argument("--max-size", type=int, default=1024,
                   help="cap on the video's long side in pixels (default 1024; sides are made even)")
    p.add_argument("--mix", metavar="NAME=W,...",
                   help="a mixture of expressions instead of --expression, e.g. happy=0.6,surprise=0.4: the codes "
                        "move along sum_i w_i * direction_i (weights 0-3, not normalised: they scale --intensity; their "
                        "sum x --intensity at most 2, where the face tears); not with --expression")
    p.add_argument("--curve", default="linear", metavar="CURVE",
                   help="timing of the intensity over the clip: linear (default), ease, apex-hold, or "
                        "there-and-back (neutral -> apex -> neutral, loops cleanly as GIF or MP4)")
    p.add_argument("--like", metavar="OTHER",
                   help="a photo whose expression to copy: its face is projected onto each expression's direction, "
                        "the inferred mixture and intensity are printed and this face's clip goes to them")
    p.add_argument("--layers", metavar="DIR",
                   help="also write per frame the field (.npy and colour-wheel PNG), mask, residual and frame PNGs, "
                        "and layers.json (the share of pixels synthesised rather than warped) into DIR")

    p = sub.add_parser("figures", help="re-run the notebooks with papermill and write figures/")
    p.add_argument("--out", default="figures")
    p.add_argument("--tiny", action="store_true", help="tiny sizes (for tests)")
    p.add_argument("--param", action="append", default=[], metavar="[NOTEBOOK:]NAME=VALUE",
                   help="override a notebook parameter, e.g. STEPS=600 or 03_training:STEPS=600 (repeatable)")
    p.add_argument("--only", nargs="+", metavar="NOTEBOOK",
                   help="run only these notebooks, by name or prefix (e.g. 01 03; 03 takes 03_training and 03b)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `affinekit` command."""
    args = build_parser().parse_args(argv)
    try:
        module = importlib.import_module(HANDLERS[args.command])
        return int(module.main(args) or 0)
    except AffinekitError as err:
        print(f"affinekit {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"affinekit {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        # a disk that fills up or a permission lost mid-run: the machine's state, not a bug, so one line
        print(f"affinekit {args.command}: error: {environment_error(err)}", file=sys.stderr)
        return 2


def environment_error(err: OSError) -> str:
    """One line for an OSError met while working: what happened, where, and what to do."""
    where = f"{err.filename}: " if err.filename else ""
    what = err.strerror or str(err) or type(err).__name__
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"{where}{what}; free some space and run the command again "
                "(files finished before were kept; train continues with --resume)")
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}{what}; check the permissions of the files and folders involved"
    return f"{where}{what}"


if __name__ == "__main__":
    sys.exit(main())
