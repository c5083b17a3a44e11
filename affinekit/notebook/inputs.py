"""What the notebooks run on: CK+ when the user has it, else the open demo data; sample photos;
the checkpoints to score or animate; the other sources the kit learns from (still pairs, MEAD
clips, CK+48), from ../shared/data or a given folder, else the shipped FRLL people.

Every lookup either finds what it was asked for or says how to fix the parameter: a path
that is given but missing is an error, never a silent switch to other data.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from affinekit.config import DataConfig
from affinekit.data.ckplus import read_ckplus
from affinekit.data.faces import TEMPLATE_EYES, apply_transform, eye_centres
from affinekit.data.folders import read_source
from affinekit.data.paths import REPO_ROOT, shared_data_root
from affinekit.data.prepare import prepare
from affinekit.data.records import IMAGE_SUFFIXES, looks_gray
from affinekit.data.sources import balanced_weights
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.generate.animate import Animator, load_pretrained
from affinekit.io.photos import demo_photo
from affinekit.io.video import read_frames
from affinekit.weights.bundled import DEFAULT_WEIGHTS, PIXELS_WEIGHTS

DEMO_DIR = REPO_ROOT / "data" / "demo"


def ckplus_root(path: str | os.PathLike | None = None) -> Path | None:
    """Where CK+ is, if the user has it: the given path, AFFINEKIT_CKPLUS, or data/ckplus/.

    Returns None when none of them exists, and the notebooks then use the open
    demo data. (Unlike `data.paths.default_ckplus_root`, the development sample
    beside the checkout is not a fallback: a notebook run on a fresh clone shows
    the demo data, which may be shared.)
    """
    for given, what in ((path, "the CKPLUS parameter"), (os.environ.get("AFFINEKIT_CKPLUS", "").strip(),
                                                          "AFFINEKIT_CKPLUS")):
        if given:
            p = Path(given).expanduser()
            if not p.exists():
                raise AffinekitError(f"{p}: CK+ folder not found; fix {what} or leave it empty for the demo data")
            return p
    local = REPO_ROOT / "data" / "ckplus"
    return local if local.exists() and any(local.iterdir()) else None


def data_source(ckplus: str | os.PathLike | None = None) -> tuple[str, Path]:
    """("ckplus", root) if the user has CK+ (see `ckplus_root`), else ("demo", data/demo)."""
    root = ckplus_root(ckplus)
    return ("ckplus", root) if root is not None else ("demo", DEMO_DIR)


def read_records(ckplus: str | os.PathLike | None = None, limit: int = 0,
                 labelled_only: bool = True) -> tuple[str, list[Any]]:
    """(data name, sequence records) of CK+ or the demo data.

    `limit` > 0 keeps that many sequences, taken in turn from each expression so
    that a small run still shows every expression there is.
    """
    name, root = data_source(ckplus)
    if name == "ckplus":
        records = read_ckplus(root, labelled_only=labelled_only)
    else:
        if not root.is_dir() or not any(root.iterdir()):
            raise AffinekitError(f"{root}: the demo data is missing; restore data/demo/ from git "
                                 "or pass a CK+ root in the CKPLUS parameter")
        labels = root / "labels.csv"     # the demo's frame folders and their expressions
        records = read_source(labels if labels.is_file() else root)
        if labelled_only:
            records = [r for r in records if r.label]
    records = [r for r in records if not r.error]
    return name, spread(records, limit) if limit else records


def spread(records: list[Any], n: int) -> list[Any]:
    """Up to `n` records taken round-robin over their labels (order kept within a label)."""
    groups: dict[Any, list[Any]] = {}
    for r in records:
        groups.setdefault(r.label, []).append(r)
    out: list[Any] = []
    while len(out) < n and any(groups.values()):
        for label in list(groups):
            if groups[label] and len(out) < n:
                out.append(groups[label].pop(0))
    return out


def sample_photos() -> dict[str, Any]:
    """Open face photos to try the model on, the neutral ones first (an expression is best seen
    growing out of a neutral face): the photos shipped in data/demo/ (credited in data/README.md),
    then scikit-image's astronaut (public domain; she is already smiling)."""
    photos: dict[str, Any] = {}
    if DEMO_DIR.is_dir():
        found = [p for p in sorted(DEMO_DIR.rglob("*"))
                 if p.suffix.lower() in IMAGE_SUFFIXES and "photo" in str(p.relative_to(DEMO_DIR)).lower()]
        for p in sorted(found, key=lambda p: "neutral" not in p.stem):
            photos[p.stem] = p
    photos["astronaut (scikit-image)"] = demo_photo()
    return photos


def load_animator(checkpoint: str | os.PathLike | None = None, **options: Any) -> tuple[Animator, str]:
    """(Animator, what it is): the given checkpoint, else the bundled model."""
    if checkpoint:
        return load_pretrained(checkpoint, **options), f"checkpoint {checkpoint}"
    return load_pretrained(**options), "the bundled model"


def model_checkpoint(checkpoint: str | os.PathLike | None) -> tuple[Path, str]:
    """(checkpoint path, what it is): the given one, else the bundled model."""
    p = Path(checkpoint) if checkpoint else DEFAULT_WEIGHTS
    if not p.is_file():
        raise AffinekitError(f"{p}: no such checkpoint; fix the CHECKPOINT parameter or leave it empty")
    return p, f"checkpoint {p}" if checkpoint else "the bundled model"


def paper_checkpoint(checkpoint: str | os.PathLike | None) -> list[Path]:
    """[the paper's pixel-head model to score beside the kit's]: the given one, else the bundled
    one when it is there; [] for "none"."""
    if str(checkpoint or "").lower() == "none":
        return []
    if checkpoint:
        p = Path(checkpoint)
        if not p.is_file():
            raise AffinekitError(f"{p}: no such checkpoint; fix PAPER_CHECKPOINT, leave it empty or write none")
        return [p]
    return [PIXELS_WEIGHTS] if PIXELS_WEIGHTS.is_file() else []


# ---------------------------------------------------------------- the sources the kit learns from
# (notebooks 01 and 04; candidates for a module of their own, e.g. affinekit/data/overview.py)

DEMO_FRLL = DEMO_DIR / "frll"          # six FRLL people (CC BY 4.0), FRLL's own layout
# (name, folder under a sources root such as ../shared/data), in the order the tables show them
SOURCE_FOLDERS = (("ckplus", "ckplus-sample"), ("affinegan", "affinegan-sample"), ("frll", "frll"),
                  ("jaffe", "jaffe"), ("yale", "yale"), ("mead", "mead"), ("ck48", "ck48"))
SOURCE_NAMES = {"frames": "demo clips", "ckplus": "CK+", "affinegan": "AffineGAN sample", "frll": "FRLL",
                "jaffe": "JAFFE", "yale": "Yale", "mead": "MEAD", "ck48": "CK+48"}
LICENCES = {"frames": "Pexels licence, MIT (data/README.md); shipped",
            "ckplus": "research use only; no redistribution",
            "affinegan": "the AffineGAN authors' sample; CK+ terms for its CK+ part",
            "frll": "CC BY 4.0 (DeBruine & Jones 2017); may be shipped",
            "jaffe": "research use only; redistribution forbidden",
            "yale": "research use; never shipped",
            "mead": "research and non-commercial use only",
            "ck48": "CK+ terms (crops of CK+)"}
OPEN_SOURCES = ("frames", "frll")      # faces that may appear in a shared figure


def sources_root(given: str | os.PathLike | None = None) -> Path | None:
    """Where the sources besides CK+ are (frll/, jaffe/, yale/, mead/, ck48/, ... in their own layouts):
    the SOURCES parameter, else the development data (AFFINEKIT_SHARED_DATA, ../shared/data) when
    present; None (also for "demo") means the shipped demo, data/demo/frll."""
    if str(given or "").strip().lower() == "demo":
        return None
    if given:
        p = Path(given).expanduser()
        if not p.is_dir():
            raise AffinekitError(f"{p}: sources folder not found; fix the SOURCES parameter, write demo, "
                                 "or leave it empty")
        return p
    return shared_data_root()


def source_records(root: Path | None, sequences: list[Any]) -> dict[str, list[Any]]:
    """{source: its records}: the notebook's `sequences` (CK+ or the demo clips) first, then each
    folder of SOURCE_FOLDERS under `root` (the CK+ sample only when `sequences` are not CK+);
    with `root` None, the shipped FRLL people. Records that carry an error are left out."""
    found: dict[str, list[Any]] = {}
    for r in sequences:
        found.setdefault(r.source, []).append(r)
    folders = [("frll", DEMO_FRLL)] if root is None else \
        [(name, root / folder) for name, folder in SOURCE_FOLDERS if (root / folder).is_dir()]
    for name, folder in folders:
        if name in found:
            continue
        records = [r for r in read_source(folder) if not r.error]
        if name in ("ckplus", "affinegan"):
            records = [r for r in records if r.label]
        if records:
            found[name] = records
    return found


def _colour(records: list[Any]) -> str:
    """"colour", "grey" or "mixed", from the first and the last record's pictures."""
    seen = set()
    for r in (records[0], records[-1]):
        if r.video is not None:
            seen.add(looks_gray(read_frames(r.video, max_frames=1)))
        else:
            seen.add(r.source_is_gray())
    return "mixed" if len(seen) > 1 else ("grey" if seen.pop() else "colour")


def sources_table(sources: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """One row per source: name, kind, people, items, {expression: items}, colour, licence."""
    rows = []
    for name, records in sources.items():
        labels = [r.label for r in records]
        rows.append({"source": SOURCE_NAMES.get(name, name), "kind": "/".join(sorted({r.kind for r in records})),
                     "people": len({r.subject for r in records}), "items": len(records),
                     "expressions": {e: labels.count(e) for e in EXPRESSIONS if e in labels},
                     "colour": _colour(records), "licence": LICENCES.get(name, "see data/README.md")})
    return rows


def markdown_rows(rows: list[dict[str, Any]]) -> str:
    """A list of dicts as a markdown table (dict cells as `k n, k n`)."""
    cell = lambda v: ", ".join(f"{k} {n}" for k, n in v.items()) if isinstance(v, dict) else str(v)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in r.values()) + " |" for r in rows]) + "\n"


def batch_shares(sources: dict[str, list[Any]]) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """({source: {expression: items}}, {source: {expression: share of a training batch}}) for the
    items that teach the generator (labelled sequences and pairs; apex faces teach only the apex
    discriminator), the shares from `sources.balanced_weights`, what training draws by."""
    entries = [{"label": r.label, "source": SOURCE_NAMES.get(name, name)} for name, records in sources.items()
               for r in records if r.label and r.kind != "apex"]
    weights = balanced_weights(entries)
    counts: dict[str, dict[str, int]] = {}
    shares: dict[str, dict[str, float]] = {}
    for e, w in zip(entries, weights):
        counts.setdefault(e["source"], {}).setdefault(e["label"], 0)
        counts[e["source"]][e["label"]] += 1
        shares.setdefault(e["source"], {}).setdefault(e["label"], 0.0)
        shares[e["source"]][e["label"]] += float(w)
    return counts, shares


def faces_data(sources: list[str]) -> str:
    """The data name for `notebook_setup.tagged` of a figure showing faces of these sources: "demo"
    when all are shipped open data, else "ckplus", whose tag git ignores (their terms forbid sharing)."""
    return "demo" if all(s in OPEN_SOURCES for s in sources) else "ckplus"


def align_pair_both_ways(record: Any, aligner: Any) -> dict[str, Any]:
    """A still pair aligned each photo on its own, and its expression photo under the neutral photo's
    transform instead (as one transform serves a CK+ sequence): the crops, and how far the eye
    centres land from the template's, in crop pixels."""
    neutral, photo = record.load_images()[:2]
    names = [str(p) for p in record.frames[:2]]
    n_crop, _, n_M = aligner.align(neutral, names[0])
    points = aligner.landmarks(photo, names[1])
    own_M = aligner.transform(points)
    target = TEMPLATE_EYES * aligner.size
    off = lambda M: float(np.linalg.norm(eye_centres(apply_transform(M, points)) - target, axis=1).mean())
    return {"neutral": n_crop, "own": aligner.warp(photo, own_M), "shared": aligner.warp(photo, n_M),
            "eye_offset_own": off(own_M), "eye_offset_shared": off(n_M)}


def paired_sets(root: Path | None, out: Path, size: int,
                wanted: Sequence[str] = ("frll", "jaffe", "yale", "mead")) -> tuple[str, list[Path], float]:
    """("demo" | "real", prepared still-pair folders, the validation fraction to score) for the paired
    evaluation: the shipped FRLL people (half of them scored: each is a validation person of the whole
    FRLL, and landmark-warp is fitted on the other half), else the `wanted` sets found in `root`,
    scored on their validation people (a fifth)."""
    config = DataConfig(crop_size=size, channels=3)
    if root is None:
        sets, name, fraction = [("frll-demo", DEMO_FRLL)], "demo", 0.5
    else:
        sets, name, fraction = [(n, root / n) for n in wanted if (root / n).is_dir()], "real", 0.2
        if not sets:
            raise AffinekitError(f"{root}: no frll/, jaffe/, yale/ or mead/ folder; fix SOURCES or write demo")
    folders = []
    for label, folder in sets:
        target = out / f"{label}_{size}px"
        prepare(folder, target, config, progress=False, verbose=False)
        folders.append(target)
    return name, folders, fraction
