"""The network's side of the one inference path (`affinekit.generate.render.render_clips` calls it).

- `render_crops`: aligned crops (B, C, H, W) in [-1, 1] at any size -> clips
  (B, T, C, H, W). The motion head warps the crops at their own resolution.
- `apply_motion_to_photo`: a crop's field, mask and residual carried through the
  inverse alignment M (photo -> crop) and applied to the full-resolution photo:
  it keeps its own colour and detail.

Colour. A grayscale model on a colour photo predicts luma: where its mask
opens, the frame's luma becomes the residual's and the warped photo's chroma
stays (adding the same amount to R, G and B changes Y alone).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from affinekit.generate.mixtures import label_tensor
from affinekit.generate.paste import photo_roi
from affinekit.io.images import network_input, tensor_channels, to_model_scale, to_pixel_scale
from affinekit.models.generator import Generator
from affinekit.models.motion import Motion, compose, pixels_to_normalised
from affinekit.models.mouth_exemplar import clip_plan, refine


def device_of(generator: torch.nn.Module) -> torch.device:
    param = next(iter(generator.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


def refines_mouth(generator: Generator, mouth: bool = True) -> bool:
    """Whether frames get the high-resolution mouth refiner: the generator has one and it is wanted."""
    return mouth and generator.moves and getattr(generator, "mouth", None) is not None


def _refine_clips(generator: Generator, clips: torch.Tensor, x0: torch.Tensor, landmarks: torch.Tensor,
                  flow: torch.Tensor, labels: torch.Tensor, intensities: torch.Tensor) -> torch.Tensor:
    """Clips (B, T, C, H, W) in [-1, 1] with the mouth refined in each frame; landmarks (B, 68, 2) in
    pixels of x0 (B, C, H, W), the motion's field (B, T, 2, h, w), intensities (B, T)."""
    B, T = clips.shape[:2]
    theta, shapes, picks = clip_plan(generator.mouth, landmarks, x0.shape[-1], flow, intensities, labels.cpu())
    flat = lambda t: t.unsqueeze(1).expand(B, T, *t.shape[1:]).flatten(0, 1)
    refined = refine(generator.mouth, clips.flatten(0, 1), flat(x0), flat(theta.to(clips.device)), flat(labels),
                     intensities.flatten(), None if shapes is None else shapes.flatten(0, 1),
                     None if picks is None else flat(picks))[0]
    return refined.view(clips.shape)


@torch.inference_mode()
def render_crops(generator: Generator, x0: torch.Tensor, labels: torch.Tensor,
                 intensities: torch.Tensor, landmarks: torch.Tensor | None = None,
                 mouth: bool = True) -> torch.Tensor:
    """Clips (B, T, C, H, W) in [-1, 1] from aligned crops x0 (B, C, H, W) in [-1, 1] of any size and
    channel count, labels (B,) (or mixture weights (B, L)), intensities (T,) or (B, T); on the CPU.

    With the faces' landmarks (B, 68, 2) in pixels of x0, a generator that has a mouth refiner
    paints each frame's mouth at x0's resolution (`mouth=False` leaves it out, for comparison)."""
    device = device_of(generator)
    x = torch.as_tensor(x0).float().to(device)
    labels = label_tensor(labels).to(device)
    intensities = torch.as_tensor(intensities).float().to(device)
    B, C, H, W = x.shape
    if generator.moves:
        motion = generator.motion(tensor_channels(x, generator.cfg.channels), labels, intensities)
        out = compose(x, motion)
        if landmarks is not None and refines_mouth(generator, mouth):
            levels = intensities.expand(B, -1) if intensities.dim() == 1 else intensities
            out = _refine_clips(generator, out, x, torch.as_tensor(landmarks).float(), motion.flow, labels, levels)
    else:
        size = generator.cfg.image_size
        out = generator.generate(network_input(x, generator.cfg.channels, size), labels, intensities)
        T = out.shape[1]
        out = out.flatten(0, 1)
        if (H, W) != (size, size):
            out = F.interpolate(out, size=(H, W), mode="bilinear", align_corners=False)
        out = tensor_channels(out, C).reshape(B, T, C, H, W)
    return out.float().clamp(-1, 1).cpu()


def _crop_grid(M: np.ndarray, roi: tuple[int, int, int, int], crop_size: int) -> torch.Tensor:
    """(1, h, w, 2) normalised crop coordinates of every photo pixel in roi."""
    x0, y0, x1, y1 = roi
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    M = np.asarray(M, np.float64)
    cx = M[0, 0] * xs + M[0, 1] * ys + M[0, 2]
    cy = M[1, 0] * xs + M[1, 1] * ys + M[1, 2]
    q = torch.from_numpy(np.stack([cx, cy], -1)).float()
    return pixels_to_normalised(q, crop_size)[None]


@dataclass
class MouthJob:
    """What the photo compositor needs to refine a clip's mouths: the refiner, each clip's label and
    intensities (B,), (B, T), the mouth square in the generator's crop (1, 2, 3), and for a refiner
    with an exemplar bank each frame's lip shape (B, T, 20, 2) and each clip's exemplar (B,). With `kept`
    a list, each chunk's (m, R) on the patch is appended to it (`generate.layers` writes them)."""
    refiner: torch.nn.Module
    labels: torch.Tensor
    intensities: torch.Tensor
    theta: torch.Tensor
    shapes: torch.Tensor | None = None
    picks: torch.Tensor | None = None
    kept: list | None = None

    def part(self, start: int, end: int) -> "MouthJob":
        """The job of clips start:end (the same `kept` list)."""
        cut = lambda t: None if t is None else t[start:end]
        return MouthJob(self.refiner, self.labels[start:end], self.intensities[start:end], self.theta,
                        cut(self.shapes), cut(self.picks), self.kept)

    def in_region(self, M: np.ndarray, size: int, roi: tuple[int, int, int, int]) -> torch.Tensor:
        """The mouth square as a map (1, 2, 3) from the patch to the photo's roi (normalised): through
        the crop's pixels, the inverse alignment and the roi's pixels."""
        x0, y0, x1, y1 = roi
        w, h = x1 - x0, y1 - y0
        crop_pixels = np.array([[size / 2, 0, (size - 1) / 2], [0, size / 2, (size - 1) / 2], [0, 0, 1]])
        to_photo = np.vstack([cv2.invertAffineTransform(np.asarray(M, np.float64)), [0, 0, 1]])
        roi_normalised = np.array([[2 / w, 0, (1 - 2 * x0) / w - 1], [0, 2 / h, (1 - 2 * y0) / h - 1], [0, 0, 1]])
        patch = np.vstack([self.theta[0].double().numpy(), [0, 0, 1]])
        return torch.from_numpy((roi_normalised @ to_photo @ crop_pixels @ patch)[:2]).float()[None]


# Frames composited at once: bounds the float work buffers (a 600 x 600 face region costs
# ~15 MB per frame in flight), so a 1000-frame clip needs no more memory than a short one.
CHUNK = 32


def at_crop_resolution(frames: torch.Tensor, step: float) -> torch.Tensor:
    """`frames` (N, C, h, w) of a photo as a crop with `step` photo pixels per crop pixel holds them:
    averaged over squares of `step` pixels and brought back to every pixel (bilinear). Unchanged where
    the photo is hardly larger than the crop (`step` <= 1.5), where the two already agree."""
    if step <= 1.5:
        return frames
    h, w = frames.shape[-2:]
    small = F.interpolate(frames, size=(max(1, round(h / step)), max(1, round(w / step))), mode="area")
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)


def apply_motion_to_photo(motion: Motion, photo: np.ndarray, M: np.ndarray, size: int,
                          region: tuple[int, int, int, int] | None = None,
                          mouth: MouthJob | None = None) -> np.ndarray:
    """Clips (B, T, H, W, 3) uint8: a crop's field, mask and residual carried to the photo through
    the inverse of M (photo -> crop of `size` px) and applied there at full resolution.

    With `region` (x0, y0, x1, y1) only that part of the photo is returned, (B, T, y1-y0, x1-x0, 3):
    a close-up costs the memory of the close-up, not of the whole frame.
    """

    gray = photo.ndim == 2
    B, T = motion.flow.shape[:2]
    h, w = photo.shape[:2]
    ox0, oy0, ox1, oy1 = region or (0, 0, w, h)
    base_photo = photo[..., None] if gray else photo
    frames = np.repeat(np.repeat(base_photo[None, None, oy0:oy1, ox0:ox1], B, 0), T, 1)
    # the part of the crop's footprint that is shown
    fx0, fy0, fx1, fy1 = photo_roi(M, size, (h, w))
    rx0, ry0, rx1, ry1 = max(fx0, ox0), max(fy0, oy0), min(fx1, ox1), min(fy1, oy1)
    if rx1 <= rx0 or ry1 <= ry0:
        return np.repeat(frames, 3, -1) if gray else frames
    roi = (rx0, ry0, rx1, ry1)
    maps = torch.cat([motion.flow, motion.mask, motion.residual], 2).flatten(0, 1).float().cpu()
    grid = _crop_grid(M, roi, size)
    A_inv = torch.from_numpy(np.linalg.inv(np.asarray(M, np.float64)[:, :2])).float()
    # the source pixels may lie a little outside the shown part: sample from the whole footprint
    sx0, sy0, sx1, sy1 = min(fx0, rx0), min(fy0, ry0), max(fx1, rx1), max(fy1, ry1)
    source = torch.from_numpy(np.ascontiguousarray(base_photo[sy0:sy1, sx0:sx1])).float().permute(2, 0, 1)[None]
    sh, sw = sy1 - sy0, sx1 - sx0
    rh, rw = ry1 - ry0, rx1 - rx0
    ys, xs = torch.meshgrid(torch.arange(ry0, ry1, dtype=torch.float32), torch.arange(rx0, rx1, dtype=torch.float32),
                            indexing="ij")
    # roi pixel centres in the source's normalised coordinates, and photo pixels -> normalised units
    base = torch.stack([(2 * (xs - sx0) + 1) / sw - 1, (2 * (ys - sy0) + 1) / sh - 1])[None]
    scale = torch.tensor([2.0 / sw, 2.0 / sh]).view(1, 2, 1, 1)
    out = np.empty((B * T, rh, rw, base_photo.shape[-1]), np.uint8)
    crop_step = 1.0 / np.sqrt(abs(np.linalg.det(np.asarray(M, np.float64)[:, :2])))    # photo pixels per crop pixel
    if mouth is not None:
        theta = mouth.in_region(M, size, roi)
        neutral = to_model_scale(source[:, :, ry0 - sy0:ry1 - sy0, rx0 - sx0:rx1 - sx0])
        labels = mouth.labels.repeat_interleave(T, dim=0)
        levels = mouth.intensities.flatten()
        shapes = None if mouth.shapes is None else mouth.shapes.flatten(0, 1)
        picks = None if mouth.picks is None else mouth.picks.repeat_interleave(T, dim=0)
    for start in range(0, B * T, CHUNK):
        part = maps[start:start + CHUNK]
        n = part.shape[0]
        # field, mask and residual at every photo pixel of the roi (zero outside the crop)
        at = F.grid_sample(part, grid.expand(n, -1, -1, -1), mode="bilinear", padding_mode="zeros",
                           align_corners=False)
        flow_crop = at[:, :2] * (size / 2.0)                         # crop pixels
        mask, residual = at[:, 2:3], to_pixel_scale(at[:, 3:])
        # a crop displacement d is the photo displacement A^-1 d (A: M's linear part)
        flow_photo = torch.einsum("ij,njhw->nihw", A_inv, flow_crop)
        sample = (base + flow_photo * scale).permute(0, 2, 3, 1)
        # bicubic: the prior moves the whole face by sub-pixel amounts, and a bilinear sample of the photo
        # kept 58% of its sharpness outside the mouth against 91% for bicubic (FRLL training people's
        # 1024 px photos, happy and surprise at l = 1; scratch measure in the 12-06 closing note)
        warped = F.grid_sample(source.expand(n, -1, -1, -1), sample, mode="bicubic", padding_mode="border",
                               align_corners=False)
        # The residual is painted at the crop's resolution, so it replaces only what the crop could hold
        # of the warped photo, and the finer detail the photo has beyond it stays. A plain
        # (1 - mask) * warped + mask * residual blurred every pixel the soft mask touched to the crop's
        # resolution: outside the mouth box the face kept 76% of the photo's sharpness at l = 1 with it,
        # 90% with this (the warp alone: 90%), on 10 open faces (benchmarks/full_strength.py, faithful).
        # A grey residual replaces the luma alone (it broadcasts over a colour photo's channels); a colour
        # one takes the photo's channels. Luma and the averaging are linear, so the luma is taken first.
        if residual.shape[1] != 1:
            residual = tensor_channels(residual, warped.shape[1])
        seen = at_crop_resolution(tensor_channels(warped, residual.shape[1]), crop_step)
        composed = warped + mask * (residual - seen)
        if mouth is not None:
            # the mouth painted at the photo's own resolution, after the warp's composite
            part_of = lambda t: None if t is None else t[start:start + n]
            refined, m, r = refine(mouth.refiner, to_model_scale(composed), neutral.expand(n, -1, -1, -1),
                                   theta.expand(n, -1, -1), labels[start:start + n], levels[start:start + n],
                                   part_of(shapes), part_of(picks))
            if mouth.kept is not None:
                mouth.kept.append((m.float().cpu(), r.float().cpu()))
            composed = to_pixel_scale(refined)
        out[start:start + n] = composed.clamp(0, 255).round().byte().permute(0, 2, 3, 1).numpy()
    frames[:, :, ry0 - oy0:ry1 - oy0, rx0 - ox0:rx1 - ox0] = out.reshape(B, T, rh, rw, -1)
    return np.repeat(frames, 3, -1) if gray else frames
