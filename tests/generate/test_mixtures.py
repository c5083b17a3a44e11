"""Training on a mixture of sources: still pairs beside sequences, balanced sampling, luma-only
supervision of grey items, validation people per source, CK+48's roles, the apex discriminator."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import BlobSequences

from affinekit.config import ModelConfig, TrainConfig
from affinekit.data.apex import ApexPool, ck48_roles, discriminator_keys
from affinekit.data.dataset import SequenceDataset, validation_split
from affinekit.data.prepared import PreparedSequence, write_manifest
from affinekit.training.batches import StepBatches, collate
from affinekit.training.discriminator_check import ranking_accuracy
from affinekit.training.loop import Trainer
from affinekit.training.losses import l1_luma_where_gray


def _write(folder, key, frames, label, subject, source, kind):
    """A prepared item of `frames` (T, H, W, 3) uint8 with plausible landmarks, into `folder`'s manifest."""
    T, H = len(frames), frames.shape[1]
    points = np.tile(np.linspace(H * 0.3, H * 0.7, 68, dtype=np.float32)[:, None], (1, 2))
    seq = PreparedSequence(key=key, frames=frames, landmarks=np.repeat(points[None], T, 0),
                           lip_masks=np.zeros((T, H, H), np.uint8), transforms=np.zeros((T, 2, 3), np.float32),
                           label=label, subject=subject, sequence=key, source=source)
    seq.save(folder)
    return {"key": key, "file": f"{key}.npz", "subject": subject, "sequence": key, "label": label,
            "frames": T, "source": source, "kind": kind}


def _faces(T, size=32, value=100, colour=False, seed=0):
    rng = np.random.default_rng(seed)
    frames = rng.integers(value - 20, value + 20, (T, size, size, 1)).astype(np.uint8).repeat(3, -1)
    if colour:
        frames[..., 0] = np.clip(frames[..., 0].astype(int) + 60, 0, 255)
    return frames


def mixture(tmp_path):
    """A CK+-like folder of 4-frame grey sequences and a FRLL-like folder of colour still pairs."""
    seqs, pairs = tmp_path / "seqs", tmp_path / "pairs"
    seqs.mkdir(); pairs.mkdir()
    entries = [_write(seqs, f"S{i}_001", _faces(4, seed=i), "surprise" if i % 2 else "anger", f"S{i}", "ckplus",
                      "sequence") for i in range(4)]
    write_manifest(seqs, {"config": {"channels": 3}, "sequences": entries, "skipped": []})
    entries = [_write(pairs, f"frll-{i:03d}_happy", _faces(2, colour=True, seed=10 + i), "happy",
                      f"frll-{i:03d}", "frll", "pair") for i in range(10)]
    write_manifest(pairs, {"config": {"channels": 3}, "sequences": entries, "skipped": []})
    return seqs, pairs


def test_a_still_pair_and_a_sequence_in_one_batch(tmp_path):
    seqs, pairs = mixture(tmp_path)
    ds = SequenceDataset(seqs, num_targets=3, channels=3, sources=[pairs], intensity="position")
    by_key = {k: i for i, k in enumerate(ds.keys)}
    batch = collate([ds[by_key["S1_001"]], ds[by_key["frll-003_happy"]]])
    assert batch["targets"].shape == (2, 3, 3, 32, 32)
    # data.intensity=position: a sequence's targets sit along it; a pair's are its apex photo, all at 1
    assert torch.allclose(batch["positions"][0], torch.tensor([1 / 3, 2 / 3, 1.0]))
    assert torch.equal(batch["positions"][1], torch.ones(3))
    assert torch.equal(batch["targets"][1, 0], batch["targets"][1, 2])
    assert batch["gray"].tolist() == [True, False]


def test_balanced_sampling_gives_every_expression_its_share(tmp_path):
    seqs, pairs = mixture(tmp_path)
    ds = SequenceDataset(seqs, num_targets=2, channels=3, sources=[pairs], intensity="position")
    w = ds.sampling_weights()
    labels = np.array([e["label"] for e in ds.entries])
    # 10 happy pairs against 2 anger and 2 surprise sequences: each expression a third of the draws
    for label in ("happy", "anger", "surprise"):
        assert w[labels == label].sum() == pytest.approx(1 / 3)
    batches = StepBatches(ds, 4, 32, seed=0, weights=w)
    drawn = [labels[i] for s in range(1, 301) for i in batches.indices(s)]
    assert abs(drawn.count("happy") / len(drawn) - 1 / 3) < 0.05
    # without weights the 10 pairs would take most of every batch
    plain = [labels[i] for s in range(1, 301) for i in StepBatches(ds, 4, 32, seed=0).indices(s)]
    assert plain.count("happy") / len(plain) > 0.6


def test_a_grey_item_supervises_luma_only():
    real = torch.zeros(2, 1, 3, 4, 4)
    fake = real.clone()
    fake[:, :, 0] += 0.3          # more red, less green, same luma: 0.299 * 0.3 - 0.587 * x = 0
    fake[:, :, 1] -= 0.299 * 0.3 / 0.587
    gray = torch.tensor([True, False])
    per_item_colour = (0.3 + 0.299 * 0.3 / 0.587) / 3
    assert l1_luma_where_gray(fake, real, gray).item() == pytest.approx(per_item_colour / 2, abs=1e-6)
    assert l1_luma_where_gray(fake, real, torch.tensor([True, True])).item() == pytest.approx(0, abs=1e-6)
    brighter = real + 0.5        # a luma error counts for grey items too
    assert l1_luma_where_gray(brighter, real, torch.tensor([True, True])).item() == pytest.approx(0.5)


def test_validation_people_are_held_out_per_source(tmp_path):
    seqs, pairs = mixture(tmp_path)
    train, val = validation_split(pairs, fraction=0.2, seed=0)
    assert len(val) == 2 and len(train) == 8 and not set(train) & set(val)
    # a source's split never depends on another source beside it
    from affinekit.data.prepared import load_manifest
    both = load_manifest(seqs)["sequences"] + load_manifest(pairs)["sequences"]
    train2, val2 = validation_split(both, fraction=0.2, seed=0)
    assert set(val) <= set(val2) and len(val2) == 3


def test_ck48_roles_give_each_person_one_role():
    subjects = [f"S{i:03d}" for i in range(118)]
    roles = ck48_roles(subjects + ["S052", "S111"])
    assert roles["S052"] == roles["S111"] == "test"
    counts = {r: list(roles.values()).count(r) for r in ("test", "classifier", "discriminator")}
    assert counts["test"] == 24 and counts["discriminator"] == round(0.33 * 94)
    entries = [{"key": f"ck48-{s}", "subject": f"ck48-{s}", "source": "ck48", "kind": "apex"} for s in roles]
    assert {k[5:] for k in discriminator_keys(entries)} == {s for s, r in roles.items() if r == "discriminator"}


def test_apex_pool_draws_the_requested_expressions(tmp_path):
    seqs, pairs = mixture(tmp_path)
    pool = ApexPool.from_folders([seqs, pairs], ["S0_001", "S1_001", "frll-001_happy"], channels=3)
    assert len(pool) == 3      # each sequence's last frame, each pair's apex photo
    faces = pool.draw(torch.tensor([6, 0, 4]), 16, torch.Generator().manual_seed(0))
    assert faces.shape == (3, 3, 16, 16) and faces.min() >= -1 and faces.max() <= 1


def test_discriminators_tell_real_from_generated_apart_in_a_small_run(tmp_path):
    """After a few dozen steps the discriminators rank real frames above the generated frames made
    for them on fresh batches: they are not at chance (an untrained or frozen D ranks ~half right)."""
    ds = BlobSequences(n=12)
    model = ModelConfig(image_size=32, channels=1, base_width=8, depth=3, max_width=32, disc_width=8)
    trainer = Trainer(model, TrainConfig(steps=40, batch_size=6, device="cpu", checkpoint_every=0, sample_every=0,
                                         lambda_warmup=10, w_l1=10, w_rec=10, lr_d=1e-3), ds, tmp_path)
    trainer.fit()
    accuracy = ranking_accuracy(trainer, range(1000, 1005))
    assert accuracy["frame"] >= 0.9 and accuracy["lip"] >= 0.7, accuracy


def test_a_grey_model_starts_a_colour_one_with_the_same_answer_on_grey_faces(tmp_path):
    from affinekit.models.generator import Generator
    from affinekit.weights.checkpoint import load_generator, save_generator_only
    from affinekit.weights.warm_start import warm_start
    small = dict(image_size=32, base_width=8, depth=3, max_width=32, disc_width=8)
    torch.manual_seed(0)
    grey = Generator(ModelConfig(channels=1, **small))
    with torch.no_grad():
        grey.prior.normal_(0, 0.05)
        grey.decoder.out.bias[2] = 0.0            # an open mask, so that the residual shows
    save_generator_only(grey, grey.cfg, tmp_path / "grey.pt")
    colour = Generator(ModelConfig(channels=3, **small))
    warm_start(colour, tmp_path / "grey.pt")
    x = torch.rand(2, 1, 32, 32) * 2 - 1
    labels, t = torch.tensor([3, 6]), torch.linspace(0, 1, 3)
    with torch.no_grad():
        a = load_generator(tmp_path / "grey.pt")[0].generate(x, labels, t)
        b = colour.generate(x.repeat(1, 3, 1, 1), labels, t)
    assert torch.allclose(a[:, :, 0], b[:, :, 0], atol=1e-5) and torch.allclose(b[:, :, 0], b[:, :, 2], atol=1e-6)
    assert (a[:, -1] - x[:, None]).abs().max() > 0.05       # it moved: the check is not of a no-op
