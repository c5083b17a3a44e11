"""The generator's loss terms: one table of weights (GENERATOR_TERMS) covering every weight of
TrainConfig, and `frame_losses`, the function both `GANStep.step` and notebook 03's step by
hand call."""
from __future__ import annotations

from dataclasses import fields

import pytest
import torch
from helpers import BlobSequences, blob_apex_pool

from affinekit.config import ModelConfig, TrainConfig
from affinekit.training import loop
from affinekit.training import gan_step as step_module
from affinekit.training.losses import GENERATOR_TERMS, frame_losses, weighted

TINY_MODEL = ModelConfig(image_size=32, channels=1, base_width=8, depth=3, max_width=32, disc_width=8)


def test_every_weight_of_trainconfig_scales_exactly_one_term():
    weights = [weight for weight, _ in GENERATOR_TERMS.values()]
    assert sorted(weights) == sorted(f.name for f in fields(TrainConfig) if f.name.startswith("w_"))
    assert len(set(weights)) == len(weights)


def test_frame_losses_measure_frames_rebuild_and_anchor():
    gen = torch.Generator().manual_seed(0)
    x0, rec = torch.rand(2, 3, 8, 8, generator=gen), torch.rand(2, 3, 8, 8, generator=gen)
    targets, fake = torch.rand(2, 4, 3, 8, 8, generator=gen), torch.rand(2, 4, 3, 8, 8, generator=gen)
    lam, positions = torch.tensor([[0.1, 0.5, 0.9, 1.2]] * 2), torch.tensor([[0.0, 0.5, 1.0, 1.0]] * 2)
    got = frame_losses(rec, fake, lam, x0, targets, positions)
    assert got["G_L1"].item() == pytest.approx((fake - targets).abs().mean().item())
    assert got["G_rec"].item() == pytest.approx((rec - x0).abs().mean().item())
    assert got["G_sup"].item() == pytest.approx(((0.1 ** 2) + 0 + 0.1 ** 2 + 0.2 ** 2) / 4)
    # a grey item is compared on luma alone: a colour cast of equal luma costs it nothing, a colour item pays
    cast = fake.clone()
    cast[:, :, 0] += 0.1
    cast[:, :, 1] -= 0.1 * 0.299 / 0.587                  # red up, green down by the same luma
    gray = torch.tensor([True, False])
    before = frame_losses(rec, fake, lam, x0, targets, positions, gray)["G_L1"]
    after = frame_losses(rec, cast, lam, x0, targets, positions, gray)["G_L1"]
    per_item = lambda f: (f - targets).abs().flatten(1).mean(1)
    assert after.item() - before.item() == pytest.approx((per_item(cast)[1] - per_item(fake)[1]).item() / 2, abs=1e-4)
    cfg = TrainConfig(w_l1=2.0, w_rec=0.0, w_lambda_sup=3.0)
    assert {k: v.item() for k, v in weighted(got, cfg).items()} == pytest.approx(
        {"G_L1": 2 * got["G_L1"].item(), "G_rec": 0.0, "G_sup": 3 * got["G_sup"].item()})


def test_train_step_logs_what_frame_losses_gives_and_weighs_every_term_by_the_table(tmp_path, monkeypatch):
    seen: dict[str, dict] = {}

    def spy_frames(*args, **kwargs):
        seen["frames"] = frame_losses(*args, **kwargs)
        return seen["frames"]

    def spy_weighted(terms, cfg):
        seen["terms"] = dict(terms)
        return weighted(terms, cfg)

    monkeypatch.setattr(step_module, "frame_losses", spy_frames)
    monkeypatch.setattr(step_module, "weighted", spy_weighted)
    data = BlobSequences()
    pool = blob_apex_pool()
    cfg = TrainConfig(steps=1, batch_size=2, lambda_warmup=0, share_every=0, device="cpu", w_expression=1.0)
    trainer = loop.Trainer(TINY_MODEL, cfg, data, tmp_path, apex_pool=pool)
    logs = trainer.train_step(trainer.batches[1], 1)
    assert {k: logs[k] for k in seen["frames"]} == pytest.approx({k: v.item() for k, v in seen["frames"].items()})
    logged = {k for k in logs if k.startswith("G_")}
    assert set(seen["terms"]) == logged == set(GENERATOR_TERMS)       # the motion head with apex faces: all of them
