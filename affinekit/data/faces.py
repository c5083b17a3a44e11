"""Find one face, its 68 dlib landmarks, and align it to a square crop.

Alignment is a similarity (rotation, uniform scale, shift) fitted by weighted
least squares (Umeyama) from the eye centres and two nose points to a fixed
template. The eyes weigh most, so they land on the template within a pixel or
so; the nose points fix the vertical scale against head roll noise.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from affinekit.data.paths import dlib_models_dir
from affinekit.errors import AffinekitError
from affinekit.io.images import as_gray

# Where points land in a crop of size 1 (x, y).
TEMPLATE_EYES = np.array([[0.35, 0.40], [0.65, 0.40]], dtype=np.float32)
TEMPLATE_NOSE = np.array([[0.50, 0.545], [0.50, 0.61]], dtype=np.float32)  # 30 (tip), 33 (base): CK+ means
_WEIGHTS = np.array([4.0, 4.0, 1.0, 1.0])
NO_FACE_HINT = "use a frontal, well-lit photo with one face"
# The detector looks first at a copy whose long side is at most this (then, if it found nothing, at full
# size). dlib's HOG window finds faces of ~80 px and up, so 512 px finds every face at least a sixth of the
# photo's long side on that first, cheap look: a portrait's face is a third or more. 512 is also half of
# `generate`'s working photo (io/photos.MAX_SIDE, 1024 px), an exact 2x area shrink. One size for
# everything that detects in photos and frames: prepare and generate (`find_faces`); evaluation's
# describer only sees small crops, which it upsamples instead.
DETECT_MAX_SIDE = 512
# dlib HOG scores below this are not faces: every real face of the development data (8 clips in the
# wild, the astronaut, 40 CK+ first frames) scored 1.5 or more; clothing and texture false alarms ~0.1.
MIN_FACE_SCORE = 0.5


def confident_faces(found: list[tuple[float, object]]) -> list[tuple[float, object]]:
    """(score, box) detections that are faces: at least MIN_FACE_SCORE and half the best score, best first."""
    found = sorted(((float(score), box) for score, box in found), key=lambda f: -f[0])
    if not found or found[0][0] < MIN_FACE_SCORE:
        return []
    return [f for f in found if f[0] >= max(MIN_FACE_SCORE, 0.5 * found[0][0])]


@functools.lru_cache(maxsize=None)
def frontal_detector():
    """dlib's HOG face detector, loaded once and shared by every user in the kit (prepare, generate,
    evaluation's `FaceDescriber`)."""
    import dlib
    return dlib.get_frontal_face_detector()


@functools.lru_cache(maxsize=None)
def _cnn_detector():
    import dlib
    return dlib.cnn_face_detection_model_v1(str(dlib_models_dir() / "mmod_human_face_detector.dat"))


@functools.lru_cache(maxsize=None)
def shape_predictor():
    """dlib's 68-landmark predictor, loaded once and shared like `frontal_detector`."""
    import dlib
    path = dlib_models_dir() / "shape_predictor_68_face_landmarks.dat"
    if not path.is_file():
        raise AffinekitError(f"{path}: dlib landmark model missing; reinstall face-recognition-models")
    return dlib.shape_predictor(str(path))


# Nose bridge, nose and eyes: the points an expression moves least. Two faces (or two photos of one face)
# are put on top of each other by a similarity fitted on these before their mouths or brows are compared.
RIGID_POINTS = np.arange(27, 48)


def inter_ocular(landmarks: np.ndarray) -> float:
    """Distance between the eye centres (mean of 36-41 and of 42-47), in the landmarks' pixels."""
    left, right = eye_centres(np.asarray(landmarks, np.float64))
    return float(np.hypot(*(right - left)))


def eye_centres(landmarks: np.ndarray) -> np.ndarray:
    """(2, 2): centres of the subject's right eye (36-41, image left) and left eye (42-47)."""
    return np.stack([landmarks[36:42].mean(0), landmarks[42:48].mean(0)])


def similarity_fit(src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """(2, 3) similarity M minimising sum w_i |M [src_i 1] - dst_i|^2 (weighted Umeyama)."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    w = np.ones(len(src)) if weights is None else np.asarray(weights, np.float64)
    w = w / w.sum()
    mu_s, mu_d = w @ src, w @ dst
    s, d = src - mu_s, dst - mu_d
    cov = (d * w[:, None]).T @ s
    u, sig, vt = np.linalg.svd(cov)
    fix = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])  # no reflections
    rot = u @ fix @ vt
    scale = np.trace(np.diag(sig) @ fix) / (w @ (s ** 2).sum(1))
    M = np.zeros((2, 3))
    M[:, :2] = scale * rot
    M[:, 2] = mu_d - M[:, :2] @ mu_s
    return M.astype(np.float32)


def robust_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    """(2, 3) similarity from src to dst points fitted by least median of squares, or None if none fits.

    For many points of which some may be off (the expression classifier frames a face by its 21
    eye and nose points): a few bad ones do not pull the fit, where `similarity_fit`'s weighted least
    squares, meant for a few trusted points, would follow them.
    """
    M, _ = cv2.estimateAffinePartial2D(np.asarray(src, np.float32), np.asarray(dst, np.float32), method=cv2.LMEDS)
    return M


def apply_transform(M: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (N, 2) points by a (2, 3) affine matrix."""
    points = np.asarray(points, np.float32)
    return (points @ M[:, :2].T + M[:, 2]).astype(np.float32)


def _attempts(shape: tuple[int, ...], max_side: int) -> list[tuple[float, int]]:
    """(scale, upsampling) to try in turn: cheapest first. A downscaled copy finds the usual
    large face fast; only when that fails try full size, then (small images) upsampled once."""
    scale = min(1.0, max_side / max(shape))
    attempts = [(scale, 0)] + ([(1.0, 0)] if scale < 1 else [])
    if max(shape) <= 800:
        attempts.append((1.0, 1))
    return attempts


def find_faces(image: np.ndarray, max_side: int = DETECT_MAX_SIDE,
               detector: str = "hog") -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom), in image pixels, of the faces dlib finds, best first; [] for none.

    The one face detector of the kit (`affinekit prepare` and `affinekit generate` alike).
    It looks on a copy at most `max_side` px long first. HOG detections below
    MIN_FACE_SCORE or half the best are dropped (`confident_faces`).
    """
    gray = as_gray(image)
    for scale, upsample in _attempts(gray.shape, max_side):
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
        if detector == "cnn":
            found = [(d.confidence, d.rect) for d in _cnn_detector()(small, upsample)]
            best = max((score for score, _ in found), default=0.0)
            rects = [r for score, r in sorted(found, key=lambda f: -f[0]) if score >= 0.5 * best]
        else:
            boxes, scores, _ = frontal_detector().run(small, upsample, 0.0)
            rects = [r for _, r in confident_faces(list(zip(scores, boxes)))]
        if rects:
            return [tuple(int(round(v / scale)) for v in (r.left(), r.top(), r.right(), r.bottom())) for r in rects]
    return []


class FaceAligner:
    """dlib face detection (HOG or CNN), 68 landmarks, similarity alignment to a square crop."""

    def __init__(self, size: int = 128, detector: str = "hog") -> None:
        if detector not in ("hog", "cnn"):
            raise AffinekitError(f"unknown face detector {detector!r}; use 'hog' or 'cnn'")
        self.size = int(size)
        self.detector = detector

    def detect(self, image: np.ndarray, name: str = "<image>") -> tuple[int, int, int, int]:
        """The single face's box (left, top, right, bottom) in image pixels, or AffinekitError."""
        boxes = find_faces(image, detector=self.detector)
        if not boxes:
            raise AffinekitError(f"{name}: no face found; {NO_FACE_HINT}")
        if len(boxes) > 1:
            raise AffinekitError(f"{name}: {len(boxes)} faces found; crop the photo to one face")
        return boxes[0]

    def landmarks(self, image: np.ndarray, name: str = "<image>",
                  box: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """(68, 2) float32 landmarks (x, y) of the one face; `box` skips detection (a still face)."""
        import dlib
        if box is None:
            box = self.detect(image, name)
        shape = shape_predictor()(as_gray(image), dlib.rectangle(*box))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)

    def transform(self, landmarks: np.ndarray) -> np.ndarray:
        """(2, 3) float32 similarity from image pixels to crop pixels."""
        src = np.concatenate([eye_centres(landmarks), landmarks[[30, 33]]])
        dst = np.concatenate([TEMPLATE_EYES, TEMPLATE_NOSE]) * self.size
        return similarity_fit(src, dst, _WEIGHTS)

    def warp(self, image: np.ndarray, M: np.ndarray) -> np.ndarray:
        """The (size, size[, 3]) crop of an image under M."""
        M = np.asarray(M, np.float64)
        scale = float(np.sqrt(abs(np.linalg.det(M[:, :2]))))
        if scale < 0.5:
            # Bilinear warping aliases when shrinking a lot: shrink with area averaging first.
            r = min(1.0, 2.0 * scale)
            image = cv2.resize(image, None, fx=r, fy=r, interpolation=cv2.INTER_AREA)
            M = M.copy()
            M[:, :2] /= r
        return cv2.warpAffine(image, M, (self.size, self.size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)

    def align(self, image: np.ndarray, name: str = "<image>") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(crop, landmarks in crop pixels (68, 2), M (2, 3)) for the one face in an image."""
        points = self.landmarks(image, name)
        M = self.transform(points)
        return self.warp(image, M), apply_transform(M, points), M

    def align_sequence(self, frames: np.ndarray | list[np.ndarray], name: str = "<sequence>",
                       per_frame: bool = False,
                       frame_names: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Align all frames of a sequence: (crops, landmarks (T,68,2) in crop pixels, transforms (T,2,3)).

        By default one transform, from the first (neutral) frame, serves the whole
        sequence, so a still face does not jitter; landmarks are still found on
        every frame (the lips move), from the first frame's face box. With
        `per_frame` every frame gets its own detection (the previous box when
        detection fails on a later frame) and transform.
        Errors name `frame_names[i]` (the frame's file) when given, else "<name> frame i".
        """
        crops, points, transforms = [], [], []
        box = M = None
        for i, image in enumerate(frames):
            label = frame_names[i] if frame_names else f"{name} frame {i + 1}"
            if box is None:
                box = self.detect(image, label)
            elif per_frame:
                try:
                    box = self.detect(image, label)
                except AffinekitError:
                    pass  # motion blur or a turned head for a frame: keep the previous box
            pts = self.landmarks(image, label, box=box)
            if per_frame or M is None:
                M = self.transform(pts)
            crops.append(self.warp(image, M))
            points.append(apply_transform(M, pts))
            transforms.append(M)
        return np.stack(crops), np.stack(points), np.stack(transforms)
