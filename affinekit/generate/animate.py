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
            through the one render function (`affinekit.generate.render.render_clips`):
            the motion head's field, mask and residual, computed on the crop,
            applied to the full-resolution photo through the inverse alignment;
  encode    the video (`Animator.save`), written to a temporary file and renamed.

`align` returns an `AlignedFace` (photo, transform, landmarks, network crop): read, detect
and align happen once per photo, and `animate`, `animate_all` and `render` take that face
as well as a photo, so a caller that shows one face many ways (the widget, the notebooks,
`--like`) aligns it once.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from affinekit.data.faces import DETECT_MAX_SIDE, FaceAligner, find_faces
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.generate.aligned import AlignedFace, align_face, read_face_photo
from affinekit.generate.checks import check_frames, check_mixture_total, requested_expression
from affinekit.generate.curves import intensity_curve
from affinekit.generate.layout import GRID_COLUMNS, beside_closeup, face_region, fit_into, grid
from affinekit.generate.render import CLOSEUP_SIZE, render_clips
from affinekit.io.photos import MAX_SIDE
from affinekit.io.video import save_video
from affinekit.weights.bundled import DEFAULT_WEIGHTS
from affinekit.weights.checkpoint import load_generator

STAGES = ("load", "read", "detect", "align", "generate", "layout", "encode")


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
    Every clip comes from `affinekit.generate.render.render_clips`: what you see is the network's output.
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
        self.mouth = True    # paint the mouth with the generator's refiner, when it has one (False: compare without)
        self.last_aligned: AlignedFace | None = None   # the last animated face (for --layers)
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
    def align(self, photo: Any, name: str | None = None) -> AlignedFace:
        """Read the photo, find the face and cut the network's crop, once (an `AlignedFace` is
        returned as it is; a `PhotoIn` from `read_face_photo` is not decoded again)."""
        if isinstance(photo, AlignedFace):
            return photo
        with self._stage("read"):
            read = read_face_photo(photo, name, self.max_side)
        return align_face(read, self.aligner, self.detect_side, self.max_side, self._stage)

    def render(self, aligned: AlignedFace, labels: list[Any], frames: int, intensity: float,
               region: Any = None, curve: str = "linear", view: str = "photo", size: int = CLOSEUP_SIZE) -> Any:
        """Clips of `aligned`, one per label (an integer or a mixture's weight vector), in one batched
        pass: the whole photo (B, T, H, W, 3) uint8 (of `region` (x0, y0, x1, y1) only, when given), or
        with view="closeup" aligned close-ups (B, T, size, size, 3) (`render.render_clips`)."""
        with self._stage("generate"):
            return render_clips(self.generator, aligned, labels, intensity_curve(curve, frames, intensity),
                                view=view, region=region, mouth=self.mouth, size=size)

    def _clip_face(self, photo: Any, name: str | None) -> AlignedFace:
        """The face a new clip animates, kept as `last_aligned` (for --layers); the clip's timings start
        afresh unless the face was aligned before (it keeps its read/detect/align times)."""
        if not isinstance(photo, AlignedFace):
            self.timings = {}
        self.last_aligned = self.align(photo, name)
        return self.last_aligned

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
        check_mixture_total(label, intensity)
        intensity_curve(curve, 1, intensity)      # an unknown curve fails before any work
        aligned = self._clip_face(photo, name)
        if crop_only:
            return self.render(aligned, [label], frames, intensity, curve=curve, view="closeup")[0]
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
        aligned = self._clip_face(photo, name)
        labels = list(range(len(EXPRESSIONS)))
        names = list(EXPRESSIONS)
        if crop_only:
            panels = list(self.render(aligned, labels, frames, intensity, curve=curve, view="closeup"))
        elif framing == "face":
            x0, y0, x1, y1 = box = face_region(aligned.M, self.image_size, aligned.photo.shape[:2])
            # the last expression is rendered once, whole: its panel is cut from that clip, and the
            # last cell shows the whole frame fitted to a panel
            regions = [box] * (len(labels) - 1) + [None]
            panels = list(self.render(aligned, labels, frames, intensity, region=regions, curve=curve))
            whole = panels[-1]
            panels[-1] = whole[:, y0:y1, x0:x1]
            panels.append(fit_into(whole, y1 - y0, x1 - x0))
            names.append(f"full frame ({EXPRESSIONS[-1]})")
        else:
            panels = list(self.render(aligned, labels, frames, intensity, curve=curve))
        with self._stage("layout"):
            return grid(panels, names, columns=columns, max_side=max(self.max_side, 2 * self.image_size))

    def save(self, frames: np.ndarray, path: str | os.PathLike, fps: int = 8) -> Path:
        """Write frames to .mp4 or .gif; a temporary file is renamed into place, so a failure leaves nothing."""
        with self._stage("encode"):
            return save_video(frames, path, fps)


# ----------------------------------------------------------------------------- loading

def load_pretrained(checkpoint: str | os.PathLike | None = None, device: str = "cpu", **options: Any) -> Animator:
    """An Animator around the bundled model, or around `checkpoint` (a file from `affinekit train`)."""
    path = Path(checkpoint) if checkpoint is not None else DEFAULT_WEIGHTS
    if checkpoint is None and not path.is_file():     # a given checkpoint is checked where it is read
        raise AffinekitError(
            f"{path}: the bundled model is not there yet (it has not been trained and exported); "
            "pass a checkpoint from `affinekit train` (--checkpoint runs/NAME/checkpoints/last.pt)")

    try:
        generator, config = load_generator(path)
    except AffinekitError:
        raise
    except Exception as err:  # a corrupt or foreign file: say which, no traceback
        raise AffinekitError(f"{path}: not an affinekit checkpoint ({type(err).__name__}: {str(err).splitlines()[0][:120] if str(err) else ''}); "
                             "pass a file written by `affinekit train`") from None
    generator = generator.to(device)
    return Animator(generator, config, name=path.name, **options)
