"""Prepared data on disk: one compressed .npz per sequence plus manifest.json.

Each item has a `kind` (see `records.KINDS`): "sequence" (neutral first frame to apex
last), "pair" (frame 0 neutral, every later frame an apex of intensity 1) or "apex"
(apex faces only). Files and manifests written before kinds existed hold only
sequences: reading them gives "sequence".

Writes are atomic (affinekit.io.atomic: temporary file, then rename), so an interrupted run never
leaves a half-written file that a rerun would trust. Reads trust nothing (`data.checks`): a
prepared folder may have come from someone else.
"""
from __future__ import annotations

import functools
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affinekit.config_check import current_names
from affinekit.data.checks import (
    FIX,
    entry_problem,
    file_problem,
    headers,
    inflated_bytes,
    listed_frames,
    manifest_size,
    sequence_path,
)
from affinekit.data.records import KINDS
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.io.atomic import atomic_write, atomic_write_text
from affinekit.json_limits import loads_bounded
from affinekit.memory import require_memory

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
        path = sequence_path(out_dir, self.key)      # a key from a labels CSV's subject may hold "../"
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


def read_manifest(prepared_dir: str | Path) -> dict[str, Any]:
    """A prepared folder's manifest, its shape checked (`check_manifest`) but its entries not yet trusted
    (`load_manifest` refuses one naming a file outside the folder; `prepare` prepares it again)."""
    path = Path(prepared_dir) / MANIFEST
    if not path.is_file():
        raise AffinekitError(f"{prepared_dir}: no {MANIFEST}; run `affinekit prepare SOURCE --out {prepared_dir}` first")
    try:
        manifest = loads_bounded(path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AffinekitError(f"{path}: damaged manifest; {FIX}") from None
    except ValueError as err:         # nested deeper than any manifest (`json_limits`)
        raise AffinekitError(f"{path}: not a manifest: {err}; {FIX}") from None
    check_manifest(manifest, path)
    if "config" in manifest:
        manifest["config"] = current_names("data", manifest["config"], strict=False)
    return manifest


def load_manifest(prepared_dir: str | Path) -> dict[str, Any]:
    """The manifest of a prepared folder: {"config", "sequences", "skipped"}; "config" (the `DataConfig` it
    was prepared with) in today's field names, whenever it was written (`data.crop_size`, once `image_size`).
    An entry whose key or file leaves the folder (`checks.entry_problem`) is one line naming it."""
    manifest = read_manifest(prepared_dir)
    for entry in manifest["sequences"]:
        problem = entry_problem(entry)
        if problem:
            raise AffinekitError(f"{Path(prepared_dir) / MANIFEST}: entry {str(entry.get('key'))[:60]!r} cannot be "
                                 f"trusted: {problem}; {FIX}")
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
    for entry in entries:
        bad = [k for k in ("label", "subject", "sequence", "source", "kind", "file")
               if not isinstance(entry.get(k), (str, type(None)))]
        bad += ["frames"] if "frames" in entry and (listed_frames(entry) is None or entry["frames"] < 0) else []
        values = entry.get("intensities")
        bad += ["intensities"] if values is not None and not (isinstance(values, list) and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values)) else []
        if bad:
            raise AffinekitError(f"{path}: entry {entry['key'][:60]!r} has a {bad[0]} of the wrong type "
                                 f"({type(entry[bad[0]]).__name__}); {fix}")
    if not isinstance(manifest.get("skipped", []), list):
        raise AffinekitError(f"{path}: not a manifest (\"skipped\" must be a list); {fix}")


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
    """Read one prepared sequence by key, from `<prepared_dir>/<key>.npz` (`checks.sequence_path`).

    Nothing is inflated before the file's array headers agree with each other and with the folder's
    manifest (frame count, crop size), and fit in memory; object arrays are refused (never unpickled)
    and so are NaN or infinite landmarks (they crashed the lip masks' drawing).
    """
    folder = Path(prepared_dir)
    path = sequence_path(folder, key)
    if not path.exists() and not path.is_symlink():
        raise AffinekitError(f"{path}: prepared sequence missing; rerun `affinekit prepare`")
    size, frames = _listed(folder, key)
    problem = file_problem(path, size, landmarks=False, frames=frames)
    if problem:
        raise AffinekitError(f"{path}: {problem}; {FIX}")
    try:
        require_memory(inflated_bytes(headers(path)), str(path), "loading this prepared file", FIX)
        with np.load(path, allow_pickle=False) as z:
            seq = PreparedSequence(
                key=key, frames=z["frames"], landmarks=z["landmarks"], lip_masks=z["lip_masks"],
                transforms=z["transforms"], label=str(z["label"]) or None, subject=str(z["subject"]),
                sequence=str(z["sequence"]), source=str(z["source"]),
                kind=str(z["kind"]) if "kind" in z.files else "sequence",
                gray=bool(z["gray"]) if "gray" in z.files else None)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise AffinekitError(f"{path}: damaged prepared file ({str(err)[:120]}); {FIX}") from None
    if not np.isfinite(seq.landmarks).all():
        raise AffinekitError(f"{path}: its landmarks hold NaN or infinite values; {FIX}")
    if seq.kind not in KINDS:
        raise AffinekitError(f"{path}: unknown kind {seq.kind!r} (not one of {', '.join(KINDS)}); {FIX}")
    return seq


def _listed(folder: Path, key: str) -> tuple[int | None, int | None]:
    """(crop size, frame count) the folder's manifest gives `key`; None for what it does not say (or a
    folder without a manifest: a file read on its own is checked against itself alone)."""
    path = folder / MANIFEST
    try:
        stat = path.stat()
    except OSError:
        return None, None
    size, frames = _manifest_facts(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    return size, frames.get(key)


@functools.lru_cache(maxsize=8)
def _manifest_facts(manifest: str, mtime_ns: int, length: int) -> tuple[int | None, dict[str, int | None]]:
    """A manifest's crop size and {key: frame count}, read once per version of the file (`load_sequence`
    is called per item; the manifest is the folder's, so it is parsed once)."""
    loaded = load_manifest(Path(manifest).parent)
    return manifest_size(loaded), {e["key"]: listed_frames(e) for e in loaded["sequences"]}
