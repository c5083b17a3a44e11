"""copy-input and landmark-warp: the clip-maker contract and what the warp learns."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import MOUTH, face_points

from affinekit.errors import AffinekitError
from affinekit.evaluation.baselines import LandmarkWarp, copy_input, piecewise_affine_warp
from affinekit.expressions import EXPRESSIONS

HAPPY = EXPRESSIONS.index("happy")


def mouth_down(points: np.ndarray, amount: float) -> np.ndarray:
    """The same face with point 66 moved `amount` inter-ocular distances 'down' in the face frame."""
    out = points.copy()
    eye = points[42:48].mean(0) - points[36:42].mean(0)
    down = np.array([-eye[1], eye[0]])                  # eye line rotated +90 degrees
    out[MOUTH] += amount * down
    return out


def test_copy_input_repeats_the_input():
    x0 = torch.rand(2, 1, 8, 8) * 2 - 1
    clips = copy_input(x0, torch.tensor([0, 1]), torch.linspace(0, 1, 5), None)
    assert clips.shape == (2, 5, 1, 8, 8)
    for t in range(5):
        assert torch.equal(clips[:, t], x0)


def test_warp_with_unmoved_points_is_identity():
    rng = np.random.default_rng(0)
    image = rng.random((32, 32, 1)).astype(np.float32)
    pts = face_points((16, 16), iod=10)
    out = piecewise_affine_warp(image, pts, pts)
    np.testing.assert_allclose(out.reshape(image.shape), image, atol=1e-5)


def test_fit_learns_mean_displacement_per_label_in_face_units():
    firsts = np.stack([face_points(iod=20), face_points(iod=40, angle=0.3)])
    lasts = np.stack([mouth_down(firsts[0], 0.2), mouth_down(firsts[1], 0.4)])
    warp = LandmarkWarp().fit_landmarks(firsts, lasts, [HAPPY, HAPPY])
    assert warp.counts[HAPPY] == 2 and warp.counts.sum() == 2
    # mean of 0.2 and 0.4 inter-ocular distances, straight down in the face frame
    np.testing.assert_allclose(warp.displacements[HAPPY, MOUTH], [0.0, 0.3], atol=1e-9)
    assert np.abs(np.delete(warp.displacements[HAPPY], MOUTH, axis=0)).max() < 1e-9
    assert np.all(warp.displacements[EXPRESSIONS.index("anger")] == 0)
    # applied to a face twice as large and rotated: twice the pixels, rotated with it
    face = face_points(iod=50, angle=-0.5)
    target = warp.target_landmarks(face, HAPPY, intensity=1.0)
    np.testing.assert_allclose(target, mouth_down(face, 0.3), atol=1e-9)
    half = warp.target_landmarks(face, HAPPY, intensity=0.5)
    np.testing.assert_allclose(half, mouth_down(face, 0.15), atol=1e-9)


def test_warp_moves_a_dot_with_its_landmark():
    pts = face_points((32, 28), iod=24)
    lasts = mouth_down(pts, 1 / 6)                      # 4 px down at intensity 1
    warp = LandmarkWarp().fit_landmarks(pts[None], lasts[None], [HAPPY])
    image = -np.ones((1, 1, 64, 64), dtype=np.float32)
    x, y = np.round(pts[MOUTH]).astype(int)
    image[0, 0, y - 1:y + 2, x - 1:x + 2] = 1.0
    clips = warp(torch.from_numpy(image), torch.tensor([HAPPY]), torch.tensor([0.0, 0.5, 1.0]),
                 torch.from_numpy(pts[None].astype(np.float32)))
    assert clips.shape == (1, 3, 1, 64, 64)
    assert torch.equal(clips[0, 0], torch.from_numpy(image[0]))        # intensity 0 = the input

    def centre_y(frame: torch.Tensor) -> float:
        w = (frame[0].numpy() + 1).clip(0)
        return float((w.sum(1) * np.arange(64)).sum() / w.sum())
    assert centre_y(clips[0, 1]) == pytest.approx(y + 2, abs=0.5)
    assert centre_y(clips[0, 2]) == pytest.approx(y + 4, abs=0.5)
    assert float(clips.min()) >= -1 and float(clips.max()) <= 1


def test_unseen_label_gives_the_input_and_landmarks_are_required():
    pts = face_points()
    warp = LandmarkWarp().fit_landmarks(pts[None], mouth_down(pts, 0.2)[None], [HAPPY])
    x0 = torch.rand(1, 1, 64, 64) * 2 - 1
    clips = warp(x0, torch.tensor([EXPRESSIONS.index("fear")]), torch.linspace(0, 1, 3),
                 torch.from_numpy(pts[None]).float())
    torch.testing.assert_close(clips[0, 2], x0[0], atol=1e-5, rtol=0)
    with pytest.raises(AffinekitError):
        warp(x0, torch.tensor([HAPPY]), torch.linspace(0, 1, 3), None)


def test_fit_on_prepared_uses_only_the_keys_given(prepared_ckplus64):
    from affinekit.data.prepared import load_manifest
    prepared = prepared_ckplus64
    entries = [e for e in load_manifest(prepared)["sequences"] if e["label"]]
    keys = [e["key"] for e in entries if e["subject"] == entries[0]["subject"]]
    warp = LandmarkWarp().fit(prepared, keys)
    assert warp.counts.sum() == len(keys) < len(entries)
    label = warp.counts.argmax()
    # CK+ expressions move the landmarks by a visible fraction of the eye distance
    assert 0.02 < np.abs(warp.displacements[label]).max() < 1.0
