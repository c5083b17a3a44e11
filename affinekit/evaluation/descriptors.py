"""dlib's 128-d face descriptor per frame, L2-normalised and cached.

Two ways to place the face box that the 68-landmark shape predictor starts from:

- `box="crop"` (aligned crops, the subject protocol): one fixed box for every
  frame, by default the whole crop. The crops are already aligned, so a fixed
  box gives every frame the same starting point and descriptors move only when
  the face does; a per-frame detector box would jitter and add distance that is
  not the generator's doing. `calibrate()` can replace the whole-crop box by the
  median detector box over real frames. The detector still runs on each frame,
  only to decide whether a face is there: a frame where it finds none (or none
  overlapping the box) is counted as "no face", and gets no descriptor.
- `box="detect"` (raw frames, the paper protocol): the detector's largest box.

Descriptors are computed once per distinct frame: the cache key is a hash of
the frame's bytes and shape (copy-input clips repeat one frame sixteen times).
"""
from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass, field

import dlib
import numpy as np

from affinekit.data.faces import frontal_detector, shape_predictor
from affinekit.data.paths import dlib_models_dir
from affinekit.io.images import as_rgb

DESCRIPTOR_SIZE = 128


@dataclass
class DescriberStats:
    """Counts since creation: frames asked for, computed, and without a face."""
    requested: int = 0
    computed: int = 0
    no_face: int = 0
    seconds: float = 0.0


@functools.lru_cache(maxsize=None)
def recognizer():
    """dlib's face recognition network, loaded once (it takes a second) and shared by every describer."""
    return dlib.face_recognition_model_v1(str(dlib_models_dir() / "dlib_face_recognition_resnet_model_v1.dat"))


def _dlib_rgb(frame: np.ndarray) -> np.ndarray:
    """A uint8 frame as dlib reads it (`as_rgb`); dlib takes no other type, so say so here."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise TypeError(f"frames must be uint8, got {frame.dtype}")
    return as_rgb(frame)


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class FaceDescriber:
    """Face descriptors of uint8 frames; NaN rows where no face is found.

    box: "crop" (fixed box, aligned crops) or "detect" (detector box, raw frames).
    crop_box: the fixed box as fractions (x0, y0, x1, y1) of the frame.
    min_overlap: in "crop" mode, the IoU a detection must have with the fixed box.
    """
    box: str = "crop"
    crop_box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    min_overlap: float = 0.2
    stats: DescriberStats = field(default_factory=DescriberStats)
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.box not in ("crop", "detect"):
            raise ValueError(f"box must be 'crop' or 'detect', got {self.box!r}")
        # the kit's one detector and landmark predictor (data/faces.py), shared with prepare and generate
        self.detector, self.predictor = frontal_detector(), shape_predictor()

    # -- detection -----------------------------------------------------------------
    def detect(self, rgb: np.ndarray) -> list[tuple[float, float, float, float]]:
        """Detector boxes (x0, y0, x1, y1) in pixels, largest first."""
        h, w = rgb.shape[:2]
        # HOG finds faces of 80 px and up: upsample small frames once (48 px crops work then)
        upsample = 1 if min(h, w) < 160 else 0
        rects = self.detector(rgb, upsample)
        boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in rects]
        return sorted(boxes, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))

    def _box_for(self, rgb: np.ndarray) -> tuple[float, float, float, float] | None:
        h, w = rgb.shape[:2]
        boxes = self.detect(rgb)
        if self.box == "detect":
            return boxes[0] if boxes else None
        x0, y0, x1, y1 = self.crop_box
        fixed = (x0 * (w - 1), y0 * (h - 1), x1 * (w - 1), y1 * (h - 1))
        if not any(_iou(fixed, b) >= self.min_overlap for b in boxes):
            return None
        return fixed

    def landmarks(self, frame: np.ndarray) -> np.ndarray | None:
        """68 landmarks (68, 2) float32 in pixels, or None where no face is found."""
        shape = self._shape(_dlib_rgb(frame))
        if shape is None:
            return None
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)

    def calibrate(self, frames: np.ndarray) -> tuple[float, float, float, float]:
        """Set `crop_box` to the median detector box over real aligned frames; return it.

        Keeps the whole-crop box when the detector finds no face in any frame.
        """
        found = []
        for frame in frames:
            rgb = _dlib_rgb(frame)
            boxes = self.detect(rgb)
            if boxes:
                h, w = rgb.shape[:2]
                b = boxes[0]
                found.append((b[0] / (w - 1), b[1] / (h - 1), b[2] / (w - 1), b[3] / (h - 1)))
        if found:
            self.crop_box = tuple(float(v) for v in np.median(np.array(found), axis=0))
            self._cache.clear()
        return self.crop_box

    # -- descriptors ---------------------------------------------------------------
    def _key(self, rgb: np.ndarray) -> str:
        h = hashlib.sha1(rgb.tobytes())
        h.update(repr((rgb.shape, self.box, self.crop_box)).encode())
        return h.hexdigest()

    def _shape(self, rgb: np.ndarray):
        box = self._box_for(rgb)
        if box is None:
            return None
        return self.predictor(rgb, dlib.rectangle(*(int(round(v)) for v in box)))

    def _compute_many(self, rgbs: list[np.ndarray]) -> list[np.ndarray | None]:
        """Descriptors of frames, None where no face; dlib's batch call saves ~10% over one by one."""
        shapes = [self._shape(rgb) for rgb in rgbs]
        todo = [i for i, s in enumerate(shapes) if s is not None]
        out: list[np.ndarray | None] = [None] * len(rgbs)
        for start in range(0, len(todo), 32):
            chunk = todo[start:start + 32]
            dets = []
            for i in chunk:
                d = dlib.full_object_detections()
                d.append(shapes[i])
                dets.append(d)
            vecs = recognizer().compute_face_descriptor([rgbs[i] for i in chunk], dets)
            for i, v in zip(chunk, vecs):
                vec = np.array(v[0], dtype=np.float64)
                out[i] = (vec / np.linalg.norm(vec)).astype(np.float32)
        return out

    def describe(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Descriptors of N frames (N, H, W[, C]) uint8 -> ((N, 128) float32, found (N,) bool).

        Rows of frames without a face are NaN and `found` is False there.
        """
        start = time.perf_counter()
        rgbs = [_dlib_rgb(frame) for frame in frames]
        keys = [self._key(rgb) for rgb in rgbs]
        missing: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key not in self._cache and key not in missing:
                missing[key] = i
        for key, vec in zip(missing, self._compute_many([rgbs[i] for i in missing.values()])):
            self._cache[key] = vec
        self.stats.computed += len(missing)
        out = np.full((len(rgbs), DESCRIPTOR_SIZE), np.nan, dtype=np.float32)
        found = np.zeros(len(rgbs), dtype=bool)
        for i, key in enumerate(keys):
            vec = self._cache[key]
            if vec is not None:
                out[i] = vec
                found[i] = True
        self.stats.requested += len(rgbs)
        self.stats.no_face += int((~found).sum())
        self.stats.seconds += time.perf_counter() - start
        return out, found

    def describe_clips(self, clips: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Descriptors of clips (B, T, H, W[, C]) uint8 -> ((B, T, 128), found (B, T))."""
        clips = np.asarray(clips)
        b, t = clips.shape[:2]
        desc, found = self.describe(clips.reshape((b * t,) + clips.shape[2:]))
        return desc.reshape(b, t, DESCRIPTOR_SIZE), found.reshape(b, t)

    def clear_cache(self) -> None:
        """Forget every cached descriptor."""
        self._cache.clear()
