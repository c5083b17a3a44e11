"""Readers of the AffineGAN folder layout, videos, folders of frames; `read_source` dispatch.

AffineGAN layout: `<expression>/train/img/vid_0001/0001.jpg` (optional
`train/patch/`, `test/img/`). Many of its `.jpg` files hold PNG data; frames are
decoded by content (see records.read_image). Folder names that are not
EXPRESSIONS (closeeye, drumcheeks, eyeup) give label None; the name is kept in
`record.extra["folder"]` and in the subject id.

`read_source` also recognises, by their layout alone, the still-photo sets of
`stills` (FRLL, JAFFE, Yale, CK+48) and MEAD's clips (`mead`).
"""
from __future__ import annotations

import csv
from pathlib import Path

from affinekit.data.ckplus import is_ckplus_root, read_ckplus
from affinekit.data.labels import check_label_rows, refuse_unmatched
from affinekit.data.mead import is_mead_folder, read_mead
from affinekit.data.people import mixed_people
from affinekit.data.records import IMAGE_SUFFIXES, VIDEO_SUFFIXES, SequenceRecord, list_images
from affinekit.data.stills import (
    is_ck48_root,
    is_frll_root,
    is_jaffe_folder,
    is_yale_folder,
    read_ck48,
    read_frll,
    read_jaffe,
    read_yale,
)
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS, expression_index


def _label_of(name: str) -> str | None:
    try:
        return EXPRESSIONS[expression_index(name)]
    except ValueError:
        return None


def _subdirs(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def is_affinegan_folder(path: Path) -> bool:
    """An expression folder (has train/img or test/img) or a root of such folders."""
    if (path / "train" / "img").is_dir() or (path / "test" / "img").is_dir():
        return True
    return any((p / "train" / "img").is_dir() or (p / "test" / "img").is_dir() for p in _subdirs(path))


def read_affinegan(root: str | Path, split: str = "train") -> list[SequenceRecord]:
    """Sequences of an AffineGAN expression folder, or of a root holding several."""
    root = Path(root)
    if split not in ("train", "test"):
        raise AffinekitError(f"unknown AffineGAN split {split!r}; use 'train' or 'test'")
    if not root.is_dir():
        raise AffinekitError(f"{root}: folder not found; check the path")
    expr_dirs = [root] if (root / split / "img").is_dir() else \
        [p for p in _subdirs(root) if (p / split / "img").is_dir()]
    records = []
    for expr_dir in expr_dirs:
        name = expr_dir.name
        for vid in _subdirs(expr_dir / split / "img"):
            record = SequenceRecord(subject=f"{name}-{vid.name}", sequence=split, label=_label_of(name),
                                    frames=list_images(vid), source="affinegan",
                                    extra={"folder": name})
            patch = expr_dir / split / "patch" / vid.name
            if patch.is_dir():
                record.extra["patch_dir"] = str(patch)
            if not record.frames:
                record.error = f"{vid}: no image files in this sequence folder"
            records.append(record)
    if not records:
        raise AffinekitError(f"{root}: no AffineGAN sequences (expected <expression>/{split}/img/vid_####/)")
    return records


def read_video(path: str | Path, label: str | None = None, subject: str | None = None) -> SequenceRecord:
    """A video file as one sequence (frames decoded when loaded)."""
    path = Path(path)
    if not path.is_file():
        raise AffinekitError(f"{path}: video not found; check the path")
    return SequenceRecord(subject=subject or path.stem, sequence="video", label=_checked(label, path),
                          frames=[], source="video", video=path)


def read_frame_folder(path: str | Path, label: str | None = None) -> SequenceRecord:
    """A folder of image frames (sorted by name) as one sequence."""
    path = Path(path)
    if not path.is_dir():
        raise AffinekitError(f"{path}: folder not found; check the path")
    frames = list_images(path)
    if not frames:
        raise AffinekitError(f"{path}: no image files (.png, .jpg) in this folder; add frames or fix the path")
    mixed = mixed_people(path, frames)      # a known set's files that did not parse: never one sequence
    if mixed:
        raise AffinekitError(mixed)
    return SequenceRecord(subject=path.name, sequence="frames", label=_checked(label, path),
                          frames=frames, source="frames")


def _checked(label: str | None, where: Path) -> str | None:
    if label is None or not str(label).strip():
        return None
    try:
        return EXPRESSIONS[expression_index(str(label))]
    except ValueError as err:
        raise AffinekitError(f"{where}: {err}") from None


def read_labels_csv(path: str | Path) -> dict[Path, str | None]:
    """{resolved path: label} from a CSV with columns path,label (paths relative to the CSV)."""
    return {p: label for p, (label, _) in _read_csv(path).items()}


def _read_csv(path: str | Path) -> dict[Path, tuple[str | None, str | None]]:
    """{resolved path: (label, subject)}; the subject column is optional (default: the file's name)."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:     # -sig: Excel's "CSV UTF-8" starts with a BOM
            reader = csv.DictReader(f)
            rows, header = list(reader), list(reader.fieldnames or [])
    except OSError as err:
        raise AffinekitError(f"{path}: cannot read labels CSV ({err.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as err:     # a binary file passed as --labels
        raise AffinekitError(f"{path}: not a labels CSV ({type(err).__name__}); write it as UTF-8 text "
                             "with columns path,label") from None
    return check_label_rows(rows, header, path)


# Data sets recognised by their structure, tried in turn after CK+ and AffineGAN: each test looks
# for names only that set uses, so the order matters only for folders no set would make.
LAYOUTS = ((is_frll_root, read_frll), (is_jaffe_folder, read_jaffe), (is_yale_folder, read_yale),
           (is_mead_folder, read_mead), (is_ck48_root, read_ck48))


def read_source(path: str | Path, labels_csv: str | Path | None = None) -> list[SequenceRecord]:
    """Records from whatever `path` is: a CK+ root, AffineGAN folder(s), an FRLL, JAFFE, Yale,
    MEAD or CK+48 folder (see `LAYOUTS`), a video, an image, a folder of frames, a folder of
    videos or frame folders, or a labels CSV.

    `labels_csv` has columns path,label and optionally subject (the person, so that
    subject splits keep two clips of one person together).
    """
    path = Path(path)
    labels = _read_csv(labels_csv) if labels_csv else {}
    if path.suffix.lower() == ".csv" and path.is_file():
        labels = {**_read_csv(path), **labels}
        return [_one(p, labels) for p in labels]
    if not path.exists():
        raise AffinekitError(f"{path}: not found; pass a CK+ root, an AffineGAN folder, a video or a folder of frames")
    if not path.is_file() and not path.is_dir():
        raise AffinekitError(f"{path}: not a file or folder (a device, pipe or socket); pass a CK+ root, "
                             "a data set folder, a video or a folder of frames")
    if path.is_file():
        refuse_unmatched(labels, [path], labels_csv)
        return [_one(path, labels)]
    if is_ckplus_root(path):
        return read_ckplus(path)
    if is_affinegan_folder(path):
        return read_affinegan(path)
    for looks_like, read in LAYOUTS:
        if looks_like(path):
            return read(path)
    # Sequence folders and videos inside win over loose images (e.g. data/demo's photo beside
    # its sequences); a folder holding only images is one sequence of frames.
    children = [p for p in sorted(path.iterdir()) if not p.name.startswith(".") and
                ((p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES) or (p.is_dir() and list_images(p)))]
    if children:
        refuse_unmatched(labels, children, labels_csv)
        return [_one(p, labels) for p in children]
    if list_images(path):
        refuse_unmatched(labels, [path], labels_csv)
        return [_one(path, labels)]
    raise AffinekitError(f"{path}: no frames, videos, CK+ or AffineGAN sequences found; check the folder")


def _one(path: Path, labels: dict[Path, tuple[str | None, str | None]]) -> SequenceRecord:
    label, subject = labels.get(path.resolve(), (None, None))
    if path.is_dir():
        record = read_frame_folder(path, label)
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        record = read_video(path, label)
    elif path.suffix.lower() in IMAGE_SUFFIXES:  # a single photo: a one-frame sequence
        record = SequenceRecord(subject=path.stem, sequence="photo", label=label, frames=[path], source="photo")
    else:
        raise AffinekitError(f"{path}: unsupported file type {path.suffix!r}; use a video, an image or a folder of frames")
    if subject:
        # The CSV names the person: the sequence id keeps the file name so keys stay unique.
        record.sequence, record.subject = f"{record.subject}", subject
    return record
