"""JSON text parsed with its nesting bounded: a file received from elsewhere, trusted with nothing.

A manifest or a `--config` nested 100,000 levels deep ended in a RecursionError traceback, in
`json` itself or in the code that walked the value after it. No file the kit reads nests more
than a few levels (a manifest: 3, a run's config: 3), so anything deeper than `MAX_DEPTH` is
refused as a ValueError, which every caller turns into its one-line error.
"""
from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


def nesting_depth(value: Any) -> int:
    """How many lists and objects nest in a parsed JSON value (a scalar: 0, `[]`: 1, `{"a": [1]}`: 2),
    counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def loads_bounded(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads(text)` with nesting deeper than `max_depth` a ValueError, never a RecursionError.

    Text that is not JSON raises `json.JSONDecodeError` (a ValueError), as `json.loads` does.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"its JSON nests deeper than any affinekit file (more than {max_depth} levels)") from None
    if nesting_depth(value) > max_depth:
        raise ValueError(f"its JSON nests deeper than any affinekit file (more than {max_depth} levels)")
    return value
