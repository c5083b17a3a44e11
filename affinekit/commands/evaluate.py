"""`affinekit evaluate`: options checked before the work, then a protocol, then the table printed and written."""
from __future__ import annotations

from pathlib import Path
from typing import Any
from affinekit.atomic import atomic_write_text

from affinekit.destinations import writable_file
from affinekit.errors import AffinekitError
from affinekit.evaluation.protocols import paper_protocol, subject_protocol
from affinekit.animate import DEFAULT_WEIGHTS
from affinekit.devices import resolve_device


def main(args: Any) -> int:
    """`affinekit evaluate --data D --protocol subject|paper [--checkpoint C ...] [--folds K] [--json J] [--markdown M]`."""
    checkpoints = list(args.checkpoint)
    notes = []
    if not checkpoints:
        if DEFAULT_WEIGHTS.is_file():
            checkpoints = [DEFAULT_WEIGHTS]
        else:
            notes.append(f"No model checkpoint given and no bundled model ({DEFAULT_WEIGHTS.name}): baselines only.")
    if args.folds < 0 or args.folds == 1:
        raise AffinekitError(f"--folds {args.folds}: use 0 (one subject split) or 2 and more (k-fold cross-validation)")
    if args.limit is not None and args.limit < 1:
        raise AffinekitError(f"--limit {args.limit}: give at least 1 test sequence per fold, or drop --limit for all")
    if args.frames < 2:
        raise AffinekitError(f"--frames {args.frames}: a video to score needs at least 2 frames")
    if args.train_steps < 0:
        raise AffinekitError(f"--train-steps {args.train_steps}: use 0 (score the given models) or more")
    for option, target in (("--json", args.json), ("--markdown", args.markdown)):
        if target:          # a read-only target fails now, not after minutes of work
            writable_file(target, option, make_folder=True)
    device = str(resolve_device(getattr(args, "device", "auto")))
    common = dict(checkpoints=checkpoints, frames=args.frames, seed=args.seed, device=device, limit=args.limit)
    train_overrides, train_config = getattr(args, "set", []), getattr(args, "train_config", None)
    if (train_overrides or train_config) and not args.train_steps:
        raise AffinekitError("--set and --train-config shape the per-fold models: add --train-steps N (and --folds K)")
    fold_checkpoint = getattr(args, "fold_checkpoint", None)
    if fold_checkpoint and ("{fold}" not in fold_checkpoint or args.folds < 2):
        raise AffinekitError(f"--fold-checkpoint {fold_checkpoint}: needs {{fold}} in the path and --folds K "
                             "(e.g. --folds 5 --fold-checkpoint 'runs/cv/fold{fold}.pt')")
    if args.protocol == "subject":
        if not (Path(args.data) / "manifest.json").is_file():
            raise AffinekitError(f"{args.data}: not a prepared folder (no manifest.json); run "
                                 f"`affinekit prepare <CK+ root> --out {args.data}` first, or use --protocol paper "
                                 "with a CK+ root")
        table = subject_protocol(args.data, folds=args.folds, train_steps=args.train_steps,
                                 train_size=args.train_size, work_dir=args.work_dir,
                                 train_config=train_config, train_overrides=train_overrides,
                                 fold_checkpoint=fold_checkpoint, **common)
    else:
        if args.folds or args.train_steps or train_overrides or train_config or fold_checkpoint:
            raise AffinekitError("--folds, --train-steps and --set belong to --protocol subject; the paper protocol "
                                 "has one random frame split")
        table = paper_protocol(args.data, size=args.size, **common)
    table.notes += notes
    text = table.to_markdown()
    print(text)
    for path, content in ((args.json, table.to_json()), (args.markdown, text)):
        if path:
            atomic_write_text(path, content)
    return 0
