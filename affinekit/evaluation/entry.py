"""`affinekit evaluate`'s numeric options checked before any work: seed, sizes, frames and their memory."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from affinekit.config import ModelConfig
from affinekit.config_check import check_seed
from affinekit.data.checks import check_prepared_folder
from affinekit.data.prepared import load_manifest
from affinekit.errors import AffinekitError
from affinekit.memory import require_memory

MIN_SIZE = 16
# bytes per pixel of one frame of one test sequence while scoring: each maker's uint8 clip (4 at most)
# beside the real one, and the pair turned to float64 for PSNR and SSIM
BYTES_PER_PIXEL = 3 * (5 + 2 * 8)


def check_evaluate_options(args: Any, data: Sequence[str], checkpoints: Sequence[Any]) -> None:
    """AffinekitError naming the option when --seed, --size, --train-size or --frames cannot work."""
    try:
        check_seed(args.seed, "--seed")
    except ValueError as err:
        raise AffinekitError(str(err)) from None
    if args.protocol == "paper" and args.size < MIN_SIZE:
        raise AffinekitError(f"--size {args.size}: frames are resized to SIZE x SIZE; use at least {MIN_SIZE} "
                             "(default 128)")
    if args.train_steps:
        try:
            ModelConfig(image_size=args.train_size)
        except ValueError as err:
            raise AffinekitError(f"--train-size {args.train_size}: {err}") from None
    if args.protocol != "paper":        # scored under the manifest's size: every file must be that size
        for folder in data:
            if (Path(folder) / "manifest.json").is_file():
                check_prepared_folder(folder, load_manifest(folder))
    side, sequences = _clip_side_and_count(args, data)
    require_memory(sequences * args.frames * side * side * BYTES_PER_PIXEL, f"--frames {args.frames}",
                   f"scoring {sequences} test clip(s) of {side} px", "use fewer --frames (default 16) or --limit")


def _clip_side_and_count(args: Any, data: Sequence[str]) -> tuple[int, int]:
    """The frames' side and how many test clips are scored at once (an estimate: a fifth of the labelled)."""
    if args.protocol != "subject":      # paper: one CK+ sequence at a time; paired: apexes, not clips
        return (args.size if args.protocol == "paper" else 128), 1
    try:
        manifest = load_manifest(data[0])
    except AffinekitError:
        return 128, 1           # the command's own check says what is wrong with the folder
    side = int(manifest.get("config", {}).get("crop_size", 128))
    labelled = sum(1 for e in manifest["sequences"] if e.get("label"))
    count = max(1, round(labelled * 0.2))
    return side, min(count, args.limit) if args.limit else count
