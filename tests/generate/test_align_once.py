"""One clip's work is done once: the photo decoded and checked once, the face found and its crop cut
once, every expression rendered once (in one pass through the network).

Counting wrappers (spies) sit on the decoder, the array check, the detector, the aligner's warp,
the render function and the generator's motion head, and `affinekit generate` runs for real on a
tiny random model: one expression, every expression with the face framing, and many photos.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from PIL import Image
from skimage import data

import affinekit.generate.aligned as aligned_module
import affinekit.generate.animate as animate_module
import affinekit.io.photos as photos_module
from affinekit.cli import main
from affinekit.data.faces import FaceAligner
from affinekit.expressions import EXPRESSIONS
from affinekit.models.generator import Generator


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("photos") / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(path)
    return path


@pytest.fixture
def spies(monkeypatch):
    """Counts of each step, and the labels each render and each network pass was given."""
    counts: Counter = Counter()
    rendered: list[list] = []
    passes: list[int] = []

    def spy(owner, name, record):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            record(*args, **kwargs)
            return original(*args, **kwargs)
        monkeypatch.setattr(owner, name, wrapper)

    spy(photos_module, "decode_image", lambda *a, **k: counts.update(["decode"]))
    spy(photos_module, "_from_array", lambda *a, **k: counts.update(["validate"]))
    # the Animator warms the detector up on a 16 px blank: count only real photos
    spy(aligned_module, "find_faces", lambda image, **k: counts.update(["detect"] if image.shape[0] > 16 else []))
    spy(animate_module, "align_face", lambda *a, **k: counts.update(["align"]))
    spy(FaceAligner, "warp", lambda self, image, M: counts.update([f"warp {self.size}px"]))
    spy(animate_module, "render_clips", lambda generator, face, labels, *a, **k: rendered.append(
        [int(np.argmax(lab)) if np.ndim(lab) else int(lab) for lab in labels]))
    spy(Generator, "motion", lambda self, x, *a, **k: passes.append(x.shape[0]))
    return counts, rendered, passes


def run(argv, capsys):
    code = main([str(a) for a in argv])
    capsys.readouterr()
    return code


def test_one_expression_decodes_aligns_and_renders_once(checkpoint, photo, tmp_path, spies, capsys):
    counts, rendered, passes = spies
    assert run(["generate", photo, "--expression", "happy", "--frames", 3, "--checkpoint", checkpoint,
                "--out", tmp_path / "clip.mp4"], capsys) == 0
    assert counts == Counter({"decode": 1, "validate": 1, "detect": 1, "align": 1, "warp 64px": 1})
    assert rendered == [[EXPRESSIONS.index("happy")]] and passes == [1]


def test_every_expression_with_the_face_framing_renders_each_once(checkpoint, photo, tmp_path, spies, capsys):
    counts, rendered, passes = spies
    assert run(["generate", photo, "--expression", "all", "--frames", 2, "--checkpoint", checkpoint,
                "--out", tmp_path / "grid.mp4"], capsys) == 0
    assert counts == Counter({"decode": 1, "validate": 1, "detect": 1, "align": 1, "warp 64px": 1})
    assert rendered == [list(range(len(EXPRESSIONS)))]           # the full-frame cell reuses the last clip
    assert passes == [len(EXPRESSIONS)]                           # one network pass for the seven


def test_many_photos_take_the_one_clip_route_once_each(checkpoint, photo, tmp_path, spies, capsys):
    counts, rendered, passes = spies
    other = tmp_path / "other.png"
    Image.fromarray(np.ascontiguousarray(data.astronaut()[:, 40:480])).save(other)
    assert run(["generate", photo, other, "--expression", "surprise", "--frames", 2, "--checkpoint", checkpoint,
                "--out-dir", tmp_path / "clips"], capsys) == 0
    assert counts == Counter({"decode": 2, "validate": 2, "detect": 2, "align": 2, "warp 64px": 2})
    assert rendered == [[EXPRESSIONS.index("surprise")]] * 2 and passes == [1, 1]
    assert sorted(p.name for p in (tmp_path / "clips").iterdir()) == ["astronaut_surprise.mp4",
                                                                       "other_surprise.mp4"]


def test_a_close_up_cuts_its_own_crop_from_the_photo_not_from_the_network_crop(checkpoint, photo, tmp_path,
                                                                              spies, capsys):
    counts, rendered, passes = spies
    assert run(["generate", photo, "--crop-only", "--frames", 2, "--checkpoint", checkpoint,
                "--out", tmp_path / "face.mp4"], capsys) == 0
    assert counts == Counter({"decode": 1, "validate": 1, "detect": 1, "align": 1, "warp 64px": 1,
                              "warp 256px": 1})
    assert len(rendered) == 1 and passes == [1]
