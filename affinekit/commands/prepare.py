"""`affinekit prepare`: a source of face sequences -> aligned, landmarked sequences in a folder."""
from __future__ import annotations

import argparse

from affinekit.config import DataConfig
from affinekit.data.prepare import prepare, sequence_bytes
from affinekit.errors import AffinekitError
from affinekit.io.clashes import refuse_clashes
from affinekit.io.destinations import writable_folder
from affinekit.io.locks import folder_lock
from affinekit.memory import format_bytes

# the largest crop worth preparing: the kit's models use 64-256 px crops, and a larger crop only
# upsamples the face (a 20000 px one needed 14 GB per sequence and ended in an allocator traceback)
MAX_SIZE = 4096


def main(args: argparse.Namespace) -> int:
    """The `affinekit prepare` subcommand."""
    if args.size < 16:
        raise AffinekitError(f"--size {args.size}: the aligned crop must be at least 16 pixels (default 128)")
    if args.size > MAX_SIZE:
        need = format_bytes(sequence_bytes([], DataConfig(crop_size=args.size)))
        raise AffinekitError(f"--size {args.size}: {args.size} px crops need about {need} of memory per sequence "
                             f"and only upsample the face; use at most {MAX_SIZE} (the default is 128)")
    if args.rgb and args.gray:
        raise AffinekitError("--rgb and --gray: pick one (colour is the default)")
    config = DataConfig(crop_size=args.size, channels=1 if args.gray else 3,
                        align_per_frame=args.per_frame, detector=args.detector)
    out = writable_folder(args.out, "--out")     # checked before any face is detected
    refuse_clashes({"--out": out}, [("the source", args.source), ("--labels", args.labels)])
    with folder_lock(out, "--out"):              # a second prepare into the same folder is refused
        report = prepare(args.source, out, config, labels_csv=args.labels,
                         labelled_only=args.labelled_only)
    if not report.ok and report.skipped:
        # Nothing usable came out: answer with the (first) reason as the one-line error.
        raise AffinekitError(report.skipped[0][1])
    return 0
