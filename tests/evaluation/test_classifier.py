"""The expression classifier as evaluation uses it: bundled weights, framing, accuracy on unseen subjects.
Its training (CK+48 reader, subject split, loop) is tested in tests/training/test_classifier.py."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from affinekit.errors import AffinekitError
from affinekit.evaluation.classifier import RIGID_POINTS, WEIGHTS, load_classifier, predict_last_frames
from affinekit.training.classifier import load_ck48
from affinekit.weights.checkpoint import CLASSIFIER_FORMAT


def test_bundled_weights_are_small_and_safe_to_load():
    assert WEIGHTS.stat().st_size < 1_000_000
    ckpt = torch.load(WEIGHTS, map_location="cpu", weights_only=True)      # plain values and tensors only
    assert set(ckpt) >= {"format", "config", "state_dict", "template", "report"}
    assert ckpt["format"] == CLASSIFIER_FORMAT
    clf = load_classifier()
    rep = clf.report
    assert rep["test_accuracy"] > 0.8
    assert not set(rep["test_subjects"]) & set(rep["train_subjects"])
    assert clf.template.shape == (68, 2)
    rigid = clf.template[RIGID_POINTS]                  # eyes and nose sit inside the 48 px crop
    assert 0 < rigid.min() and rigid.max() < 48


def test_moved_classifier_predicts_as_before_the_move():
    """The bundled weights through today's loader (models/ net, `safe_load`) give the probabilities the
    pre-move code (evaluation/classifier.py at b9d0238: its own net, bare `torch.load`) gave on these
    twelve synthetic faces: labels and top probabilities computed there once and written here."""
    clf = load_classifier()
    rng = np.random.default_rng(7)
    faces = np.stack([cv2.GaussianBlur(rng.integers(0, 256, (48, 48)).astype(np.uint8), (0, 0), s)
                      for s in np.linspace(0.5, 4, 12)])
    faces = np.clip((faces.astype(np.float32) - faces.mean((1, 2), keepdims=True)) * 4 + 128, 0, 255).astype(np.uint8)
    p = clf.predict(faces)
    assert p.argmax(1).tolist() == [5, 5, 5, 6, 1, 1, 1, 1, 1, 1, 5, 5]
    before = [0.5280, 0.9981, 0.3921, 0.6204, 0.7156, 0.8958, 0.9661, 0.8999, 0.9025, 0.4991, 0.6970, 0.8045]
    assert np.allclose(p.max(1), before, atol=2e-4)
    assert clf.labels[5] == "sadness" and clf.recipe["epochs"] == 40 and clf.config.size == 48


def test_a_file_that_is_not_a_classifier_is_refused(tmp_path):
    from affinekit.weights.checkpoint import atomic_save
    atomic_save({"format": "affinekit-generator-1", "model_config": {}}, tmp_path / "g.pt")
    with pytest.raises(AffinekitError, match="g.pt: not an affinekit checkpoint of this kind"):
        load_classifier(tmp_path / "g.pt")
    with pytest.raises(AffinekitError, match="not found; run scripts/train_classifier.py"):
        load_classifier(tmp_path / "missing.pt")


def test_face_crop_puts_landmarks_on_the_template():
    clf = load_classifier()
    # a 160 px frame whose face is the template scaled by 3 and shifted: a dot on the nose tip
    landmarks = clf.template * 3 + [10, 5]
    frame = np.zeros((160, 160), np.uint8)
    x, y = np.round(landmarks[30]).astype(int)
    frame[y - 3:y + 4, x - 3:x + 4] = 255
    crop = clf.face_crop(frame, landmarks)
    assert crop.shape == (48, 48)
    ys, xs = np.nonzero(crop > 100)
    assert abs(xs.mean() - clf.template[30, 0]) < 1.0 and abs(ys.mean() - clf.template[30, 1]) < 1.0
    assert 30 in RIGID_POINTS


def test_accuracy_on_unseen_subjects_and_wrong_labels(shared_data):
    clf = load_classifier()
    data = load_ck48(shared_data / "ck48")
    test = [i for i, s in enumerate(data.subjects) if s in set(clf.report["test_subjects"])][::3]
    clips = np.stack([np.stack([data.images[i], data.images[i]]) for i in test])      # (B, 2, 48, 48)
    labels = data.labels[test]
    predicted = predict_last_frames(clips, classifier=clf)     # what evaluation's expression accuracy counts
    assert np.mean(predicted == labels) > 0.8
    assert np.mean(predicted == (labels + 1) % 7) < 0.2


def test_bundled_classifier_on_prepared_frames_follows_its_training_recipe(prepared_ckplus64):
    """The kit's conversions (`as_gray`, `to_model`) and `faces.robust_similarity` give the crops and the
    probabilities of the recipe the bundled weights were trained and scored with, written out here."""
    from affinekit.data.prepared import load_manifest, load_sequence

    clf = load_classifier()
    frames, points = [], []
    for entry in load_manifest(prepared_ckplus64)["sequences"][:3]:
        seq = load_sequence(prepared_ckplus64, entry["key"])
        frames += [seq.frames[0], seq.frames[-1]]
        points += [seq.landmarks[0], seq.landmarks[0]]
    for frame, lm in zip(frames, points):
        gray = frame[..., 0] if frame.shape[-1] == 1 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        m, _ = cv2.estimateAffinePartial2D(lm[RIGID_POINTS].astype(np.float32),
                                           clf.template[RIGID_POINTS].astype(np.float32), method=cv2.LMEDS)
        expected = cv2.warpAffine(gray, m, (48, 48), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        assert np.array_equal(clf.face_crop(frame, lm), expected)
    faces = np.stack([clf.face_crop(f, lm) for f, lm in zip(frames, points)])
    with torch.no_grad():
        expected = torch.softmax(clf.net(torch.from_numpy(faces.astype(np.float32) / 127.5 - 1.0)[:, None]), 1)
    assert np.allclose(clf.predict(faces), expected.numpy(), atol=1e-6)


def test_save_is_atomic_and_loads_back(tmp_path):
    clf = load_classifier()
    path = tmp_path / "clf.pt"
    clf.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["clf.pt"]          # no temporary left beside it
    again = load_classifier(path)
    faces = np.random.default_rng(0).integers(0, 256, (4, 48, 48), dtype=np.uint8)
    assert np.array_equal(again.predict(faces), clf.predict(faces))
    assert again.report == clf.report
