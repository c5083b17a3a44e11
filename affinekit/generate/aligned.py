"""A face read and aligned once, for every view the kit renders of it.

`read_face_photo` decodes and checks a photo once (`PhotoIn`); `align_face` finds the face and
cuts the network's crop once (`AlignedFace`). Everything after that (the full-frame clip, the
close-up, the grid, `--like`, `--layers`, the widget's scrubber) starts from the `AlignedFace`,
so nothing decodes, detects or warps the same photo again.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from affinekit.data.faces import DETECT_MAX_SIDE, FaceAligner, apply_transform, find_faces
from affinekit.generate.face_size import FaceNotFound, full_size_photo, too_small_face
from affinekit.io.images import to_model
from affinekit.io.photos import fit_photo, read_photo

DETECT_SIDE = DETECT_MAX_SIDE   # the one detection size (data/faces.py says why)


@dataclass(frozen=True)
class PhotoIn:
    """A photo decoded and checked once: `image` at working size (long side <= max_side, even sides),
    `decoded` as decoded (a face too small at working size is looked for there), and its name."""
    image: np.ndarray
    decoded: np.ndarray
    name: str
    source: Any = None      # what was read (a path or bytes): a face too small is looked for at full size there


def read_face_photo(photo: Any, name: str | None, max_side: int) -> PhotoIn:
    """Decode and check `photo` (a path, image bytes, an array or a PIL image) and fit it to `max_side`;
    a `PhotoIn` already read is returned as it is."""
    if isinstance(photo, PhotoIn):
        return photo
    decoded, name = read_photo(photo, name, max_side=max_side)
    return PhotoIn(fit_photo(decoded, max_side), decoded, name, photo)


@dataclass
class AlignedFace:
    """One face ready for the network, and the photo it came from.

    photo: (H, W) or (H, W, 3) uint8 at working size (the output frame), None for a face known
    only as its crop (evaluation's test crops); M: (2, 3) photo -> crop; points: the 68 landmarks
    in photo pixels, as found; landmarks: the same points in crop pixels; crop: (S, S, C) uint8;
    network_crop: (C, S, S) float in [-1, 1], what the network reads (cut once, here)."""
    network_crop: torch.Tensor
    landmarks: np.ndarray | None = None
    photo: np.ndarray | None = None
    M: np.ndarray | None = None
    points: np.ndarray | None = None
    crop: np.ndarray | None = None
    faces: int = 1
    name: str = field(default="<face>")

    def photo_landmarks(self) -> np.ndarray:
        """(68, 2) the face's landmarks in photo pixels."""
        if self.points is None:
            raise ValueError(f"{self.name}: a face known only as its crop has no photo landmarks")
        return self.points


def detect_face(image: np.ndarray, name: str, detect_side: int = DETECT_SIDE) -> tuple[tuple[int, int, int, int], int]:
    """The most confident face's box (left, top, right, bottom) in image pixels, and how many faces
    were found (`faces.find_faces`: the kit's one detector); several faces: the best is animated."""
    boxes = find_faces(image, max_side=detect_side)
    if not boxes:
        h, w = image.shape[:2]      # say the size searched: a small face in a large photo is shrunk with it
        raise FaceNotFound(f"{name}: no face found in the photo as worked on ({w}x{h} px); use a frontal, "
                             "well-lit photo of one face at least ~80 px wide at that size (crop around a small "
                             "face, or raise --max-size)")
    return boxes[0], len(boxes)


def align_face(photo: PhotoIn, aligner: FaceAligner, detect_side: int, max_side: int, stage=None) -> AlignedFace:
    """Find the face in `photo` and cut the network's crop (`aligner.size` px), once.

    stage: an optional context-manager factory timing "detect" and "align" (the Animator's)."""
    stage = stage or (lambda name: nullcontext())
    image, name = photo.image, photo.name
    with stage("detect"):
        try:
            box, faces = detect_face(image, name, detect_side)
        except FaceNotFound as err:         # a face shrunk past finding gets its own line
            full = full_size_photo(photo.source, name, photo.decoded)
            raise too_small_face(full, image, name, detect_side, max_side) or err from None
        points = aligner.landmarks(image, name, box=box)
    with stage("align"):
        return face_under(image, aligner.transform(points), points, aligner, faces, name)


def face_under(photo: np.ndarray, M: np.ndarray, points: np.ndarray, aligner: FaceAligner, faces: int = 1,
               name: str = "<face>") -> AlignedFace:
    """The face of `photo` under the alignment M (photo -> crop of `aligner.size` px), with its
    landmarks `points` (68, 2) in photo pixels: the crop is cut here, once."""
    crop = aligner.warp(photo, M).reshape(aligner.size, aligner.size, -1)
    return AlignedFace(network_crop=to_model(crop), landmarks=apply_transform(M, points), photo=photo,
                       M=np.asarray(M, np.float32), points=np.asarray(points, np.float64), crop=crop,
                       faces=faces, name=name)


def faces_from_crops(crops: torch.Tensor, landmarks: torch.Tensor | np.ndarray | None = None) -> list[AlignedFace]:
    """Aligned crops (B, C, S, S) in [-1, 1] (a dataset's), with their landmarks (B, 68, 2) in crop
    pixels when known, as faces for `render.render_clips`' crop view."""
    crops = torch.as_tensor(crops).float()
    return [AlignedFace(network_crop=crop, landmarks=None if landmarks is None else landmarks[i], name=f"crop {i}")
            for i, crop in enumerate(crops)]
