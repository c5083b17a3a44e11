"""Face detection, landmarks and alignment, checked numerically."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from affinekit.data.ckplus import read_ckplus
from affinekit.data.faces import (
    TEMPLATE_EYES,
    FaceAligner,
    apply_transform,
    eye_centres,
    shape_predictor,
    similarity_fit,
)
from affinekit.errors import AffinekitError


def _eye_error(landmarks: np.ndarray, size: int) -> float:
    return float(np.abs(eye_centres(landmarks) - TEMPLATE_EYES * size).max())


def test_similarity_fit_recovers_a_known_transform():
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (6, 2))
    angle, scale, shift = 0.3, 1.7, np.array([5.0, -8.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ rot.T + shift
    M = similarity_fit(src, dst, rng.uniform(0.5, 2, 6))
    assert np.allclose(M[:, :2], rot, atol=1e-4) and np.allclose(M[:, 2], shift, atol=1e-3)
    assert np.allclose(apply_transform(M, src), dst, atol=1e-3)


def test_models_are_loaded_once():
    assert shape_predictor() is shape_predictor()


def test_astronaut_eyes_land_on_the_template(face_photo):
    aligner = FaceAligner(128)
    crop, points, M = aligner.align(face_photo, "astronaut")
    assert crop.shape == (128, 128, 3) and crop.dtype == np.uint8
    assert M.shape == (2, 3) and M.dtype == np.float32
    assert _eye_error(points, 128) < 2.0
    # Independent check: find the landmarks again on the crop itself.
    assert _eye_error(aligner.landmarks(crop, "crop"), 128) < 2.0
    # The nose tip sits below the eyes, centred.
    assert 0.45 * 128 < points[30, 0] < 0.55 * 128 and points[30, 1] > 0.45 * 128


def test_grayscale_and_other_sizes(face_photo):
    gray = cv2.cvtColor(face_photo, cv2.COLOR_RGB2GRAY)
    crop, points, _ = FaceAligner(64).align(gray, "astronaut")
    assert crop.shape == (64, 64)
    assert _eye_error(points, 64) < 1.0


def test_large_image_is_detected_on_a_downscaled_copy(face_photo):
    big = cv2.resize(face_photo, (1600, 1600), interpolation=cv2.INTER_CUBIC)
    aligner = FaceAligner(128)
    left, top, right, bottom = aligner.detect(big, "big")
    small = aligner.detect(face_photo, "small")
    assert abs(left / 1600 * 512 - small[0]) < 12 and abs(bottom / 1600 * 512 - small[3]) < 12
    _, points, _ = aligner.align(big, "big")
    assert _eye_error(points, 128) < 2.0


@pytest.mark.parametrize("what", ["camera", "blank"])
def test_photo_without_a_face_is_one_clear_line(what):
    skimage_data = pytest.importorskip("skimage.data")
    image = skimage_data.camera() if what == "camera" else np.full((300, 300), 128, np.uint8)
    with pytest.raises(AffinekitError) as err:
        FaceAligner().align(image, f"{what}.png")
    message = str(err.value)
    assert message.startswith(f"{what}.png: no face found;") and "\n" not in message


def test_several_faces_are_refused(face_photo):
    two = np.concatenate([face_photo, face_photo[:, ::-1]], axis=1)
    with pytest.raises(AffinekitError, match="faces found; crop the photo to one face"):
        FaceAligner().detect(two, "two.png")


def test_unknown_detector():
    with pytest.raises(AffinekitError, match="hog"):
        FaceAligner(detector="mtcnn")


def test_sequence_shares_one_transform_but_tracks_landmarks(face_photo):
    # A still face whose mouth region changes: same transform, landmarks per frame.
    frames = np.stack([face_photo, np.roll(face_photo, 3, axis=1)])
    crops, points, transforms = FaceAligner(96).align_sequence(frames, "seq")
    assert crops.shape == (2, 96, 96, 3) and points.shape == (2, 68, 2)
    assert np.array_equal(transforms[0], transforms[1])
    # The face moved 3 px right in the source; the shared transform keeps that motion.
    scale = np.sqrt(abs(np.linalg.det(transforms[0][:, :2])))
    assert 1.5 * scale < (points[1, 30, 0] - points[0, 30, 0]) < 4.5 * scale
    _, _, per_frame = FaceAligner(96).align_sequence(frames, "seq", per_frame=True)
    assert not np.array_equal(per_frame[0], per_frame[1])


@pytest.mark.ckplus
def test_ckplus_eyes_land_on_the_template(ckplus_root):
    aligner = FaceAligner(128)
    records = read_ckplus(ckplus_root)[:40:4]
    for record in records:
        first = record.load_frames(gray=True)[0]
        crop, points, _ = aligner.align(first, record.key)
        assert _eye_error(points, 128) < 2.0, record.key
        assert _eye_error(aligner.landmarks(crop, record.key), 128) < 2.0, record.key


@pytest.mark.slow
def test_cnn_detector_aligns_too(face_photo):
    small = cv2.resize(face_photo, (256, 256), interpolation=cv2.INTER_AREA)
    _, points, _ = FaceAligner(128, detector="cnn").align(small, "astronaut")
    assert _eye_error(points, 128) < 2.0
    with pytest.raises(AffinekitError, match="no face found"):
        FaceAligner(detector="cnn").detect(np.full((200, 200), 90, np.uint8), "blank.png")


def test_weak_detections_are_not_faces():
    from affinekit.data.faces import MIN_FACE_SCORE, confident_faces

    assert confident_faces([(0.12, "shirt"), (5e-5, "texture")]) == []           # no face at all
    assert [b for _, b in confident_faces([(5e-5, "noise"), (1.7, "face")])] == ["face"]   # one face, not two
    two = confident_faces([(1.6, "a"), (1.1, "b"), (0.6, "far weaker")])
    assert [b for _, b in two] == ["a", "b"] and MIN_FACE_SCORE > 0.12
