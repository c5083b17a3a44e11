"""The output as layers: what the motion head made each frame from, for a compositor.

`affinekit generate photo.jpg --layers DIR` writes, beside the clip, per frame t:

- `field_TTT.npy`   (2, S, S) float32: the backward displacement field on the
                    aligned S px crop, in the crop's pixels (x, y): output pixel p
                    takes the neutral crop's value at p + F(p);
- `field_TTT.png`   the same field on a colour wheel (hue = direction, brightness =
                    length, scaled by the longest vector of the whole clip);
- `mask_TTT.png`    A, where the residual replaces the warp (0 black, 1 white);
- `residual_TTT.png` R, what the network paints where A is open;
- `mouth_mask_TTT.png`, `mouth_luma_TTT.png` (models with a mouth refiner) the refiner's m and R
                    on its square mouth patch: where m opens, the frame's luma becomes R;
- `frame_TTT.png`   the composited frame, the clip's own frame (full photo);

and once: `photo.png` (the photo at working size), `crop.png` (the neutral aligned crop),
`layers.json` (the photo -> crop transform, the mouth square, the intensities, the expression
or mixture, and per frame the share of pixels synthesised rather than warped: the mask's mean
over the crop and over the whole frame). A frame is `(1 - A) * warp(photo, F) + A * R`, with F,
A and R carried from the crop to the photo through the inverse of the transform, then the mouth
painted (`compose_layers` does exactly this, through the render's own compositor, and gives
the frames back up to the layers' 8-bit rounding), so the clip can be re-timed or re-graded
without the kit. The folder is written whole (`io.output_folder`: a temporary folder renamed
into place, under a lock), so layers.json never describes another run's files.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.generate.inference import MouthJob, apply_motion_to_photo, refines_mouth
from affinekit.generate.mixtures import describe, label_tensor
from affinekit.io.atomic import atomic_write, atomic_write_text
from affinekit.io.image_decoder import decode_image
from affinekit.io.images import tensor_channels, to_model_scale, to_uint8, write_png
from affinekit.io.output_folder import output_folder
from affinekit.models.motion import Motion
from affinekit.models.mouth_exemplar import clip_plan

LAYER_NAME = re.compile(r"((field|mask|residual|frame|mouth_mask|mouth_luma)_\d{3,}\.png|field_\d{3,}\.npy"
                        r"|photo\.png|crop\.png|layers\.json)")


def is_layer_file(name: str) -> bool:
    """Whether `name` is one of the files `write_layers` writes (an older layers folder may be replaced)."""
    return LAYER_NAME.fullmatch(name) is not None


def field_wheel(field: np.ndarray, longest: float) -> np.ndarray:
    """(2, H, W) displacement field -> (H, W, 3) uint8 RGB: hue = direction, value = length / longest."""
    dx, dy = field[0].astype(np.float32), field[1].astype(np.float32)
    length, angle = cv2.cartToPolar(dx, dy, angleInDegrees=True)
    hsv = np.zeros(field.shape[1:] + (3,), np.uint8)
    hsv[..., 0] = np.round(angle / 2).astype(np.uint8) % 180      # OpenCV's hue runs 0-179
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(np.round(255 * length / max(longest, 1e-6)), 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _png(path: Path, image: np.ndarray) -> None:
    image = np.asarray(image)
    write_png(path, image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image,
              fix="check the folder given to --layers")


def _npy(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    atomic_write(path, lambda f: f.write(buffer.getvalue()))


def _mouth_job(generator: Any, aligned: Any, label: Any, intensities: torch.Tensor, mouth: bool,
               flow: torch.Tensor) -> MouthJob | None:
    if aligned.landmarks is None or not refines_mouth(generator, mouth):
        return None
    # the render's own plan: the mouth square, and for an exemplar stage each frame's lips and the clip's exemplar
    labels = label_tensor([label])
    theta, shapes, picks = clip_plan(generator.mouth, torch.as_tensor(aligned.landmarks).float()[None],
                                     generator.cfg.image_size, flow, intensities.view(1, -1), labels)
    return MouthJob(generator.mouth, labels, intensities.view(1, -1), theta, shapes, picks, kept=[])


@torch.inference_mode()
def write_layers(folder: str | Path, generator: Any, aligned: Any, label: Any, intensities: torch.Tensor,
                 clip: np.ndarray, mouth: bool = True) -> dict[str, Any]:
    """Write the layers of a clip made from `aligned` (an `aligned.AlignedFace`) with `label` (an integer or
    a mixture's weights) at `intensities` (T,); `clip` (T, H, W, 3) is the composited clip (`mouth`: whether
    it was made with the mouth refiner). Returns what layers.json holds."""
    if not generator.moves:
        raise AffinekitError("--layers: this model draws pixels (the paper's head): it has no field, mask "
                             "or residual to write; use the bundled motion model")
    size = generator.cfg.image_size
    crop = aligned.network_crop[None]
    lam = torch.as_tensor(intensities).float()
    net = tensor_channels(crop, generator.cfg.channels).to(next(generator.parameters()).device)
    motion = generator.motion(net, label_tensor([label]), lam.to(net.device))
    job = _mouth_job(generator, aligned, label, lam, mouth, motion.flow)
    if job is not None:       # the refiner's m and R, from the render's own compositor
        apply_motion_to_photo(motion, aligned.photo, aligned.M, size, None, job)
    fields = (motion.flow[0] * size / 2).float().cpu().numpy()               # (T, 2, S, S) crop pixels
    masks = motion.mask[0, :, 0].float().cpu().numpy()                       # (T, S, S)
    residuals = to_uint8(motion.residual[0])                                 # (T, S, S, C)
    longest = float(np.sqrt((fields ** 2).sum(1)).max()) if fields.size else 0.0
    scale = abs(float(np.linalg.det(np.asarray(aligned.M, np.float64)[:, :2])))   # crop px per photo px
    frame_pixels = float(clip.shape[1] * clip.shape[2])
    shares = [{"frame": t, "of_crop": float(masks[t].mean()),
               "of_photo": min(1.0, float(masks[t].sum()) / scale / frame_pixels)} for t in range(len(fields))]
    weights = label_tensor([label])
    info = {
        "frames": len(fields),
        "expression": describe(weights[0].tolist()) if weights.is_floating_point() else EXPRESSIONS[int(label)],
        "intensities": [round(float(v), 6) for v in lam],
        "crop_size": size,
        "photo_size": [int(clip.shape[2]), int(clip.shape[1])],
        "photo_to_crop": np.asarray(aligned.M, np.float64).tolist(),
        "field": "backward displacement in crop pixels (x, y): output pixel p takes the crop at p + F(p)",
        "compose": "warp(photo, field) + mask * (residual - what the crop holds of that warp), field, mask and "
                   "residual carried from the crop to the photo by photo_to_crop's inverse (the photo's detail finer "
                   "than the crop stays under the residual); then, where mouth_mask opens, the frame's luma "
                   "becomes mouth_luma (both carried from the mouth patch by mouth.patch_to_crop); "
                   "affinekit.generate.layers.compose_layers(folder) does it",
        "mouth": None if job is None else {
            "patch_size": int(generator.mouth.cfg.size),
            "patch_to_crop": job.theta[0].double().tolist(),
            "coordinates": "normalised (-1 to 1, align_corners=False) patch -> normalised crop, as F.affine_grid takes"},
        "longest_vector_px": round(longest, 4),
        "synthesised_share": shares,
        "synthesised_share_mean": {key: float(np.mean([s[key] for s in shares])) for key in ("of_crop", "of_photo")},
    }
    mouths = None if job is None else [torch.cat(part).numpy() for part in zip(*job.kept)]
    with output_folder(folder, is_layer_file, "--layers") as out:
        _png(out / "photo.png", aligned.photo)
        _png(out / "crop.png", aligned.crop)
        for t in range(len(fields)):
            _npy(out / f"field_{t:03d}.npy", fields[t])
            _png(out / f"field_{t:03d}.png", field_wheel(fields[t], longest))
            _png(out / f"mask_{t:03d}.png", np.round(masks[t] * 255).astype(np.uint8))
            _png(out / f"residual_{t:03d}.png", residuals[t])
            if mouths is not None:
                _png(out / f"mouth_mask_{t:03d}.png", np.round(mouths[0][t, 0] * 255).astype(np.uint8))
                _png(out / f"mouth_luma_{t:03d}.png", to_uint8(torch.from_numpy(mouths[1][t])))
            _png(out / f"frame_{t:03d}.png", clip[t])
        atomic_write_text(out / "layers.json", json.dumps(info, indent=1))     # last: a folder holding it is whole
    return info


class _Replay:
    """Stands in for the mouth refiner: gives back the written (m, R), chunk after chunk."""

    def __init__(self, masks: torch.Tensor, lumas: torch.Tensor) -> None:
        self.masks, self.lumas, self.at = masks, lumas, 0
        self.cfg = type("PatchSize", (), {"size": masks.shape[-1]})()

    def __call__(self, patch: torch.Tensor, *_: Any) -> tuple[torch.Tensor, torch.Tensor]:
        n, self.at = patch.shape[0], self.at + patch.shape[0]
        return self.masks[self.at - n:self.at], self.lumas[self.at - n:self.at]


def _image(path: Path) -> np.ndarray:
    return decode_image(path.read_bytes(), str(path))


def _read(folder: Path, name: str) -> torch.Tensor:
    image = torch.from_numpy(np.ascontiguousarray(_image(folder / name))).float()
    return (image[None] if image.dim() == 2 else image.permute(2, 0, 1))


@torch.inference_mode()
def compose_layers(folder: str | Path) -> np.ndarray:
    """The clip (T, H, W, 3) uint8 composed from a layers folder alone, as layers.json's `compose` says."""
    folder = Path(folder)
    info = json.loads((folder / "layers.json").read_text())
    T, size = info["frames"], info["crop_size"]
    photo = _image(folder / "photo.png")
    stack = lambda name: torch.stack([_read(folder, f"{name}_{t:03d}.png") for t in range(T)])[None]
    flow = torch.stack([torch.from_numpy(np.load(folder / f"field_{t:03d}.npy")) for t in range(T)])[None]
    motion = Motion(flow / (size / 2), stack("mask") / 255, to_model_scale(stack("residual")))
    job = None
    if info.get("mouth"):
        replay = _Replay(stack("mouth_mask")[0] / 255, to_model_scale(stack("mouth_luma")[0]))
        job = MouthJob(replay, torch.zeros(1, dtype=torch.long), torch.as_tensor(info["intensities"]).view(1, -1),
                       torch.tensor(info["mouth"]["patch_to_crop"]).float()[None])
    return apply_motion_to_photo(motion, photo, np.asarray(info["photo_to_crop"]), size, None, job)[0]
