"""Look inside the generator: each helper gives values that can be checked by hand."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import known_motion

from affinekit.config import ModelConfig
from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import to_uint8
from affinekit.models.discriminators import PatchDiscriminator
from affinekit.models.generator import Generator
from affinekit.show import look_inside as li
from affinekit.show import patch_verdicts as pv

CFG = ModelConfig(image_size=32, channels=1, base_width=8, depth=3, max_width=32)


@pytest.fixture(scope="module")
def gen():
    torch.manual_seed(0)
    return Generator(CFG).eval()


@pytest.fixture(scope="module")
def crop():
    rng = np.random.default_rng(0)
    return (rng.random((48, 48)) * 255).astype(np.uint8)


def test_level_table_follows_the_config(gen):
    rows = li.level_table(gen)
    assert [r["base code"] for r in rows[:-1]] == [(8, 32, 32), (16, 16, 16), (32, 8, 8), (32, 4, 4)]
    assert rows[-2]["name"] == "bottleneck" and "field 2 + mask 1 + residual 1" in rows[-1]["decoder gets"]


def test_label_planes_are_one_hot():
    planes = li.planes_for_label(4, size=5)
    assert planes.shape == (7, 5, 5) and planes[4].min() == 1 and planes.sum() == 25


def test_direction_norms_and_similarity(gen, crop):
    norms = li.direction_norms(gen, crop)
    assert list(norms) == list(EXPRESSIONS) and [m.shape for m in norms["happy"]] == [(32, 32), (16, 16), (8, 8), (4, 4)]
    sim = li.direction_similarity(gen, crop)
    assert sim.shape == (7, 7) and np.allclose(np.diag(sim), 1, atol=1e-5) and np.allclose(sim, sim.T, atol=1e-5)
    assert sim.min() < 0.999                      # different labels push differently


def test_raw_output_of_each_head(gen, crop):
    raw = li.raw_output(gen, crop, 6, 0.0)
    assert set(raw) == {"field", "mask", "residual"}
    assert np.abs(raw["field"]).max() == 0 and raw["mask"].max() == 0          # l = 0: nothing moves
    with torch.no_grad():
        gen.prior[6, 0] = 0.25                                                   # a quarter of the crop to the right
    moved = li.raw_output(gen, crop, 6, 1.0)["field"]
    assert moved[0, 16, 16] == pytest.approx(0.25 * 32 / 2, rel=1e-5)          # 4 px at the centre
    with torch.no_grad():
        gen.prior.zero_()
    pixels = Generator(ModelConfig(**{**CFG.__dict__, "output": "pixels"})).eval()
    assert li.raw_output(pixels, crop, 1, 1.0)["frame"].shape == (32, 32)


def test_linearity_of_a_pure_prior_motion_head(gen):
    yy, xx = np.mgrid[0:48, 0:48]
    blob = (255 * np.exp(-((xx - 24) ** 2 + (yy - 24) ** 2) / 60.0)).astype(np.uint8)   # a smooth face stand-in
    still = li.linearity(gen, blob, 2)
    assert still["change_0_to_1"] < 0.01            # untrained: no prior, no learned field, the mask almost shut
    with torch.no_grad():
        gen.prior[2, 0] = 0.2
    moving = li.linearity(gen, blob, 2)
    with torch.no_grad():
        gen.prior.zero_()
    # the field is linear in l, the warp of a smooth image nearly so: the midpoint frame is close to the mean
    assert moving["change_0_to_1"] > 0.01 and moving["ratio"] < 0.3


def test_intensity_on_a_sequence_recovers_the_intensity_each_frame_was_made_at():
    """Frames made by a generator whose decode at l is known (`known_motion`: x0 shifted by l * s, the
    mask shut), read back with the label's direction set to the change of the bottleneck base code
    from x0 to its frame at l = 1 (other labels point the other way): each frame's inferred l is the
    l it was made at, and the frame decoded at that l is the frame."""
    gen = known_motion(shift=(0.12, 0.0), size=32).eval()               # 2 px to the right at l = 1
    yy, xx = np.mgrid[0:32, 0:32]
    blob = (40 + 180 * np.exp(-((xx - 15) ** 2 + (yy - 17) ** 2) / 50.0)).astype(np.uint8)
    label, made_at = 4, torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0, 1.25])
    with torch.no_grad():
        frames = to_uint8(gen.generate(li.network_crop(blob, gen), torch.tensor([label]), made_at)[0])[..., 0]
        codes = gen.base_encoder(torch.cat([li.network_crop(f, gen) for f in frames[[0, 4]]]))[-1]
    a = codes[1:] - codes[:1]
    encode = gen.encode

    def direction_set_by_hand(x, y):
        base, direction = encode(x, y)
        sign = torch.where(y == label, 1.0, -1.0).view(-1, 1, 1, 1)
        return base, direction[:-1] + [a.expand_as(direction[-1]) * sign]

    gen.encode = direction_set_by_hand
    lam, decoded = li.intensity_on_sequence(gen, frames, label)
    assert lam == pytest.approx(made_at.numpy(), abs=0.05)
    assert np.abs(decoded - frames / 255.0).max() < 0.1               # decoded at its l, each frame comes back
    wrong, _ = li.intensity_on_sequence(gen, frames, label - 1)        # another label's direction reads -l
    assert wrong == pytest.approx(-made_at.numpy(), abs=0.05)


def test_chance_levels_of_the_gan_losses():
    import math

    from affinekit.training.losses import GAN_CHANCE, GANLoss
    half = torch.zeros(4)                     # logits 0: the discriminator says 0.5 for everything
    assert float(GANLoss("bce")(half, True)) == pytest.approx(GAN_CHANCE["bce"]) == pytest.approx(math.log(2))
    assert float(GANLoss("lsgan")(half + 0.5, True)) == pytest.approx(GAN_CHANCE["lsgan"]) == 0.25


def test_shapes_markdown_is_measured_from_the_encoders(gen):
    table = li.shapes_markdown(gen)
    rows = [r for r in table.splitlines() if r.startswith("| skip") or r.startswith("| bottleneck")]
    assert len(rows) == CFG.depth + 1
    assert "| skip 0 | (8, 32, 32) | (8, 32, 32) | E_b + l * E_d |" in rows
    assert "| bottleneck | (32, 4, 4) | (32, 4, 4) |" in table
    assert "x0 and 7 label planes (8, 32, 32)" in table
    only = li.shapes_markdown(Generator(ModelConfig(**{**CFG.__dict__, "mixing": "bottleneck"})))
    assert only.count("E_b alone") == CFG.depth and only.count("E_b + l * E_d") == 1


def test_patch_verdicts_follow_the_gan_loss():
    torch.manual_seed(0)
    d = PatchDiscriminator(1, len(EXPRESSIONS), 8, 32).eval()
    x0, frames = torch.zeros(1, 1, 32, 32), torch.rand(2, 1, 32, 32) * 2 - 1
    raw = pv.patch_verdicts(d, x0, frames, 3, gan_loss="lsgan")
    assert raw.shape == (2, 4, 4)                                   # one verdict per patch
    bce = pv.patch_verdicts(d, x0, frames, 3, gan_loss="bce")
    assert np.allclose(bce, 1 / (1 + np.exp(-raw)), atol=1e-6)     # BCE logits read as probabilities


def test_judge_pair_gives_three_frames_and_their_verdicts(gen, crop):
    d = PatchDiscriminator(1, len(EXPRESSIONS), 8, 32).eval()
    frames, verdicts = pv.judge_pair(gen, d, crop, 255 - crop, EXPRESSIONS.index("happy"))
    assert list(frames) == ["neutral x0 as the frame", "real expression", "generated, l = 1"]
    assert verdicts.shape == (3, 4, 4) and all(f.shape == (32, 32) for f in frames.values())
    assert not np.allclose(frames["neutral x0 as the frame"], frames["real expression"])
    fig = pv.plot_patch_verdicts(frames, verdicts, title="t")
    assert len(fig.axes) == 4                                       # three frames and the colour bar
