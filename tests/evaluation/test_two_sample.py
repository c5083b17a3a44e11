"""The mouth two-sample test: held-out accuracy near chance for one distribution, near 1 for sharp
against blurred mouths, folds by person, a Wilson interval, grey and colour patches alike."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from affinekit.evaluation.two_sample import grouped_folds, mouth_patches, two_sample_test, wilson_interval
from affinekit.training.two_sample import fit_mouth_probe

PEOPLE = 30


def _mouth(rng: np.random.Generator) -> np.ndarray:
    """A mouth-like grey patch of random size: textured skin, a dark opening of random shape."""
    h, w = int(rng.integers(24, 40)), int(rng.integers(40, 64))
    skin = cv2.GaussianBlur(rng.normal(150, 30, (h, w)), (0, 0), 1.0)
    centre, axes = (w // 2 + int(rng.integers(-4, 5)), h // 2), (int(rng.integers(8, w // 2 - 2)),
                                                                  int(rng.integers(3, h // 2 - 2)))
    cv2.ellipse(skin, centre, axes, 0, 0, 360, float(rng.integers(20, 90)), -1)
    return np.clip(skin + rng.normal(0, 12, (h, w)), 0, 255).astype(np.uint8)


def _mouths(seed: int, n: int = PEOPLE) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [_mouth(rng) for _ in range(n)]


PEOPLE_IDS = [f"person-{i}" for i in range(PEOPLE)]


def test_wilson_interval_matches_the_formula_worked_by_hand():
    low, high = wilson_interval(5, 10)
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    low, high = wilson_interval(10, 10)                 # all right: still not certain
    assert high == 1.0 and low == pytest.approx(0.7225, abs=1e-4)
    assert all(np.isnan(wilson_interval(0, 0)))


def test_grouped_folds_keep_every_person_in_one_fold_and_balance_the_folds():
    rng = np.random.default_rng(3)
    people = [f"p{i}" for i in rng.integers(0, 23, 200)]
    fold = grouped_folds(people, folds=5, seed=1)
    assert sorted(set(fold.tolist())) == [0, 1, 2, 3, 4]
    for person in set(people):
        assert len({f for p, f in zip(people, fold) if p == person}) == 1
    loads = np.bincount(fold)
    assert loads.max() - loads.min() <= max(people.count(p) for p in set(people))
    assert np.array_equal(fold, grouped_folds(people, folds=5, seed=1))
    assert not np.array_equal(fold, grouped_folds(people, folds=5, seed=2))
    assert grouped_folds(["a", "b", "a"], folds=5).max() == 1            # two people: two folds


def test_patches_are_luma_and_blind_to_exposure():
    colour = np.random.default_rng(0).integers(0, 256, (30, 50, 3), dtype=np.uint8)
    grey = cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY)
    stack = mouth_patches([colour, grey, grey[..., None], (grey * 0.5 + 40).astype(np.uint8)], shape=(24, 40))
    assert stack.shape == (4, 24, 40) and stack.dtype == np.float32
    assert np.array_equal(stack[0], stack[1]) and np.array_equal(stack[1], stack[2])
    assert np.abs(stack[3] - stack[1]).max() < 0.05                    # darker, flatter: the same mouth
    assert np.abs(stack[1].mean()) < 1e-4 and stack[1].std() == pytest.approx(1.0, abs=1e-3)
    assert not mouth_patches([np.full((20, 30), 90, np.uint8)]).any()   # a flat patch stays flat


def test_one_distribution_on_both_sides_scores_near_chance():
    result = two_sample_test(_mouths(1), _mouths(2), PEOPLE_IDS, PEOPLE_IDS, folds=3, seed=0, fit=fit_mouth_probe)
    assert result.n == 2 * PEOPLE and result.people == PEOPLE and result.folds == 3
    assert result.low <= 0.5 <= result.high and abs(result.accuracy - 0.5) < 0.2
    assert result.low < result.accuracy < result.high


def test_sharp_against_blurred_mouths_is_told_apart():
    blurred = [cv2.GaussianBlur(m, (0, 0), 1.5) for m in _mouths(2)]
    result = two_sample_test(_mouths(1), blurred, PEOPLE_IDS, PEOPLE_IDS, folds=3, seed=0, fit=fit_mouth_probe)
    assert result.accuracy >= 0.9 and result.low > 0.75


def test_no_person_is_on_both_sides_of_a_split_and_a_seed_gives_one_answer():
    real, generated = _mouths(1, 12), _mouths(2, 18)
    real_people = [f"p{i % 6}" for i in range(12)]                   # uneven: 2 real and 3 generated each
    generated_people = [f"p{i % 6}" for i in range(18)]
    state, threads = torch.get_rng_state(), torch.get_num_threads()
    first = two_sample_test(real, generated, real_people, generated_people, folds=4, seed=5, epochs=10,
                            fit=fit_mouth_probe)
    assert torch.equal(torch.get_rng_state(), state) and torch.get_num_threads() == threads
    people = real_people + generated_people
    for person in set(people):
        assert len({f for p, f in zip(people, first.fold) if p == person}) == 1
    assert first.folds == 4 and first.n == 30 and len(first.correct) == 30
    again = two_sample_test(real, generated, real_people, generated_people, folds=4, seed=5, epochs=10,
                            fit=fit_mouth_probe)
    assert np.array_equal(first.correct, again.correct) and np.array_equal(first.fold, again.fold)


def test_one_person_cannot_be_held_out_and_ids_must_match_the_patches():
    alone = two_sample_test(_mouths(1, 2), _mouths(2, 2), ["p", "p"], ["p", "p"], fit=fit_mouth_probe)
    assert np.isnan(alone.accuracy) and np.isnan(alone.low) and alone.n == 4 and alone.folds == 1
    with pytest.raises(ValueError, match="person ids"):
        two_sample_test(_mouths(1, 3), _mouths(2, 3), ["a", "b"], ["a", "b", "c"], fit=fit_mouth_probe)


def test_without_a_probe_trainer_nothing_is_measured():
    """Evaluation trains nothing itself: with no `fit` handed down the test says NaN, not a number."""
    ids = [f"p{i}" for i in range(6)]
    result = two_sample_test(_mouths(1, 6), _mouths(2, 6), ids, ids, fit=None)
    assert np.isnan(result.accuracy) and result.n == 12 and not result.correct.any()
