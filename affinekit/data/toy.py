"""A toy with known truth: drawn faces whose expression has a known intensity in every frame.

Real data never says how strong an expression is in a frame, so an inferred
intensity can only be compared with proxies (frame position, landmark motion).
Here each frame is drawn at an intensity we choose: the mouth opens, the
corners lift or the brows rise by that amount, and the 68 landmarks (dlib's
layout: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, lips 48-67) move with
the drawing. `write_toy` saves such sequences in the prepared format
(`affinekit.data.prepared`), so the normal data set and trainer read them, and
records each frame's true intensity in the manifest (`intensities`).

With the `shuffled` schedule the intensity of the frames between the neutral
first and the apex last is drawn at random, not in order: the frame's position
then says little about it, and only a model that reads the face can recover it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from affinekit.config import DataConfig, to_dict
from affinekit.data.lips import lip_masks
from affinekit.data.prepared import PreparedSequence, load_manifest, write_manifest
from affinekit.errors import AffinekitError

# How far each label moves the face at intensity 1, in units of the face's half-width:
# (mouth opening, mouth corners lifted and widened, brows raised).
TOY_MOTIONS: dict[str, tuple[float, float, float]] = {
    "surprise": (0.32, 0.0, 0.16),
    "happy": (0.06, 0.14, 0.0),
}
SCHEDULES = ("shuffled", "linear", "eased")
SUPERSAMPLE = 4        # drawn 4x larger, then shrunk: edges move smoothly with sub-pixel motion


@dataclass(frozen=True)
class ToyPerson:
    """What makes one drawn face differ from another."""
    width: float          # face half-width, fraction of the image
    skin: tuple[int, int, int]
    background: tuple[int, int, int]
    eye_gap: float        # eye centres' distance from the midline, face half-widths
    mouth_width: float    # mouth half-width, face half-widths

    @classmethod
    def draw(cls, rng: np.random.Generator) -> "ToyPerson":
        """A random person."""
        skin = tuple(int(v) for v in rng.uniform([150, 110, 80], [235, 200, 175]))
        background = tuple(int(v) for v in rng.uniform(40, 200, 3))
        return cls(float(rng.uniform(0.28, 0.34)), skin, background, float(rng.uniform(0.36, 0.44)),
                   float(rng.uniform(0.32, 0.42)))


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, n: int) -> np.ndarray:
    t = np.linspace(start, stop, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def toy_landmarks(person: ToyPerson, label: str, intensity: float, size: int) -> np.ndarray:
    """(68, 2) landmarks in pixels of a size x size image, dlib's order (x right, y down)."""
    open_, smile, brow = (intensity * m for m in TOY_MOTIONS[label])
    w = person.width * size
    cx, cy = size / 2.0, size * 0.52
    pts = np.zeros((68, 2))
    pts[0:17] = _arc(cx, cy - 0.15 * w, w, 1.25 * w, np.pi, 0.0, 17)      # jaw: image left, chin, image right
    gap, eye_y = person.eye_gap * w, cy - 0.35 * w
    arch = 0.06 * w * np.cos(np.linspace(-1.2, 1.2, 5))
    for first, xs in ((17, np.linspace(-0.65, -0.15, 5)), (22, np.linspace(0.15, 0.65, 5))):   # brows, left to right
        pts[first:first + 5] = np.stack([cx + xs * w, eye_y - (0.22 + brow) * w - arch], 1)
    pts[27:31] = np.stack([np.full(4, cx), np.linspace(eye_y, cy + 0.08 * w, 4)], 1)   # nose bridge
    pts[31:36] = np.stack([cx + np.linspace(-0.14, 0.14, 5) * w, np.full(5, cy + 0.14 * w)], 1)
    for first, ex in ((36, cx - gap), (42, cx + gap)):     # eyes: left corner, upper lid, right corner, lower lid
        pts[first:first + 6] = _arc(ex, eye_y, 0.17 * w, 0.08 * w, np.pi, 3 * np.pi, 7)[:6]
    mw, my = (person.mouth_width + 0.5 * smile) * w, cy + 0.5 * w
    lift, half = smile * w, 0.5 * open_ * w
    corners = np.array([[cx - mw, my - lift], [cx + mw, my - lift]])
    top = np.stack([cx + np.linspace(-0.6, 0.6, 5) * mw, np.full(5, my - half - 0.07 * w)], 1)
    bottom = np.stack([cx + np.linspace(0.6, -0.6, 5) * mw, np.full(5, my + half + 0.09 * w)], 1)
    pts[48], pts[54] = corners
    pts[49:54], pts[55:60] = top, bottom
    inner_top = np.stack([cx + np.linspace(-0.45, 0.45, 3) * mw, np.full(3, my - half)], 1)
    inner_bottom = np.stack([cx + np.linspace(0.45, -0.45, 3) * mw, np.full(3, my + half)], 1)
    pts[60], pts[64] = corners + [[0.08 * mw, 0], [-0.08 * mw, 0]]
    pts[61:64], pts[65:68] = inner_top, inner_bottom
    return pts.astype(np.float32)


def draw_toy_face(person: ToyPerson, label: str, intensity: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(image (size, size, 3) uint8 RGB, landmarks (68, 2)) of `person` at `intensity` of `label`."""
    pts = toy_landmarks(person, label, intensity, size)
    big = size * SUPERSAMPLE
    img = np.empty((big, big, 3), np.uint8)
    img[:] = person.background
    p = lambda a: np.round(np.asarray(a) * SUPERSAMPLE).astype(np.int32)
    w = person.width * big
    centre = (int(big / 2), int(big * 0.52 - 0.15 * w))          # the jaw's oval (see toy_landmarks)
    cv2.ellipse(img, centre, (int(w), int(1.25 * w)), 0, 0, 360, person.skin, -1, cv2.LINE_AA)
    dark = tuple(int(c * 0.35) for c in person.skin)
    for first in (17, 22):
        cv2.polylines(img, [p(pts[first:first + 5])], False, dark, max(2, big // 40), cv2.LINE_AA)
    for first in (36, 42):
        eye = pts[first:first + 6]
        cv2.fillPoly(img, [p(eye)], (245, 245, 245), cv2.LINE_AA)
        cv2.circle(img, tuple(p(eye.mean(0)).tolist()), max(2, big // 50), (40, 30, 20), -1, cv2.LINE_AA)
    cv2.polylines(img, [p(pts[[27, 30, 33]])], False, dark, max(1, big // 80), cv2.LINE_AA)
    cv2.fillPoly(img, [p(pts[48:60])], (170, 50, 60), cv2.LINE_AA)
    cv2.fillPoly(img, [p(pts[60:68])], (60, 10, 20), cv2.LINE_AA)
    small = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    return small, pts


def toy_intensities(frames: int, schedule: str, rng: np.random.Generator) -> np.ndarray:
    """(frames,) true intensities: 0 first, 1 last; between them per `schedule`
    ("shuffled": random, not in order; "linear": position; "eased": position squared)."""
    if schedule not in SCHEDULES:
        raise AffinekitError(f"toy schedule {schedule!r} is unknown; use one of {', '.join(SCHEDULES)}")
    position = np.linspace(0.0, 1.0, frames)
    if schedule == "linear":
        return position
    if schedule == "eased":
        return position ** 2
    inner = rng.uniform(0.05, 0.95, max(frames - 2, 0))
    return np.concatenate([[0.0], inner, [1.0]])[:frames]


def toy_sequence(person: ToyPerson, label: str, intensities: Sequence[float], size: int, key: str,
                 subject: str) -> PreparedSequence:
    """One drawn sequence as a prepared item (its lip masks from landmarks 48-67, as real data's)."""
    drawn = [draw_toy_face(person, label, float(v), size) for v in intensities]
    frames = np.stack([d[0] for d in drawn])
    landmarks = np.stack([d[1] for d in drawn])
    transforms = np.repeat(np.array([[[1, 0, 0], [0, 1, 0]]], np.float32), len(frames), 0)
    return PreparedSequence(key=key, frames=frames, landmarks=landmarks, lip_masks=lip_masks(landmarks, size),
                            transforms=transforms, label=label, subject=subject, sequence=label, source="toy",
                            gray=False, info={"intensities": [float(v) for v in intensities]})


def write_toy(out_dir: str | Path, people: int = 12, frames: int = 9, size: int = 64,
              labels: Sequence[str] = tuple(TOY_MOTIONS), schedule: str = "shuffled", seed: int = 0) -> Path:
    """A prepared folder of drawn sequences: one per person and label, each frame's true
    intensity in its manifest entry (`intensities`). Returns the folder."""
    unknown = [name for name in labels if name not in TOY_MOTIONS]
    if unknown:
        raise AffinekitError(f"toy label(s) {', '.join(unknown)} not drawn; use {', '.join(TOY_MOTIONS)}")
    if frames < 2:
        raise AffinekitError(f"a toy sequence needs at least 2 frames, got {frames}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    entries = []
    for i in range(people):
        person, subject = ToyPerson.draw(rng), f"toy{i:03d}"
        for label in labels:
            seq = toy_sequence(person, label, toy_intensities(frames, schedule, rng), size,
                               f"{subject}_{label}", subject)
            seq.save(out)
            entries.append({"key": seq.key, "file": f"{seq.key}.npz", "subject": subject, "sequence": label,
                            "label": label, "frames": frames, "source": "toy", "kind": "sequence", "gray": False,
                            **seq.info})
    config = dict(to_dict(DataConfig(crop_size=size, channels=3, augment=False)), toy_schedule=schedule)
    write_manifest(out, {"config": config, "sequences": entries, "skipped": []})
    return out


def true_intensities(prepared_dir: str | Path) -> dict[str, np.ndarray]:
    """{key: each frame's true intensity} of a toy folder written by `write_toy`."""
    found = {e["key"]: np.asarray(e["intensities"], np.float64)
             for e in load_manifest(prepared_dir)["sequences"] if "intensities" in e}
    if not found:
        raise AffinekitError(f"{prepared_dir}: no true intensities; it is not a toy folder (see `write_toy`)")
    return found
