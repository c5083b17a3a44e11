"""Which sequences are tested: the subject protocol (one split or k folds over subjects) and the
paper's random frame split; landmark-warp and any per-fold model are fitted on the training side."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from affinekit.data.dataset import paper_frame_split, subject_splits
from affinekit.data.prepared import load_manifest
from affinekit.errors import AffinekitError
from affinekit.evaluation.baselines import LandmarkWarp
from affinekit.evaluation.descriptors import FaceDescriber
from affinekit.evaluation.makers import GeneratorMaker, add_model_rows, load_model_maker, training_overlap
from affinekit.evaluation.scoring import evaluate, merge_folds
from affinekit.evaluation.sources import RawCkplusSource
from affinekit.evaluation.table import ClipMaker, ResultTable
from affinekit.expressions import expression_index
from affinekit.io.run_folder import RunFolder


# -- protocols --------------------------------------------------------------------------------
def _model_name(path: str | Path, info: dict[str, Any]) -> str:
    """A model row's name: its run folder and file, and its output head."""
    run = RunFolder.containing(path)
    return f"model: {run.path.name}/{Path(path).name} [{info.get('output', '?')} head]"


def subject_protocol(prepared_dir: str | Path, checkpoints: Sequence[str | Path] = (), folds: int = 0,
                     frames: int = 16, train_fold: Callable[[Sequence[str], Path], Any] | None = None, seed: int = 0,
                     test_fraction: float = 0.2, work_dir: str | Path | None = None, device: str = "cpu",
                     limit: int | None = None, keep_clips: bool = False, log: Callable[[str], None] = print,
                     fold_checkpoint: str | None = None) -> ResultTable:
    """Subject-disjoint evaluation: one split, or k folds over subjects (mean ± std over folds).

    Landmark-warp is fitted on each fold's training keys; with `train_fold` (a callable
    `(train_keys, out_dir) -> generator`, e.g. `affinekit.training.run.FoldTrainer`, handed
    down by the caller: evaluation never trains) a fresh model is trained per fold on those keys (the
    honest cross-validated number).
    `fold_checkpoint`, a path with `{fold}` in it (0-based, as `data.fold`), names
    models trained per fold elsewhere (`scripts/train_folds.py`): fold f tests
    the file it names for f. Checkpoints are evaluated as given, with a note when
    their training data is known to include test sequences.
    """
    manifest = load_manifest(prepared_dir)
    entries = [e for e in manifest["sequences"] if e.get("label")]
    splits = subject_splits(entries, test_fraction, seed, folds)
    models = {str(c): load_model_maker(c, device) for c in checkpoints}
    work = Path(work_dir) if work_dir else Path("runs") / "eval-folds"
    tables, n_test = [], 0
    for f, (train_keys, test_keys) in enumerate(splits):
        test_keys = list(test_keys)[:limit] if limit else list(test_keys)
        log(f"fold {f + 1}/{len(splits)}: {len(train_keys)} training, {len(test_keys)} test sequences")
        makers: dict[str, ClipMaker] = {"landmark-warp": LandmarkWarp().fit(prepared_dir, train_keys)}
        notes: dict[str, str] = {}
        for path, (maker, info) in models.items():
            add_model_rows(makers, notes, _model_name(path, info), maker, training_overlap(info, test_keys))
        if fold_checkpoint:
            path = fold_checkpoint.format(fold=f)
            if not Path(path).is_file():
                raise AffinekitError(f"{path}: no model for fold {f}; train it with scripts/train_folds.py "
                                     f"(--folds {len(splits)} --seed {seed}) or fix --fold-checkpoint")
            maker, info = load_model_maker(path, device)
            add_model_rows(makers, notes, f"fold models: {Path(fold_checkpoint).name}", maker,
                           training_overlap(info, test_keys))
        if train_fold is not None:
            name = f"AffineGAN (this kit, {getattr(train_fold, 'description', 'trained')} on the fold's training subjects)"
            log(f"fold {f + 1}: training a fresh model ({getattr(train_fold, 'description', '')})")
            add_model_rows(makers, notes, name, GeneratorMaker(train_fold(list(train_keys), work / f"fold{f}"), device))
        tables.append(evaluate(makers, prepared_dir, test_keys, frames, keep_clips=keep_clips, model_notes=notes))
        n_test += len(test_keys)
    subjects = sorted({k.split("_")[0] for _, test in splits for k in test})
    size = manifest.get("config", {}).get("crop_size", "?")
    how = (f"{len(splits)}-fold cross-validation over subjects, mean ± std over folds" if len(splits) > 1
           else f"one subject-disjoint split, test subjects {', '.join(subjects)}")
    title = f"Subject protocol ({how}; {n_test} test sequences; {frames} frames; aligned crops at {size} px)"
    return merge_folds(tables, title)


def paper_protocol(ckplus_root: str | Path, checkpoints: Sequence[str | Path] = (), frames: int = 16,
                   size: int = 128, seed: int = 0, test_fraction: float = 0.2, device: str = "cpu",
                   limit: int | None = None, keep_clips: bool = False, log: Callable[[str], None] = print,
                   ) -> ResultTable:
    """The paper's random frame split on raw CK+ frames resized to size x size, without alignment.

    Test sequences are those holding a test frame; their other frames (and their
    subjects) are in training, so these numbers are optimistic by construction.
    Landmark-warp learns from each sequence's first and last training frame.
    """
    source = RawCkplusSource(ckplus_root, size)
    entries = source.entries()
    train_frames, test_frames = paper_frame_split(entries, test_fraction, seed)
    log(f"paper split: {sum(map(len, test_frames.values()))} test frames in {len(test_frames)} sequences")
    first, last, labels = [], [], []
    for key, idx in train_frames.items():
        a, b = source.landmarks(key, 0), source.landmarks(key, max(idx))
        if a is not None and b is not None:
            first.append(a)
            last.append(b)
            labels.append(expression_index(source.records[key].label))
    warp = LandmarkWarp().fit_landmarks(np.stack(first), np.stack(last), labels)
    test_keys = sorted(test_frames)[:limit] if limit else sorted(test_frames)
    makers: dict[str, ClipMaker] = {"landmark-warp": warp}
    notes: dict[str, str] = {}
    for path in checkpoints:
        maker, info = load_model_maker(path, device)
        add_model_rows(makers, notes, _model_name(path, info), maker,
                       "fed the resized raw first frame (it was trained on aligned crops)")
    table = evaluate(makers, source, test_keys, frames, describer=FaceDescriber(box="detect"),
                     keep_clips=keep_clips, model_notes=notes)
    table.title = (f"Paper protocol (the AffineGAN paper's RANDOM FRAME split: test frames share sequences and "
                   f"subjects with training frames; {len(test_keys)} sequences; raw frames resized to "
                   f"{size}x{size}, no face alignment; {frames} frames)")
    return table
