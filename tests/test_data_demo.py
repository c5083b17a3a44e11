"""The shipped demo set: complete, labelled with reasons, small, aligned, preparable."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from affinekit.config import DataConfig
from affinekit.data.faces import TEMPLATE_EYES, FaceAligner, eye_centres
from affinekit.data.prepare import prepare
from affinekit.data.records import list_images, read_image
from affinekit.expressions import EXPRESSIONS


@pytest.fixture(scope="module")
def demo(repo_root):
    folder = repo_root / "data" / "demo"
    if not (folder / "labels.csv").is_file():
        pytest.skip("data/demo not built; run scripts/make_demo_data.py")
    return folder


def test_labels_csv_is_complete(demo):
    rows = list(csv.DictReader((demo / "labels.csv").open()))
    assert len(rows) >= 3
    for row in rows:
        assert row["label"] in EXPRESSIONS
        assert row["how"].startswith("by eye:") and "neutral" in row["how"]
        frames = list_images(demo / row["path"])
        assert len(frames) >= 5
        first = read_image(frames[0])
        assert first.shape == (128, 128, 3)


def test_demo_is_small_and_open(demo, repo_root):
    total = sum(p.stat().st_size for p in demo.rglob("*") if p.is_file())
    assert total < 5e6
    readme = (repo_root / "data" / "README.md").read_text()
    for clip in ("single_face.mp4", "WolfgangLanger_Pexels.mp4", "liveportrait_d0.mp4"):
        assert clip in readme
    assert "Pexels" in readme and "MIT" in readme and "AFFINEKIT_CKPLUS" in readme


def test_neutral_photo_has_one_face(demo):
    photo = read_image(demo / "photo_neutral.png")
    _, points, _ = FaceAligner(128).align(photo, "photo_neutral.png")
    assert np.abs(eye_centres(points) - TEMPLATE_EYES * 128).max() < 2


def test_demo_prepares(demo, tmp_path):
    report = prepare(demo, tmp_path, DataConfig(image_size=64, channels=3),
                     labels_csv=demo / "labels.csv", progress=False, verbose=False)
    rows = list(csv.DictReader((demo / "labels.csv").open()))
    assert len(report.prepared) == len(rows) and not report.skipped
