"""Where data lives: the repository, the development data beside it, CK+, dlib's models.

One place for path-finding, so tests, notebooks and the CLI agree. Environment
variables win over defaults: AFFINEKIT_CKPLUS (a CK+ root), AFFINEKIT_SHARED_DATA
(the development data folder holding ckplus-sample/, affinegan-sample/, clips/).
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from affinekit.errors import AffinekitError

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_root() -> Path | None:
    """The development data folder (`../shared/data` beside the checkout), or None if absent."""
    env = os.environ.get("AFFINEKIT_SHARED_DATA")
    candidates = [Path(env)] if env else [REPO_ROOT.parent / "shared" / "data"]
    for path in candidates:
        if path.is_dir():
            return path
    return None


def default_ckplus_root() -> Path:
    """The CK+ root to use when none is given.

    AFFINEKIT_CKPLUS if set, else `data/ckplus/` in the repository if it exists,
    else the development sample `../shared/data/ckplus-sample` if present, else
    `data/ckplus/` (missing: callers report how to obtain CK+).
    """
    env = os.environ.get("AFFINEKIT_CKPLUS")
    if env:
        return Path(env)
    local = REPO_ROOT / "data" / "ckplus"
    if local.is_dir():
        return local
    shared = shared_data_root()
    if shared is not None and (shared / "ckplus-sample").is_dir():
        return shared / "ckplus-sample"
    return local


def require_ckplus(root: str | Path | None = None) -> Path:
    """A CK+ root that exists, or an AffinekitError saying how to get CK+."""
    path = Path(root) if root is not None else default_ckplus_root()
    if not path.is_dir():
        raise AffinekitError(
            f"{path}: CK+ not found; request it from the owners (research use only), unpack it "
            "into data/ckplus/ or set AFFINEKIT_CKPLUS (see data/README.md)")
    return path


def dlib_models_dir() -> Path:
    """The folder of the face-recognition-models package's dlib model files.

    Found without importing the package: its __init__ needs pkg_resources.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise AffinekitError(
            "face_recognition_models is not installed; run `pip install face-recognition-models`")
    return Path(list(spec.submodule_search_locations)[0]) / "models"
