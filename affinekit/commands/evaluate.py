"""`affinekit evaluate`: the options checked once (`evaluation.entry.EvaluateOptions`), the outputs tried, then a
protocol, then the table printed and written."""
from __future__ import annotations

from typing import Any

from affinekit.devices import resolve_device
from affinekit.evaluation.entry import EvaluateOptions
from affinekit.evaluation.judge import bundled_judge
from affinekit.evaluation.paired import paired_protocol
from affinekit.evaluation.protocols import paper_protocol, subject_protocol
from affinekit.io.atomic import atomic_write_text
from affinekit.io.clashes import refuse_clashes
from affinekit.io.destinations import writable_file
from affinekit.training.run import FoldTrainer
from affinekit.training.two_sample import fit_mouth_probe


def main(args: Any) -> int:
    """`affinekit evaluate --data D --protocol subject|paper|paired [--checkpoint C ...] [--folds K] [--all-keys]
    [--json J] [--markdown M]`."""
    opts = EvaluateOptions.from_args(args)
    refuse_clashes({"--json": args.json, "--markdown": args.markdown},
                   [("--checkpoint", c) for c in opts.checkpoints] + [("--data", d) for d in opts.data]
                   + [("--train-config", opts.train_config)])
    for option, target in (("--json", args.json), ("--markdown", args.markdown)):
        if target:          # a read-only target fails now, not after minutes of work
            writable_file(target, option, make_folder=True)
    device = str(resolve_device(args.device))
    common = dict(checkpoints=opts.checkpoints, frames=opts.frames, seed=opts.seed, device=device, limit=opts.limit)
    if opts.protocol == "paired":
        table = paired_protocol(opts.data, checkpoints=opts.checkpoints, all_keys=opts.all_keys, seed=opts.seed,
                                device=device, limit=opts.limit, judge=bundled_judge(), mouth_fit=fit_mouth_probe)
    elif opts.protocol == "subject":
        train_fold = FoldTrainer(opts.data[0], opts.train_steps, opts.train_size, device, opts.seed,
                                 opts.train_config, opts.overrides) if opts.train_steps > 0 else None
        table = subject_protocol(opts.data[0], folds=opts.folds, train_fold=train_fold, work_dir=args.work_dir,
                                 fold_checkpoint=opts.fold_checkpoint, **common)
    else:
        table = paper_protocol(opts.data[0], size=opts.size, **common)
    table.notes += opts.notes
    text = table.to_markdown()
    print(text)
    for path, content in ((args.json, table.to_json()), (args.markdown, text)):
        if path:
            atomic_write_text(path, content)
    return 0
