"""A smile copies a mouth that shows teeth (`MouthConfig.smile_teeth`): the shape of a slightly parted
smile is also the shape of a talking mouth's dark gap, and only the label tells them apart."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from affinekit.config import MouthConfig
from affinekit.expressions import EXPRESSIONS
from affinekit.models.exemplars import descriptor, nearest, polygon_mask, teeth_shares

from test_exemplars import _bank_refiner, lips

HAPPY, ANGER = EXPRESSIONS.index("happy"), EXPRESSIONS.index("anger")


def with_teeth_rule(share: float):
    """The test bank (a dark closed mouth, a mid-grey parted one, a light round opening) under smile_teeth."""
    refiner = _bank_refiner(7)
    refiner.cfg = dataclasses.replace(refiner.cfg, smile_teeth=share)
    return refiner


def test_the_share_of_an_opening_that_shows_teeth():
    """Light grey inside the opening counts (L* >= 60, no chroma); mid grey (L* about 50) and a saturated
    light red do not; half light, half dark counts the light half of the polygon's pixels."""
    shape = lips(0.4, 0.3)[None]
    inside = polygon_mask(shape[:, 12:], 32)[0, 0].bool()
    upper = torch.zeros(32, 32, dtype=torch.bool)
    upper[:16] = True
    half = torch.where(upper, 0.9, -0.9).expand(1, 3, 32, 32)
    red = torch.tensor([1.0, 0.2, 0.2]).view(1, 3, 1, 1).expand(1, 3, 32, 32)
    images = torch.cat([torch.full((1, 3, 32, 32), 0.9), torch.full((1, 3, 32, 32), -0.06), red, half])
    shares = teeth_shares(images, shape.expand(4, -1, -1))
    expected_half = float((inside & upper).sum() / inside.sum())
    assert shares[:3].tolist() == [1.0, 0.0, 0.0]
    assert shares[3].item() == pytest.approx(expected_half)
    assert 0.3 < expected_half < 0.7
    assert teeth_shares(images[:1], lips(0.4, 0.0)[None]).tolist() == [0.0]      # lips that meet: no opening


def test_retrieval_skips_what_is_not_allowed():
    bank = torch.stack([lips(0.4, 0.1), lips(0.4, 0.12), lips(0.4, 0.3)])
    query = descriptor(lips(0.4, 0.1)[None])
    assert nearest(descriptor(bank), query).tolist() == [0]
    assert nearest(descriptor(bank), query, allowed=torch.tensor([[False, True, True]])).tolist() == [1]
    assert nearest(descriptor(bank), query, allowed=torch.tensor([[False, False, True]])).tolist() == [2]
    with pytest.raises(ValueError, match="too few"):
        nearest(descriptor(bank), query, allowed=torch.zeros(1, 3, dtype=torch.bool))


def test_a_parted_smile_copies_the_mouth_with_teeth_and_other_labels_copy_by_shape():
    refiner = with_teeth_rule(0.2)
    assert refiner.teeth_shown().tolist() == pytest.approx([0.0, 0.0, 1.0])
    clip = torch.stack([lips(0.4, 0.0), lips(0.4, 0.1)])[None].expand(2, -1, -1, -1)       # two clips, parted lips
    levels = torch.tensor([[0.0, 1.0]]).expand(2, -1)
    assert refiner.choose(clip, levels).tolist() == [1, 1]                          # no labels: by shape
    assert refiner.choose(clip, levels, labels=torch.tensor([HAPPY, ANGER])).tolist() == [2, 1]
    mostly_happy = torch.zeros(2, 7)
    mostly_happy[0, HAPPY], mostly_happy[0, ANGER] = 0.6, 0.4
    mostly_happy[1, HAPPY], mostly_happy[1, ANGER] = 0.4, 0.6
    assert refiner.choose(clip, levels, labels=mostly_happy).tolist() == [2, 1]     # a mixture: by its main label
    off = with_teeth_rule(0.0)
    assert off.choose(clip, levels, labels=torch.tensor([HAPPY, ANGER])).tolist() == [1, 1]
    assert with_teeth_rule(0.99).allowed(torch.tensor([HAPPY])).tolist() == [[False, False, True]]


def test_a_bank_without_a_mouth_that_shows_teeth_copies_by_shape():
    refiner = _bank_refiner(7, [np.full((32, 32, 3), v, np.uint8) for v in (20, 60, 100)])
    refiner.cfg = dataclasses.replace(refiner.cfg, smile_teeth=0.2)
    assert refiner.allowed(torch.tensor([HAPPY])) is None


@pytest.mark.parametrize("share", [1.0, -0.1, float("nan")])
def test_a_share_outside_0_to_1_is_refused(share):
    with pytest.raises(ValueError, match="mouth.smile_teeth"):
        MouthConfig(smile_teeth=share)
