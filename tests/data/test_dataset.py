"""SequenceDataset items, augmentation consistency and the splits, on small made-up prepared data."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from affinekit.config import DataConfig
from affinekit.data.augment import MIRROR_68
from affinekit.data.dataset import (
    SequenceDataset,
    paper_frame_split,
    sample_positions,
    subject_kfold,
    subject_split,
    subject_splits,
)
from affinekit.data.prepared import PreparedSequence, write_manifest
from affinekit.errors import AffinekitError

SIZE = 32
MARK = (20, 9)  # (y, x) of a bright marker, left of centre, where landmark 36 sits


def make_prepared(root: Path, specs: list[tuple[str, str, str | None, int]], channels: int = 1) -> Path:
    """Prepared sequences (subject, sequence, label, T): frame t is grey 10 * t with a marker."""
    entries = []
    for subject, sequence, label, t in specs:
        frames = np.zeros((t, SIZE, SIZE, channels), np.uint8)
        frames[:] = (10 * np.arange(t, dtype=np.uint8))[:, None, None, None]
        frames[:, MARK[0], MARK[1]] = 255
        masks = np.zeros((t, SIZE, SIZE), np.uint8)
        masks[:, MARK[0], MARK[1]] = 1
        landmarks = np.full((t, 68, 2), 16.0, np.float32)
        landmarks[:, 36] = (MARK[1], MARK[0])
        key = f"{subject}_{sequence}"
        PreparedSequence(key, frames, landmarks, masks, np.zeros((t, 2, 3), np.float32), label,
                         subject, sequence, "test").save(root)
        entries.append({"key": key, "file": f"{key}.npz", "subject": subject, "sequence": sequence,
                        "label": label, "frames": t, "source": "test"})
    write_manifest(root, {"config": {}, "sequences": entries, "skipped": []})
    return root


@pytest.fixture
def prepared(tmp_path) -> Path:
    specs = [(f"S{s:03d}", f"{q:03d}", label, 6 + q) for s in range(1, 7)
             for q, label in enumerate(["happy", "surprise"], start=1)]
    specs += [("S099", "001", None, 5), ("S098", "001", "anger", 1)]  # unlabelled; too short
    return make_prepared(tmp_path, specs)


def test_sample_positions():
    assert sample_positions(11, 5).tolist() == [2, 4, 6, 8, 10]
    assert sample_positions(3, 5).tolist() == [1, 1, 1, 2, 2]  # short: repeats, apex last
    rng = np.random.default_rng(0)
    for _ in range(50):
        idx = sample_positions(20, 4, jitter=True, rng=rng)
        assert idx[-1] == 19 and idx.min() >= 1 and np.all(np.diff(idx) >= 0)
    assert np.array_equal(MIRROR_68[MIRROR_68], np.arange(68))  # mirroring twice is identity


def test_item_contract(prepared):
    # positions as frame index / (T - 1) (data.intensity=position; these made-up faces do not move their landmarks)
    ds = SequenceDataset(prepared, num_targets=4, intensity="position")
    assert len(ds) == 12 and "S099_001" not in ds.keys and "S098_001" not in ds.keys
    item = ds[ds.keys.index("S001_002")]  # T = 8
    assert item["x0"].shape == (1, SIZE, SIZE) and item["x0"].dtype == torch.float32
    assert item["targets"].shape == (4, 1, SIZE, SIZE)
    assert item["masks"].shape == (4, 1, SIZE, SIZE) and set(item["masks"].unique().tolist()) == {0.0, 1.0}
    assert item["x0_landmarks"].shape == (68, 2)
    assert item["label"].dtype == torch.int64 and item["label"].item() == 6  # surprise
    assert item["key"] == "S001_002"
    assert float(item["x0"].min()) >= -1 and float(item["x0"].max()) <= 1
    idx = np.array([2, 4, 5, 7])  # round(k * 7 / 4)
    assert torch.allclose(item["positions"], torch.tensor(idx / 7, dtype=torch.float32))
    grey = item["targets"][:, 0, 0, 0]  # frame t is 10 * t
    assert torch.allclose(grey, torch.tensor(10 * idx / 127.5 - 1, dtype=torch.float32))
    assert item["x0"][0, 0, 0].item() == pytest.approx(-1.0)
    again = ds[ds.keys.index("S001_002")]
    assert torch.equal(again["targets"], item["targets"])  # deterministic without augment


def test_augmentation_moves_frames_masks_and_landmarks_together(prepared):
    ds = SequenceDataset(prepared, num_targets=3, augment=True, max_shift=3, intensity="position")
    torch.manual_seed(0)
    flips, lights = set(), set()
    for _ in range(30):
        item = ds[0]
        flipped = None
        for t, frame in enumerate(torch.cat([item["x0"][None], item["targets"]])[:, 0]):
            y, x = np.unravel_index(int(frame.argmax()), frame.shape)          # the marker
            lm = (item["x0_landmarks"] if t == 0 else item["landmarks"][t - 1]).numpy()
            flipped = x > SIZE / 2
            # Landmark 36 (right eye corner) becomes 45 under a mirror flip, and moves with the pixels.
            assert np.hypot(*(lm[45 if flipped else 36] - (x, y))) <= 1.0
            if t > 0:
                mask = item["masks"][t - 1, 0].numpy()
                assert mask[y, x] == 1.0 or mask[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2].max() == 1.0
        flips.add(bool(flipped))
        lights.add(round(float(item["x0"].mean()), 2))
        assert item["positions"][-1].item() == 1.0
    assert flips == {True, False} and len(lights) > 10      # geometry and lighting both vary


def test_channel_conversion(tmp_path):
    gray = make_prepared(tmp_path / "g", [("S1", "1", "fear", 3)])
    assert SequenceDataset(gray, channels=3, intensity="position")[0]["targets"].shape == (5, 3, SIZE, SIZE)
    rgb = make_prepared(tmp_path / "c", [("S1", "1", "fear", 3)], channels=3)
    item = SequenceDataset(rgb, channels=1, intensity="position")[0]
    assert item["x0"].shape == (1, SIZE, SIZE)
    assert item["x0"][0, MARK[0], MARK[1]].item() == pytest.approx(1.0, abs=1e-4)


def test_subject_split_is_disjoint_and_seeded(prepared):
    train, test = subject_split(prepared, 0.34, seed=3)
    subj = lambda keys: {k.split("_")[0] for k in keys}  # noqa: E731
    assert subj(train).isdisjoint(subj(test)) and len(subj(test)) == 2
    assert len(train) + len(test) == 12
    assert subject_split(prepared, 0.34, seed=3) == (train, test)
    assert any(subject_split(prepared, 0.34, seed=s)[1] != test for s in range(4, 10))


def test_kfold_tests_every_subject_once(prepared):
    folds = subject_kfold(prepared, k=3, seed=0)
    assert len(folds) == 3
    tested = [k for _, test in folds for k in test]
    assert sorted(tested) == sorted(SequenceDataset(prepared, intensity="position").keys)
    for train, test in folds:
        assert {k[:4] for k in train}.isdisjoint({k[:4] for k in test})
    with pytest.raises(AffinekitError):
        subject_kfold(prepared, k=50)


def test_paper_frame_split(prepared):
    train, test = paper_frame_split(prepared, 0.25, seed=0)
    pairs = lambda d: {(k, i) for k, v in d.items() for i in v}  # noqa: E731
    assert pairs(train).isdisjoint(pairs(test))
    assert len(pairs(train) | pairs(test)) == sum(6 + q - 1 for _ in range(6) for q in (1, 2))
    assert 0 not in {i for v in train.values() for i in v}  # the neutral frame is the input, never a target
    ds = SequenceDataset(prepared, frame_subset=test, num_targets=3, intensity="position")
    item = ds[0]
    allowed = np.array(test[item["key"]])
    T = next(e["frames"] for e in ds.entries if e["key"] == item["key"])
    chosen = np.round(item["positions"].numpy() * (T - 1)).astype(int)
    assert set(chosen) <= set(allowed) and chosen[-1] == allowed.max()


def test_one_choice_of_split_for_training_and_evaluation(prepared):
    """`subject_splits` is the one place a split is chosen: k folds when folds > 1, else the one split."""
    assert subject_splits(prepared, 0.34, seed=3) == [subject_split(prepared, 0.34, seed=3)]
    assert subject_splits(prepared, 0.34, seed=3, folds=3) == subject_kfold(prepared, k=3, seed=3)
    assert len(subject_splits(prepared, folds=3)) == 3 and subject_splits(prepared, folds=3)[1][1] != \
        subject_splits(prepared, folds=3)[0][1]


def test_data_split_is_gone_with_one_line_for_old_configs():
    from affinekit.config import from_dict
    assert from_dict(DataConfig, {"split": "subject", "image_size": 96}) == DataConfig(crop_size=96)   # old names
    with pytest.raises(ValueError, match="data.split='paper' is no longer an option.*--protocol paper"):
        from_dict(DataConfig, {"split": "paper"})
    with pytest.raises(TypeError):
        DataConfig(split="paper")


def test_no_labelled_sequences(tmp_path):
    make_prepared(tmp_path, [("S1", "1", None, 4)])
    with pytest.raises(AffinekitError, match="no labelled sequences"):
        SequenceDataset(tmp_path)


@pytest.mark.ckplus
def test_on_prepared_ckplus(ckplus_root, tmp_path):
    from affinekit.data.ckplus import read_ckplus
    from affinekit.data.prepare import prepare_records
    records = read_ckplus(ckplus_root, labelled_only=True)[:3]
    prepare_records(records, tmp_path, DataConfig(crop_size=64), progress=False)
    ds = SequenceDataset(tmp_path, num_targets=4)
    loader = torch.utils.data.DataLoader(ds, batch_size=3)
    batch = next(iter(loader))
    # colour by default; CK+ is grey, so every item says so (its luma alone is supervised)
    assert batch["x0"].shape == (3, 3, 64, 64) and batch["targets"].shape == (3, 4, 3, 64, 64)
    assert batch["gray"].all()
    # each target at position x its apex's measured intensity (1 = a CK+ apex), rising along the sequence
    apex = torch.tensor([e["intensities"][-1] for e in ds.entries], dtype=torch.float32)
    assert torch.allclose(batch["positions"][:, -1], apex.clamp(0, 2)) and torch.all(apex > 0.3)
    assert torch.all(batch["positions"].diff(dim=1) >= 0)
    # The apex differs from the neutral frame more than the first target does.
    d_first = (batch["targets"][:, 0] - batch["x0"]).abs().mean()
    d_apex = (batch["targets"][:, -1] - batch["x0"]).abs().mean()
    assert d_apex > d_first
    # Lip masks lie in the lower half of the crop.
    ys = torch.nonzero(batch["masks"][:, :, 0])[:, 2]
    assert ys.min() >= 32
