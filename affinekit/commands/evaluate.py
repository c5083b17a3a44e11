"""`affinekit evaluate`: options checked before the work, then a protocol, then the table printed and written."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from affinekit.devices import resolve_device
from affinekit.errors import AffinekitError
from affinekit.evaluation.entry import check_evaluate_options
from affinekit.evaluation.judge import bundled_judge
from affinekit.evaluation.paired import paired_protocol
from affinekit.evaluation.protocols import paper_protocol, subject_protocol
from affinekit.io.atomic import atomic_write_text
from affinekit.io.clashes import refuse_clashes
from affinekit.io.destinations import writable_file
from affinekit.training.run import FoldTrainer
from affinekit.training.two_sample import fit_mouth_probe
from affinekit.weights.bundled import DEFAULT_WEIGHTS


def _data(args: Any) -> list[str]:
    """The --data values: one folder for subject and paper; for paired, repeats and comma lists."""
    given = args.data if isinstance(args.data, list) else [args.data]
    if args.protocol == "paired":
        return [part for value in given for part in value.split(",") if part]
    if len(given) != 1:
        raise AffinekitError(f"--data given {len(given)} times: --protocol {args.protocol} takes one folder "
                             "(only --protocol paired takes several)")
    return given


def main(args: Any) -> int:
    """`affinekit evaluate --data D --protocol subject|paper|paired [--checkpoint C ...] [--folds K] [--all-keys]
    [--json J] [--markdown M]`."""
    data = _data(args)
    if args.all_keys and args.protocol != "paired":
        raise AffinekitError("--all-keys belongs to --protocol paired (the subject protocol has its own split)")
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
    check_evaluate_options(args, data, checkpoints)
    refuse_clashes({"--json": args.json, "--markdown": args.markdown},
                   [("--checkpoint", c) for c in checkpoints] + [("--data", d) for d in data]
                   + [("--train-config", args.train_config)])
    for option, target in (("--json", args.json), ("--markdown", args.markdown)):
        if target:          # a read-only target fails now, not after minutes of work
            writable_file(target, option, make_folder=True)
    device = str(resolve_device(args.device))
    common = dict(checkpoints=checkpoints, frames=args.frames, seed=args.seed, device=device, limit=args.limit)
    train_overrides, train_config = args.set, args.train_config
    if (train_overrides or train_config) and not args.train_steps:
        raise AffinekitError("--set and --train-config shape the per-fold models: add --train-steps N (and --folds K)")
    fold_checkpoint = args.fold_checkpoint
    if fold_checkpoint and ("{fold}" not in fold_checkpoint or args.folds < 2):
        raise AffinekitError(f"--fold-checkpoint {fold_checkpoint}: needs {{fold}} in the path and --folds K "
                             "(e.g. --folds 5 --fold-checkpoint 'runs/cv/fold{fold}.pt')")
    if args.protocol != "subject" and (args.folds or args.train_steps or train_overrides or train_config
                                       or fold_checkpoint):
        raise AffinekitError(f"--folds, --train-steps and --set belong to --protocol subject; the {args.protocol} "
                             "protocol has one split")
    if args.protocol == "paired":
        for folder in data:
            if not (Path(folder) / "manifest.json").is_file():
                raise AffinekitError(f"{folder}: not a prepared folder (no manifest.json); prepare a still-pair "
                                     f"set first, e.g. `affinekit prepare ../shared/data/frll --out {folder}`")
        table = paired_protocol(data, checkpoints=checkpoints, all_keys=args.all_keys, seed=args.seed,
                                device=device, limit=args.limit, judge=bundled_judge(), mouth_fit=fit_mouth_probe)
    elif args.protocol == "subject":
        if not (Path(data[0]) / "manifest.json").is_file():
            raise AffinekitError(f"{data[0]}: not a prepared folder (no manifest.json); run "
                                 f"`affinekit prepare <CK+ root> --out {data[0]}` first, or use --protocol paper "
                                 "with a CK+ root")
        train_fold = FoldTrainer(data[0], args.train_steps, args.train_size, device, args.seed, train_config,
                                 train_overrides) if args.train_steps > 0 else None
        table = subject_protocol(data[0], folds=args.folds, train_fold=train_fold, work_dir=args.work_dir,
                                 fold_checkpoint=fold_checkpoint, **common)
    else:
        table = paper_protocol(data[0], size=args.size, **common)
    table.notes += notes
    text = table.to_markdown()
    print(text)
    for path, content in ((args.json, table.to_json()), (args.markdown, text)):
        if path:
            atomic_write_text(path, content)
    return 0
