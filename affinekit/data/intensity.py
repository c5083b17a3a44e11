"""How strong an expression is, measured from landmarks: 1 = a CK+ apex of that expression.

Sources differ in what their "expression" photo means: a CK+ sequence ends at a full apex, an FRLL
smile is a mild one, MEAD's talking angry face can move the landmarks against CK+'s anger. Teaching
every such item as intensity 1 makes "l = 1" mean their average, and a model that learned from many
mild stills then animates mildly. So each item gets its own intensity:

    motion    = the apex landmarks, put onto the neutral ones by a similarity fitted on the eyes and
                nose (`faces.RIGID_POINTS`), minus the neutral landmarks, in inter-ocular distances
    intensity = <motion, d_y> / |d_y|^2

where d_y, the expression's direction, is the mean motion of training CK+ sequences from their neutral
first frame to their apex (`ExpressionDirections.fit`). A CK+ apex scores about 1, a neutral face 0,
a face moving against the expression below 0. The kit ships the directions it measured
(`expression_directions.json`, refitted by `scripts/fit_directions.py`): 68 x 2 numbers per
expression, statistics of landmark motion, not pictures.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from affinekit.data.faces import RIGID_POINTS, inter_ocular, similarity_fit
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS

REFERENCE_FILE = Path(__file__).with_name("expression_directions.json")
# Items that move their landmarks this little along their expression, or against it, teach no geometry
# (issue 28: MEAD's talking anger and disgust, JAFFE's sadness): they are left out of training.
MIN_TEACHING_INTENSITY = 0.1
# Measured intensities are clipped to the range the generator is driven in (above 2 the face tears).
MAX_INTENSITY = 2.0


def expression_motion(neutral: np.ndarray, apex: np.ndarray) -> np.ndarray:
    """(68, 2) motion of the landmarks from `neutral` to `apex` (both (68, 2), any pixels), with the
    head's shift, turn and scale removed and lengths in the neutral face's inter-ocular distances."""
    neutral = np.asarray(neutral, np.float64)
    apex = np.asarray(apex, np.float64)
    iod = inter_ocular(neutral)
    if not np.isfinite(iod) or iod < 1e-6:
        raise ValueError("degenerate neutral landmarks: both eyes at one point")
    M = similarity_fit(apex[RIGID_POINTS], neutral[RIGID_POINTS]).astype(np.float64)
    placed = apex @ M[:, :2].T + M[:, 2]
    return (placed - neutral) / iod


@dataclass
class ExpressionDirections:
    """Each expression's mean neutral-to-apex motion (68, 2), in inter-ocular distances."""
    directions: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def fit(cls, items: Iterable[tuple[np.ndarray, np.ndarray, str]]) -> "ExpressionDirections":
        """Directions from (neutral landmarks, apex landmarks, label) of full neutral-to-apex sequences."""
        motions: dict[str, list[np.ndarray]] = {}
        for neutral, apex, label in items:
            motions.setdefault(label, []).append(expression_motion(neutral, apex))
        return cls({k: np.mean(v, 0) for k, v in motions.items()}, {k: len(v) for k, v in motions.items()})

    def measure(self, neutral: np.ndarray, apex: np.ndarray, label: str) -> float:
        """The apex's intensity along `label`'s direction (1 = the mean fitted apex); NaN for a label
        with no direction."""
        d = self.directions.get(label)
        if d is None:
            return float("nan")
        return float((expression_motion(neutral, apex) * d).sum() / (d * d).sum())

    def frame_intensities(self, landmarks: np.ndarray, label: str) -> np.ndarray:
        """(T,) intensity of every frame of an item (landmarks (T, 68, 2), frame 0 neutral)."""
        return np.array([self.measure(landmarks[0], lm, label) for lm in landmarks], np.float64)

    def to_json(self) -> dict:
        """Plain values: {"counts": {label: n}, "directions": {label: [[x, y] * 68]}}."""
        return {"counts": dict(self.counts),
                "directions": {k: np.round(v, 6).tolist() for k, v in sorted(self.directions.items())}}

    @classmethod
    def from_json(cls, data: dict, name: str = "directions") -> "ExpressionDirections":
        """Read `to_json`'s values back; a label outside the seven or a wrong shape is refused."""
        try:
            directions = {k: np.asarray(v, np.float64) for k, v in data["directions"].items()}
            counts = {k: int(v) for k, v in data.get("counts", {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise AffinekitError(f"{name}: not expression directions ({err}); refit with scripts/fit_directions.py")
        for label, d in directions.items():
            if label not in EXPRESSIONS or d.shape != (68, 2) or not np.isfinite(d).all() or not d.any():
                raise AffinekitError(f"{name}: direction {label!r} is not 68 finite, non-zero (x, y) pairs of "
                                     "one of the seven expressions; refit with scripts/fit_directions.py")
        return cls(directions, counts)


@functools.lru_cache(maxsize=1)
def reference_directions() -> ExpressionDirections:
    """The directions the kit ships (fitted on the CK+ sample's training people); read once per process,
    since `prepare` and the data set measure every item with them. Treat the result as read-only."""
    if not REFERENCE_FILE.is_file():
        raise AffinekitError(f"{REFERENCE_FILE}: missing; reinstall affinekit or run scripts/fit_directions.py")
    return ExpressionDirections.from_json(json.loads(REFERENCE_FILE.read_text()), str(REFERENCE_FILE))


def teaching_intensities(frame_intensities: np.ndarray, kind: str, per_frame: bool = False) -> np.ndarray:
    """(T,) the intensity each frame of an item is taught at: a pair's apex photos at their own measured
    intensity; a sequence's frames at position x its apex's, or with `per_frame` at their own measured
    intensities made non-decreasing from 0 (`rising_fit`: a sequence's frames move late, and the
    straight line teaches its middle frames motion they do not have). Clipped to [0, 2]."""
    values = np.asarray(frame_intensities, np.float64)
    if kind == "pair":
        taught = values.copy()
        taught[0] = 0.0
    elif per_frame:
        taught = rising_fit(np.concatenate([[0.0], values[1:]]))
    else:
        taught = np.linspace(0.0, 1.0, len(values)) * values[-1]
    return np.clip(taught, 0.0, MAX_INTENSITY)


def rising_fit(values: np.ndarray) -> np.ndarray:
    """The non-decreasing sequence closest to `values` in least squares (pool adjacent violators): a
    frame measured above a later one is averaged with it, so noise in the middle frames' landmarks is
    smoothed without bending the onset towards a straight line."""
    blocks: list[list[float]] = []          # [mean, count] of each pooled run
    for v in np.asarray(values, np.float64):
        blocks.append([float(v), 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m2, n2), (m1, n1) = blocks.pop(), blocks.pop()
            blocks.append([(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2])
    return np.concatenate([np.full(int(n), m) for m, n in blocks])


def apex_intensity(frame_intensities: np.ndarray, kind: str) -> float:
    """One number per item: a sequence's last frame; a pair's mean over its apex photos."""
    values = np.asarray(frame_intensities, np.float64)
    return float(values[1:].mean() if kind == "pair" else values[-1])


def item_intensities(landmarks: np.ndarray, label: str | None, kind: str,
                     directions: ExpressionDirections | None = None) -> list[float] | None:
    """Every frame's measured intensity of a prepared item (landmarks (T, 68, 2), frame 0 neutral), rounded
    for the manifest; None for an item that cannot teach (no label, unpaired apex faces, no direction)."""
    if not label or kind == "apex" or len(landmarks) < 2:
        return None
    directions = directions or reference_directions()
    if label not in directions.directions:
        return None
    with np.errstate(all="ignore"):
        try:
            values = directions.frame_intensities(np.asarray(landmarks, np.float64), label)
        except (ValueError, np.linalg.LinAlgError):     # landmarks that are not a face (made-up data)
            return None
    return [round(float(v), 4) for v in values] if np.isfinite(values).all() else None


def summary_lines(entries: Iterable[dict]) -> list[str]:
    """Per source: how many items, their median apex intensity, and how many teach no geometry."""
    by_source: dict[str, list[float]] = {}
    for entry in entries:
        values = entry.get("intensities")
        if values:
            by_source.setdefault(str(entry.get("source", "")), []).append(apex_intensity(values, entry.get("kind", "sequence")))
    lines = []
    for source, values in sorted(by_source.items()):
        weak = sum(v <= MIN_TEACHING_INTENSITY for v in values)
        lines.append(f"  {source or 'items'}: {len(values)} measured, median apex intensity {np.median(values):.2f} "
                     f"(1 = a CK+ apex); {weak} at or below {MIN_TEACHING_INTENSITY} teach no geometry")
    return lines


def record_intensity(record, aligner, directions: ExpressionDirections | None = None) -> float | None:
    """A raw record's apex intensity, its landmarks found now (`aligner`: a `faces.FaceAligner`): a still
    pair's mean over its expression photos, a sequence's last frame against its first. None for what has no
    neutral face or label (apex crops, MEAD clips, unlabelled folders) or no face found."""
    if not record.label or record.kind == "apex" or record.video is not None or record.error:
        return None
    try:
        images = record.load_images() if record.kind == "pair" else list(record.load_frames()[[0, -1]])
        points = np.stack([aligner.landmarks(im, str(record.key)) for im in images])
    except AffinekitError:                   # no face, a damaged file: nothing to measure
        return None
    values = item_intensities(points, record.label, record.kind, directions)
    return None if values is None else apex_intensity(values, record.kind)


def source_intensities(sources: dict, aligner, limit: int = 0) -> dict[str, list[float]]:
    """{source: apex intensities of its measurable records} (`record_intensity`), at most `limit` records
    a source (0: all), taken evenly through each source's list so that every expression shows."""
    out: dict[str, list[float]] = {}
    for name, records in sources.items():
        records = [r for r in records if r.label and r.kind != "apex" and r.video is None]
        if limit and len(records) > limit:
            records = [records[i] for i in np.linspace(0, len(records) - 1, limit).round().astype(int)]
        values = [record_intensity(r, aligner) for r in records]
        out[name] = [v for v in values if v is not None]
    return out
