"""Why no face was found when the photo was shrunk to the output size: the face became too small.

An 86 px face in a 6000 x 4000 photo is 15 px at the 1024 px output, and
`--max-size 128` makes a 512 px portrait's face about 20 px: both said "no
face found". When detection fails on the working copy, the face is looked
for in the photo at its full size (a large JPEG is decoded at a reduced scale
for the working copy, which had already shrunk an 86 px face to 43 px); if it
is found, the line says how small it became and which `--max-size` would keep
it findable.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from affinekit.data.faces import find_faces
from affinekit.errors import AffinekitError
from affinekit.io.photos import read_photo

MIN_FACE_PX = 80          # HOG's window: faces narrower than this at the working size are missed,
UPSAMPLED_MAX_SIDE = 800  # except in a photo this small, which the detector also upsamples once


class FaceNotFound(AffinekitError):
    """No face at the working size (the general line); `too_small_face` may give a more precise one."""


def full_size_photo(photo: Any, name: str, decoded: np.ndarray) -> np.ndarray:
    """The photo decoded at its full size (within the decoder's pixel bound) when `photo` is a file or
    bytes (whose `decoded` copy may come from a reduced-scale decode); `decoded` itself otherwise."""
    if not isinstance(photo, (str, bytes, bytearray, memoryview)) and not hasattr(photo, "__fspath__"):
        return decoded
    try:
        return read_photo(photo, name)[0]
    except AffinekitError:
        return decoded


def too_small_face(decoded: np.ndarray, working: np.ndarray, name: str, detect_side: int,
                   max_side: int) -> AffinekitError | None:
    """The error to raise when `decoded` (the photo at full size) holds a face that `working` (the
    photo at the output size) shows too small to find; None when there is no face at either size."""
    if max(decoded.shape[:2]) <= max(working.shape[:2]):
        return None
    boxes = find_faces(decoded, max_side=max(detect_side, max(working.shape[:2])))
    if not boxes:
        return None
    left, _, right, _ = boxes[0]
    shrink = working.shape[1] / decoded.shape[1]
    width = max(1, round((right - left) * shrink))
    smallest = MIN_FACE_PX // 2 if max(working.shape[:2]) <= UPSAMPLED_MAX_SIDE else MIN_FACE_PX
    needed = min(max(decoded.shape[:2]), math.ceil(max_side * smallest / width / 2) * 2)
    return AffinekitError(f"{name}: the face is only {width} px wide once the photo is shrunk to "
                          f"{working.shape[1]}x{working.shape[0]} px (at least ~{smallest} px is needed); "
                          f"crop the photo around the face or raise --max-size to about {needed}")
