"""Readers of still-photo sets, and the alignment of stills each on its own.

Still pairs: a neutral photo and an expression photo of one person, taken apart
(kind "pair": frame 0 neutral, frame 1 the apex):

    frll/   neutral_front/NNN_03.jpg, smiling_front/NNN_08.jpg   (label happy, subject frll-NNN)
    jaffe/  XX.EEn.NNN.tiff   person XX, expression EE, take n    (subject jaffe-XX, sequence EEn)
    yale/   subjectNN.<condition>, GIFs without an extension     (subject yale-subjectNN)

A JAFFE pair is [the person's first neutral take, one expression take]; a Yale
pair is [normal, happy | sad | surprised]. Names outside these vocabularies
(Yale's sleepy, wink, lighting) are ignored; a person with expression photos but
no neutral one gives records carrying an `error`, so `prepare` skips them with
that reason.

Unpaired apex faces (kind "apex"):

    ck48/   <emotion>/S010_006_00000013.png   48x48 grey crops, last 3 frames of a CK+ sequence

one record per CK+ sequence, subject `ck48-S010` (CK+'s own subject id kept in it
and in `extra["ckplus_subject"]`).

The photos of a pair were taken apart (the head moved, the camera may have), so
each is aligned on its own; a 48 px crop is too small for dlib's HOG detector, so
it is enlarged first and, where even then no face is found, the landmarks are
fitted in a fixed box covering the crop (these are tight face crops).
"""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from affinekit.data.faces import FaceAligner, apply_transform
from affinekit.data.records import SequenceRecord, list_images
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS

FRLL_DIRS = ("neutral_front", "smiling_front")
# JAFFE's own names are XX.EEn.NNN.tiff; copies renamed with dashes or underscores, or converted to
# another image format, still name person, expression and take (a dashed folder became one sequence
# of several people when only dots were read)
JAFFE_NAME = re.compile(r"^([A-Za-z]{2})[.\-_ ]([A-Za-z]{2})(\d+)[.\-_ ](\d+)\.(?:tiff?|png|jpe?g|bmp)$", re.IGNORECASE)
JAFFE_CODES = {"AN": "anger", "DI": "disgust", "FE": "fear", "HA": "happy", "SA": "sadness", "SU": "surprise"}
# Yale's files have no extension (GIF data); copies often end in .gif (they became one-frame videos)
YALE_NAME = re.compile(r"^(subject\d+)\.([A-Za-z]+)(?:\.(?:gif|png|jpe?g|bmp|tiff?|pgm))?$", re.IGNORECASE)
YALE_CONDITIONS = {"happy": "happy", "sad": "sadness", "surprised": "surprise"}
CK48_NAME = re.compile(r"^(S\d{3})_(\d{3})_(\d{8})\.png$", re.IGNORECASE)
CK48_MAX_SIDE = 128      # CK+48's crops are 48 px; a folder of full-size frames is not CK+48

# Tight crops are enlarged to this side before detection: HOG needs faces of ~80 px.
TIGHT_SIDE = 192
# Where HOG puts the face box in a CK+48 crop (left, top, right, bottom as fractions of the
# side): the mean over 99 crops where it finds one. The fallback box for crops it misses.
TIGHT_BOX = (0.09, 0.15, 0.89, 0.94)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _named(folder: Path, pattern: re.Pattern) -> list[tuple[Path, re.Match]]:
    """(file, match) for the folder's files whose names `pattern` matches, in name order."""
    return [(p, m) for p in _files(folder) if (m := pattern.match(p.name))]


def _found(records: list[SequenceRecord], expected: str) -> list[SequenceRecord]:
    """The records a reader found; none is one line saying what it expected (`expected`)."""
    if not records:
        raise AffinekitError(expected)
    return records


def _mostly(folder: Path, pattern: re.Pattern) -> bool:
    """At least two files named by `pattern`, and they are most of the folder's files."""
    hits = len(_named(folder, pattern))
    return hits >= 2 and 2 * hits >= len(_files(folder))


def is_jaffe_folder(path: Path) -> bool:
    """A folder of `XX.EEn.NNN.tiff` files."""
    return _mostly(path, JAFFE_NAME)


def is_yale_folder(path: Path) -> bool:
    """A folder of `subjectNN.<condition>` files."""
    return _mostly(path, YALE_NAME)


# ---------------------------------------------------------------- FRLL

def is_frll_root(path: Path) -> bool:
    """A folder holding neutral_front/ and smiling_front/."""
    return all((path / d).is_dir() for d in FRLL_DIRS)


def _by_person(folder: Path) -> dict[str, Path]:
    """{person id: first image} for images named `<id>_<pose>.<ext>`."""
    found: dict[str, Path] = {}
    for p in list_images(folder):
        found.setdefault(p.stem.split("_")[0], p)
    return found


def still_pair(subject: str, sequence: str, label: str, neutral: Path | None, photo: Path, source: str,
               missing: str) -> SequenceRecord:
    """A still pair's record [neutral, photo]; without a neutral photo, one that prepare skips saying `missing`."""
    record = SequenceRecord(subject=subject, sequence=sequence, label=label,
                            frames=[neutral, photo] if neutral else [photo], source=source, kind="pair")
    if neutral is None:
        record.error = missing
    return record


def read_frll(root: str | Path) -> list[SequenceRecord]:
    """One still pair (neutral, smiling) per FRLL person, label happy."""
    root = Path(root)
    if not is_frll_root(root):
        raise AffinekitError(f"{root}: not an FRLL folder (expected neutral_front/ and smiling_front/)")
    neutral, smiling = (_by_person(root / d) for d in FRLL_DIRS)
    records = []
    for person, smile in sorted(smiling.items()):
        records.append(still_pair(f"frll-{person}", "happy", "happy", neutral.get(person), smile, "frll",
                                  f"{smile}: no neutral photo of person {person} in {root / FRLL_DIRS[0]}; "
                                  "add one or remove the smile"))
    return _found(records, f"{root / FRLL_DIRS[1]}: no photos (expected NNN_08.jpg)")


# ---------------------------------------------------------------- JAFFE

def read_jaffe(root: str | Path) -> list[SequenceRecord]:
    """One still pair per expression take: [the person's first neutral take, that take]."""
    root = Path(root)
    people: dict[str, dict[str, list]] = {}
    for p, m in _named(root, JAFFE_NAME):
        person, code, take, serial = m.group(1).upper(), m.group(2).upper(), int(m.group(3)), int(m.group(4))
        shots = people.setdefault(person, {"neutral": [], "takes": []})
        if code == "NE":
            shots["neutral"].append((take, serial, p))
        elif code in JAFFE_CODES:
            shots["takes"].append((list(JAFFE_CODES).index(code), code, take, serial, p))
    records = []
    for person, shots in sorted(people.items()):
        neutral = min(shots["neutral"])[2] if shots["neutral"] else None
        seen: set[str] = set()
        for _, code, take, serial, path in sorted(shots["takes"]):
            sequence = f"{code}{take}"
            if sequence in seen:            # two files of one take: keep keys unique
                sequence = f"{sequence}-{serial}"
            seen.add(sequence)
            records.append(still_pair(f"jaffe-{person}", sequence, JAFFE_CODES[code], neutral, path, "jaffe",
                                      f"{path}: no neutral photo {person}.NE1.*.tiff of person {person}; add one"))
    return _found(records, f"{root}: no JAFFE expression photos (expected XX.EEn.NNN.tiff)")


# ---------------------------------------------------------------- Yale

def read_yale(root: str | Path) -> list[SequenceRecord]:
    """One still pair per person and expression: [normal, happy | sad | surprised]."""
    root = Path(root)
    people: dict[str, dict[str, Path]] = {}
    for p, m in _named(root, YALE_NAME):
        people.setdefault(m.group(1).lower(), {})[m.group(2).lower()] = p
    records = []
    for person, photos in sorted(people.items()):
        neutral = photos.get("normal")
        for condition, label in YALE_CONDITIONS.items():
            if condition not in photos:
                continue
            path = photos[condition]
            records.append(still_pair(f"yale-{person}", condition, label, neutral, path, "yale",
                                      f"{path}: no neutral photo {person}.normal; add one"))
    return _found(records, f"{root}: no Yale expression photos (expected subjectNN.happy, .sad, .surprised)")


# ---------------------------------------------------------------- CK+48

def _small_image(path: Path) -> bool:
    from PIL import Image
    try:
        with Image.open(path) as im:
            return max(im.size) <= CK48_MAX_SIDE
    except OSError:
        return False


def _ck48_dirs(path: Path) -> list[Path]:
    return [p for p in sorted(path.iterdir()) if p.is_dir() and p.name.lower() in EXPRESSIONS]


def is_ck48_root(path: Path) -> bool:
    """Emotion-named folders of `S###_###_########.png` files (CK+ frames filed by expression: CK+48's
    48 px crops, or larger copies; read as one apex record per CK+ sequence, never as sequences
    of the several people a folder holds)."""
    return any(CK48_NAME.match(p.name) for folder in _ck48_dirs(path) for p in _files(folder))


def read_ck48(root: str | Path) -> list[SequenceRecord]:
    """One apex record per CK+ sequence of CK+48, its label from its folder."""
    root = Path(root)
    groups: dict[tuple[str, str, str], list[Path]] = {}
    for folder in _ck48_dirs(root):
        for p in _files(folder):
            m = CK48_NAME.match(p.name)
            if m:
                groups.setdefault((m.group(1).upper(), m.group(2), folder.name.lower()), []).append(p)
    labels_of: dict[tuple[str, str], int] = {}
    for subject, seq, _ in groups:
        labels_of[(subject, seq)] = labels_of.get((subject, seq), 0) + 1
    records = []
    for (subject, seq, label), frames in sorted(groups.items()):
        # a sequence filed under two emotions (a labelling slip) stays two records with distinct keys
        sequence = seq if labels_of[(subject, seq)] == 1 else f"{seq}-{label}"
        frames = sorted(frames)
        # crops above CK48_MAX_SIDE are not CK+48's tight 48 px crops: each is aligned as a photo,
        # without the fixed fallback box that only a tight crop makes right
        record = SequenceRecord(subject=f"ck48-{subject}", sequence=sequence, label=label, frames=frames,
                                source="ck48", kind="apex",
                                extra={"tight_crop": _small_image(frames[0]), "ckplus_subject": subject})
        if any(int(CK48_NAME.match(p.name).group(3)) == 1 for p in frames):
            record.error = (f"{frames[0]}: CK+ frame 1 is the sequence's neutral face, not an apex; an "
                            f"expression folder holds apex frames only (CK+48's last three); for whole "
                            f"sequences use CK+'s own layout (cohn-kanade-images/ and Emotion/)")
        records.append(record)
    return _found(records, f"{root}: no CK+48 crops (expected <emotion>/S###_###_########.png)")


# ---------------------------------------------------------------- alignment

def align_each(aligner: FaceAligner, images: list[np.ndarray], names: list[str],
               tight: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Align every image on its own: (crops, landmarks (T,68,2) in crop pixels, transforms
    (T,2,3) source -> crop, how many tight crops fell back to the fixed box).

    A photo without a face raises AffinekitError naming it. With `tight` (CK+48's
    crops), images are enlarged to TIGHT_SIDE before detection and the
    landmarks are fitted in TIGHT_BOX where HOG still finds nothing.
    """
    crops, points, transforms, fallbacks = [], [], [], 0
    for image, name in zip(images, names):
        if not tight:
            crop, pts, M = aligner.align(image, name)
        else:
            crop, pts, M, fell_back = _align_tight(aligner, image, name)
            fallbacks += fell_back
        crops.append(crop)
        points.append(pts)
        transforms.append(M)
    return np.stack(crops), np.stack(points), np.stack(transforms).astype(np.float32), fallbacks


def _align_tight(aligner: FaceAligner, image: np.ndarray,
                 name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    scale = max(1.0, TIGHT_SIDE / max(image.shape[:2]))
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1 else image
    fell_back = False
    try:
        box = aligner.detect(big, name)
    except AffinekitError:
        h, w = big.shape[:2]
        box = tuple(int(round(f * s)) for f, s in zip(TIGHT_BOX, (w, h, w, h)))
        fell_back = True
    pts = aligner.landmarks(big, name, box=box)
    M_big = aligner.transform(pts)
    # Warp the smoothly enlarged copy (sharper than bilinear from 48 px); record source -> crop.
    M = M_big.copy()
    M[:, :2] *= scale
    return aligner.warp(big, M_big), apply_transform(M_big, pts), M, fell_back
