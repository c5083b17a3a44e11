"""Reader of the real CK+ layout.

    <root>/cohn-kanade-images/S055/004/S055_004_00000001.png ... (neutral to apex)
    <root>/Emotion/S055/004/S055_004_00000017_emotion.txt        (one float, code 0-7)

Code c (1-7) is EXPRESSIONS[c - 1]. Sequences without an emotion file are kept
unlabelled (CK+ labels only 327 of 593); an unreadable emotion file marks that
record with an error so `prepare` skips it with the reason.
"""
from __future__ import annotations

import math
from pathlib import Path

from affinekit.data.records import SequenceRecord, list_images
from affinekit.errors import AffinekitError
from affinekit.expressions import CKPLUS_CODES

IMAGES_DIR = "cohn-kanade-images"
EMOTION_DIRS = ("Emotion", "Emotion_labels/Emotion", "Emotion_labels")


def is_ckplus_root(path: Path) -> bool:
    """Whether a folder looks like a CK+ root (or its cohn-kanade-images folder)."""
    return (path / IMAGES_DIR).is_dir() or path.name == IMAGES_DIR


def _emotion_root(root: Path) -> Path | None:
    for name in EMOTION_DIRS:
        if (root / name).is_dir():
            return root / name
    return None


def parse_emotion(path: Path) -> str | None:
    """The expression name in an emotion file (None for code 0, neutral); ValueError if unreadable."""
    text = path.read_text(errors="replace").strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{path}: emotion file holds {text[:30]!r}, not a CK+ code 0-7") from None
    if not math.isfinite(value):        # "inf" and "nan" parse as floats; round() of them raised
        raise ValueError(f"{path}: emotion code {text[:30]!r} is not one of 0-7")
    code = int(round(value))
    if abs(value - code) > 1e-3 or not 0 <= code <= 7:
        raise ValueError(f"{path}: emotion code {text!r} is not one of 0-7")
    return CKPLUS_CODES.get(code)


def read_ckplus(root: str | Path, labelled_only: bool = False) -> list[SequenceRecord]:
    """All CK+ sequences under `root` (the folder holding cohn-kanade-images/ and Emotion/)."""
    root = Path(root)
    if root.name == IMAGES_DIR:
        root = root.parent
    images = root / IMAGES_DIR
    if not images.is_dir():
        raise AffinekitError(f"{root}: no {IMAGES_DIR}/ folder; point to the CK+ root (see data/README.md)")
    emotions = _emotion_root(root)
    records = []
    for subject_dir in sorted(p for p in images.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for seq_dir in sorted(p for p in subject_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            record = SequenceRecord(subject=subject_dir.name, sequence=seq_dir.name, label=None,
                                    frames=list_images(seq_dir), source="ckplus")
            label_dir = emotions / subject_dir.name / seq_dir.name if emotions else None
            files = sorted(label_dir.glob("*_emotion.txt")) if label_dir and label_dir.is_dir() else []
            if len(files) > 1:
                record.error = f"{label_dir}: {len(files)} emotion files; keep one"
            elif files:
                try:
                    record.label = parse_emotion(files[0])
                except (ValueError, OSError) as err:
                    record.error = str(err)
            if not record.frames and not record.error:
                record.error = f"{seq_dir}: no image files in this sequence folder"
            if labelled_only and record.label is None:
                continue  # also drops records with an error: callers asking for labels get only usable ones
            records.append(record)
    if not records:
        raise AffinekitError(f"{images}: no sequences found (expected S###/###/*.png)")
    return records
