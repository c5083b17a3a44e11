"""Values made ready for JSON, one convention for the whole kit (tables, notebook records, summaries).

JSON has no NaN and no infinity: NaN (a score with nothing to average, a frame without a face)
becomes null, and an infinity (the PSNR of a copy of the real frame) the string "inf" or "-inf",
so a reader tells "not measured" from "unbounded". numpy scalars and arrays, 0-d tensors, paths
and tuples become their plain Python counterparts; keys become strings.

Files are read through one door too (`read_json`): one line naming the file for a missing,
binary, broken or too deeply nested one (`affinekit.json_limits`), never a traceback.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.errors import AffinekitError
from affinekit.json_limits import MAX_DEPTH, loads_bounded


def plain(value: Any) -> Any:
    """`value` with every part JSON can hold as it is, or in the convention above."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return plain(value.item())   # a 0-d torch tensor
    return value


def read_json(path: str | Path, fix: str, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in the file at `path`; AffinekitError, one line naming the file and `fix`, when it is
    missing, not UTF-8 text, not JSON, or nested deeper than `max_depth` (`json_limits`)."""
    path = Path(path)
    try:
        return loads_bounded(path.read_bytes().decode("utf-8"), max_depth)
    except FileNotFoundError:
        raise AffinekitError(f"{path}: no such file; {fix}") from None
    except IsADirectoryError:
        raise AffinekitError(f"{path}: a folder, not a JSON file; {fix}") from None
    except UnicodeDecodeError:
        raise AffinekitError(f"{path}: not a JSON file (not UTF-8 text); {fix}") from None
    except json.JSONDecodeError as err:
        raise AffinekitError(f"{path}: not valid JSON ({err.msg} at line {err.lineno}); {fix}") from None
    except ValueError as err:
        raise AffinekitError(f"{path}: {err}; {fix}") from None
