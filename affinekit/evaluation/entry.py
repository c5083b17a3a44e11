"""`affinekit evaluate`'s options as one object, checked once in the library before any work (as
`generate/checks.py` does for a clip): which protocol, which data and models, and every number."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from affinekit.config import ModelConfig
from affinekit.config_check import check_seed
from affinekit.data.checks import check_prepared_folder
from affinekit.data.prepared import load_manifest
from affinekit.errors import AffinekitError
from affinekit.memory import require_memory
from affinekit.weights.bundled import DEFAULT_WEIGHTS

MIN_SIZE = 16
# bytes per pixel of one frame of one test sequence while scoring: each maker's uint8 clip (4 at most)
# beside the real one, and the pair turned to float64 for PSNR and SSIM
BYTES_PER_PIXEL = 3 * (5 + 2 * 8)


@dataclass
class EvaluateOptions:
    """What `affinekit evaluate` was asked, checked (`from_args`): AffinekitError naming the option otherwise."""
    protocol: str
    data: list[str]
    checkpoints: list[Any]
    frames: int = 16
    folds: int = 0
    limit: int | None = None
    train_steps: int = 0
    train_size: int = 64
    size: int = 128
    seed: int = 0
    all_keys: bool = False
    overrides: list[str] = field(default_factory=list)
    train_config: str | None = None
    fold_checkpoint: str | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any) -> "EvaluateOptions":
        """The options of a parsed command line, every check made once."""
        checkpoints = list(args.checkpoint)
        notes = []
        if not checkpoints:
            if DEFAULT_WEIGHTS.is_file():
                checkpoints = [DEFAULT_WEIGHTS]
            else:
                notes.append(f"No model checkpoint given and no bundled model ({DEFAULT_WEIGHTS.name}): baselines only.")
        options = cls(protocol=args.protocol, data=_data(args), checkpoints=checkpoints, frames=args.frames,
                      folds=args.folds, limit=args.limit, train_steps=args.train_steps, train_size=args.train_size,
                      size=args.size, seed=args.seed, all_keys=args.all_keys, overrides=list(args.set or []),
                      train_config=args.train_config, fold_checkpoint=args.fold_checkpoint, notes=notes)
        options.check()
        return options

    def check(self) -> None:
        """Every option against the others and against the data, before any work."""
        if self.all_keys and self.protocol != "paired":
            raise AffinekitError("--all-keys belongs to --protocol paired (the subject protocol has its own split)")
        if self.folds < 0 or self.folds == 1:
            raise AffinekitError(f"--folds {self.folds}: use 0 (one subject split) or 2 and more (k-fold cross-validation)")
        if self.limit is not None and self.limit < 1:
            raise AffinekitError(f"--limit {self.limit}: give at least 1 test sequence per fold, or drop --limit for all")
        if self.frames < 2:
            raise AffinekitError(f"--frames {self.frames}: a video to score needs at least 2 frames")
        if self.train_steps < 0:
            raise AffinekitError(f"--train-steps {self.train_steps}: use 0 (score the given models) or more")
        try:
            check_seed(self.seed, "--seed")
        except ValueError as err:
            raise AffinekitError(str(err)) from None
        if self.protocol == "paper" and self.size < MIN_SIZE:
            raise AffinekitError(f"--size {self.size}: frames are resized to SIZE x SIZE; use at least {MIN_SIZE} "
                                 "(default 128)")
        if self.train_steps:
            try:
                ModelConfig(image_size=self.train_size)
            except ValueError as err:
                raise AffinekitError(f"--train-size {self.train_size}: {err}") from None
        self._check_training_options()
        self._check_data()
        side, sequences = self._clip_side_and_count()
        require_memory(sequences * self.frames * side * side * BYTES_PER_PIXEL, f"--frames {self.frames}",
                       f"scoring {sequences} test clip(s) of {side} px", "use fewer --frames (default 16) or --limit")

    def _check_training_options(self) -> None:
        if (self.overrides or self.train_config) and not self.train_steps:
            raise AffinekitError("--set and --train-config shape the per-fold models: add --train-steps N (and --folds K)")
        if self.fold_checkpoint and ("{fold}" not in self.fold_checkpoint or self.folds < 2):
            raise AffinekitError(f"--fold-checkpoint {self.fold_checkpoint}: needs {{fold}} in the path and --folds K "
                                 "(e.g. --folds 5 --fold-checkpoint 'runs/cv/fold{fold}.pt')")
        if self.protocol != "subject" and (self.folds or self.train_steps or self.overrides or self.train_config
                                           or self.fold_checkpoint):
            raise AffinekitError(f"--folds, --train-steps and --set belong to --protocol subject; the {self.protocol} "
                                 "protocol has one split")

    def _check_data(self) -> None:
        if self.protocol == "paired":
            for folder in self.data:
                if not (Path(folder) / "manifest.json").is_file():
                    raise AffinekitError(f"{folder}: not a prepared folder (no manifest.json); prepare a still-pair "
                                         f"set first, e.g. `affinekit prepare ../shared/data/frll --out {folder}`")
        elif self.protocol == "subject" and not (Path(self.data[0]) / "manifest.json").is_file():
            raise AffinekitError(f"{self.data[0]}: not a prepared folder (no manifest.json); run "
                                 f"`affinekit prepare <CK+ root> --out {self.data[0]}` first, or use --protocol paper "
                                 "with a CK+ root")
        if self.protocol != "paper":        # scored under the manifest's size: every file must be that size
            for folder in self.data:
                check_prepared_folder(folder, load_manifest(folder))

    def _clip_side_and_count(self) -> tuple[int, int]:
        """The frames' side and how many test clips are scored at once (an estimate: a fifth of the labelled)."""
        if self.protocol != "subject":      # paper: one CK+ sequence at a time; paired: apexes, not clips
            return (self.size if self.protocol == "paper" else 128), 1
        manifest = load_manifest(self.data[0])
        side = int(manifest.get("config", {}).get("crop_size", 128))
        labelled = sum(1 for e in manifest["sequences"] if e.get("label"))
        count = max(1, round(labelled * 0.2))
        return side, min(count, self.limit) if self.limit else count


def _data(args: Any) -> list[str]:
    """The --data values: one folder for subject and paper; for paired, repeats and comma lists."""
    given: Sequence[str] = args.data if isinstance(args.data, list) else [args.data]
    if args.protocol == "paired":
        return [part for value in given for part in value.split(",") if part]
    if len(given) != 1:
        raise AffinekitError(f"--data given {len(given)} times: --protocol {args.protocol} takes one folder "
                             "(only --protocol paired takes several)")
    return list(given)
