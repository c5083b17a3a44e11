"""json_values.py: the kit's one JSON convention, the same for result tables and notebook records."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

from affinekit.io.json_values import plain


def test_nan_is_null_and_infinities_are_named():
    got = plain({"nan": math.nan, "up": math.inf, "down": np.float32(-np.inf), "x": np.float64(0.25)})
    assert got == {"nan": None, "up": "inf", "down": "-inf", "x": 0.25}
    assert json.loads(json.dumps(got, allow_nan=False)) == got          # strict JSON holds it


def test_numpy_torch_paths_tuples_and_keys_become_plain_python():
    got = plain({1: (np.int64(2), np.bool_(True)), "a": np.arange(3), "t": torch.tensor(1.5), "p": Path("x/y")})
    assert got == {"1": [2, True], "a": [0, 1, 2], "t": 1.5, "p": "x/y"}
    assert type(got["1"][0]) is int and type(got["1"][1]) is bool
