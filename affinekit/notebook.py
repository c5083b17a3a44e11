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
    the smaller of the two, so an explicitly smaller value still wins. Without
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
            out[name] = type(current)(min(current, small))
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
