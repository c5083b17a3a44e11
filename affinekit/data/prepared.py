"""Prepared data on disk: one compressed .npz per sequence plus manifest.json.

Each item has a `kind` (see `records.KINDS`): "sequence" (neutral first frame to apex
last), "pair" (frame 0 neutral, every later frame an apex of intensity 1) or "apex"
(apex faces only). Files and manifests written before kinds existed hold only
sequences: reading them gives "sequence".

Writes are atomic (affinekit.io.atomic: temporary file, then rename), so an interrupted run never
leaves a half-written file that a rerun would trust.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.config_check import current_names
from affinekit.data.records import KINDS
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.io.atomic import atomic_write, atomic_write_text

MANIFEST = "manifest.json"


@dataclass
class PreparedSequence:
    """One prepared item: aligned crops and what goes with them.

    `gray` says whether the source images were grey (None: not recorded, an older
    file). `info` holds facts for the manifest entry only (e.g. which clip frames
    a MEAD item kept); it is not saved in the .npz.
    """
    key: str
    frames: np.ndarray       # (T,H,W,C) uint8
    landmarks: np.ndarray    # (T,68,2) float32, crop pixels
    lip_masks: np.ndarray    # (T,H,W) uint8 {0,1}
    transforms: np.ndarray   # (T,2,3) float32, source -> crop
    label: str | None
    subject: str
    sequence: str
    source: str
    kind: str = "sequence"
    gray: bool | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def save(self, out_dir: str | Path) -> Path:
        """Write `<out_dir>/<key>.npz` atomically; returns its path."""
        if self.kind not in KINDS:
            raise AffinekitError(f"{self.key}: unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")
        path = Path(out_dir) / f"{self.key}.npz"
        arrays = dict(frames=self.frames, landmarks=self.landmarks.astype(np.float32),
                      lip_masks=self.lip_masks.astype(np.uint8),
                      transforms=self.transforms.astype(np.float32),
                      label=np.array(self.label or ""), subject=np.array(self.subject),
                      sequence=np.array(self.sequence), source=np.array(self.source),
                      kind=np.array(self.kind))
        if self.gray is not None:
            arrays["gray"] = np.array(bool(self.gray))
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))
        return path


def write_manifest(out_dir: str | Path, manifest: dict[str, Any]) -> None:
    """Write `<out_dir>/manifest.json` atomically."""
    atomic_write_text(Path(out_dir) / MANIFEST, json.dumps(manifest, indent=1))


def load_manifest(prepared_dir: str | Path) -> dict[str, Any]:
    """The manifest of a prepared folder: {"config", "sequences", "skipped"}; "config" (the `DataConfig` it
    was prepared with) in today's field names, whenever it was written (`data.crop_size`, once `image_size`)."""
    path = Path(prepared_dir) / MANIFEST
    if not path.is_file():
        raise AffinekitError(f"{prepared_dir}: no {MANIFEST}; run `affinekit prepare SOURCE --out {prepared_dir}` first")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AffinekitError(f"{path}: damaged manifest; delete it and rerun `affinekit prepare`") from None
    check_manifest(manifest, path)
    if "config" in manifest:
        manifest["config"] = current_names("data", manifest["config"], strict=False)
    return manifest


def check_manifest(manifest: Any, path: Path) -> None:
    """A manifest's shape: an object whose "sequences" is a list of entries with a key; else one line."""
    fix = "delete it and rerun `affinekit prepare`"
    if not isinstance(manifest, dict):
        raise AffinekitError(f"{path}: not a manifest (it holds {type(manifest).__name__}, not an object with "
                             f"\"sequences\"); {fix}")
    entries = manifest.get("sequences")
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("key"), str)
                                                and e["key"] for e in entries):
        raise AffinekitError(f"{path}: not a manifest (\"sequences\" must be a list of entries with a \"key\"); {fix}")
    if not isinstance(manifest.get("config", {}), dict):
        raise AffinekitError(f"{path}: not a manifest (\"config\" must be an object); {fix}")


def entry_kind(entry: dict[str, Any]) -> str:
    """A manifest entry's kind; "sequence" for entries written before kinds existed."""
    return str(entry.get("kind") or "sequence")


def manifest_entries(entries: Any) -> list[dict[str, Any]]:
    """The entries of a prepared folder's manifest (a path), or the entries given (a list)."""
    if isinstance(entries, (str, Path)):
        return load_manifest(entries)["sequences"]
    return list(entries)


def teaching_entries(entries: Any) -> list[dict[str, Any]]:
    """Items that can teach the generator: labelled, 2+ frames, a neutral first frame (no unpaired apex sets)."""
    return [e for e in manifest_entries(entries) if e.get("label") in EXPRESSIONS and e.get("frames", 0) >= 2
            and entry_kind(e) != "apex"]


def load_sequence(prepared_dir: str | Path, key: str) -> PreparedSequence:
    """Read one prepared sequence by key."""
    path = Path(prepared_dir) / f"{key}.npz"
    try:
        with np.load(path) as z:
            return PreparedSequence(
                key=key, frames=z["frames"], landmarks=z["landmarks"], lip_masks=z["lip_masks"],
                transforms=z["transforms"], label=str(z["label"]) or None, subject=str(z["subject"]),
                sequence=str(z["sequence"]), source=str(z["source"]),
                kind=str(z["kind"]) if "kind" in z.files else "sequence",
                gray=bool(z["gray"]) if "gray" in z.files else None)
    except FileNotFoundError:
        raise AffinekitError(f"{path}: prepared sequence missing; rerun `affinekit prepare`") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise AffinekitError(f"{path}: damaged prepared file ({err}); delete it and rerun `affinekit prepare`") from None
