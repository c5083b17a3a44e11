"""How strong the generated expressions are (issue 28's Strength and Prior targets).

- `prior_motion`: a motion-head generator's prior (`Generator.prior`, the field at intensity 1) as
  one number per expression: the mean length of its displacement over the whole crop, in pixels of
  the crop (64 px for the bundled model). The aligned crop is the face region: the eyes, nose and
  mouth fill it and the field falls to zero at its edge. (This is how issue 28's numbers were read:
  the bundled model before the retraining gives happy 0.29, surprise 1.02, fear 0.44, disgust 0.39,
  anger 0.46, sadness 0.10.)
- `generated_intensity`: a clip maker's apex at intensity 1 from a neutral crop, measured as a
  training item is (`affinekit.data.intensity`: the projection of its landmark motion onto the
  expression's CK+ direction, 1 = a CK+ apex), on dlib's landmarks of the neutral crop and of the
  generated frame, both enlarged to `FIND_SIZE` px (dlib's detector misses faces in 128 px crops).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import cv2
import numpy as np
import torch

from affinekit.data.dataset import SequenceDataset, validation_split
from affinekit.data.faces import FaceAligner
from affinekit.data.intensity import ExpressionDirections, apex_intensity, reference_directions
from affinekit.data.prepared import entry_kind, load_sequence, manifest_entries
from affinekit.evaluation.mouth import LandmarkFinder
from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import as_rgb, to_model, to_uint8
from affinekit.models.prior import dataset_fields

SIX = ("anger", "disgust", "fear", "happy", "sadness", "surprise")
FIND_SIZE = 256      # px: the crops are enlarged to this before dlib looks for the face


def prior_motion(generator: Any, expressions: Iterable[str] = SIX) -> dict[str, float]:
    """{expression: mean length of the generator's prior displacement over the crop, in crop pixels}."""
    prior = getattr(generator, "prior", None)
    if prior is None:
        raise ValueError("this generator has no motion prior (the paper's pixel head); use a motion-head model")
    return field_motion(prior, expressions)


def field_motion(fields: torch.Tensor, expressions: Iterable[str] = SIX) -> dict[str, float]:
    """{expression: mean length of its field's displacement over the crop, in crop pixels}; fields
    (L, 2, S, S) in normalised units (the prior's)."""
    size = fields.shape[-1]
    length = (torch.as_tensor(fields).double() * size / 2).norm(dim=1)      # normalised units -> crop pixels
    return {e: float(length[EXPRESSIONS.index(e)].mean()) for e in expressions}


def learned_along_prior(generator: Any, x0: torch.Tensor, label: int, level: float = 1.0,
                       region: torch.Tensor | None = None) -> float:
    """How much of its prior a motion-head generator's learned field keeps at `level`, for one neutral
    face x0 (1, C, H, W) in [-1, 1]: <learned, l F> / <l F, l F> over the crop (F the label's prior
    inside the border window). 0: the learned part moves nothing along the prior; -1: it cancels the
    prior; above 0: it adds to it. `region` (H, W) bool at the field's size: read only there (e.g. inside
    or outside the landmarks' hull, `hull_mask`)."""
    label_t = torch.tensor([int(label)])
    with torch.no_grad():
        motion = generator.motion(x0, label_t, torch.tensor([0.0, float(level)]))
        learned = motion.correction[0, -1]                                              # (2, H, W)
        prior = motion.flow[0, -1] - learned            # the field is l F (windowed) plus the learned part
        if region is not None:
            prior, learned = prior[:, region], learned[:, region]
        return float((learned * prior).sum() / (prior * prior).sum().clamp_min(1e-12))


def hull_mask(landmarks: np.ndarray, crop: int, size: int) -> torch.Tensor:
    """(size, size) bool: inside the convex hull of 68 landmarks given in pixels of a `crop` px crop."""
    points = np.round(np.asarray(landmarks, np.float64) * size / crop).astype(np.int32)
    mask = np.zeros((size, size), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points), 1)
    return torch.from_numpy(mask.astype(bool))


def enlarged(image: np.ndarray, size: int = FIND_SIZE) -> tuple[np.ndarray, float]:
    """(RGB uint8 image with its long side `size`, the scale applied)."""
    rgb = as_rgb(image)
    scale = size / max(rgb.shape[:2])
    return cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), scale


@dataclass
class StrengthItem:
    """One validation item: its key, expression, the real apex's measured intensity (the manifest's,
    from landmarks found on the full photo; NaN when unmeasured), the real apex crop's measured as the
    generated one is (`real_found`: the same detector path, the ceiling to read `generated` against)
    and the generated apex's."""
    key: str
    label: str
    real: float
    real_found: float
    generated: float


@dataclass
class StrengthMeter:
    """Measures generated apexes against the shipped expression directions."""
    directions: ExpressionDirections = field(default_factory=reference_directions)
    finder: LandmarkFinder = field(default_factory=lambda: LandmarkFinder(FaceAligner(FIND_SIZE)))

    def intensity(self, neutral: np.ndarray, apex: np.ndarray, label: str,
                  trusted: np.ndarray | None = None) -> float:
        """The apex's intensity along `label`, from dlib's landmarks of both (enlarged) images; `trusted`
        (68, 2) landmarks in the neutral image's pixels give dlib a box where its detector misses."""
        big_neutral, scale = enlarged(neutral)
        big_apex, _ = enlarged(apex)
        fallback = None if trusted is None else np.asarray(trusted, np.float64) * scale
        if fallback is None:
            first = self.finder.aligner.landmarks(big_neutral)
        else:
            first, _ = self.finder.find(big_neutral, fallback)
        second, _ = self.finder.find(big_apex, first)
        return self.directions.measure(first, second, label)

    def generated_intensity(self, maker: Callable, neutral: np.ndarray, landmarks: np.ndarray, label: str,
                            level: float = 1.0) -> float:
        """The intensity of `maker`'s apex at `level` from a neutral crop (H, W[, 3]) uint8 with its
        landmarks (68, 2) in the crop's pixels. `maker` follows the clip-maker contract."""
        x0 = to_model(np.asarray(neutral))[None]
        clip = maker(x0, torch.tensor([EXPRESSIONS.index(label)]), torch.tensor([0.0, float(level)]),
                     torch.as_tensor(np.asarray(landmarks, np.float32))[None])
        apex = to_uint8(clip[0, -1])
        return self.intensity(neutral, apex, label, landmarks)

    def folder(self, maker: Callable, folder: str | Path, keys: Iterable[str], level: float = 1.0,
               limit: int | None = None) -> list[StrengthItem]:
        """Every item of `keys` that `strength_items` gives (at most `limit`), measured."""
        items: list[StrengthItem] = []
        for entry, seq in strength_items(folder, keys, limit):
            values = entry.get("intensities")
            real = apex_intensity(values, entry_kind(entry)) if values else float("nan")
            generated = self.generated_intensity(maker, seq.frames[0], seq.landmarks[0], seq.label, level)
            found = self.intensity(seq.frames[0], seq.frames[-1], seq.label, seq.landmarks[0])
            items.append(StrengthItem(entry["key"], seq.label, real, found, generated))
        return items


def strength_items(folder: str | Path, keys: Iterable[str], limit: int | None = None) -> Iterator[tuple[dict, Any]]:
    """(manifest entry, loaded item) of each of `keys` in a prepared folder that is labelled with one of
    the six expressions and whose first frame is neutral (sequences and still pairs; not apex-only
    faces), at most `limit` of them: the items the Strength measures read."""
    entries = {e["key"]: e for e in manifest_entries(folder)}
    count = 0
    for key in keys:
        entry = entries.get(key, {})
        if entry.get("label") not in SIX or entry_kind(entry) == "apex":
            continue
        if limit is not None and count >= limit:
            return
        count += 1
        yield entry, load_sequence(folder, key)


def per_expression(items: Iterable[StrengthItem], which: str = "generated") -> dict[str, tuple[float, int]]:
    """{expression: (mean of the items' `which` intensity over the finite ones, how many)}."""
    values: dict[str, list[float]] = {}
    for item in items:
        v = getattr(item, which)
        if np.isfinite(v):
            values.setdefault(item.label, []).append(v)
    return {e: (float(np.mean(values[e])), len(values[e])) for e in SIX if e in values}


def training_priors(folders: list[str | Path], size: int = 64) -> dict[str, Any]:
    """Each label's prior fitted on the training people (`validation_split`'s first part) of prepared
    folders (the first is the main one, the rest join it as training does), both ways:
    "plain" (every item at intensity 1: the plain mean) and "least_squares" (each item at its measured
    intensity, weak items left out: `models.prior.label_fields`). Fields (L, 2, size, size) in
    normalised units; "items": how many items each used."""
    folders = [Path(f) for f in folders]
    keys = {str(f): validation_split(f)[0] for f in folders}
    out: dict[str, Any] = {}
    for name, mode in (("plain", "position"), ("least_squares", "measured")):
        data = SequenceDataset(folders[0], keys[str(folders[0])], sources=folders[1:], source_keys=keys,
                               intensity=mode)
        out[name] = dataset_fields(data, len(EXPRESSIONS), size)
        out.setdefault("items", {})[name] = len(data.keys)
    return out

