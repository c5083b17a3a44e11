"""The expression vocabulary shared by every part of the kit.

CK+ codes its emotion files 0-7 (0 neutral); the kit's labels are the seven
non-neutral expressions, indexed 0-6 in CK+'s order so that `code - 1` is the
label index.
"""
from __future__ import annotations

import numbers

from affinekit.errors import AffinekitError

EXPRESSIONS: tuple[str, ...] = (
    "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise",
)
CKPLUS_CODES: dict[int, str] = {i + 1: name for i, name in enumerate(EXPRESSIONS)}


def expression_index(name: str) -> int:
    """Index of an expression name; a clear error lists the valid names."""
    key = name.strip().lower()
    aliases = {"happiness": "happy", "sad": "sadness", "angry": "anger",
               "surprised": "surprise", "disgusted": "disgust", "afraid": "fear"}
    key = aliases.get(key, key)
    if key not in EXPRESSIONS:
        raise ValueError(f"unknown expression {name!r}: use one of {', '.join(EXPRESSIONS)}")
    return EXPRESSIONS.index(key)


def requested_label(expression: str | int) -> int:
    """A user's expression (a name, an alias or an index 0-6) as an index, or one line saying what is allowed."""
    if isinstance(expression, numbers.Integral) and not isinstance(expression, bool):   # numpy ints too
        if 0 <= int(expression) < len(EXPRESSIONS):
            return int(expression)
        raise AffinekitError(f"expression index {expression} out of range; "
                             f"use 0-{len(EXPRESSIONS) - 1} or a name: {', '.join(EXPRESSIONS)}")
    try:
        return expression_index(str(expression))
    except ValueError:
        raise AffinekitError(f"unknown expression {expression!r}; use one of {', '.join(EXPRESSIONS)}, or all") from None
