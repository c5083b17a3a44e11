"""Shared pytest fixtures: where the development data is (skip cleanly when it is not).

Data that may not be redistributed (CK+) is never copied into the repository;
tests read it from ../shared/data (or AFFINEKIT_SHARED_DATA / AFFINEKIT_CKPLUS).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers import tiny_checkpoint

from affinekit.data.paths import REPO_ROOT, default_ckplus_root, shared_data_root


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
def prepared_ckplus64(ckplus_root: Path, tmp_path_factory) -> Path:
    """The CK+ sequences prepared at 64 px (labelled only) in a temporary folder, once per session."""
    from affinekit.config import DataConfig
    from affinekit.data.prepare import prepare

    out = tmp_path_factory.mktemp("ckplus64")
    prepare(ckplus_root, out, DataConfig(crop_size=64), labelled_only=True, progress=False, verbose=False)
    return out


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    """An untrained, seeded tiny grey generator file (modules that need another model define their own)."""
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt"))
