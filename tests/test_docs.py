"""Docs that match the code: every name docs/architecture.md gives for a module, a file or a function exists."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
# `section.field` spellings of config fields (`train.w_lip`, `data.hold_out`): not module names
CONFIG_SECTIONS = {"data", "model", "train", "mouth"}
THIRD_PARTY = {"np", "torch", "cv2", "json", "os", "importlib"}


def config_field(section: str, name: str) -> bool:
    """`section.name` is a field of that config, or an old name of one the kit still reads (or refuses with a reason)."""
    from affinekit import config, config_check
    cls = getattr(config, f"{section.capitalize()}Config")
    return name in cls.__dataclass_fields__ or (section, name) in {**config_check.RENAMED, **config_check.RETIRED}


def resolves(dotted: str) -> bool:
    """`affinekit.a.b.c` names a module, or an attribute of the longest module it starts with."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return False
        return True
    return False


def module_stems() -> dict[str, str]:
    """{file stem: dotted module} for each module file of the kit whose stem is unique."""
    seen: dict[str, list[str]] = {}
    for path in (ROOT / "affinekit").rglob("*.py"):
        if path.stem != "__init__":
            dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            seen.setdefault(path.stem, []).append(dotted)
    return {stem: names[0] for stem, names in seen.items() if len(names) == 1}


def stale_names(text: str) -> list[str]:
    """The names in `text` that do not exist: dotted `affinekit.x.y`, backticked `.py` paths (from the
    repo root or affinekit/) and backticked `module.attribute` of a kit module."""
    stale = [m for m in sorted(set(re.findall(r"\baffinekit(?:\.[A-Za-z_]\w*)+", text))) if not resolves(m)]
    code = set(re.findall(r"`([^`\s]+)`", text))
    files = {p.name for p in (ROOT / "affinekit").rglob("*.py")}
    for path in sorted(c for c in code if c.endswith(".py")):      # `wing/module.py`, or a bare `module.py`
        if not any((base / path).is_file() for base in (ROOT, ROOT / "affinekit")) and path not in files:
            stale.append(path)
    stems = module_stems()
    wings = {p.name for p in (ROOT / "affinekit").iterdir() if p.is_dir()}
    for ref in sorted(code):
        found = re.match(r"([a-z_]\w*)\.([A-Za-z_][\w.]*)", ref)
        if not found or "*" in ref or "<" in ref or re.search(r"\.(py|pt|json|jsonl|npz|md|ipynb)$", ref) or found.group(1) in ("affinekit",):
            continue                    # not a dotted name, a file name, or checked above
        head, name = found.group(1), found.group(2).rstrip(".")
        if head in CONFIG_SECTIONS and config_field(head, name.split(".")[0]):
            continue                    # `train.w_lip`: a config field (or an old name the kit still reads)
        if head in wings:
            ok = resolves(f"affinekit.{head}.{name}")
        elif head in stems:
            ok = resolves(f"{stems[head]}.{name}")
        else:
            ok = head in THIRD_PARTY    # `np.savez_compressed`; any other head names no kit module
        if not ok:
            stale.append(ref)
    return stale


def test_every_name_in_the_architecture_doc_exists():
    stale = stale_names(ARCHITECTURE.read_text())
    assert not stale, f"docs/architecture.md names what does not exist: {stale}"


@pytest.mark.parametrize("text", [
    "the trainer's step is `affinekit.training.step.train_step`",          # a module that is gone
    "batches come from `affinekit.training.batches.resize_all`",          # a function that is not there
    "warm starts live in `models/warm_start.py`",                           # a file in another wing
    "weighed by `losses.weighted_sum`",                                     # a module's missing attribute
])
def test_the_check_finds_a_stale_name(text):
    assert stale_names(text)


def test_the_check_passes_names_that_exist():
    assert stale_names("`affinekit.training.gan_step.GANStep`, `weights/warm_start.py`, "
                       "`losses.weighted`, `train.w_lip`, `affinekit.load_pretrained`") == []
