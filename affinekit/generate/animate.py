"""One face photo in, a short video of that face making an expression out.

    animator = affinekit.load_pretrained()            # the bundled model
    frames = animator.animate("photo.jpg", "happy")   # (T, H, W, 3) uint8
    animator.save(frames, "clip.mp4", fps=8)

The pipeline, stage by stage (the names `--timing` prints):
  read      the photo (path, array or PIL image), shrunk so its long side is at
            most `max_side` (1024) with even sides, as H.264 wants;
  detect    the face on a copy at most `detect_side` (512) px long, dlib HOG
            without upsampling, then 68 landmarks at working resolution;
  align     the similarity transform to the model's crop and the crop itself;
  generate  every frame in one batched pass, at the intensities of the timing curve
            (`affinekit.generate.curves`: linear 0 to `intensity` by default; ease, apex-hold,
            there-and-back), for one expression or a mixture (`affinekit.generate.mixtures`),
            through the one inference path (`affinekit.generate.inference.render_photo`):
            the motion head's field, mask and residual, computed on the crop,
            applied to the full-resolution photo through the inverse alignment;
  encode    the video (`Animator.save`), written to a temporary file and renamed.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import cv2
import numpy as np
import torch

from affinekit.data.faces import DETECT_MAX_SIDE, FaceAligner, apply_transform, find_faces
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS, requested_label
from affinekit.generate.curves import intensity_curve
from affinekit.generate.face_size import too_small_face
from affinekit.generate.inference import render_crops, render_photo
from affinekit.generate.layout import GRID_COLUMNS, beside_closeup, face_region, fit_into, grid
from affinekit.generate.mixtures import label_tensor, mixture_weights
from affinekit.io.images import to_model, to_uint8
from affinekit.io.photos import MAX_SIDE, fit_photo, read_photo
from affinekit.io.video import save_video
from affinekit.weights.bundled import DEFAULT_WEIGHTS
from affinekit.weights.checkpoint import load_generator

# Chosen by looking at the demo face's apex at 1, 1.5, 2, 2.5 and 3 (happy, surprise; bundled model):
# at 2.5 the eyes smear and surprise's mouth becomes a ring, at 3 the face tears; 2 is still a face
MAX_INTENSITY = 2.0
STAGES = ("load", "read", "detect", "align", "generate", "layout", "encode")
CROP_VIEW = 256        # side of the aligned close-up `crop_only` returns (the motion head warps at any size)


# ----------------------------------------------------------------------------- faces

def detect_face(image: np.ndarray, name: str,
                detect_side: int = DETECT_MAX_SIDE) -> tuple[tuple[int, int, int, int], int]:
    """The most confident face's box (left, top, right, bottom) in image pixels, and how many faces
    were found (`faces.find_faces`: the kit's one detector); several faces: the best is animated."""

    boxes = find_faces(image, max_side=detect_side)
    if not boxes:
        h, w = image.shape[:2]      # say the size searched: a small face in a large photo is shrunk with it
        raise AffinekitError(f"{name}: no face found in the photo as worked on ({w}x{h} px); use a frontal, "
                             "well-lit photo of one face at least ~80 px wide at that size (crop around a small "
                             "face, or raise --max-size)")
    return boxes[0], len(boxes)


@dataclass
class Aligned:
    """A photo at working size and its face, aligned for the model."""
    photo: np.ndarray        # (H, W) or (H, W, 3) uint8, the output frame size
    crop: np.ndarray         # (S, S, C) uint8, C = the photo's channels
    landmarks: np.ndarray    # (68, 2) in crop pixels
    M: np.ndarray            # (2, 3) photo -> crop
    faces: int               # how many faces the detector saw

    def photo_landmarks(self) -> np.ndarray:
        """(68, 2) the face's landmarks in photo pixels."""
        return apply_transform(cv2.invertAffineTransform(np.asarray(self.M, np.float64)), self.landmarks)


# ----------------------------------------------------------------------------- the animator

def _model_config(generator: Any, config: Any | None) -> Any:
    if config is not None:
        return config
    for attr in ("config", "cfg", "model_config"):
        if hasattr(generator, attr):
            return getattr(generator, attr)
    raise TypeError("pass the generator's ModelConfig: Animator(generator, config)")


class Animator:
    """Turns face photos into clips with one generator.

    generator: an `affinekit.models.generator.Generator` (trained or not).
    config: its ModelConfig; read from the generator if omitted.
    Every clip comes from `affinekit.generate.inference`: what you see is the network's output.
    """

    def __init__(self, generator: Any, config: Any | None = None, *, max_side: int = MAX_SIDE,
                 detect_side: int = DETECT_MAX_SIDE, name: str = "<generator>") -> None:

        self.generator = generator
        self.config = _model_config(generator, config)
        self.image_size = int(self.config.image_size)
        self.channels = int(self.config.channels)
        self.max_side = int(max_side)
        self.detect_side = int(detect_side)
        self.name = name
        self.aligner = FaceAligner(size=self.image_size, detector="hog")
        self.timings: dict[str, float] = {}
        self.last_faces = 0  # faces the detector saw in the last photo (the most confident is animated)
        self.mouth = True    # paint the mouth with the generator's refiner, when it has one (False: compare without)
        self.last_aligned: Aligned | None = None   # the last animated face (for --layers)
        if hasattr(generator, "eval"):
            generator.eval()
        # load dlib's detector and landmark model now, not inside the first clip's timing
        find_faces(np.zeros((16, 16), np.uint8))
        self.aligner.landmarks(np.zeros((16, 16), np.uint8), box=(0, 0, 15, 15))

    def __repr__(self) -> str:
        return (f"Animator({self.name}, {self.config.output} head, crop {self.image_size}px, "
                f"{'gray' if self.channels == 1 else 'RGB'})")

    @contextmanager
    def _stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start

    # --------------------------------------------------------------- steps
    def align(self, photo: Any, name: str | None = None) -> Aligned:
        """Read the photo, find the face and crop it for the model."""
        with self._stage("read"):
            decoded, name = read_photo(photo, name, max_side=self.max_side)
            image = fit_photo(decoded, self.max_side)
        with self._stage("detect"):
            try:
                box, faces = detect_face(image, name, self.detect_side)
            except AffinekitError as err:       # a face shrunk past finding gets its own line
                raise too_small_face(decoded, image, name, self.detect_side, self.max_side) or err from None
            points = self.aligner.landmarks(image, name, box=box)
        with self._stage("align"):
            M = self.aligner.transform(points)
            crop = self.aligner.warp(image, M).reshape(self.image_size, self.image_size, -1)
            landmarks = apply_transform(M, points)
        return Aligned(image, crop, landmarks, np.asarray(M, np.float32), faces)

    def render(self, aligned: Aligned, labels: list[Any], frames: int, intensity: float,
               region: tuple[int, int, int, int] | None = None, curve: str = "linear") -> np.ndarray:
        """Clips of the whole photo (B, T, H, W, 3) uint8, one per label (an integer or a mixture's
        weight vector), in one batched pass (of `region` (x0, y0, x1, y1) of it only, when given)."""
        with self._stage("generate"):
            lam = intensity_curve(curve, frames, intensity)
            return render_photo(self.generator, aligned.photo, aligned.M, labels, lam, aligned.landmarks, region,
                                mouth=self.mouth)

    def render_closeups(self, aligned: Aligned, labels: list[Any], frames: int, intensity: float,
                        size: int = CROP_VIEW, curve: str = "linear") -> np.ndarray:
        """Aligned close-ups of the face (B, T, size, size, 3) uint8, in the photo's own colour."""
        with self._stage("generate"):
            aligner = FaceAligner(size)
            M = aligner.transform(aligned.photo_landmarks())
            crop = aligner.warp(aligned.photo, M).reshape(size, size, -1)
            x0 = to_model(crop)[None].expand(len(labels), -1, -1, -1)
            points = torch.from_numpy(apply_transform(M, aligned.photo_landmarks())).float()
            out = to_uint8(render_crops(self.generator, x0, label_tensor(labels),
                                        intensity_curve(curve, frames, intensity),
                                        points[None].expand(len(labels), -1, -1), mouth=self.mouth))
            return np.repeat(out, 3, axis=-1) if out.shape[-1] == 1 else out

    # --------------------------------------------------------------- public
    def animate(self, photo: Any, expression: str | int | Mapping[str, float] = "happy", frames: int = 16,
                intensity: float = 1.0, crop_only: bool = False, name: str | None = None, closeup: bool = False,
                curve: str = "linear") -> np.ndarray:
        """A clip of the photo's face making `expression`: (T, H, W, 3) uint8.

        `expression` is a name, an index, or a mixture {name: weight}, e.g.
        {"happy": 0.6, "surprise": 0.4} (`affinekit.generate.mixtures`); `curve` is the
        timing curve (`affinekit.generate.curves`: linear, ease, apex-hold, there-and-back).

        Full frame at the photo's size (long side capped at `max_side`, even
        sides); with crop_only, an aligned close-up of the face (T, 256, 256, 3);
        with closeup, the full frame with a close-up of the face beside it (a
        small face's change is easy to miss in the full frame).
        """
        label = requested_expression(expression)
        check_frames(frames, intensity)
        intensity_curve(curve, 1, intensity)      # an unknown curve fails before any work
        self.timings = {}
        aligned = self.align(photo, name)
        self.last_faces, self.last_aligned = aligned.faces, aligned
        if crop_only:
            return self.render_closeups(aligned, [label], frames, intensity, curve=curve)[0]
        clip = self.render(aligned, [label], frames, intensity, curve=curve)[0]
        if closeup:
            with self._stage("layout"):
                clip = beside_closeup(clip, face_region(aligned.M, self.image_size, clip.shape[1:3]))
        return clip

    def animate_all(self, photo: Any, frames: int = 16, intensity: float = 1.0, crop_only: bool = False,
                    columns: int = GRID_COLUMNS, framing: str = "face", name: str | None = None,
                    curve: str = "linear") -> np.ndarray:
        """Every expression at once: a grid video (T, GH, GW, 3) of 7 labelled panels, one generator pass.

        framing="face" shows each panel as the region around the face (in a
        full-frame panel a quarter of the grid wide the face would be tiny);
        "full" shows whole frames. With crop_only the panels are aligned close-ups.
        """
        if framing not in ("face", "full"):
            raise AffinekitError(f"unknown framing {framing!r}; use 'face' or 'full'")
        check_frames(frames, intensity)
        intensity_curve(curve, 1, intensity)      # an unknown curve fails before any work
        self.timings = {}
        aligned = self.align(photo, name)
        labels = list(range(len(EXPRESSIONS)))
        self.last_faces = aligned.faces
        names = list(EXPRESSIONS)
        if crop_only:
            panels = list(self.render_closeups(aligned, labels, frames, intensity, curve=curve))
        else:
            if framing == "face":
                box = face_region(aligned.M, self.image_size, aligned.photo.shape[:2])
                x0, y0, x1, y1 = box
                panels = list(self.render(aligned, labels, frames, intensity, region=box, curve=curve))
                # the last cell shows the whole frame (of the last expression), fitted to a panel
                last = self.render(aligned, labels[-1:], frames, intensity, curve=curve)[0]
                panels.append(fit_into(last, y1 - y0, x1 - x0))
                names.append(f"full frame ({EXPRESSIONS[-1]})")
            else:
                panels = list(self.render(aligned, labels, frames, intensity, curve=curve))
        with self._stage("layout"):
            return grid(panels, names, columns=columns, max_side=max(self.max_side, 2 * self.image_size))

    def save(self, frames: np.ndarray, path: str | os.PathLike, fps: int = 8) -> Path:
        """Write frames to .mp4 or .gif; a temporary file is renamed into place, so a failure leaves nothing."""
        with self._stage("encode"):
            return save_video(frames, path, fps)


# ----------------------------------------------------------------------------- helpers

def requested_expression(expression: str | int | Mapping[str, float]) -> int | np.ndarray:
    """A plain expression as its label index, a mixture {name: weight} as its weight vector (checked)."""
    if isinstance(expression, Mapping):
        return mixture_weights(expression, "expression")
    return requested_label(expression)


def check_frames(frames: int, intensity: float) -> None:
    """Frames 1-1000 and an intensity from 0 to MAX_INTENSITY, or one line saying what is allowed."""
    if int(frames) != frames or not 1 <= frames <= 1000:
        raise AffinekitError(f"frames must be a whole number from 1 to 1000, got {frames}")
    if not np.isfinite(intensity) or not 0 <= intensity <= MAX_INTENSITY:
        raise AffinekitError(f"intensity must be from 0 to {MAX_INTENSITY} (1 = apex, above 1 extrapolates), "
                             f"got {intensity}")


# ----------------------------------------------------------------------------- loading

def load_pretrained(checkpoint: str | os.PathLike | None = None, device: str = "cpu", **options: Any) -> Animator:
    """An Animator around the bundled model, or around `checkpoint` (a file from `affinekit train`)."""
    path = Path(checkpoint) if checkpoint is not None else DEFAULT_WEIGHTS
    if not path.is_file():
        if checkpoint is None:
            raise AffinekitError(
                f"{path}: the bundled model is not there yet (it has not been trained and exported); "
                "pass a checkpoint from `affinekit train` (--checkpoint runs/NAME/checkpoints/last.pt)")
        raise AffinekitError(f"{path}: no such checkpoint; pass a file written by `affinekit train`")

    try:
        generator, config = load_generator(path)
    except AffinekitError:
        raise
    except Exception as err:  # a corrupt or foreign file: say which, no traceback
        raise AffinekitError(f"{path}: not an affinekit checkpoint ({type(err).__name__}: {str(err).splitlines()[0][:120] if str(err) else ''}); "
                             "pass a file written by `affinekit train`") from None
    generator = generator.to(device)
    return Animator(generator, config, name=path.name, **options)
