"""The bundled model: present, small, honest about its training data, and it moves the face, not the photo."""
from __future__ import annotations

import json

import numpy as np
import pytest
from skimage import data

from affinekit.animate import DEFAULT_WEIGHTS, load_pretrained


def test_bundled_weights_are_small_and_say_what_they_trained_on():
    assert DEFAULT_WEIGHTS.is_file(), f"{DEFAULT_WEIGHTS} missing: export it with scripts/export_model.py"
    assert DEFAULT_WEIGHTS.stat().st_size < 20e6
    run = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())
    assert run["data"]["keys"] and run["exported"]["steps"] > 0
    assert (DEFAULT_WEIGHTS.parent / "MODEL_CARD.md").is_file()


def test_bundled_model_never_saw_the_subjects_it_is_scored_on(prepared_ckplus64):
    from affinekit.data.dataset import subject_split

    trained = set(json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())["data"]["keys"])
    train_keys, test_keys = subject_split(prepared_ckplus64, 0.2, 0)     # evaluate's default split
    assert trained == set(train_keys)
    assert not {k.split("_")[0] for k in trained} & {k.split("_")[0] for k in test_keys}


@pytest.fixture(scope="module")
def clips():
    animator = load_pretrained()
    photo = data.astronaut()
    aligned = animator.align(photo)
    return photo, aligned, {e: animator.animate(photo, e, frames=5, intensity=1.0) for e in ("happy", "surprise")}


def face_box_mask(photo, aligned):
    """True outside the box that the aligned crop covers in the photo."""
    import cv2

    size = aligned.crop.shape[0]
    corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64)
    box = corners @ cv2.invertAffineTransform(aligned.M.astype(np.float64)).T   # the crop's corners in the photo
    outside = np.ones(photo.shape[:2], bool)
    (x0, y0), (x1, y1) = np.floor(box.min(0)).astype(int), np.ceil(box.max(0)).astype(int)
    outside[max(y0, 0):y1, max(x0, 0):x1] = False
    return outside


def test_the_first_frame_is_the_photo_and_the_change_stays_on_the_face(clips):
    photo, aligned, by_expression = clips
    outside = face_box_mask(photo, aligned)
    assert outside.mean() > 0.5                                  # the test means something on this photo
    for clip in by_expression.values():
        assert clip.shape == (5, *photo.shape)
        assert np.abs(clip[0].astype(int) - photo).mean() < 1.0
        moved = np.abs(clip[-1].astype(int) - clip[0]).sum(-1)
        assert moved[~outside].max() > 30                        # the face visibly changed
        assert moved[outside].max() <= 3                         # the rest of the photo did not


def test_expressions_differ_on_the_face(clips):
    photo, aligned, by_expression = clips
    face = ~face_box_mask(photo, aligned)
    happy, surprise = (by_expression[e][-1].astype(int) for e in ("happy", "surprise"))
    assert np.abs(happy - surprise)[face].mean() > 0.5
