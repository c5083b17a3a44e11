"""The motion head: warps, fields at points, the prior, l = 0, colour, and a batch that overfits."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from affinekit.config import ModelConfig, TrainConfig
from affinekit.data.augment import MIRROR_68, Augmentation
from affinekit.generate.inference import render_crops
from affinekit.models.generator import Generator
from affinekit.models.motion import (
    border_window,
    field_smoothness,
    identity_grid,
    landmark_error,
    mouth_window,
    pixels_to_normalised,
    sample_at,
    strength_change,
    warp,
)
from affinekit.models.prior import dense_field, label_fields

TINY = ModelConfig(image_size=32, channels=1, base_width=8, depth=3, max_width=32, disc_width=8)


def dot_image(size: int, x: int, y: int) -> torch.Tensor:
    img = torch.zeros(1, 1, size, size)
    img[0, 0, y, x] = 1.0
    return img


def test_a_known_field_moves_an_image_and_its_points():
    size = 32
    # backward field: every output pixel samples 3 px to the left and 2 px up -> content moves right/down
    flow = torch.zeros(1, 2, size, size)
    flow[:, 0], flow[:, 1] = -3 * 2 / size, -2 * 2 / size
    out = warp(dot_image(size, 10, 12), flow)
    y, x = np.unravel_index(int(out.argmax()), (size, size))
    assert (x, y) == (13, 14) and float(out.max()) == pytest.approx(1.0, abs=1e-5)
    # the same field at the moved point points back to where it came from
    moved = pixels_to_normalised(torch.tensor([[[13.0, 14.0]]]), size)
    source = moved + sample_at(flow, moved)
    assert torch.allclose(source, pixels_to_normalised(torch.tensor([[[10.0, 12.0]]]), size), atol=1e-6)
    err = landmark_error(flow, torch.tensor([[[13.0, 14.0]]]), torch.tensor([[[10.0, 12.0]]]), size)
    assert float(err) == pytest.approx(0.0, abs=1e-4)
    wrong = landmark_error(flow, torch.tensor([[[13.0, 14.0]]]), torch.tensor([[[13.0, 14.0]]]), size)
    assert float(wrong) == pytest.approx(np.hypot(3, 2), abs=1e-4)


def test_a_zero_field_returns_the_image_at_any_size():
    img = torch.rand(2, 3, 40, 24)
    assert float((warp(img, torch.zeros(2, 2, 8, 8)) - img).abs().max()) < 1e-5
    grid = identity_grid(4, 4)
    assert torch.allclose(grid[0, 0, :, 0], torch.tensor([-0.75, -0.25, 0.25, 0.75]))


def test_strength_change_reads_the_learned_part_along_the_prior_either_way():
    prior = torch.zeros(2, 2, 8, 8)
    prior[:, 0] = 0.2                                          # the prior moves every pixel right
    sideways = torch.zeros_like(prior)
    sideways[:, 1] = 0.3                                       # bends the motion down: no change of strength
    assert float(strength_change(prior + sideways, sideways)) == pytest.approx(0.0, abs=1e-7)
    assert float(strength_change(prior * 0.5, -prior * 0.5)) == pytest.approx(0.5)     # undoes half of it
    assert float(strength_change(prior * 2.0, prior)) == pytest.approx(1.0)          # doubles it
    half = torch.zeros_like(prior)
    half[..., :4] = -prior[..., :4]                            # cancels it on half of the pixels
    assert float(strength_change(prior + half, half)) == pytest.approx(0.5)
    assert float(strength_change(torch.zeros_like(prior), torch.zeros_like(prior))) == 0.0   # l = 0: no prior


def test_mouth_region_opens_the_mask_around_the_lips_only(tmp_path):
    from affinekit.weights.checkpoint import save_generator_only
    from affinekit.weights.warm_start import warm_start

    w = mouth_window(64)[0, 0]
    assert float(w[46, 32]) == 1.0                      # the lips' centre in the aligned crop (y 0.71)
    assert float(w[26, 22]) == 0.0 and float(w[16, 32]) == 0.0     # an eye (y 0.40), the forehead
    assert 0.0 < float(w[36, 32]) < 1.0                 # fading in above the lips, not a hard edge
    small = dict(image_size=32, channels=1, base_width=8, depth=3, max_width=32, disc_width=8)
    torch.manual_seed(0)
    face = Generator(ModelConfig(**small))
    with torch.no_grad():
        face.decoder.out.bias[2] = 3.0                  # the mask wide open wherever it may be
    save_generator_only(face, face.cfg, tmp_path / "face.pt")
    mouth = Generator(ModelConfig(mask_region="mouth", **small))
    warm_start(mouth, tmp_path / "face.pt")             # the same weights: the region holds none
    x, y = torch.rand(1, 1, 32, 32) * 2 - 1, torch.tensor([3])
    with torch.no_grad():
        open_face, open_mouth = (g.motion(x, y, torch.tensor([0.0, 1.0])).mask[0, -1, 0] for g in (face, mouth))
    assert float(open_face[13, 11]) > 0.5 and float(open_mouth[13, 11]) == 0.0      # the eye: warped only
    assert float(open_mouth[23, 16]) == pytest.approx(float(open_face[23, 16]))    # the mouth: as before


def test_smoothness_and_window():
    flat = torch.full((1, 2, 16, 16), 0.3)
    assert float(field_smoothness(flat)) == 0.0
    ramp = torch.zeros(1, 2, 16, 16)
    ramp[:, 0] = torch.arange(16.0).view(1, 16) * (2 / 16)       # one pixel more per column
    assert float(field_smoothness(ramp)) == pytest.approx(0.5, abs=1e-5)   # 1 px/px in one of two channels
    w = border_window(64)
    assert float(w[..., 0, :].max()) < 0.05 and float(w[..., 32, 32]) == 1.0


@pytest.mark.parametrize("output", ["motion", "pixels"])
def test_intensity_zero_reproduces_the_input(output):
    torch.manual_seed(0)
    gen = Generator(ModelConfig(**{**TINY.__dict__, "output": output})).eval()
    x0 = torch.rand(3, 1, 32, 32) * 2 - 1
    clip = render_crops(gen, x0, torch.tensor([0, 4, 6]), torch.tensor([0.0, 1.0]))
    err = float((clip[:, 0] - x0).abs().max())
    if output == "motion":
        assert err < 1e-5              # by construction: no field, no mask at l = 0
        with torch.no_grad():          # whatever the weights
            for p in gen.parameters():
                p.add_(torch.randn_like(p))
        assert float((render_crops(gen, x0, torch.tensor([0, 4, 6]), torch.tensor([0.0]))[:, 0] - x0).abs().max()) < 1e-5
    else:
        assert err > 0.1               # the pixel head must learn it (G_rec)


def test_a_colour_crop_stays_colour_under_a_gray_model():
    torch.manual_seed(0)
    gen = Generator(TINY).eval()
    with torch.no_grad():
        gen.prior[:, 0] = 0.1
    x0 = torch.zeros(1, 3, 64, 64)
    x0[:, 0], x0[:, 1], x0[:, 2] = 0.6, -0.2, -0.5                      # a skin-like colour
    x0[:, :, 20:44, 20:44] += 0.2
    clip = render_crops(gen, x0, torch.tensor([4]), torch.tensor([0.0, 1.0]))
    assert clip.shape == (1, 2, 3, 64, 64)
    last = clip[0, -1]
    assert float((last[0] - last[2]).abs().mean()) > 0.9                # red stays far from blue
    assert float((last - x0[0]).abs().max()) > 0.1                      # and it moved


def test_prior_field_passes_through_the_landmark_motion():
    pts = np.array([[-0.3, 0.2], [0.3, 0.2], [0.0, 0.5], [0.0, -0.2]])
    disp = np.array([[0.05, 0.0], [-0.05, 0.0], [0.0, -0.1], [0.0, 0.0]])
    field = dense_field(pts, disp, 64)
    got = sample_at(torch.from_numpy(field)[None], torch.from_numpy(pts).float()[None])[0].numpy()
    assert np.abs(got - disp).max() < 0.01
    assert np.abs(field[:, 0]).max() < 1e-3                              # the crop's edge holds still
    first = np.array([[10.0, 10.0]] * 68)
    last = first + np.array([2.0, 0.0])
    fields = label_fields([first], [last], [3], 32, 7, 16)
    assert fields.shape == (7, 2, 16, 16) and float(fields[0].abs().max()) == 0.0   # unseen label: no motion


def test_augmentation_moves_frames_masks_and_landmarks_together():
    size = 64
    frames = np.zeros((2, size, size, 1), np.uint8)
    masks = np.zeros((2, size, size), np.uint8)
    pts = np.tile(np.array([[20.0, 30.0]], np.float32), (2, 68, 1))
    frames[:, 30, 20] = 255
    masks[:, 30, 20] = 1
    aug = Augmentation(flip=True, scale=1.05, shift=(2.0, -3.0))
    f, m, p = aug(frames, masks, pts)
    y, x = np.unravel_index(int(f[0, ..., 0].argmax()), (size, size))
    assert np.hypot(x - p[0, 0, 0], y - p[0, 0, 1]) <= 1.0
    assert m[0, int(round(p[0, 0, 1])), int(round(p[0, 0, 0]))] == 1
    assert np.array_equal(MIRROR_68[MIRROR_68], np.arange(68))
    lit = Augmentation(brightness=20.0)(frames, masks, pts)[0]
    assert lit.mean() > frames.mean() + 15


def test_one_small_batch_overfits(tmp_path):
    """Landmark loss and L1 fall, and the inferred intensities order the frames."""
    from affinekit.training.loop import Trainer

    size = 32
    rng = np.random.default_rng(0)
    base = (rng.random((size, size)) * 0.4 - 0.2).astype(np.float32)
    items = []
    for i in range(2):
        x0 = torch.from_numpy(base + 0.05 * i)[None]
        steps = torch.tensor([1 / 3, 2 / 3, 1.0])
        # the "expression": content slides right by up to 4 px; landmarks follow
        targets = torch.stack([torch.roll(x0, shifts=int(round(4 * float(s))), dims=-1) for s in steps])
        lm0 = torch.from_numpy(rng.uniform(8, 24, (68, 2)).astype(np.float32))
        lms = torch.stack([lm0 + torch.tensor([4 * float(s), 0.0]) for s in steps])
        items.append({"x0": x0, "targets": targets, "positions": steps, "label": torch.tensor(4),
                      "masks": torch.ones(3, 1, size, size), "x0_landmarks": lm0, "landmarks": lms,
                      "key": f"s{i}"})

    class Tiny(torch.utils.data.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return items[i]

    cfg = TrainConfig(steps=120, batch_size=2, log_every=1, checkpoint_every=0, sample_every=0,
                      lambda_warmup=30, w_frame=0.0, w_lip=0.0, w_lambda=0.0, lr_g=2e-3)
    trainer = Trainer(TINY, cfg, Tiny(), tmp_path).fit()
    import json
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    first, last = log[:5], log[-5:]
    mean = lambda rows, k: sum(r[k] for r in rows) / len(rows)
    assert mean(last, "G_landmark") < 0.5 * mean(first, "G_landmark")
    assert mean(last, "G_L1") < 0.7 * mean(first, "G_L1")
    g = trainer.generator.eval()
    x0 = torch.stack([it["x0"] for it in items])
    lam = g.infer_intensity(torch.stack([it["targets"] for it in items]), x0, torch.tensor([4, 4]))
    assert bool((lam[:, 1:] > lam[:, :-1]).all()), lam
