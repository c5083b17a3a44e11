"""The shipped demo set: complete, labelled with reasons, small, aligned, preparable; its FRLL
people in FRLL's own layout, credited, validation people of the whole set."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from affinekit.config import DataConfig
from affinekit.data.dataset import validation_split
from affinekit.data.faces import TEMPLATE_EYES, FaceAligner, eye_centres
from affinekit.data.folders import read_source
from affinekit.data.prepare import prepare
from affinekit.data.records import list_images, read_image
from affinekit.data.stills import read_frll
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
    report = prepare(demo, tmp_path, DataConfig(crop_size=64, channels=3),
                     labels_csv=demo / "labels.csv", progress=False, verbose=False)
    rows = list(csv.DictReader((demo / "labels.csv").open()))
    assert len(report.prepared) == len(rows) and not report.skipped


# ---------------------------------------------------------------- FRLL people (CC BY 4.0)

FRLL_CREDIT = ("DeBruine & Jones 2017, Face Research Lab London Set, figshare, "
               "doi:10.6084/m9.figshare.5047666.v5, CC BY 4.0")


@pytest.fixture(scope="module")
def frll(demo):
    folder = demo / "frll"
    if not folder.is_dir():
        pytest.skip("data/demo/frll not built; run scripts/make_demo_data.py --only frll")
    return folder


def test_frll_demo_is_in_frlls_layout(frll):
    neutral = sorted(p.name for p in list_images(frll / "neutral_front"))
    smiling = sorted(p.name for p in list_images(frll / "smiling_front"))
    people = [n.split("_")[0] for n in neutral]
    assert len(people) == 6 and len(set(people)) == 6
    assert neutral == [f"{p}_03.jpg" for p in people] and smiling == [f"{p}_08.jpg" for p in people]
    rows = list(csv.DictReader((frll / "london_info.csv").open()))
    assert sorted(r["face_id"] for r in rows) == people


def test_frll_demo_is_small_colour_and_512px(frll):
    photos = list_images(frll / "neutral_front") + list_images(frll / "smiling_front")
    for p in photos:
        image = read_image(p)
        assert max(image.shape[:2]) == 512 and image.shape[2] == 3, p
        assert p.read_bytes()[:2] == b"\xff\xd8", f"{p}: not a JPEG"
        assert np.abs(image[..., 0].astype(int) - image[..., 2]).mean() > 2, f"{p}: grey, FRLL is colour"
    assert sum(p.stat().st_size for p in frll.rglob("*") if p.is_file()) < 700e3


def test_frll_demo_is_credited(frll, repo_root):
    readme = (repo_root / "data" / "README.md").read_text()
    assert FRLL_CREDIT in readme and "frll/" in readme
    assert FRLL_CREDIT in (frll / "README.md").read_text()      # the credit travels with the photos


def test_frll_demo_reads_and_prepares_as_still_pairs(frll, tmp_path):
    records = read_source(frll)                  # recognised by its layout alone
    assert len(records) == 6 and {r.kind for r in records} == {"pair"} and {r.label for r in records} == {"happy"}
    assert all(not r.error and len(r.frames) == 2 for r in records)
    report = prepare(frll, tmp_path, DataConfig(crop_size=64, channels=3), progress=False, verbose=False)
    assert len(report.prepared) == 6 and not report.skipped


def test_frll_demo_people_are_validation_people_of_the_whole_set(frll, shared_data):
    """No shipped photo is training data of a model trained with data.hold_out=true."""
    whole = shared_data / "frll"
    if not whole.is_dir():
        pytest.skip(f"{whole}: the whole FRLL set is not here")
    entries = [{"key": r.key, "subject": r.subject, "source": r.source} for r in read_frll(whole)]
    _, validation = validation_split(entries)
    assert {r.key for r in read_frll(frll)} <= set(validation)
