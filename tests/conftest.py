"""Shared pytest fixtures: where the development data is (skip cleanly when it is not).

Data that may not be redistributed (CK+) is never copied into the repository;
tests read it from ../shared/data (or AFFINEKIT_SHARED_DATA / AFFINEKIT_CKPLUS).
"""
from __future__ import annotations

import contextlib
import io
import os

# The tests' models are tiny: one thread per process. With two, OpenMP's idle threads spin waiting for
# a core that another process holds, and on this shared 2-core machine tests/models plus
# tests/generate/test_animate.py took 719 s against 54 s with one. Set before torch loads, so
# notebook kernels and CLI subprocesses inherit it; a value the caller set is kept.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from helpers import tiny_checkpoint  # noqa: E402

from affinekit.cli import main as cli_main  # noqa: E402
from affinekit.data.paths import REPO_ROOT, default_ckplus_root, shared_data_root  # noqa: E402


def _need(path: Path | None, what: str) -> Path:
    if path is None or not path.exists():
        pytest.skip(f"{what} not available (looked for {path}); set AFFINEKIT_SHARED_DATA or AFFINEKIT_CKPLUS")
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The development data folder (../shared/data)."""
    return _need(shared_data_root(), "development data folder ../shared/data")


@pytest.fixture(scope="session")
def ckplus_root() -> Path:
    """A CK+ root in the real layout (cohn-kanade-images/, Emotion/)."""
    root = default_ckplus_root()
    return _need(root if (root / "cohn-kanade-images").is_dir() else None, "CK+ data")


@pytest.fixture(scope="session")
def affinegan_root(shared_data: Path) -> Path:
    """The AffineGAN authors' sample folder."""
    return _need(shared_data / "affinegan-sample", "AffineGAN sample")


@pytest.fixture(scope="session")
def clips_dir(shared_data: Path) -> Path:
    """Open-licence face clips (mp4)."""
    return _need(shared_data / "clips", "face clips")


@pytest.fixture(scope="session")
def face_photo():
    """An open face photo (skimage's astronaut, public domain), (512,512,3) uint8 RGB."""
    skimage_data = pytest.importorskip("skimage.data")
    return skimage_data.astronaut()


@pytest.fixture(scope="session")
def ckplus64_prepare_run(ckplus_root: Path, tmp_path_factory) -> tuple[Path, str]:
    """`affinekit prepare CK+ --size 64 --labelled-only` into a temporary folder, once per session:
    (the folder, what the command printed). Its tests check the command; the others read the folder."""
    out = tmp_path_factory.mktemp("ckplus64")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli_main(["prepare", str(ckplus_root), "--out", str(out), "--size", "64", "--labelled-only"])
    assert code == 0, printed.getvalue()[-2000:]
    return out, printed.getvalue()


@pytest.fixture(scope="session")
def prepared_ckplus64(ckplus64_prepare_run: tuple[Path, str]) -> Path:
    """The CK+ sequences prepared at 64 px (labelled only) in a temporary folder, once per session."""
    return ckplus64_prepare_run[0]


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    """An untrained, seeded tiny grey generator file (modules that need another model define their own)."""
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt"))
