"""The departures as switches: each changes what it says, and nothing else."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from affinekit.config import ModelConfig
from affinekit.data.toy import write_toy
from affinekit.models.affine import mix_codes, project_intensity
from affinekit.models.generator import Generator
from affinekit.notebook.experiments import variant_configs
from affinekit.training.gan_step import GeneratorStep
from affinekit.training.run import train


def _trained_one_step(tmp_path, overrides):
    prepared = write_toy(tmp_path / "toy", people=2, frames=4, size=32)
    model_cfg, train_cfg, data_cfg = variant_configs(["train.w_apex=0", *overrides], 1, image_size=32, base_width=8)
    data_cfg = dataclasses.replace(data_cfg, augment=False)
    return train(prepared, tmp_path / "run", model_cfg, dataclasses.replace(train_cfg, batch_size=2), data_cfg)


def test_prior_off_leaves_the_field_to_the_learned_part(tmp_path):
    on = _trained_one_step(tmp_path / "on", []).generator.eval()
    off = _trained_one_step(tmp_path / "off", ["model.prior=off"]).generator.eval()
    assert on.prior.abs().max() > 0.01            # the toy's mean landmark motion, made dense
    assert off.prior.abs().max() == 0
    x0, label = torch.zeros(1, 3, 32, 32), torch.tensor([6])
    with torch.no_grad():
        m_on, m_off = on.motion(x0, label, torch.tensor([[1.0]])), off.motion(x0, label, torch.tensor([[1.0]]))
    # without the prior the field is the learned correction alone (one step: still small)
    assert torch.allclose(m_off.flow, m_off.correction)
    assert m_on.flow.abs().max() > 2 * m_off.flow.abs().max()


def test_official_projection_is_unsigned_over_the_norm_and_detached_where_it_drives_g():
    torch.manual_seed(0)
    code_0, direction = torch.randn(2, 4, 2, 2), torch.randn(2, 4, 2, 2)
    code_t = code_0.unsqueeze(1) - 0.5 * direction.unsqueeze(1)           # half a direction backwards
    signed = project_intensity(code_t, code_0, direction)
    official = project_intensity(code_t, code_0, direction, official=True)
    assert torch.allclose(signed, torch.full_like(signed, -0.5), atol=1e-4)
    norm = direction.flatten(1).norm(dim=1, keepdim=True)
    assert torch.allclose(official, 0.5 * norm, atol=1e-4)

    def target_gradient(projection: str) -> float:
        torch.manual_seed(0)
        g = Generator(ModelConfig(image_size=32, base_width=8, output="pixels", projection=projection))
        x0 = torch.rand(2, 3, 32, 32) * 2 - 1
        targets = (torch.rand(2, 2, 3, 32, 32) * 2 - 1).requires_grad_(True)
        _, fake, lam, *_ = GeneratorStep(g)(x0, torch.tensor([0, 6]), targets, torch.rand(2, 2), 0.0)
        fake.sum().backward()          # the targets reach the frames only through the inferred l
        return float(targets.grad.abs().sum()) if targets.grad is not None else 0.0

    assert target_gradient("signed") > 0
    assert target_gradient("official") == 0


def test_bottleneck_mixing_leaves_the_skip_levels_to_the_base_code():
    base = [torch.randn(1, 2, 8, 8), torch.randn(1, 4, 4, 4), torch.randn(1, 8, 2, 2)]
    direction = [torch.randn_like(b) for b in base]
    l = torch.tensor([[0.5]])
    every, bottleneck = mix_codes(base, direction, l), mix_codes(base, direction, l, bottleneck_only=True)
    for level in range(2):
        assert torch.equal(bottleneck[level], base[level])
        assert not torch.allclose(every[level], base[level])
    assert torch.allclose(bottleneck[-1], every[-1])
    torch.manual_seed(0)
    g = Generator(ModelConfig(image_size=32, base_width=8, output="pixels"))
    b = Generator(dataclasses.replace(g.cfg, mixing="bottleneck"))
    b.load_state_dict(g.state_dict())
    x0, label = torch.rand(1, 3, 32, 32) * 2 - 1, torch.tensor([4])
    with torch.no_grad():
        assert torch.equal(g(x0, label, 0.0), b(x0, label, 0.0))      # l = 0: the same base path
        assert not torch.allclose(g(x0, label, 1.0), b(x0, label, 1.0))


@pytest.mark.parametrize("field, value", [("prior", "maybe"), ("projection", "abs"), ("mixing", "skips")])
def test_bad_switch_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=f"model.{field}"):
        ModelConfig(**{field: value})
