"""Intensities measured from landmarks, and the least-squares motion prior, on hand-made landmarks."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import face_points

from affinekit.data.intensity import (
    ExpressionDirections,
    apex_intensity,
    expression_motion,
    item_intensities,
    reference_directions,
    teaching_intensities,
)
from affinekit.errors import AffinekitError
from affinekit.models.prior import dense_field, label_fields
from affinekit.models.motion import pixels_to_normalised

IOD = 24.0


def smile(strength: float) -> np.ndarray:
    """A made-up 'happy' motion in IOD units: mouth corners 48 and 54 out and up, nothing rigid moves."""
    d = np.zeros((68, 2))
    d[48] = [-0.1, -0.08]
    d[54] = [0.1, -0.08]
    d[66] = [0.0, 0.05]
    return strength * d


def similarity(points: np.ndarray, angle: float, scale: float, shift) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return scale * points @ np.array([[c, -s], [s, c]]).T + np.asarray(shift)


def test_motion_ignores_the_head_and_reads_in_inter_ocular_distances():
    neutral = face_points(iod=IOD)
    apex = similarity(neutral + smile(1.0) * IOD, angle=0.2, scale=1.3, shift=(5.0, -7.0))   # the head turned and moved
    assert np.allclose(expression_motion(neutral, apex), smile(1.0), atol=1e-4)


def test_a_hand_made_pair_measures_its_known_intensity():
    directions = ExpressionDirections({"happy": smile(1.0)})
    neutral = face_points(iod=IOD)
    for strength in (0.0, 0.37, 1.0, 1.6, -0.2):
        apex = similarity(neutral + smile(strength) * IOD, angle=-0.1, scale=0.8, shift=(2.0, 3.0))
        assert directions.measure(neutral, apex, "happy") == pytest.approx(strength, abs=1e-4)
    assert np.isnan(directions.measure(neutral, neutral, "fear"))          # no direction for it


def test_directions_are_the_mean_apex_motion():
    neutral = face_points(iod=IOD)
    items = [(neutral, neutral + smile(k) * IOD, "happy") for k in (0.5, 1.0, 1.5)]
    fitted = ExpressionDirections.fit(items)
    assert fitted.counts == {"happy": 3}
    assert np.allclose(fitted.directions["happy"], smile(1.0), atol=1e-4)
    again = ExpressionDirections.from_json(fitted.to_json())
    assert np.allclose(again.directions["happy"], fitted.directions["happy"], atol=1e-5)


def test_bad_directions_are_refused_in_one_line():
    with pytest.raises(AffinekitError, match="refit"):
        ExpressionDirections.from_json({"directions": {"happy": [[0.0, 1.0]] * 3}})
    with pytest.raises(AffinekitError, match="refit"):
        ExpressionDirections.from_json({"directions": {"grumpy": smile(1.0).tolist()}})


def test_shipped_directions_cover_the_seven_and_a_smile_moves_the_corners_up():
    ref = reference_directions()
    assert set(ref.directions) == {"anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"}
    happy = ref.directions["happy"]
    assert happy[48, 1] < 0 and happy[54, 1] < 0          # corners rise (image y grows downwards)
    assert happy[54, 0] - happy[48, 0] > 0                # and the mouth widens
    assert ref.directions["surprise"][57, 1] > 0          # surprise drops the jaw


def test_teaching_intensities_of_pairs_and_sequences():
    pair = teaching_intensities([0.03, 0.4, 0.6], "pair")
    assert pair.tolist() == [0.0, 0.4, 0.6]
    seq = teaching_intensities([0.0, 0.2, 0.1, 0.8], "sequence")        # position x the apex's
    assert np.allclose(seq, [0.0, 0.8 / 3, 1.6 / 3, 0.8])
    assert teaching_intensities([0.0, 3.5], "pair").tolist() == [0.0, 2.0]   # clipped where the face tears
    assert apex_intensity([0.0, 0.4, 0.6], "pair") == pytest.approx(0.5)
    assert apex_intensity([0.0, 0.9, 0.7], "sequence") == pytest.approx(0.7)


def test_item_intensities_skip_what_cannot_teach():
    neutral = face_points(iod=IOD)
    landmarks = np.stack([neutral, neutral + smile(0.5) * IOD])
    directions = ExpressionDirections({"happy": smile(1.0)})
    assert item_intensities(landmarks, "happy", "pair", directions) == pytest.approx([0.0, 0.5], abs=1e-3)
    assert item_intensities(landmarks, None, "pair", directions) is None
    assert item_intensities(landmarks, "happy", "apex", directions) is None
    assert item_intensities(np.zeros((3, 68, 2)), "happy", "sequence", directions) is None   # not a face


def _items(levels, truth_px):
    neutral = face_points(center=(64.0, 64.0), iod=40.0)
    first = [neutral] * len(levels)
    last = [neutral - level * truth_px for level in levels]      # backward field a - b = l * truth
    return first, last


def test_the_least_squares_prior_does_not_shrink_with_mild_items():
    truth = np.zeros((68, 2))
    truth[48:68, 1] = 4.0                                         # pixels at intensity 1
    levels = [1.0, 0.4, 0.4, 0.3]
    first, last = _items(levels, truth)
    labels = [4] * len(levels)
    least_squares = label_fields(first, last, labels, 128, 7, 32, intensities=levels)[4]
    plain_mean = label_fields(first, last, labels, 128, 7, 32)[4]
    full = label_fields(first[:1], last[:1], [4], 128, 7, 32)[4]                 # one full apex alone
    assert torch.allclose(least_squares, full, atol=1e-5)
    assert plain_mean.abs().max() < 0.7 * full.abs().max()                       # the mean of mild items shrinks


def test_the_prior_at_intensity_one_everywhere_is_the_plain_mean():
    rng = np.random.default_rng(0)
    first = [face_points(center=(64.0, 64.0), iod=40.0) + rng.normal(0, 1, (68, 2)) for _ in range(3)]
    last = [a + rng.normal(0, 2, (68, 2)) for a in first]
    labels = [1, 1, 1]
    fields = label_fields(first, last, labels, 128, 7, 16)
    # the formula before measured intensities: the field through the mean apex points, of the mean motion
    norm = [pixels_to_normalised(torch.as_tensor(np.asarray(p, np.float64)), 128).numpy() for p in first + last]
    a, b = np.stack(norm[:3]), np.stack(norm[3:])
    before = dense_field(b.mean(0), (a - b).mean(0), 16)
    assert np.allclose(fields[1].numpy(), before, atol=1e-5)
    assert not fields[0].any()


def _prepared_pairs(root, strengths):
    """A prepared folder of happy still pairs (kind "pair") whose apex moves the made-up smile by `strengths`."""
    from affinekit.data.prepared import PreparedSequence, write_manifest
    entries = []
    neutral = face_points(center=(32.0, 32.0), iod=20.0)
    ref = reference_directions().directions["happy"]
    for i, k in enumerate(strengths):
        landmarks = np.stack([neutral, neutral + k * ref * 20.0]).astype(np.float32)
        frames = np.full((2, 64, 64, 1), 100 + i, np.uint8)
        key = f"p{i}"
        PreparedSequence(key, frames, landmarks, np.zeros((2, 64, 64), np.uint8), np.zeros((2, 2, 3), np.float32),
                         "happy", f"person{i}", "HA", "stills", kind="pair").save(root)
        entries.append({"key": key, "file": f"{key}.npz", "subject": f"person{i}", "sequence": "HA",
                        "label": "happy", "frames": 2, "source": "stills", "kind": "pair"})
    write_manifest(root, {"config": {}, "sequences": entries, "skipped": []})
    return root


def test_measured_targets_and_weak_items_left_out(tmp_path):
    from affinekit.data.dataset import SequenceDataset
    root = _prepared_pairs(tmp_path, [0.4, 1.2, 0.05])
    measured = SequenceDataset(root, num_targets=1, augment=False)
    assert measured.keys == ["p0", "p1"] and measured.weak == {"stills": 1}
    got = {measured[i]["key"]: float(measured[i]["positions"][0]) for i in range(len(measured))}
    want = {k: reference_directions().measure(*measured.sequence(k).landmarks, "happy") for k in ("p0", "p1")}
    assert got == pytest.approx(want, abs=1e-3)
    assert 0.35 < got["p0"] < 0.45 and 1.05 < got["p1"] < 1.3      # the similarity fit takes the rigid part
    position = SequenceDataset(root, num_targets=1, augment=False, intensity="position")   # the kit before
    assert position.keys == ["p0", "p1", "p2"] and position.weak == {}
    assert all(float(position[i]["positions"][0]) == 1.0 for i in range(3))


def test_position_mode_reproduces_the_old_targets_and_prior(tmp_path):
    from affinekit.data.dataset import SequenceDataset
    from affinekit.models.prior import dataset_fields
    root = _prepared_pairs(tmp_path, [0.4, 1.2, 0.5])
    position = SequenceDataset(root, num_targets=1, augment=False, intensity="position")
    measured = SequenceDataset(root, num_targets=1, augment=False)
    old = dataset_fields(position, 7, 16)
    first = [position.sequence(k).landmarks[0] for k in position.keys]
    last = [position.sequence(k).landmarks[-1] for k in position.keys]
    assert torch.equal(old, label_fields(first, last, [4] * 3, 64, 7, 16))        # plain mean, every l = 1
    new = dataset_fields(measured, 7, 16)
    assert new[4].abs().max() > 1.5 * old[4].abs().max()                       # 0.4-1.2 of a smile, fitted to 1


def test_per_frame_teaching_follows_a_late_onset_and_never_falls():
    """data.intensity=frame: a sequence whose landmarks move late is taught its own measured values,
    non-decreasing (pooled where noise dips) from 0, not the straight line to its apex; pairs unchanged."""
    from affinekit.data.intensity import rising_fit
    late = [0.03, 0.0, 0.05, 0.02, 0.5, 0.9, 1.0]
    assert np.allclose(teaching_intensities(late, "sequence", per_frame=True), [0, 0, 0.035, 0.035, 0.5, 0.9, 1.0])
    assert np.allclose(teaching_intensities(late, "sequence"), np.linspace(0, 1, 7))       # "measured": the line
    assert teaching_intensities([0.03, 0.4, 0.6], "pair", per_frame=True).tolist() == [0.0, 0.4, 0.6]
    assert rising_fit(np.array([3.0, 1.0, 2.0])).tolist() == [2.0, 2.0, 2.0]               # the least-squares pool
    assert rising_fit(np.array([0.0, 1.0, 2.0])).tolist() == [0.0, 1.0, 2.0]
    from affinekit.config import DataConfig
    assert DataConfig(intensity="frame").intensity == "frame"
    with pytest.raises(ValueError, match="measured, frame or position"):
        DataConfig(intensity="frames")


def test_a_late_sequence_is_taught_its_own_frames_with_frame_intensity(tmp_path):
    """A happy sequence still at frames 1-2 and smiling at 3-4: "frame" teaches ~0 where it has not moved,
    "measured" the straight line to the apex."""
    from affinekit.data.dataset import SequenceDataset
    from affinekit.data.prepared import PreparedSequence, write_manifest
    neutral = face_points(center=(32.0, 32.0), iod=20.0)
    ref = reference_directions().directions["happy"]
    strength = [0.0, 0.0, 0.0, 0.8, 1.0]
    landmarks = np.stack([neutral + k * ref * 20.0 for k in strength]).astype(np.float32)
    PreparedSequence("s", np.full((5, 64, 64, 1), 100, np.uint8), landmarks, np.zeros((5, 64, 64), np.uint8),
                     np.zeros((5, 2, 3), np.float32), "happy", "person", "001", "ck").save(tmp_path)
    write_manifest(tmp_path, {"config": {}, "sequences": [{"key": "s", "file": "s.npz", "subject": "person",
                   "sequence": "001", "label": "happy", "frames": 5, "source": "ck", "kind": "sequence"}],
                   "skipped": []})
    taught = {}
    for mode in ("frame", "measured"):
        data = SequenceDataset(tmp_path, num_targets=4, augment=False, intensity=mode,
                               frame_subset={"s": [1, 2, 3, 4]})      # every frame after x0 a target
        taught[mode] = sorted(data[0]["positions"].tolist())
    apex = taught["frame"][-1]
    assert taught["frame"][:2] == pytest.approx([0.0, 0.0], abs=0.02) and taught["frame"][2] == pytest.approx(0.8 * apex, abs=0.03)
    assert taught["measured"] == pytest.approx([apex / 4, apex / 2, 3 * apex / 4, apex], abs=1e-4)
