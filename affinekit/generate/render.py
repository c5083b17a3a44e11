"""The one render function: aligned faces and labels in, clips out, in the view asked for.

    render_clips(generator, face, labels, intensities, view="photo" | "closeup" | "crop", region=None)

The Animator (and through it `affinekit generate`, many photos and the widget), the notebooks
and evaluation's model rows all call it. Clip b is `faces[b]` (or the one face given) making
`labels[b]`; the network sees every clip in one batched pass (`inference.render_crops`' motion
or pixels), and nothing after the network touches its output:

- "photo": the whole photo (or `region` of it), (B, T, H, W, 3) uint8. The motion head's field,
  mask and residual, computed on the aligned crop, are applied to the full-resolution photo
  through the inverse alignment (`inference.apply_motion_to_photo`); the paper's pixel head,
  which can only draw its crop, is blended in under a feathered mask (`paste`).
- "closeup": an aligned close-up of `size` px, (B, T, size, size, 3) uint8, cut from the photo
  at its own resolution and warped there by the motion head.
- "crop": the network crops themselves, (B, T, C, S, S) float in [-1, 1] (evaluation's view).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from affinekit.data.faces import FaceAligner, apply_transform
from affinekit.generate.aligned import AlignedFace
from affinekit.generate.inference import MouthJob, apply_motion_to_photo, device_of, refines_mouth, render_crops
from affinekit.generate.mixtures import label_tensor
from affinekit.generate.paste import face_mask, paste_change
from affinekit.io.images import LEVELS_PER_UNIT, tensor_channels, to_model, to_uint8
from affinekit.models.generator import Generator
from affinekit.models.motion import Motion
from affinekit.models.mouth_exemplar import clip_plan

VIEWS = ("photo", "closeup", "crop")
CLOSEUP_SIZE = 256     # side of the aligned close-up (the motion head warps at any size)
Box = tuple[int, int, int, int]


@torch.inference_mode()
def render_clips(generator: Generator, faces: AlignedFace | Sequence[AlignedFace], labels: Sequence[Any],
                 intensities: torch.Tensor, view: str = "photo", region: Box | Sequence[Box | None] | None = None,
                 mouth: bool = True, size: int = CLOSEUP_SIZE) -> np.ndarray | torch.Tensor:
    """Clips of `faces` making `labels` (one clip per label: an integer or a mixture's weights) at
    `intensities` (T,) or (B, T), in `view` (see the module's docstring).

    faces: one face for every clip, or one face per clip (the photo view takes one face).
    region: the photo view's box (x0, y0, x1, y1), or one box (None: the whole photo) per clip.
    mouth: paint the mouth with the generator's refiner, when it has one.
    """
    labels = labels if isinstance(labels, torch.Tensor) else list(labels)
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
    intensities = torch.as_tensor(intensities).float()
    if view != "crop":
        if not isinstance(faces, AlignedFace) or faces.photo is None:
            raise ValueError(f"the {view} view renders one face of a photo: give it one AlignedFace from align "
                             "(a face known only as its crop has the crop view alone)")
        if view == "photo":
            return _photo(generator, faces, labels, intensities, region, mouth)
        return _closeup(generator, faces, labels, intensities, size, mouth)
    faces = [faces] * len(labels) if isinstance(faces, AlignedFace) else list(faces)
    if len(faces) != len(labels):
        raise ValueError(f"{len(faces)} faces for {len(labels)} labels; give one face per label, or one face")
    x0 = torch.stack([f.network_crop for f in faces])
    points = None
    if all(f.landmarks is not None for f in faces):
        points = torch.stack([torch.as_tensor(f.landmarks).float() for f in faces])
    return render_crops(generator, x0, label_tensor(labels), intensities, points, mouth=mouth)


def closeup_input(face: AlignedFace, size: int = CLOSEUP_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """(the face's aligned close-up (C, size, size) in [-1, 1], its landmarks (68, 2) in close-up pixels),
    cut from the photo at its own resolution: what the close-up view warps. The photo's landmarks go
    to the close-up once (photo -> close-up), not through the network crop."""
    aligner = FaceAligner(size)
    M = aligner.transform(face.photo_landmarks())
    x0 = to_model(aligner.warp(face.photo, M).reshape(size, size, -1))
    return x0, torch.from_numpy(apply_transform(M, face.photo_landmarks())).float()


def _closeup(generator: Generator, face: AlignedFace, labels: list[Any], intensities: torch.Tensor, size: int,
             mouth: bool) -> np.ndarray:
    """Aligned close-ups (B, T, size, size, 3) uint8 in the photo's own colour (`closeup_input`)."""
    x0, points = closeup_input(face, size)
    out = to_uint8(render_crops(generator, x0[None].expand(len(labels), -1, -1, -1), label_tensor(labels),
                                intensities, points[None].expand(len(labels), -1, -1), mouth=mouth))
    return np.repeat(out, 3, axis=-1) if out.shape[-1] == 1 else out


def _regions(region: Box | Sequence[Box | None] | None, n: int) -> list[Box | None]:
    if region is None or (len(region) == 4 and all(np.ndim(v) == 0 for v in region)):
        return [region] * n
    regions = list(region)
    if len(regions) != n:
        raise ValueError(f"{len(regions)} regions for {n} clips; give one box, or one box (or None) per clip")
    return regions


def _photo(generator: Generator, face: AlignedFace, labels: list[Any], intensities: torch.Tensor,
           region: Box | Sequence[Box | None] | None, mouth: bool) -> np.ndarray | list[np.ndarray]:
    """Clips of the whole photo (or of each clip's region): (B, T, H, W, 3) uint8 when every clip has
    the same size, else a list of (T, h, w, 3)."""
    size, photo, M = generator.cfg.image_size, face.photo, face.M
    regions = _regions(region, len(labels))
    x0 = face.network_crop[None].expand(len(labels), -1, -1, -1)
    if not generator.moves:
        if face.landmarks is None:
            raise ValueError("the pixel head needs the face's landmarks (in crop pixels) for its paste mask")
        clips = render_crops(generator, x0, label_tensor(labels), intensities)       # (B, T, C, S, S)
        change = (clips - x0[:, None]).numpy() * LEVELS_PER_UNIT
        change = change.mean(2) if photo.ndim == 2 or change.shape[2] == 1 else change.transpose(0, 1, 3, 4, 2)
        mask = face_mask(face.landmarks, size)
        out = [_cut(paste_change(photo, c, M, mask), box) for c, box in zip(change, regions)]
    else:
        device = device_of(generator)
        y = label_tensor(labels).to(device)
        motion = generator.motion(tensor_channels(x0, generator.cfg.channels).to(device), y, intensities.to(device))
        refine = None
        if face.landmarks is not None and refines_mouth(generator, mouth):
            levels = (intensities.view(1, -1) if intensities.dim() == 1 else intensities).expand(len(labels), -1)
            points = torch.as_tensor(face.landmarks).float()[None].expand(len(labels), -1, -1)
            theta, shapes, picks = clip_plan(generator.mouth, points, size, motion.flow, levels, y.cpu())
            refine = MouthJob(generator.mouth, y.cpu(), levels, theta[:1], shapes, picks)
        out = []
        for start, end, box in _runs(regions):      # clips sharing a region are composited together
            part = Motion(motion.flow[start:end], motion.mask[start:end], motion.residual[start:end])
            job = None if refine is None else refine.part(start, end)
            out += list(apply_motion_to_photo(part, photo, M, size, box, job))
    return np.stack(out) if len({clip.shape for clip in out}) == 1 else out


def _cut(clip: np.ndarray, box: Box | None) -> np.ndarray:
    if box is None:
        return clip
    x0, y0, x1, y1 = box
    return clip[:, y0:y1, x0:x1]


def _runs(regions: list[Box | None]) -> list[tuple[int, int, Box | None]]:
    """(start, end, region) of each run of clips with the same region."""
    runs: list[tuple[int, int, Box | None]] = []
    for i, box in enumerate(regions):
        if runs and runs[-1][2] == box:
            runs[-1] = (runs[-1][0], i + 1, box)
        else:
            runs.append((i, i + 1, box))
    return runs
