"""The change prior: where each expression moved the training faces, and how it weights a change."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from affinekit.change import PRIOR_SIZE, change_weights, expression_change, measure_change_prior
from affinekit.expressions import EXPRESSIONS

from test_evaluate import RampGenerator


def pair(rows: slice, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    neutral = np.full((size, size), 100, np.uint8)
    apex = neutral.copy()
    apex[rows, 16:48] = 200
    return neutral, apex


def test_each_expression_gets_the_region_its_sequences_changed():
    pairs = [("happy", *pair(slice(40, 60))), ("happy", *pair(slice(40, 60))), ("surprise", *pair(slice(4, 24)))]
    prior = measure_change_prior(pairs)
    maps = {e: np.array(m) for e, m in prior["maps"].items()}
    assert set(maps) == set(EXPRESSIONS) and all(m.shape == (PRIOR_SIZE, PRIOR_SIZE) for m in maps.values())
    assert all(0.0 <= m.min() and m.max() <= 1.0 for m in maps.values())
    happy, surprise = maps["happy"], maps["surprise"]
    assert happy[25, 16] > 0.95 and happy[4, 16] < 0.05        # mouth region, not the brow
    assert surprise[4, 16] > 0.95 and surprise[25, 16] < 0.05
    # an expression without sequences gets the map of all of them: both regions
    assert maps["anger"][25, 16] > 0.5 and maps["anger"][4, 16] > 0.5
    assert prior["sequences"] == {"happy": 2, "surprise": 1}
    with pytest.raises(ValueError):
        measure_change_prior([])


def test_the_change_is_weighted_by_the_labels_map():
    x0 = torch.zeros(2, 1, 32, 32)
    left = np.zeros((PRIOR_SIZE, PRIOR_SIZE))
    left[:, : PRIOR_SIZE // 2] = 1.0                         # label 0 may change the left half only
    maps = {e: (left if i == 0 else np.ones_like(left)).tolist() for i, e in enumerate(EXPRESSIONS)}
    stats = {"change_prior": {"size": PRIOR_SIZE, "maps": maps}}
    change = expression_change(RampGenerator(), x0, torch.tensor([0, 1]), torch.tensor([0.0, 1.0]), stats)
    ramp = 0.2                                               # RampGenerator's uniform change at l = 1
    assert change[0, 1, 0, :, :8].mean() == pytest.approx(ramp, abs=1e-3)
    assert change[0, 1, 0, :, 24:].abs().max() < 1e-3
    assert torch.allclose(change[1, 1], torch.full_like(change[1, 1], ramp), atol=1e-4)   # label 1: all ones
    assert change_weights(None, torch.tensor([0]), 32) is None
    assert change_weights({"mean_range": [0, 1]}, torch.tensor([0]), 32) is None


def test_the_bundled_model_carries_a_prior_for_every_expression():
    from affinekit.animate import DEFAULT_WEIGHTS
    stats = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())["face_stats"]
    prior = stats["change_prior"]
    assert set(prior["maps"]) == set(EXPRESSIONS)
    happy = np.array(prior["maps"]["happy"])
    # CK+ smiles move the mouth and cheeks more than the top of the forehead
    assert happy[24, 16] > 2 * happy[3, 16]
