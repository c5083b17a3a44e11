"""Values made ready for JSON, one convention for the whole kit (tables, notebook records, summaries).

JSON has no NaN and no infinity: NaN (a score with nothing to average, a frame without a face)
becomes null, and an infinity (the PSNR of a copy of the real frame) the string "inf" or "-inf",
so a reader tells "not measured" from "unbounded". numpy scalars and arrays, 0-d tensors, paths
and tuples become their plain Python counterparts; keys become strings.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np


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
