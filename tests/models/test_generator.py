"""Generator, intensity inference, discriminators and losses on tiny inputs."""
from __future__ import annotations

import math

import pytest
import torch

from affinekit.config import ModelConfig
from affinekit.models.affine import intensity_stats, mix_codes, project_intensity
from affinekit.models.discriminators import build_discriminators, lip_crops
from affinekit.models.generator import Generator, level_widths
from affinekit.training.losses import GANLoss

# the paper's pixel head: these tests check the hidden-affine mixing itself (the motion head: test_motion.py)
TINY = ModelConfig(image_size=32, channels=1, base_width=8, depth=3, max_width=32, disc_width=8, output="pixels")


@pytest.fixture
def gen() -> Generator:
    torch.manual_seed(0)
    g = Generator(TINY)
    # Non-trivial norm parameters, so "zero" cannot come from untrained affine defaults.
    with torch.no_grad():
        for name, p in g.named_parameters():
            if "norm" in name or p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    return g.eval()


def faces(b: int = 2, c: int = 1, size: int = 32) -> torch.Tensor:
    torch.manual_seed(1)
    return torch.rand(b, c, size, size) * 2 - 1


def test_widths_follow_config():
    assert level_widths(TINY) == [8, 16, 32, 32]
    assert level_widths(ModelConfig(base_width=32, depth=4, max_width=256)) == [32, 64, 128, 256, 256]


def test_generate_shape_range_and_one_pass_equals_frame_by_frame(gen):
    x0, y = faces(), torch.tensor([4, 6])
    lam = torch.tensor([0.0, 0.5, 1.0, 1.5])
    with torch.no_grad():
        clip = gen.generate(x0, y, lam)
        assert clip.shape == (2, 4, 1, 32, 32)
        assert clip.abs().max() <= 1.0
        for t, l in enumerate(lam):
            frame = gen(x0, y, torch.full((2,), float(l)))
            torch.testing.assert_close(clip[:, t], frame, atol=1e-5, rtol=1e-5)
        # per-sample intensities (B, T)
        per = gen.generate(x0, y, torch.tensor([[0.0, 1.0], [0.5, 1.5]]))
        torch.testing.assert_close(per[1, 0], clip[1, 1], atol=1e-5, rtol=1e-5)


def test_intensity_zero_is_exactly_the_base_path(gen):
    x0, y = faces(), torch.tensor([4, 6])
    with torch.no_grad():
        at_zero = gen(x0, y, 0.0)
        at_one = gen(x0, y, 1.0)
        assert (at_one - at_zero).abs().max() > 1e-3      # the direction does something
        for p in gen.direction_encoder.parameters():       # remove the direction entirely
            p.zero_()
        base_only_at_one = gen(x0, y, 1.0)
    assert torch.equal(at_zero, base_only_at_one)


def test_label_changes_the_direction_not_the_base(gen):
    x = faces(1)
    with torch.no_grad():
        base_a, dir_a = gen.encode(x, torch.tensor([0]))
        base_b, dir_b = gen.encode(x, torch.tensor([4]))
        for level in range(len(dir_a)):
            assert torch.equal(base_a[level], base_b[level])
            assert (dir_a[level] - dir_b[level]).abs().max() > 1e-4
        assert torch.equal(gen(x, torch.tensor([0]), 0.0), gen(x, torch.tensor([4]), 0.0))
        assert (gen(x, torch.tensor([0]), 1.0) - gen(x, torch.tensor([4]), 1.0)).abs().max() > 1e-4


def test_projection_recovers_a_known_intensity():
    torch.manual_seed(0)
    code0, a = torch.randn(3, 4, 2, 2), torch.randn(3, 4, 2, 2)
    true = torch.tensor([[0.0, 0.3, 1.0], [0.5, 1.2, -0.2], [0.1, 0.2, 0.9]])
    code_t = code0[:, None] + true[:, :, None, None, None] * a[:, None]
    torch.testing.assert_close(project_intensity(code_t, code0, a), true, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(project_intensity(code_t[:, 1], code0, a), true[:, 1], atol=1e-4, rtol=1e-4)
    # a component orthogonal to the direction does not change the intensity
    ortho = torch.randn_like(a)
    ortho -= (ortho * a).sum((1, 2, 3), keepdim=True) / a.pow(2).sum((1, 2, 3), keepdim=True) * a
    torch.testing.assert_close(project_intensity(code0 + 0.4 * a + ortho, code0, a), torch.full((3,), 0.4),
                               atol=1e-4, rtol=1e-4)


def test_infer_intensity_of_x0_is_zero_and_shapes(gen):
    x0, y = faces(), torch.tensor([1, 2])
    with torch.no_grad():
        assert gen.infer_intensity(x0, x0, y).abs().max() < 1e-5
        many = gen.infer_intensity(torch.stack([x0, -x0, x0], 1), x0, y)
    assert many.shape == (2, 3) and many[:, 0].abs().max() < 1e-5 and many[:, 1].abs().max() > 1e-4


def test_mix_codes_order_is_sample_major():
    base = [torch.zeros(2, 1, 1, 1)]
    direction = [torch.tensor([1.0, 10.0]).view(2, 1, 1, 1)]
    mixed = mix_codes(base, direction, torch.tensor([[1.0, 2.0], [3.0, 4.0]]))[0].flatten()
    assert mixed.tolist() == [1.0, 2.0, 30.0, 40.0]


def test_intensity_stats_correlation():
    pos = torch.linspace(0, 1, 10)
    assert intensity_stats(2 * pos + 1, pos)["lambda_corr"] == pytest.approx(1.0)
    assert intensity_stats(-pos, pos)["lambda_corr"] == pytest.approx(-1.0)
    assert intensity_stats(torch.ones(10), pos)["lambda_corr"] == 0.0


def test_bad_input_shape_is_explained(gen):
    with pytest.raises(ValueError, match="takes"):
        gen.generate(torch.zeros(1, 3, 32, 32), torch.tensor([0]), torch.tensor([0.0]))


def test_discriminator_outputs():
    torch.manual_seed(0)
    ds = build_discriminators(TINY)
    x, y = faces(3), torch.tensor([0, 3, 6])
    masks = torch.zeros(3, 1, 32, 32)
    masks[:, :, 22:26, 12:20] = 1
    assert ds["frame"](x, x, y).shape == (3, 1, 4, 4)
    assert ds["lip"](x, x, masks, y).shape[:2] == (3, 1)
    assert ds["intensity"](torch.rand(7)).shape == (7, 1)


def test_lip_crops_centre_on_the_mask():
    img = torch.zeros(1, 1, 32, 32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[:, :, 24:28, 4:12] = 1          # lips low and to the left
    img[:, :, 24:28, 4:12] = 1           # a bright mouth under the mask
    img[:, :, 2:6, 20:28] = 1            # something bright elsewhere: masked out
    crop = lip_crops(img, mask, 16)
    assert crop.shape == (1, 1, 16, 16)
    assert crop.sum() == pytest.approx(32.0, rel=0.05)     # the whole mouth (4x8 px), nothing else
    # an empty mask falls back to the usual mouth place without failing
    assert torch.isfinite(lip_crops(img, torch.zeros_like(mask), 16)).all()


def test_gan_losses():
    zeros = torch.zeros(4, 1)
    assert GANLoss("lsgan")(zeros, True).item() == pytest.approx(1.0)
    assert GANLoss("lsgan")(torch.ones(4, 1), True).item() == 0.0
    assert GANLoss("bce")(zeros, False).item() == pytest.approx(math.log(2))
    assert GANLoss("bce")(torch.full((4, 1), 20.0), True).item() < 1e-6
    with pytest.raises(ValueError, match="bce"):
        GANLoss("wgan")
