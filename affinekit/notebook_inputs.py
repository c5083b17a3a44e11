"""What the notebooks run on: CK+ when the user has it, else the open demo data; sample photos;
the checkpoints to score or animate.

Every lookup either finds what it was asked for or says how to fix the parameter: a path
that is given but missing is an error, never a silent switch to other data.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from affinekit.animate import DEFAULT_WEIGHTS, PIXELS_WEIGHTS, Animator, load_pretrained
from affinekit.data.ckplus import read_ckplus
from affinekit.data.folders import read_source
from affinekit.data.paths import REPO_ROOT
from affinekit.data.records import IMAGE_SUFFIXES
from affinekit.errors import AffinekitError
from affinekit.photos import demo_photo

DEMO_DIR = REPO_ROOT / "data" / "demo"


def ckplus_root(path: str | os.PathLike | None = None) -> Path | None:
    """Where CK+ is, if the user has it: the given path, AFFINEKIT_CKPLUS, or data/ckplus/.

    Returns None when none of them exists, and the notebooks then use the open
    demo data. (Unlike `data.paths.default_ckplus_root`, the development sample
    beside the checkout is not a fallback: a notebook run on a fresh clone shows
    the demo data, which may be shared.)
    """
    for given, what in ((path, "the CKPLUS parameter"), (os.environ.get("AFFINEKIT_CKPLUS", "").strip(),
                                                          "AFFINEKIT_CKPLUS")):
        if given:
            p = Path(given).expanduser()
            if not p.exists():
                raise AffinekitError(f"{p}: CK+ folder not found; fix {what} or leave it empty for the demo data")
            return p
    local = REPO_ROOT / "data" / "ckplus"
    return local if local.exists() and any(local.iterdir()) else None


def data_source(ckplus: str | os.PathLike | None = None) -> tuple[str, Path]:
    """("ckplus", root) if the user has CK+ (see `ckplus_root`), else ("demo", data/demo)."""
    root = ckplus_root(ckplus)
    return ("ckplus", root) if root is not None else ("demo", DEMO_DIR)


def read_records(ckplus: str | os.PathLike | None = None, limit: int = 0,
                 labelled_only: bool = True) -> tuple[str, list[Any]]:
    """(data name, sequence records) of CK+ or the demo data.

    `limit` > 0 keeps that many sequences, taken in turn from each expression so
    that a small run still shows every expression there is.
    """
    name, root = data_source(ckplus)
    if name == "ckplus":
        records = read_ckplus(root, labelled_only=labelled_only)
    else:
        if not root.is_dir() or not any(root.iterdir()):
            raise AffinekitError(f"{root}: the demo data is missing; restore data/demo/ from git "
                                 "or pass a CK+ root in the CKPLUS parameter")
        labels = root / "labels.csv"     # the demo's frame folders and their expressions
        records = read_source(labels if labels.is_file() else root)
        if labelled_only:
            records = [r for r in records if r.label]
    records = [r for r in records if not r.error]
    return name, spread(records, limit) if limit else records


def spread(records: list[Any], n: int) -> list[Any]:
    """Up to `n` records taken round-robin over their labels (order kept within a label)."""
    groups: dict[Any, list[Any]] = {}
    for r in records:
        groups.setdefault(r.label, []).append(r)
    out: list[Any] = []
    while len(out) < n and any(groups.values()):
        for label in list(groups):
            if groups[label] and len(out) < n:
                out.append(groups[label].pop(0))
    return out


def sample_photos() -> dict[str, Any]:
    """Open face photos to try the model on, the neutral ones first (an expression is best seen
    growing out of a neutral face): the photos shipped in data/demo/ (credited in data/README.md),
    then scikit-image's astronaut (public domain; she is already smiling)."""
    photos: dict[str, Any] = {}
    if DEMO_DIR.is_dir():
        found = [p for p in sorted(DEMO_DIR.rglob("*"))
                 if p.suffix.lower() in IMAGE_SUFFIXES and "photo" in str(p.relative_to(DEMO_DIR)).lower()]
        for p in sorted(found, key=lambda p: "neutral" not in p.stem):
            photos[p.stem] = p
    photos["astronaut (scikit-image)"] = demo_photo()
    return photos


def load_animator(checkpoint: str | os.PathLike | None = None, **options: Any) -> tuple[Animator, str]:
    """(Animator, what it is): the given checkpoint, else the bundled model."""
    if checkpoint:
        return load_pretrained(checkpoint, **options), f"checkpoint {checkpoint}"
    return load_pretrained(**options), "the bundled model"


def model_checkpoint(checkpoint: str | os.PathLike | None) -> tuple[Path, str]:
    """(checkpoint path, what it is): the given one, else the bundled model."""
    p = Path(checkpoint) if checkpoint else DEFAULT_WEIGHTS
    if not p.is_file():
        raise AffinekitError(f"{p}: no such checkpoint; fix the CHECKPOINT parameter or leave it empty")
    return p, f"checkpoint {p}" if checkpoint else "the bundled model"


def paper_checkpoint(checkpoint: str | os.PathLike | None) -> list[Path]:
    """[the paper's pixel-head model to score beside the kit's]: the given one, else the bundled
    one when it is there; [] for "none"."""
    if str(checkpoint or "").lower() == "none":
        return []
    if checkpoint:
        p = Path(checkpoint)
        if not p.is_file():
            raise AffinekitError(f"{p}: no such checkpoint; fix PAPER_CHECKPOINT, leave it empty or write none")
        return [p]
    return [PIXELS_WEIGHTS] if PIXELS_WEIGHTS.is_file() else []
