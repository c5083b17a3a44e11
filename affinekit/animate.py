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
  generate  every frame in one batched pass, intensities linspace(0, intensity, T),
            through the one inference path (`affinekit.inference.render_photo`):
            the motion head's field, mask and residual, computed on the crop,
            applied to the full-resolution photo through the inverse alignment;
  encode    the video (`Animator.save`), written to a temporary file and renamed.
"""
from __future__ import annotations

import functools
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from affinekit.atomic import atomic_path
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS, expression_index

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "affinekit_default.pt"       # the kit's motion head
PIXELS_WEIGHTS = WEIGHTS_DIR / "affinekit_pixels.pt"         # the paper's pixel head, same recipe (for comparison)
MAX_SIDE = 1024        # long side of the output video, pixels
DETECT_SIDE = 512      # long side of the copy the detector sees (HOG finds faces >= ~80 px)
VIDEO_SUFFIXES = (".mp4", ".gif")
GRID_COLUMNS = 4
MAX_INTENSITY = 3.0    # 3x the apex motion already distorts a face; beyond that the warp tears it
STAGES = ("load", "read", "detect", "align", "generate", "layout", "encode")
CROP_VIEW = 256        # side of the aligned close-up `crop_only` returns (the motion head warps at any size)


# ----------------------------------------------------------------------------- photos

def demo_photo() -> np.ndarray:
    """The demo face: scikit-image's `astronaut` (Eileen Collins, NASA, public domain), (512, 512, 3)."""
    from skimage import data
    return data.astronaut()


def _to_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype == np.uint16:
        return (arr.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        if arr.size and (np.nanmin(arr) < 0 or np.nanmax(arr) > 1):
            raise AffinekitError(f"{name}: float image values must lie in [0, 1]; pass uint8 (0-255) or scale it")
        return (np.nan_to_num(arr) * 255 + 0.5).astype(np.uint8)
    raise AffinekitError(f"{name}: unsupported pixel type {arr.dtype}; pass a uint8 image")


def _from_array(arr: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]  # drop alpha
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise AffinekitError(f"{name}: expected an image of shape (H, W) or (H, W, 3), got {arr.shape}")
    if min(arr.shape[:2]) < 16:
        raise AffinekitError(f"{name}: image of {arr.shape[1]}x{arr.shape[0]} px is too small to hold a face")
    arr = _to_uint8(arr, name)
    if arr.ndim == 3:
        # a gray picture stored as RGB stays gray (a colour model would otherwise tint it)
        probe = arr[:: max(1, arr.shape[0] // 64), :: max(1, arr.shape[1] // 64)].astype(np.int16)
        if np.abs(probe - probe[:, :, :1]).max() <= 2:
            arr = arr[:, :, 0]
    return np.ascontiguousarray(arr)


def read_photo(photo: Any, name: str | None = None, max_side: int | None = None) -> tuple[np.ndarray, str]:
    """A photo as (H, W) gray or (H, W, 3) RGB uint8, and the name errors use for it.

    photo: a path (str or Path), the bytes of an image file (an upload), a numpy
    array (H, W) or (H, W, 3) RGB, or a PIL image; the CLI, the API and the
    widget all decode through here. EXIF orientation is applied; 16-bit, CMYK,
    palette and alpha images are converted; a truncated file is refused. With `max_side`, a large JPEG is
    decoded at a reduced scale (Pillow's draft mode), which is much faster.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(photo, (str, os.PathLike)):
        path = Path(photo)
        name = name or str(path)
        if not path.exists():
            raise AffinekitError(f"{path}: no such file; pass the path of a face photo (JPEG or PNG) or use --demo")
        if path.is_dir():
            raise AffinekitError(f"{path}: is a folder; pass the path of one face photo (JPEG or PNG)")
        try:
            with Image.open(path) as img:
                if max_side and img.format == "JPEG":
                    img.draft("RGB" if img.mode != "L" else "L", (max_side, max_side))
                img = ImageOps.exif_transpose(img)
                return _from_pil(img, name), name
        except (UnidentifiedImageError, Image.DecompressionBombError) as err:
            raise AffinekitError(f"{path}: not an image file ({type(err).__name__}); pass a JPEG or PNG face photo") from None
        except OSError as err:
            raise AffinekitError(f"{path}: cannot read the image ({err}); pass a readable JPEG or PNG face photo") from None
    if isinstance(photo, (bytes, bytearray, memoryview)):     # an upload: decoded exactly like a file
        import io
        name = name or "<uploaded bytes>"
        try:
            with Image.open(io.BytesIO(bytes(photo))) as img:
                img.load()
                return _from_pil(ImageOps.exif_transpose(img), name), name
        except (UnidentifiedImageError, Image.DecompressionBombError) as err:
            raise AffinekitError(f"{name}: not an image file ({type(err).__name__}); upload a JPEG or PNG face photo") from None
        except OSError as err:
            raise AffinekitError(f"{name}: cannot read the image ({err}); upload a readable JPEG or PNG face photo") from None
    if isinstance(photo, np.ndarray):
        return _from_array(photo, name or "<array>"), name or "<array>"
    if hasattr(photo, "mode") and hasattr(photo, "size") and hasattr(photo, "convert"):
        name = name or "<PIL image>"
        return _from_pil(ImageOps.exif_transpose(photo), name), name
    raise AffinekitError(f"{type(photo).__name__}: not a photo; pass a file path, a numpy array (H, W[, 3]) uint8 or a PIL image")


def _from_pil(img: Any, name: str) -> np.ndarray:
    if img.mode in ("1", "L", "LA", "I", "I;16", "F"):
        if img.mode in ("1", "LA"):
            img = img.convert("L")
        arr = np.asarray(img)
        if img.mode in ("I", "F"):
            arr = arr.astype(np.float32)
            top = float(arr.max()) if arr.size else 1.0
            arr = np.clip(arr / (top if top > 255 else 255.0), 0, 1)
        elif img.mode == "I;16":
            arr = arr.astype(np.uint16)
    else:
        arr = np.asarray(img.convert("RGB"))
    return _from_array(arr, name)


def even_size(height: int, width: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """(height, width) scaled so the long side is at most max_side, both rounded down to even."""
    scale = min(1.0, max_side / max(height, width))
    h = max(2, int(height * scale) // 2 * 2)
    w = max(2, int(width * scale) // 2 * 2)
    return h, w


def fit_photo(image: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """The photo at the output size: long side <= max_side (area averaging), even sides (an odd last row/column is dropped)."""
    h, w = even_size(*image.shape[:2], max_side=max_side)
    if (h, w) == image.shape[:2]:
        return image
    if max(image.shape[:2]) <= max_side:  # only odd: drop the last row/column, no resampling
        return np.ascontiguousarray(image[:h, :w])
    shrink = h < image.shape[0]
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


# ----------------------------------------------------------------------------- faces

@functools.lru_cache(maxsize=None)
def _hog_detector():
    import dlib
    return dlib.get_frontal_face_detector()


def detect_face(image: np.ndarray, name: str, detect_side: int = DETECT_SIDE) -> tuple[tuple[int, int, int, int], int]:
    """The most confident face's box (left, top, right, bottom) in image pixels, and how many faces were seen.

    dlib's HOG detector runs without upsampling on a copy at most `detect_side`
    px long; only if that finds nothing does it look again at full size (small
    faces), then upsampled once if the photo is small. Detections scoring below
    `faces.MIN_FACE_SCORE`, or below half the best, are not faces (a face scores
    1.5-2, a false alarm on clothing ~0.1). Several faces: the most confident one
    is animated.
    """
    from affinekit.data.faces import confident_faces

    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    detector = _hog_detector()
    tries = []
    scale = min(1.0, detect_side / max(gray.shape))
    if scale < 1:
        tries.append((scale, 0))
    tries.append((1.0, 0))
    if max(gray.shape) < 400:
        tries.append((1.0, 1))
    for scale, upsample in tries:
        small = gray if scale == 1 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rects, scores, _ = detector.run(small, upsample, 0.0)
        faces = confident_faces(list(zip(scores, rects)))
        if faces:
            r = faces[0][1]
            box = tuple(int(round(v / scale)) for v in (r.left(), r.top(), r.right(), r.bottom()))
            return box, len(faces)
    raise AffinekitError(f"{name}: no face found; use a frontal, well-lit photo of one face (at least ~80 px wide)")


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
        from affinekit.data.faces import apply_transform
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
    Every clip comes from `affinekit.inference`: what you see is the network's output.
    """

    def __init__(self, generator: Any, config: Any | None = None, *, max_side: int = MAX_SIDE,
                 detect_side: int = DETECT_SIDE, name: str = "<generator>") -> None:
        from affinekit.data.faces import FaceAligner

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
        if hasattr(generator, "eval"):
            generator.eval()
        # load dlib's detector and landmark model now, not inside the first clip's timing
        _hog_detector()
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
            image, name = read_photo(photo, name, max_side=self.max_side)
            image = fit_photo(image, self.max_side)
        with self._stage("detect"):
            box, faces = detect_face(image, name, self.detect_side)
            points = self.aligner.landmarks(image, name, box=box)
        with self._stage("align"):
            from affinekit.data.faces import apply_transform
            M = self.aligner.transform(points)
            crop = self.aligner.warp(image, M).reshape(self.image_size, self.image_size, -1)
            landmarks = apply_transform(M, points)
        return Aligned(image, crop, landmarks, np.asarray(M, np.float32), faces)

    def render(self, aligned: Aligned, labels: list[int], frames: int, intensity: float) -> np.ndarray:
        """Clips of the whole photo (B, T, H, W, 3) uint8, one per label, in one batched pass."""
        import torch

        from affinekit.inference import render_photo
        with self._stage("generate"):
            lam = torch.linspace(0.0, float(intensity), frames)
            return render_photo(self.generator, aligned.photo, aligned.M, labels, lam, aligned.landmarks)

    def render_closeups(self, aligned: Aligned, labels: list[int], frames: int, intensity: float,
                        size: int = CROP_VIEW) -> np.ndarray:
        """Aligned close-ups of the face (B, T, size, size, 3) uint8, in the photo's own colour."""
        import torch

        from affinekit.data.faces import FaceAligner
        from affinekit.inference import render_crops
        with self._stage("generate"):
            aligner = FaceAligner(size)
            crop = aligner.warp(aligned.photo, aligner.transform(aligned.photo_landmarks())).reshape(size, size, -1)
            x0 = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))).float() / 127.5 - 1.0
            x0 = x0[None].expand(len(labels), -1, -1, -1)
            clips = render_crops(self.generator, x0, torch.tensor(labels), torch.linspace(0.0, float(intensity), frames))
            out = ((clips.numpy() + 1.0) * 127.5).round().clip(0, 255).astype(np.uint8).transpose(0, 1, 3, 4, 2)
            return np.repeat(out, 3, axis=-1) if out.shape[-1] == 1 else out

    # --------------------------------------------------------------- public
    def animate(self, photo: Any, expression: str | int = "happy", frames: int = 16, intensity: float = 1.0,
                crop_only: bool = False, name: str | None = None, closeup: bool = False) -> np.ndarray:
        """A clip of the photo's face making `expression`: (T, H, W, 3) uint8.

        Full frame at the photo's size (long side capped at `max_side`, even
        sides); with crop_only, an aligned close-up of the face (T, 256, 256, 3);
        with closeup, the full frame with a close-up of the face beside it (a
        small face's change is easy to miss in the full frame).
        """
        label = _label(expression)
        _check_frames(frames, intensity)
        self.timings = {}
        aligned = self.align(photo, name)
        self.last_faces = aligned.faces
        if crop_only:
            return self.render_closeups(aligned, [label], frames, intensity)[0]
        clip = self.render(aligned, [label], frames, intensity)[0]
        if closeup:
            with self._stage("layout"):
                clip = beside_closeup(clip, face_region(aligned.M, self.image_size, clip.shape[1:3]))
        return clip

    def animate_all(self, photo: Any, frames: int = 16, intensity: float = 1.0, crop_only: bool = False,
                    columns: int = GRID_COLUMNS, framing: str = "face", name: str | None = None) -> np.ndarray:
        """Every expression at once: a grid video (T, GH, GW, 3) of 7 labelled panels, one generator pass.

        framing="face" shows each panel as the region around the face (in a
        full-frame panel a quarter of the grid wide the face would be tiny);
        "full" shows whole frames. With crop_only the panels are aligned close-ups.
        """
        if framing not in ("face", "full"):
            raise AffinekitError(f"unknown framing {framing!r}; use 'face' or 'full'")
        _check_frames(frames, intensity)
        self.timings = {}
        aligned = self.align(photo, name)
        labels = list(range(len(EXPRESSIONS)))
        self.last_faces = aligned.faces
        names = list(EXPRESSIONS)
        if crop_only:
            panels = list(self.render_closeups(aligned, labels, frames, intensity))
        else:
            panels = list(self.render(aligned, labels, frames, intensity))
            if framing == "face":
                x0, y0, x1, y1 = face_region(aligned.M, self.image_size, aligned.photo.shape[:2])
                # the last cell shows the whole frame (of the last expression), fitted to a panel
                full = fit_into(panels[-1], y1 - y0, x1 - x0)
                panels = [p[:, y0:y1, x0:x1] for p in panels] + [full]
                names.append(f"full frame ({EXPRESSIONS[-1]})")
        with self._stage("layout"):
            return grid(panels, names, columns=columns, max_side=max(self.max_side, 2 * self.image_size))

    def save(self, frames: np.ndarray, path: str | os.PathLike, fps: int = 8) -> Path:
        """Write frames to .mp4 or .gif; a temporary file is renamed into place, so a failure leaves nothing."""
        with self._stage("encode"):
            return save_video(frames, path, fps)


# ----------------------------------------------------------------------------- helpers

def _label(expression: str | int) -> int:
    if isinstance(expression, (int, np.integer)) and not isinstance(expression, bool):
        if 0 <= int(expression) < len(EXPRESSIONS):
            return int(expression)
        raise AffinekitError(f"expression index {expression} out of range; use 0-{len(EXPRESSIONS) - 1} or a name: {', '.join(EXPRESSIONS)}")
    try:
        return expression_index(str(expression))
    except ValueError:
        raise AffinekitError(f"unknown expression {expression!r}; use one of {', '.join(EXPRESSIONS)}, or all") from None


def _check_frames(frames: int, intensity: float) -> None:
    if int(frames) != frames or not 1 <= frames <= 1000:
        raise AffinekitError(f"frames must be a whole number from 1 to 1000, got {frames}")
    if not np.isfinite(intensity) or not 0 <= intensity <= MAX_INTENSITY:
        raise AffinekitError(f"intensity must be from 0 to {MAX_INTENSITY} (1 = apex, above 1 extrapolates), "
                             f"got {intensity}")


def face_region(M: np.ndarray, crop_size: int, shape: tuple[int, int], margin: float = 1.4) -> tuple[int, int, int, int]:
    """A square box (x0, y0, x1, y1) around the crop's footprint in the photo, `margin` times
    its size, moved (and if need be shrunk) to lie inside the photo; even sides."""
    h, w = shape
    M = np.asarray(M, np.float64)
    footprint = crop_size / np.sqrt(abs(np.linalg.det(M[:, :2])))  # the crop's side in photo pixels
    cx, cy = cv2.invertAffineTransform(M) @ np.array([crop_size / 2, crop_size / 2, 1.0])
    side = max(2, int(min(margin * footprint, h, w)) // 2 * 2)
    x0 = int(np.clip(round(cx - side / 2), 0, w - side))
    y0 = int(np.clip(round(cy - side / 2), 0, h - side))
    return x0, y0, x0 + side, y0 + side


def fit_into(video: np.ndarray, height: int, width: int) -> np.ndarray:
    """Frames (T, H, W, 3) shrunk to fit a height x width box, centred on black (letterboxed)."""
    t, h, w = video.shape[:3]
    scale = min(height / h, width / w)
    nh, nw = max(1, int(h * scale)), max(1, int(w * scale))
    out = np.zeros((t, height, width, 3), np.uint8)
    y, x = (height - nh) // 2, (width - nw) // 2
    for k in range(t):
        out[k, y:y + nh, x:x + nw] = cv2.resize(video[k], (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def beside_closeup(video: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Frames (T, H, W, 3) with the square `box` (x0, y0, x1, y1) enlarged to H x H beside them."""
    t, h, w = video.shape[:3]
    x0, y0, x1, y1 = box
    side = h - h % 2
    out = np.zeros((t, h, w + side, 3), np.uint8)
    out[:, :, :w] = video
    for k in range(t):
        out[k, :side, w:] = cv2.resize(video[k, y0:y1, x0:x1], (side, side),
                                       interpolation=cv2.INTER_LINEAR if side > y1 - y0 else cv2.INTER_AREA)
    return out


def grid(videos: list[np.ndarray], labels: list[str], columns: int = GRID_COLUMNS,
         max_side: int = MAX_SIDE) -> np.ndarray:
    """Tile equal-sized videos (T, H, W, 3) into one (T, GH, GW, 3), each panel under a label strip.

    Panels are shrunk so the grid's long side is at most max_side; empty cells
    (7 panels in a 4 x 2 grid) stay black. Both sides of the grid are even.
    """
    n = len(videos)
    t, h, w = videos[0].shape[:3]
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    strip_frac = 0.12
    scale = min(1.0, max_side / (columns * w), max_side / (rows * h * (1 + strip_frac)))
    pw, ph = max(2, int(w * scale)), max(2, int(h * scale))
    strip = max(12, int(round(ph * strip_frac)))
    gh, gw = rows * (ph + strip), columns * pw
    gh += gh % 2
    gw += gw % 2
    out = np.zeros((t, gh, gw, 3), np.uint8)
    font_scale = strip / 42.0
    for i, (video, label) in enumerate(zip(videos, labels)):
        r, c = divmod(i, columns)
        y, x = r * (ph + strip), c * pw
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        text = np.full((strip, pw, 3), 40, np.uint8)
        cv2.putText(text, label, (max(2, (pw - tw) // 2), (strip + th - base) // 2 + 1), cv2.FONT_HERSHEY_SIMPLEX,
                    font_scale, (255, 255, 255), 1, cv2.LINE_AA)
        out[:, y:y + strip, x:x + pw] = text
        for k in range(t):
            frame = video[k] if (ph, pw) == (h, w) else cv2.resize(video[k], (pw, ph), interpolation=cv2.INTER_AREA)
            out[k, y + strip:y + strip + ph, x:x + pw] = frame
    return out


def check_output_path(path: str | os.PathLike) -> Path:
    """A writable .mp4/.gif path, or AffinekitError saying what to change."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise AffinekitError(f"{path}: unsupported video type {path.suffix or '(none)'!r}; end the name in .mp4 or .gif")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise AffinekitError(f"{path}: folder {parent} does not exist; create it or write elsewhere")
    if path.is_dir():
        raise AffinekitError(f"{path}: is a folder; give a file name ending in .mp4 or .gif")
    return path


def save_video(frames: np.ndarray, path: str | os.PathLike, fps: int = 8) -> Path:
    """Write (T, H, W, 3) uint8 frames to .mp4/.gif via a temporary file renamed into place."""
    from affinekit.video import verify_video, write_video

    path = check_output_path(path)
    if not 0 < fps <= 60:
        raise AffinekitError(f"fps must be from 1 to 60, got {fps}")
    try:
        with atomic_path(path, suffix=path.suffix, verify=verify_video) as tmp:
            write_video(np.asarray(frames), tmp, fps)
    except OSError as err:      # e.g. no space left: the old file stays, the temporary one is gone
        raise AffinekitError(f"{path}: could not write the video ({err.strerror or err}); "
                             "free some space or write elsewhere") from None
    return path


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
    from affinekit.train import load_generator

    try:
        generator, config = load_generator(path)
    except AffinekitError:
        raise
    except Exception as err:  # a corrupt or foreign file: say which, no traceback
        raise AffinekitError(f"{path}: not an affinekit checkpoint ({type(err).__name__}: {str(err).splitlines()[0][:120] if str(err) else ''}); "
                             "pass a file written by `affinekit train`") from None
    generator = generator.to(device)
    return Animator(generator, config, name=path.name, **options)


# ----------------------------------------------------------------------------- command line

def main(args: Any) -> int:
    """`affinekit generate`: photo -> clip.mp4 / .gif, or photos -> one clip each in --out-dir."""
    import sys

    from affinekit.devices import resolve_device

    start = time.perf_counter()
    photos = list(args.photo or [])
    out_dir = getattr(args, "out_dir", None)
    batch = len(photos) > 1 or bool(out_dir) or any(Path(p).is_dir() or any(c in p for c in "*?[") for p in photos)
    expression = str(args.expression).strip().lower()
    if expression != "all":
        _label(expression)
    _check_frames(args.frames, args.intensity)
    if not 1 <= args.fps <= 60:
        raise AffinekitError(f"--fps must be from 1 to 60, got {args.fps}")
    if args.demo and photos:
        raise AffinekitError(f"{photos[0]}: pass either photos or --demo, not both")
    if not args.demo and not photos:
        raise AffinekitError("no photo given; pass a face photo (affinekit generate photo.jpg) or use --demo")
    max_side = getattr(args, "max_size", MAX_SIDE)
    if max_side < 64:
        raise AffinekitError(f"--max-size must be at least 64 pixels, got {max_side}")
    device = str(resolve_device(getattr(args, "device", "auto")))
    if batch:
        return _main_batch(args, photos, out_dir, expression, max_side, device)
    out = check_output_path(args.out)
    # read the photo first: a missing or unreadable file fails before the model loads
    name = "demo photo (astronaut)" if args.demo else photos[0]
    photo, name = read_photo(demo_photo() if args.demo else photos[0], name, max_side=max_side)
    read_time = time.perf_counter() - start

    start = time.perf_counter()
    animator = load_pretrained(args.checkpoint, device=device, max_side=max_side)
    load_time = time.perf_counter() - start

    if expression == "all":
        frames = animator.animate_all(photo, args.frames, args.intensity, args.crop_only, name=name)
    else:
        frames = animator.animate(photo, expression, args.frames, args.intensity, args.crop_only, name=name)
    if getattr(animator, "last_faces", 1) > 1:
        print(f"note: {animator.last_faces} faces found in {name}; animated the most confident one", file=sys.stderr)
    animator.save(frames, out, args.fps)
    t, h, w = frames.shape[:3]
    print(f"wrote {out}: {t} frames, {w}x{h}, {args.fps} fps, {expression}")
    if args.timing:
        timings = {"load": load_time, **animator.timings}
        timings["read"] = timings.get("read", 0.0) + read_time
        print(format_timings(timings))
    return 0


def _main_batch(args: Any, photos: list[str], out_dir: str | None, expression: str, max_side: int,
                device: str) -> int:
    """`affinekit generate a.jpg b.jpg folder/ 'glob*' --out-dir clips/`: one clip per photo."""
    from affinekit.batch import check_out_dir, expand_photos, generate_batch

    if args.demo:
        raise AffinekitError("--demo makes one clip; drop it to generate a batch of photos")
    if not out_dir:
        raise AffinekitError("several photos make several clips: give them a folder with --out-dir DIR")
    paths = expand_photos(photos)
    out = check_out_dir(out_dir)
    animator = load_pretrained(args.checkpoint, device=device, max_side=max_side)
    report = generate_batch(animator, paths, out, expression, args.frames, args.intensity, args.fps,
                            getattr(args, "format", "mp4"), args.crop_only)
    print(report.summary())
    return 1 if report.failed else 0


def format_timings(timings: dict[str, float]) -> str:
    """Stage times as aligned lines, then the clip's total (load excluded) and the total with load."""
    lines = [f"  {stage:<9}{timings[stage] * 1000:8.1f} ms" for stage in STAGES if stage in timings]
    clip = sum(v for k, v in timings.items() if k != "load")
    lines.append(f"  {'clip':<9}{clip * 1000:8.1f} ms  (read to encode)")
    if "load" in timings:
        lines.append(f"  {'total':<9}{(clip + timings['load']) * 1000:8.1f} ms  (with load)")
    return "\n".join(lines)
