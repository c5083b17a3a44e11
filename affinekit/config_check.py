"""One check of config values, whichever way they arrive: `--set`, `--config` JSON, a checkpoint's
saved config or `--resume`'s overrides.

Each value is checked for its type here (a field's default says its type: a
bool is never taken for a number, 2.5 never for a step count, 64.0 is taken as
64); range and meaning are checked by the dataclasses' `__post_init__`. Every
message names the field as `section.name`.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

SEED_LIMIT = 2 ** 32       # numpy's and torch's seeds: 0 .. 2**32 - 1 work everywhere
# Fields that changed name: old config files, old checkpoints and old prepared manifests still read.
RENAMED = {
    ("train", "w_patch"): "w_lip",        # the lip discriminator's weight (the frame PatchGAN was d["patch"])
    ("train", "w_gan"): "w_frame",        # the frame PatchGAN's weight, named like its module d["frame"]
    ("data", "image_size"): "crop_size",  # the aligned crop's side, not the network's (model.image_size)
}
# Fields that are gone: {(section, name): (the value that meant what the kit now always does, why)}.
RETIRED = {
    ("data", "split"): ("subject", "training always splits by subject (data.hold_out, data.folds); the paper's "
                                   "random frame split is an evaluation: `affinekit evaluate --protocol paper`"),
}
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def check_seed(seed: Any, name: str) -> int:
    """`seed` as a whole number from 0 to 2**32 - 1, or ValueError naming `name`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"{name}={seed!r} is not valid: it must be a whole number from 0 to {SEED_LIMIT - 1}")
    return seed


def section_name(cls: type) -> str:
    """`DataConfig` -> "data", the prefix of its fields in messages and `--set`."""
    return cls.__name__.removesuffix("Config").lower()


def check_mapping(values: Any, where: str) -> dict[str, Any]:
    """`values` as a dict (a config section or the whole file), or ValueError saying what it is instead."""
    if not isinstance(values, dict):
        kind = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
            type(values), f"a {type(values).__name__}")
        raise ValueError(f"{where} must be a JSON object ({{\"name\": value, ...}}), not {kind}")
    return values


def coerce_field(section: str, name: str, default: Any, value: Any) -> Any:
    """A JSON (or checkpoint) value for a field whose default is `default`, in the field's type."""
    field = f"{section}.{name}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{field}={value!r} is not valid: it must be true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{field}={value!r} is not valid: it must be a whole number")
        if isinstance(value, float):
            if not (math.isfinite(value) and value.is_integer()):
                raise ValueError(f"{field}={value!r} is not valid: it must be a whole number")
            return int(value)
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{field}={value!r} is not valid: it must be a number")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(f"{field}={value!r} is not valid: it must be a string")
        return value
    if isinstance(default, tuple) and default and isinstance(default[0], float):
        if isinstance(value, str):
            return value
        if (not isinstance(value, (list, tuple))
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
            raise ValueError(f"{field}={value!r} is not valid: it must be a list of numbers "
                             "or a comma-separated string")
        return tuple(float(v) for v in value)
    if isinstance(default, tuple):
        if isinstance(value, str):
            return value
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{field}={value!r} is not valid: it must be a list of strings "
                             "or a comma-separated string")
        return tuple(value)
    return value


def parse_field(section: str, name: str, default: Any, raw: str) -> Any:
    """A `--set section.name=RAW` string in the field's type (the same rules as JSON values)."""
    field = f"{section}.{name}"
    if isinstance(default, bool):
        if raw.lower() not in TRUE + FALSE:
            raise ValueError(f"--set {field}={raw}: expected true or false")
        return raw.lower() in TRUE
    if isinstance(default, (int, float)):
        try:
            number = float(raw) if isinstance(default, float) or not raw.lstrip("+-").isdigit() else int(raw)
        except ValueError:
            what = "a whole number" if isinstance(default, int) else "a number"
            raise ValueError(f"--set {field}={raw}: expected {what}") from None
        if isinstance(default, int) and not (math.isfinite(number) and float(number).is_integer()):
            raise ValueError(f"--set {field}={raw}: expected a whole number")
        return int(number) if isinstance(default, int) else number
    return raw


def current_names(section: str, values: dict[str, Any], strict: bool = True) -> dict[str, Any]:
    """`values` with old field names mapped to today's (`RENAMED`) and retired fields dropped when they
    held what the kit now always does (`RETIRED`); ValueError, one line, for any other retired value
    (`strict=False`, for files that record a config rather than ask for one, drops it too)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if (section, name) in RETIRED:
            harmless, why = RETIRED[section, name]
            if strict and value != harmless:
                raise ValueError(f"{section}.{name}={value!r} is no longer an option: {why}; "
                                 f"drop {section}.{name} from the config")
            continue
        new = RENAMED.get((section, name), name)
        if new != name and new in values:
            raise ValueError(f"{section}.{name} and {section}.{new} both set: {name} is {new}'s old name; keep {new}")
        out[new] = value
    return out


def check_values(cls: type, values: Any) -> dict[str, Any]:
    """`values` (a dict from JSON, a checkpoint or `--set`) checked field by field against `cls`'s fields;
    ValueError naming the field. Range and meaning follow in `cls.__post_init__`."""
    section = section_name(cls)
    values = current_names(section, check_mapping(values, f"the {section} section"))
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {', '.join(map(str, unknown))}: "
                         f"valid are {', '.join(sorted(fields))}")
    checked = {}
    for name, value in values.items():
        f = fields[name]
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        checked[name] = coerce_field(section, name, default, value)
    if "seed" in checked:
        check_seed(checked["seed"], f"{section}.seed")
    return checked
