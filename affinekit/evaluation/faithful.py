"""Nothing blurred or speckled that does not change (issue 28, item 4): three measures of one apex frame.

Where the motion head's mask is closed a frame is the warped photo at full resolution, so outside
the mouth a good frame keeps the photo's detail and colour. On a photo at working size:

- `synthesised_share`: the mask's mean over the face box outside the mouth box, on the network's
  crop (the share of the face the residual paints rather than the warp moves);
- `sharpness_kept`: the variance of the Laplacian of the apex frame's face box outside the mouth
  box, over the input photo's on the same pixels (1: as sharp; below 1: softened);
- `speck_share`: the share of face-box pixels whose chroma, (a*, b*) of CIE L*a*b* (D65, from
  sRGB by OpenCV on floats, so one unit is one CIE unit), lies more than `SPECK_CHROMA` (15) from the
  warped photo's: coloured specks the residual paints where the warp alone would keep the photo's colour.
  The mouth is left out twice over: where it was (the neutral face's mouth box) and where the field
  carries it at the apex (`moved_mouth_box`): a surprised mouth opens below its neutral box, and its
  copied lips there are the mouth, not specks.

`apex_measures` renders what `affinekit generate` renders (the same render function) and takes the
warp alone from the same compositor with the mask closed.
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch

from affinekit.data.faces import apply_transform
from affinekit.evaluation.metrics import laplacian_variance
from affinekit.evaluation.mouth import Box, cut, face_box, mouth_box
from affinekit.generate.inference import apply_motion_to_photo, device_of
from affinekit.generate.render import render_clips
from affinekit.io.images import as_rgb, tensor_channels
from affinekit.models.exemplars import moved_points
from affinekit.models.motion import Motion, normalised_to_pixels, pixels_to_normalised

SPECK_CHROMA = 15.0     # CIE a*b* units: a chroma shift this large is a visible colour, not noise


def outside(shape: tuple[int, ...], inner: Box, within: Box | None = None) -> np.ndarray:
    """(h, w) bool: True at the pixels of `within` (default: the whole image of `shape`) that lie
    outside the box `inner`; both boxes (left, top, right, bottom) in the image's pixels, and the
    result covers `within` only (as `cut(image, within)` does)."""
    h, w = shape[:2]
    x0, y0, x1, y1 = within or (0, 0, w, h)
    keep = np.ones((y1 - y0, x1 - x0), bool)
    l, t, r, b = inner
    keep[max(0, t - y0):max(0, b - y0), max(0, l - x0):max(0, r - x0)] = False
    return keep


def moved_mouth_box(crop_landmarks: np.ndarray, flow: torch.Tensor, M: np.ndarray, shape: tuple[int, ...]) -> Box:
    """The mouth box (photo pixels, image of `shape`) around the mouth points where the backward field
    `flow` (2, S, S) of the network's crop carries them: crop_landmarks (68, 2) in crop pixels, M the
    photo -> crop alignment."""
    size = flow.shape[-1]
    points = pixels_to_normalised(torch.as_tensor(np.asarray(crop_landmarks), dtype=torch.float32), size)
    moved = moved_points(points[None], flow.float()[None, None])[0, 0]
    in_crop = normalised_to_pixels(moved, size).numpy()
    return mouth_box(apply_transform(cv2.invertAffineTransform(np.asarray(M, np.float64)), in_crop), shape)


def synthesised_share(mask: np.ndarray, face: Box, mouth: Box) -> float:
    """Mean of a mask (S, S) in [0, 1] over the face box outside the mouth box (crop pixels)."""
    keep = outside(mask.shape, mouth, face)
    return float(cut(np.asarray(mask, np.float64), face)[keep].mean())


def sharpness_kept(apex: np.ndarray, photo: np.ndarray, where: np.ndarray | None = None) -> float:
    """Variance of the Laplacian of `apex` over `photo`'s, on the pixels of `where` ((H, W) bool: the
    face box outside the mouth box); both images (H, W[, C]) of one size. NaN when the photo is flat there."""
    reference = laplacian_variance(photo, where)
    return laplacian_variance(apex, where) / reference if reference > 0 else float("nan")


def chroma(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 2) float32 (a*, b*) of an RGB uint8 image (grey: a* = b* = 0)."""
    lab = cv2.cvtColor(np.ascontiguousarray(as_rgb(rgb)).astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return lab[..., 1:]


def speck_share(apex: np.ndarray, warped: np.ndarray, where: np.ndarray | None = None,
                step: float = SPECK_CHROMA) -> float:
    """Share of pixels (of `where`, (H, W) bool, when given) whose (a*, b*) lies more than `step`
    from the warped photo's; apex and warped are RGB uint8 images of one size."""
    far = np.linalg.norm(chroma(apex) - chroma(warped), axis=-1) > step
    return float(far[where].mean() if where is not None else far.mean())


@torch.inference_mode()
def apex_measures(generator: Any, aligned: Any, label: int, level: float, mouth: bool = True) -> dict[str, float]:
    """The three measures of the apex frame of `aligned` (an `AlignedFace` of a photo) making `label` at
    intensity `level`, as `affinekit generate` renders it (mouth refiner on unless `mouth=False`).

    Returns synthesised_share, sharpness_kept, specks (share of the face box), specks_outside_mouth
    (share of the face box outside the mouth box: teeth the refiner paints are a change, not a speck),
    specks_outside_mouths (outside that box and the mouth box where the field carries the mouth),
    and warp_sharpness_kept: the warped photo's own sharpness ratio (what the bilinear resampling of
    the field's sub-pixel shifts leaves, before the residual paints anything)."""
    if not generator.moves:
        raise ValueError("the pixel head has no mask or warp to measure; use a motion-head model")
    size = generator.cfg.image_size
    photo = as_rgb(aligned.photo)
    points = aligned.photo_landmarks()
    face, lips = face_box(points, photo.shape), mouth_box(points, photo.shape)
    intensities = torch.tensor([0.0, float(level)])
    x0 = aligned.network_crop[None]
    motion = generator.motion(tensor_channels(x0, generator.cfg.channels).to(device_of(generator)),
                              torch.tensor([label]), intensities)
    mask = motion.mask[0, -1, 0].float().cpu().numpy()
    crop_points = np.asarray(aligned.landmarks, np.float64)
    share = synthesised_share(mask, face_box(crop_points, mask.shape), mouth_box(crop_points, mask.shape))
    apex = render_clips(generator, aligned, [label], intensities, view="photo", region=face, mouth=mouth)[0, -1]
    closed = Motion(motion.flow, torch.zeros_like(motion.mask), motion.residual)
    warped = apply_motion_to_photo(closed, aligned.photo, aligned.M, size, face)[0, -1]
    apex, warped = as_rgb(apex), as_rgb(warped)
    keep = outside(photo.shape, lips, face)
    moved = moved_mouth_box(crop_points, motion.flow[0, -1].cpu(), aligned.M, photo.shape)
    return {"synthesised_share": share,
            "sharpness_kept": sharpness_kept(apex, cut(photo, face), keep),
            "warp_sharpness_kept": sharpness_kept(warped, cut(photo, face), keep),
            "specks": speck_share(apex, warped),
            "specks_outside_mouth": speck_share(apex, warped, keep),
            "specks_outside_mouths": speck_share(apex, warped, keep & outside(photo.shape, moved, face))}

