"""Expression mixtures: several expressions at once, each with its weight.

A mixture's clip is decoded from the codes

    E_b(x0) + l * sum_i w_i E_d(x0, y_i)

so `{"happy": 1.0}` is exactly the plain happy clip, `{"happy": 0.6, "surprise": 0.4}`
moves 60% of the way along happy's direction and 40% along surprise's. The weights
are used as given (not normalised): they scale the intensity, so weights summing to
2 go twice as far. The motion head's starting field mixes the same way: the per-label
prior fields are summed with the same weights (`Generator.label_prior`).

A mixture travels through the kit as a weight vector (one float per label); a
plain expression stays an integer label. `label_tensor` turns a list of either
into what the generator takes: (N,) long labels or (N, L) float weights.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS, expression_index

MAX_WEIGHT = 3.0   # as the intensity: 3x a direction already distorts a face


def parse_mix(text: str, option: str = "--mix") -> dict[str, float]:
    """'happy=0.6,surprise=0.4' -> {'happy': 0.6, 'surprise': 0.4}, or one line naming the option."""
    items = [part.strip() for part in str(text).split(",") if part.strip()]
    if not items:
        raise AffinekitError(f"{option}: empty mixture; give NAME=WEIGHT pairs, e.g. {option} happy=0.6,surprise=0.4")
    mix: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise AffinekitError(f"{option}: {item!r} is not NAME=WEIGHT; e.g. {option} happy=0.6,surprise=0.4")
        try:
            weight = float(value)
        except ValueError:
            raise AffinekitError(f"{option}: weight {value.strip()!r} of {name.strip()!r} is not a number; "
                                 f"e.g. {option} happy=0.6,surprise=0.4") from None
        if name.strip() in mix:
            raise AffinekitError(f"{option}: {name.strip()!r} is given twice; name each expression once")
        mix[name.strip()] = weight
    return mix


def mixture_weights(mix: Mapping[Any, Any], option: str = "mixture") -> np.ndarray:
    """A mixture {expression name or index: weight} as a (L,) float32 weight vector, checked.

    Names take the aliases `expression_index` knows (sad, surprised, ...). Weights
    must be numbers from 0 to MAX_WEIGHT, and at least one must be above 0.
    """
    if not isinstance(mix, Mapping) or not mix:
        raise AffinekitError(f"{option}: empty mixture; give at least one expression and its weight, "
                             "e.g. {'happy': 0.6, 'surprise': 0.4}")
    weights = np.zeros(len(EXPRESSIONS), np.float32)
    named: dict[int, Any] = {}
    for key, value in mix.items():
        index = _index(key, option)
        if index in named:      # 'sad' and 'sadness' are one expression: its weights would silently add up
            raise AffinekitError(f"{option}: {named[index]!r} and {key!r} both name {EXPRESSIONS[index]}; "
                                 "name each expression once")
        named[index] = key
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise AffinekitError(f"{option}: the weight of {key!r} must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value) or not 0 <= value <= MAX_WEIGHT:
            raise AffinekitError(f"{option}: the weight of {key!r} must be from 0 to {MAX_WEIGHT}, got {value}")
        weights[index] += value
    if not weights.any():
        raise AffinekitError(f"{option}: every weight is 0; give at least one expression a weight above 0")
    return weights


def _index(key: Any, option: str) -> int:
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        if 0 <= int(key) < len(EXPRESSIONS):
            return int(key)
        raise AffinekitError(f"{option}: expression index {key} out of range; use 0-{len(EXPRESSIONS) - 1}")
    try:
        return expression_index(str(key))
    except ValueError:
        raise AffinekitError(f"{option}: unknown expression {key!r}; use {', '.join(EXPRESSIONS)}") from None


def describe(weights: Sequence[float], precision: int = 2) -> str:
    """'happy=0.60,surprise=0.40': the non-zero weights of a weight vector, in the `--mix` syntax."""
    return ",".join(f"{EXPRESSIONS[i]}={w:.{precision}f}" for i, w in enumerate(weights) if w > 0)


def label_tensor(labels: Sequence[Any] | torch.Tensor) -> torch.Tensor:
    """Labels as the generator takes them: integers -> (N,) long; weight vectors (any mixed in) -> (N, L) float."""
    if isinstance(labels, torch.Tensor):
        return labels if labels.is_floating_point() else labels.long()
    items = list(labels)
    if all(np.ndim(item) == 0 for item in items):
        return torch.as_tensor(np.asarray(items, np.int64))
    rows = [np.eye(len(EXPRESSIONS), dtype=np.float32)[int(item)] if np.ndim(item) == 0
            else np.asarray(item, np.float32) for item in items]
    return torch.from_numpy(np.stack(rows))
