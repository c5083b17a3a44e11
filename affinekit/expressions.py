"""The expression vocabulary shared by every part of the kit.

CK+ codes its emotion files 0-7 (0 neutral); the kit's labels are the seven
non-neutral expressions, indexed 0-6 in CK+'s order so that `code - 1` is the
label index.
"""
from __future__ import annotations

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
