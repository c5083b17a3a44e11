"""Torch dataset over prepared sequences, and the train/test splits (other folders joining
training: `sources`).

Each item is a neutral first frame x0, K target frames sampled from neutral to
apex with their positions in [0, 1], the label and the targets' lip masks.
Splits are by subject (no face seen in training is tested; `subject_splits` is
the one choice of split); the paper's random frame split is offered separately
under its own name, for evaluation, because it lets test frames come from
training sequences.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from affinekit.config import MEASURED
from affinekit.data.augment import Augmentation
from affinekit.data.checks import FIX, file_problem, listed_frames, sequence_path
from affinekit.data.intensity import MIN_TEACHING_INTENSITY, apex_intensity, item_intensities, teaching_intensities
from affinekit.data.prepared import entry_kind, load_sequence, manifest_entries, teaching_entries
from affinekit.data.records import looks_gray
from affinekit.data.sources import balanced_weights, extra_entries
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import to_model


def sample_positions(num_frames: int, k: int, jitter: bool = False,
                     rng: np.random.Generator | None = None) -> np.ndarray:
    """K frame indices in 1..T-1, evenly spaced (jittered if asked), sorted, the last one the apex."""
    last = num_frames - 1
    if last < 1:
        raise ValueError("a sequence needs at least two frames")
    steps = np.arange(1, k + 1, dtype=np.float64)
    if jitter:
        rng = rng or np.random.default_rng()
        steps[:-1] += rng.uniform(-0.5, 0.5, size=k - 1)
    idx = np.clip(np.round(steps * last / k), 1, last).astype(np.int64)
    idx[-1] = last  # the apex is always a target
    return np.sort(idx)


class SequenceDataset(Dataset):
    """Labelled prepared sequences and still pairs as training items (see docs/architecture.md).

    `frame_subset` ({key: allowed target frame indices}) restricts targets, for
    the paper's frame split. `channels` converts gray<->RGB (None keeps what
    was prepared). Augmentation (`affinekit.data.augment`: lighting, blur, noise,
    scale, flip, shift up to `max_shift` px at 128 px) is applied identically to
    every frame, mask and landmark of one item.

    `sources` name more prepared folders whose items join training (still pairs,
    MEAD clips, the AffineGAN sample's sequences). `source_keys` ({folder: keys})
    keeps only those keys of a source (e.g. without its validation people). An
    item that repeats a sequence of `prepared_dir` or of an earlier source (the
    same first frame) is dropped, so a test sequence cannot enter training
    through the back door.

    A sequence's targets are frames along it; a pair's (`kind == "pair"`: a neutral
    photo, then apex photos taken apart) are its apex frames. With `intensity="measured"`
    (the default) each target is taught at the intensity its landmarks measure
    (`affinekit.data.intensity`: 1 = a CK+ apex; a sequence's frames at position x its
    apex's; with "frame" at their own measured intensities, made non-decreasing), and items that move their landmarks at most `MIN_TEACHING_INTENSITY` along
    their expression are left out (`weak`, counted per source). With "position" a
    sequence's frames sit at index / (T - 1) and every still's apex at 1. Each item
    says whether its pictures are grey (`gray`), so that a colour model learns only
    their luma from them.
    """

    def __init__(self, prepared_dir: str | Path, keys: Iterable[str] | None = None, num_targets: int = 5,
                 augment: bool = False, seed: int = 0, channels: int | None = None, max_shift: int = 4,
                 frame_subset: dict[str, list[int]] | None = None, sources: Sequence[str | Path] = (),
                 source_keys: dict[str, Sequence[str]] | None = None, intensity: str = "measured") -> None:
        self.dir = Path(prepared_dir)
        entries = [dict(e, dir=str(self.dir)) for e in teaching_entries(self.dir)]
        if keys is not None:
            wanted = set(keys)
            entries = [e for e in entries if e["key"] in wanted]
        if frame_subset is not None:
            entries = [e for e in entries if frame_subset.get(e["key"])]
        self.dropped: list[str] = []
        seen = [self.dir]
        for source in sources:
            source = Path(source)
            if source.resolve() in {p.resolve() for p in seen}:
                continue
            allowed = (source_keys or {}).get(str(source))
            added, dropped = extra_entries(seen, source, {e["key"] for e in entries}, allowed)
            entries += added
            self.dropped += dropped
            seen.append(source)
        self.intensity = intensity
        self.weak: dict[str, int] = {}      # per source: items left out as too weak to teach geometry
        if intensity in MEASURED:
            entries = self._measured(entries)
            if not entries and self.weak:
                raise AffinekitError(f"{self.dir}: every item moves its landmarks at most {MIN_TEACHING_INTENSITY} "
                                     "along its expression, too little to teach; check the landmarks, or train "
                                     "with --set data.intensity=position")
        if not entries:
            raise AffinekitError(f"{self.dir}: no labelled sequences of 2+ frames to train on; "
                                 "prepare a labelled source (CK+ with Emotion/, or --labels)")
        self.entries = entries
        self.keys = [e["key"] for e in entries]
        self.num_targets, self.augment, self.seed = num_targets, augment, seed
        self.channels, self.max_shift, self.frame_subset = channels, max_shift, frame_subset
        self._cache: dict[str, Any] = {}
        self._where = {e["key"]: e["dir"] for e in entries}

    def _measured(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Entries with their frames' measured intensities (the manifest's, or measured now from the file's
        landmarks for folders prepared before intensities were stored), without the weak ones."""
        kept = []
        for entry in entries:
            values = entry.get("intensities")
            if values is None or len(values) != entry.get("frames"):
                path = sequence_path(entry["dir"], entry["key"])     # the file the loader reads, checked first
                problem = file_problem(path, None, landmarks=False, frames=listed_frames(entry))
                if problem:
                    raise AffinekitError(f"{path}: {problem}; {FIX}")
                with np.load(path, allow_pickle=False) as arrays:
                    values = item_intensities(arrays["landmarks"], entry.get("label"), entry_kind(entry))
            if values is None:          # a label with no fitted direction: taught at its positions
                kept.append(entry)
            elif apex_intensity(values, entry_kind(entry)) <= MIN_TEACHING_INTENSITY:
                source = str(entry.get("source", ""))
                self.weak[source] = self.weak.get(source, 0) + 1
            else:
                kept.append(dict(entry, intensities=values))
        return kept

    def __len__(self) -> int:
        return len(self.entries)

    def sequence(self, key: str):
        """The PreparedSequence of a key (kept in memory after the first read)."""
        if key not in self._cache:
            self._cache[key] = load_sequence(self._where.get(key, self.dir), key)
        return self._cache[key]

    def sampling_weights(self) -> np.ndarray:
        """Probability of each item in a batch (`balanced_weights` of the entries)."""
        return balanced_weights(self.entries)

    def _rng(self, index: int) -> np.random.Generator:
        # torch's RNG is what DataLoader seeds per worker and torch.manual_seed fixes,
        # so augmentations differ between epochs and workers yet repeat under a seed.
        return np.random.default_rng([self.seed, index, int(torch.randint(0, 2**31 - 1, ()))])

    def _targets(self, entry: dict[str, Any], num_frames: int, rng: np.random.Generator | None) -> np.ndarray:
        if entry_kind(entry) == "pair":     # every frame after the neutral one is an apex
            if rng is not None:
                return np.sort(rng.integers(1, num_frames, self.num_targets))
            return 1 + np.arange(self.num_targets) % (num_frames - 1)
        if self.frame_subset is None:
            return sample_positions(num_frames, self.num_targets, jitter=rng is not None, rng=rng)
        allowed = np.array(sorted(self.frame_subset[entry["key"]]))
        pick = sample_positions(len(allowed) + 1, self.num_targets, jitter=rng is not None, rng=rng) - 1
        return allowed[pick]

    def __getitem__(self, index: int) -> dict[str, Any]:
        entry = self.entries[index]
        seq = self.sequence(entry["key"])
        num_frames = len(seq.frames)
        rng = self._rng(index) if self.augment else None
        idx = self._targets(entry, num_frames, rng)
        chosen = np.concatenate([[0], idx])
        frames = seq.frames[chosen]                 # (K+1, H, W, C)
        masks = seq.lip_masks[chosen]               # (K+1, H, W)
        landmarks = seq.landmarks[chosen].astype(np.float32)
        gray = bool(entry["gray"]) if "gray" in entry else looks_gray(frames)
        if rng is not None:
            frames, masks, landmarks = Augmentation.draw(rng, frames.shape[2], self.max_shift)(frames, masks, landmarks)
        x = to_model(frames, self.channels)
        if self.intensity in MEASURED and entry.get("intensities"):
            positions = teaching_intensities(entry["intensities"], entry_kind(entry),
                                             per_frame=self.intensity == "frame")[idx]
        else:
            positions = np.ones(len(idx)) if entry_kind(entry) == "pair" else idx / (num_frames - 1)
        return {
            "x0": x[0], "targets": x[1:],
            "positions": torch.from_numpy(positions).float(),
            "label": torch.tensor(EXPRESSIONS.index(entry["label"]), dtype=torch.int64),
            "masks": torch.from_numpy(np.ascontiguousarray(masks[1:, None])).float(),
            "x0_landmarks": torch.from_numpy(np.ascontiguousarray(landmarks[0])),
            "landmarks": torch.from_numpy(np.ascontiguousarray(landmarks[1:])),
            "gray": torch.tensor(gray),
            "key": entry["key"],
        }


def _subjects(entries: list[dict[str, Any]], seed: int) -> list[str]:
    subjects = sorted({e["subject"] for e in entries})
    np.random.default_rng(seed).shuffle(subjects)
    return subjects


def subject_split(entries: Any, test_fraction: float = 0.2, seed: int = 0) -> tuple[list[str], list[str]]:
    """(train_keys, test_keys) of labelled sequences with no subject in both."""
    entries = teaching_entries(entries)
    subjects = _subjects(entries, seed)
    if len(subjects) < 2:
        raise AffinekitError(f"a subject split needs 2+ subjects, found {len(subjects)}; prepare more data")
    n_test = min(len(subjects) - 1, max(1, int(round(test_fraction * len(subjects)))))
    test = set(subjects[:n_test])
    return ([e["key"] for e in entries if e["subject"] not in test],
            [e["key"] for e in entries if e["subject"] in test])


def validation_split(entries: Any, fraction: float = 0.2, seed: int = 0) -> tuple[list[str], list[str]]:
    """(train_keys, validation_keys): per source, `fraction` of its people held out for validation.

    Each source is split on its own (the same draw as `subject_split`), so every source keeps some
    people out of training and a small source is not emptied by a large one. Hyperparameters are
    chosen on the validation people; no person is on both sides. Entries without a `source` count
    as one source.
    """
    entries = manifest_entries(entries)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_source.setdefault(str(e.get("source", "")), []).append(e)
    train: list[str] = []
    held: list[str] = []
    for source in sorted(by_source):
        group = by_source[source]
        subjects = _subjects(group, seed)
        if len(subjects) < 2:       # one person cannot be split: all of it trains
            train += [e["key"] for e in group]
            continue
        n_val = min(len(subjects) - 1, max(1, int(round(fraction * len(subjects)))))
        val = set(subjects[:n_val])
        train += [e["key"] for e in group if e["subject"] not in val]
        held += [e["key"] for e in group if e["subject"] in val]
    return train, held


def subject_kfold(entries: Any, k: int = 5, seed: int = 0) -> list[tuple[list[str], list[str]]]:
    """k (train_keys, test_keys) folds; each subject is tested in exactly one fold."""
    entries = teaching_entries(entries)
    subjects = _subjects(entries, seed)
    if not 2 <= k <= len(subjects):
        raise AffinekitError(f"{k}-fold split needs 2 <= k <= number of subjects ({len(subjects)})")
    folds = []
    for group in np.array_split(np.array(subjects, dtype=object), k):
        test = set(group)
        folds.append(([e["key"] for e in entries if e["subject"] not in test],
                      [e["key"] for e in entries if e["subject"] in test]))
    return folds


def subject_splits(entries: Any, test_fraction: float = 0.2, seed: int = 0,
                   folds: int = 0) -> list[tuple[list[str], list[str]]]:
    """Every (train_keys, test_keys) split of the subject protocol: the `folds` folds of `subject_kfold`
    (folds > 1), else the one `subject_split`. Training (`data.hold_out`, `data.fold`) and evaluation
    (`affinekit evaluate --protocol subject`) both choose their split here, so they agree."""
    if folds > 1:
        return subject_kfold(entries, folds, seed)
    return [subject_split(entries, test_fraction, seed)]


def paper_frame_split(entries: Any, test_fraction: float = 0.2,
                      seed: int = 0) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """The paper's random frame split: non-neutral frames of all sequences shuffled together.

    Returns ({key: train frame indices}, {key: test frame indices}). Test frames
    share subjects and sequences with training frames, so scores are optimistic;
    use subject_split for an honest estimate.
    """
    pairs = [(e["key"], i) for e in teaching_entries(entries) for i in range(1, e["frames"])]
    order = np.random.default_rng(seed).permutation(len(pairs))
    n_test = int(round(test_fraction * len(pairs)))
    train: dict[str, list[int]] = {}
    test: dict[str, list[int]] = {}
    for rank, j in enumerate(order):
        key, i = pairs[j]
        (test if rank < n_test else train).setdefault(key, []).append(i)
    return ({k: sorted(v) for k, v in train.items()}, {k: sorted(v) for k, v in test.items()})
