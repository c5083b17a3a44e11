"""Small helpers the notebooks share: size switches, data lookup, recorded values.

Notebooks stay thin by calling these instead of repeating glue:

- `sizes(...)` shrinks a notebook's sizes when the environment sets
  `AFFINEKIT_TINY=1` (CI runs the committed notebooks that way);
- `ckplus_root(...)` finds CK+ if the user has it, else returns None and the
  notebook runs on the open demo data;
- `record(path, **values)` writes the values a notebook wants its tests to
  check into one JSON file (papermill passes the path as a parameter).
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO_ROOT / "data" / "demo"


def is_tiny() -> bool:
    """True when AFFINEKIT_TINY asks for tiny sizes (1, true, yes, on)."""
    return os.environ.get("AFFINEKIT_TINY", "").strip().lower() in ("1", "true", "yes", "on")


def sizes(tiny: dict[str, Any], **values: Any) -> dict[str, Any]:
    """The notebook's sizes, shrunk to `tiny` when AFFINEKIT_TINY is set.

    `values` are the parameters as the notebook has them (after papermill's
    injection); with the tiny switch on, every number named in `tiny` becomes
    the smaller of the two (0, meaning "all", counts as infinite), so an
    explicitly smaller value still wins. Without
    the switch the values come back unchanged.

    >>> sizes(dict(STEPS=10), STEPS=2000)["STEPS"]   # AFFINEKIT_TINY unset
    2000
    """
    if not is_tiny():
        return dict(values)
    out = dict(values)
    for name, small in tiny.items():
        current = out.get(name)
        if isinstance(current, (int, float)) and not isinstance(current, bool) and isinstance(small, (int, float)):
            # 0 conventionally means "all" (e.g. MAX_SEQUENCES = 0): tiny caps it too
            out[name] = type(current)(small if current == 0 else min(current, small))
        else:
            out[name] = small
    return out


def ckplus_root(path: str | os.PathLike | None = None) -> Path | None:
    """Where CK+ is, if the user has it: the given path, AFFINEKIT_CKPLUS, or data/ckplus/.

    Returns None when none of them exists, and the notebooks then use the open
    demo data. A path that is given but missing is an error rather than a
    silent fallback, so a typo does not quietly switch data sets.
    """
    from affinekit.errors import AffinekitError

    if path:
        p = Path(path).expanduser()
        if not p.exists():
            raise AffinekitError(f"{p}: CK+ folder not found; fix the CKPLUS parameter or leave it empty for the demo data")
        return p
    env = os.environ.get("AFFINEKIT_CKPLUS", "").strip()
    if env:
        p = Path(env).expanduser()
        if not p.exists():
            raise AffinekitError(f"{p}: AFFINEKIT_CKPLUS points nowhere; fix it or unset it for the demo data")
        return p
    local = REPO_ROOT / "data" / "ckplus"
    return local if local.exists() and any(local.iterdir()) else None


def _plain(value: Any) -> Any:
    """A value made JSON-friendly: numpy scalars and arrays, paths, tuples."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)          # JSON has no NaN/inf; tests see a string and fail loudly
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return _plain(value.item())   # a 0-d torch tensor
    return value


def record(path: str | os.PathLike | None, **values: Any) -> dict[str, Any]:
    """Merge `values` into the JSON file at `path` (no-op when path is empty).

    This is the notebooks' "glue": papermill passes RESULTS_JSON, the notebook
    records what it measured, and the tests read it back.
    """
    values = _plain(values)
    if not path:
        return values
    p = Path(path)
    current = json.loads(p.read_text()) if p.exists() else {}
    current.update(values)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(json.dumps(current, indent=1, sort_keys=True))
    os.replace(tmp, p)
    return values


def figure_dir(path: str | os.PathLike | None) -> Path | None:
    """The folder figures are saved in (created), or None to save nothing."""
    if not path:
        return None
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    return p


def data_source(ckplus: str | os.PathLike | None = None) -> tuple[str, Path]:
    """("ckplus", root) if the user has CK+ (see `ckplus_root`), else ("demo", data/demo)."""
    root = ckplus_root(ckplus)
    if root is not None:
        return "ckplus", root
    return "demo", DEMO_DIR


def read_records(ckplus: str | os.PathLike | None = None, limit: int = 0,
                 labelled_only: bool = True) -> tuple[str, list[Any]]:
    """(data name, sequence records) of CK+ or the demo data.

    `limit` > 0 keeps that many sequences, taken in turn from each expression so
    that a small run still shows every expression there is.
    """
    from affinekit.data.ckplus import read_ckplus
    from affinekit.data.folders import read_source
    from affinekit.errors import AffinekitError

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


def tagged(name: str, data: str) -> str:
    """A figure file name that says which data its faces come from:
    `fig3_montage_demo.png`, or `fig3_montage_ckplus-faces.png` for CK+.

    figures/.gitignore keeps `*_ckplus-faces.png` out of git: CK+ images may not
    be redistributed, so figures showing CK+ faces stay on the user's machine.
    (Figures of numbers measured on CK+, e.g. `per_expression_ckplus.png`, are
    fine to share.)
    """
    stem, dot, ext = name.rpartition(".")
    tag = "ckplus-faces" if data == "ckplus" else data
    return f"{stem}_{tag}.{ext}" if dot else f"{name}_{tag}"


def save(fig: Any, folder: Path | None, name: str, faces_from: str | None = None) -> Path | None:
    """Save a figure as `<folder>/<name>` (nothing when folder is None).

    A figure that shows faces passes `faces_from` (the data name, "demo" or
    "ckplus"), which goes into the file name: see `tagged`.
    """
    from affinekit.plots import save as save_png

    if folder is None:
        return None
    return save_png(fig, Path(folder) / (tagged(name, faces_from) if faces_from else name))


def load_animator(checkpoint: str | os.PathLike | None = None, **options: Any) -> tuple[Any, str]:
    """(Animator, what it is): the given checkpoint, else the bundled model."""
    from affinekit.animate import load_pretrained

    if checkpoint:
        return load_pretrained(checkpoint, **options), f"checkpoint {checkpoint}"
    return load_pretrained(**options), "the bundled model"


def sample_photos() -> dict[str, Any]:
    """Open face photos to try the model on, the neutral ones first (an expression is best seen
    growing out of a neutral face): the photos shipped in data/demo/ (credited in data/README.md),
    then scikit-image's astronaut (public domain; she is already smiling)."""
    from affinekit.data.records import IMAGE_SUFFIXES
    from affinekit.photos import demo_photo

    photos: dict[str, Any] = {}
    if DEMO_DIR.is_dir():
        found = [p for p in sorted(DEMO_DIR.rglob("*"))
                 if p.suffix.lower() in IMAGE_SUFFIXES and "photo" in str(p.relative_to(DEMO_DIR)).lower()]
        for p in sorted(found, key=lambda p: "neutral" not in p.stem):
            photos[p.stem] = p
    photos["astronaut (scikit-image)"] = demo_photo()
    return photos


def paper_checkpoint(checkpoint: str | os.PathLike | None) -> list[Path]:
    """[the paper's pixel-head model to score beside the kit's]: the given one, else the bundled
    one when it is there; [] for "none"."""
    from affinekit.animate import PIXELS_WEIGHTS
    from affinekit.errors import AffinekitError

    if str(checkpoint or "").lower() == "none":
        return []
    if checkpoint:
        p = Path(checkpoint)
        if not p.is_file():
            raise AffinekitError(f"{p}: no such checkpoint; fix PAPER_CHECKPOINT, leave it empty or write none")
        return [p]
    return [PIXELS_WEIGHTS] if PIXELS_WEIGHTS.is_file() else []


def model_checkpoint(checkpoint: str | os.PathLike | None) -> tuple[Path, str]:
    """(checkpoint path, what it is): the given one, else the bundled model."""
    from affinekit.animate import DEFAULT_WEIGHTS
    from affinekit.errors import AffinekitError

    p = Path(checkpoint) if checkpoint else DEFAULT_WEIGHTS
    if not p.is_file():
        raise AffinekitError(f"{p}: no such checkpoint; fix the CHECKPOINT parameter or leave it empty")
    return p, f"checkpoint {p}" if checkpoint else "the bundled model"