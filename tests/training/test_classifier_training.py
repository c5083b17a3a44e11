"""Training the CK+48 classifier: the kit's reader, the subject split, the augmentation, the loop."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.models.classifier import ClassifierConfig, ExpressionNet
from affinekit.training.classifier import (
    ClassifierRecipe,
    augment_faces,
    fit_classifier,
    label_accuracy,
    load_ck48,
    split_by_subject,
)


def test_split_by_subject_keeps_people_apart_and_holds_out_the_named_ones():
    subjects = [f"S{i % 20:03d}" for i in range(200)]
    recipe = ClassifierRecipe(test_fraction=0.25, seed=1, held_out=("S003", "S007"), discriminator_fraction=0.5)
    train, test = split_by_subject(subjects, recipe)
    assert set(train).isdisjoint(test)
    train_s = {subjects[i] for i in train}
    test_s = {subjects[i] for i in test}
    assert not train_s & test_s
    assert {"S003", "S007"} <= test_s and len(test_s) == 5
    # the other 15 people: about half teach the apex discriminator and are in neither side
    assert len(train_s) == 15 - round(0.5 * 15) and len(train) + len(test) == 10 * (len(train_s) + 5)


def test_load_ck48_reads_through_the_kit_in_the_trained_order(tmp_path):
    """Emotions in EXPRESSIONS order, files by name within one; pixels as OpenCV reads the grey PNG
    (what the bundled weights were trained on); a 64 px crop is area-resized to 48."""
    rng = np.random.default_rng(0)
    written = {}
    for label, name, size in [("surprise", "S011_001_00000010.png", 48), ("anger", "S010_002_00000009.png", 48),
                              ("anger", "S005_001_00000003.png", 64)]:
        (tmp_path / label).mkdir(exist_ok=True)
        img = rng.integers(0, 256, (size, size), dtype=np.uint8)
        cv2.imwrite(str(tmp_path / label / name), img)
        written[name] = cv2.resize(img, (48, 48), interpolation=cv2.INTER_AREA)
    data = load_ck48(tmp_path)
    assert data.names == ["S005_001_00000003.png", "S010_002_00000009.png", "S011_001_00000010.png"]
    assert data.subjects == ["S005", "S010", "S011"]
    assert data.labels.tolist() == [EXPRESSIONS.index("anger")] * 2 + [EXPRESSIONS.index("surprise")]
    for img, name in zip(data.images, data.names):
        assert np.array_equal(img, written[name])


def test_load_ck48_errors_clearly(tmp_path):
    with pytest.raises(AffinekitError, match="not found"):
        load_ck48(tmp_path / "missing")
    (tmp_path / "happy").mkdir()
    (tmp_path / "happy" / "face.png").write_bytes(b"")
    with pytest.raises(AffinekitError, match="S###_###"):
        load_ck48(tmp_path)
    (tmp_path / "happy" / "S010_006_00000013.png").write_bytes(b"not a png")
    with pytest.raises(AffinekitError, match="S010_006_00000013.png"):
        load_ck48(tmp_path)


def test_augmentation_is_seeded_and_keeps_shape():
    faces = np.random.default_rng(1).integers(0, 256, (4, 64, 64), dtype=np.uint8)
    a = augment_faces(faces, np.random.default_rng(3))
    b = augment_faces(faces, np.random.default_rng(3))
    assert a.shape == faces.shape and a.dtype == np.uint8 and np.array_equal(a, b)
    assert not np.array_equal(a, faces)


def test_fit_learns_a_separable_toy_problem():
    """Bright top half vs bright bottom half: a few epochs of the real loop tell them apart."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    faces = rng.integers(0, 60, (64, 24, 24)).astype(np.uint8)
    labels = np.arange(64) % 2
    faces[labels == 0, :12] += 150
    faces[labels == 1, 12:] += 150
    recipe = ClassifierRecipe(epochs=6, batch_size=16, lr=1e-2)
    net = fit_classifier(ExpressionNet(ClassifierConfig(size=24, widths=(8, 16), num_labels=2)), faces,
                         labels.astype(np.int64), recipe, 2, rng, log=None)
    with torch.no_grad():
        probs = torch.softmax(net(torch.from_numpy(faces.astype(np.float32) / 127.5 - 1)[:, None]), 1).numpy()
    scores = label_accuracy(probs, labels, ("top", "bottom"))
    assert scores["accuracy"] > 0.9 and set(scores["per_class"]) == {"top", "bottom"}
