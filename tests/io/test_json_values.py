"""json_values.py: the kit's one JSON convention, the same for result tables and notebook records."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from affinekit.errors import AffinekitError
from affinekit.io.json_values import plain, read_json
from affinekit.json_limits import MAX_DEPTH, loads_bounded, nesting_depth


def test_nan_is_null_and_infinities_are_named():
    got = plain({"nan": math.nan, "up": math.inf, "down": np.float32(-np.inf), "x": np.float64(0.25)})
    assert got == {"nan": None, "up": "inf", "down": "-inf", "x": 0.25}
    assert json.loads(json.dumps(got, allow_nan=False)) == got          # strict JSON holds it


def test_numpy_torch_paths_tuples_and_keys_become_plain_python():
    got = plain({1: (np.int64(2), np.bool_(True)), "a": np.arange(3), "t": torch.tensor(1.5), "p": Path("x/y")})
    assert got == {"1": [2, True], "a": [0, 1, 2], "t": 1.5, "p": "x/y"}
    assert type(got["1"][0]) is int and type(got["1"][1]) is bool


def test_nesting_depth_counts_lists_and_objects_without_recursion():
    assert nesting_depth(3) == 0 and nesting_depth([]) == 1 and nesting_depth({"a": [1, {"b": []}]}) == 4
    deep: list = []
    for _ in range(50_000):        # far past Python's recursion limit
        deep = [deep]
    assert nesting_depth(deep) == 50_001


@pytest.mark.parametrize("depth, ok", [(MAX_DEPTH, True), (MAX_DEPTH + 1, False), (100_000, False)])
def test_json_nested_past_the_bound_is_a_value_error_not_a_recursion_error(depth, ok):
    text = "[" * depth + "]" * depth
    if ok:
        assert nesting_depth(loads_bounded(text)) == depth
    else:
        with pytest.raises(ValueError, match="nests deeper than any affinekit file"):
            loads_bounded(text)


@pytest.mark.parametrize("content, words", [(None, "no such file"), (b"\xff\xfe{", "not UTF-8 text"),
                                            (b'{"a": ', "not valid JSON"), (b"[" * 5000 + b"]" * 5000, "nests deeper")],
                         ids=["missing", "binary", "broken", "deep"])
def test_read_json_is_one_line_naming_the_file_and_the_fix(content, words, tmp_path):
    path = tmp_path / "x.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AffinekitError) as err:
        read_json(path, "write it again")
    line = str(err.value)
    assert "\n" not in line and line.startswith(str(path)) and words in line and line.endswith("write it again")
