"""The expression classifier: bundled weights, subject split, framing, accuracy on unseen subjects."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from affinekit.errors import AffinekitError
from affinekit.evaluation.classifier import (
    RIGID_POINTS,
    WEIGHTS,
    ClassifierConfig,
    ExpressionNet,
    load_ck48,
    load_classifier,
    predict_last_frames,
    split_by_subject,
)


def test_bundled_weights_are_small_and_safe_to_load():
    assert WEIGHTS.stat().st_size < 1_000_000
    ckpt = torch.load(WEIGHTS, map_location="cpu", weights_only=True)      # plain values and tensors only
    assert set(ckpt) >= {"config", "state_dict", "template", "report"}
    clf = load_classifier()
    rep = clf.report
    assert rep["test_accuracy"] > 0.8
    assert not set(rep["test_subjects"]) & set(rep["train_subjects"])
    assert clf.template.shape == (68, 2)
    rigid = clf.template[RIGID_POINTS]                  # eyes and nose sit inside the 48 px crop
    assert 0 < rigid.min() and rigid.max() < 48


def test_net_shape():
    net = ExpressionNet(ClassifierConfig())
    assert net(torch.zeros(2, 1, 48, 48)).shape == (2, 7)


def test_split_by_subject_keeps_people_apart_and_holds_out_the_named_ones():
    subjects = [f"S{i % 20:03d}" for i in range(200)]
    cfg = ClassifierConfig(test_fraction=0.25, seed=1, held_out=("S003", "S007"), discriminator_fraction=0.5)
    train, test = split_by_subject(subjects, cfg)
    assert set(train).isdisjoint(test)
    train_s = {subjects[i] for i in train}
    test_s = {subjects[i] for i in test}
    assert not train_s & test_s
    assert {"S003", "S007"} <= test_s and len(test_s) == 5
    # the other 15 people: about half teach the apex discriminator and are in neither side
    assert len(train_s) == 15 - round(0.5 * 15) and len(train) + len(test) == 10 * (len(train_s) + 5)


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


def test_load_ck48_errors_clearly(tmp_path):
    with pytest.raises(AffinekitError, match="not found"):
        load_ck48(tmp_path / "missing")
    (tmp_path / "happy").mkdir()
    (tmp_path / "happy" / "face.png").write_bytes(b"")
    with pytest.raises(AffinekitError, match="S010_006"):
        load_ck48(tmp_path)


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
