"""The output as layers: what the motion head made each frame from, for a compositor.

`affinekit generate photo.jpg --layers DIR` writes, beside the clip, per frame t:

- `field_TTT.npy`   (2, S, S) float32: the backward displacement field on the
                    aligned S px crop, in the crop's pixels (x, y): output pixel p
                    takes the neutral crop's value at p + F(p);
- `field_TTT.png`   the same field on a colour wheel (hue = direction, brightness =
                    length, scaled by the longest vector of the whole clip);
- `mask_TTT.png`    A, where the residual replaces the warp (0 black, 1 white);
- `residual_TTT.png` R, what the network paints where A is open;
- `frame_TTT.png`   the composited frame, the clip's own frame (full photo);

and once: `crop.png` (the neutral aligned crop), `layers.json` (the photo -> crop
transform, the intensities, the expression or mixture, and per frame the share of
pixels synthesised rather than warped: the mask's mean over the crop and over the
whole frame). With these a frame is `(1 - A) * warp(crop, F) + A * R` on the crop,
carried to the photo through the inverse of the transform, so the clip can be
re-timed or re-graded without the kit. layers.json is written last: a folder
holding it is complete.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.generate.mixtures import describe, label_tensor
from affinekit.io.atomic import atomic_write_text
from affinekit.io.images import tensor_channels, to_uint8, write_png


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
    write_png(path, image, fix="check the folder given to --layers")


@torch.inference_mode()
def write_layers(folder: str | Path, generator: Any, aligned: Any, label: Any, intensities: torch.Tensor,
                 clip: np.ndarray) -> dict[str, Any]:
    """Write the layers of a clip made from `aligned` (an `aligned.AlignedFace`) with `label` (an integer or
    a mixture's weights) at `intensities` (T,); `clip` (T, H, W, 3) is the composited clip. Returns
    what layers.json holds."""
    if not generator.moves:
        raise AffinekitError("--layers: this model draws pixels (the paper's head): it has no field, mask "
                             "or residual to write; use the bundled motion model")
    folder = Path(folder)
    size = generator.cfg.image_size
    crop = aligned.network_crop[None]
    net = tensor_channels(crop, generator.cfg.channels).to(next(generator.parameters()).device)
    motion = generator.motion(net, label_tensor([label]), torch.as_tensor(intensities).float().to(net.device))
    fields = (motion.flow[0] * size / 2).float().cpu().numpy()               # (T, 2, S, S) crop pixels
    masks = motion.mask[0, :, 0].float().cpu().numpy()                       # (T, S, S)
    residuals = to_uint8(motion.residual[0])                                 # (T, S, S, C)
    longest = float(np.sqrt((fields ** 2).sum(1)).max()) if fields.size else 0.0
    scale = abs(float(np.linalg.det(np.asarray(aligned.M, np.float64)[:, :2])))   # crop px per photo px
    frame_pixels = float(clip.shape[1] * clip.shape[2])
    _png(folder / "crop.png", aligned.crop[..., 0] if aligned.crop.shape[-1] == 1 else aligned.crop)
    shares = []
    for t in range(len(fields)):
        np.save(folder / f"field_{t:03d}.npy", fields[t])
        _png(folder / f"field_{t:03d}.png", field_wheel(fields[t], longest))
        _png(folder / f"mask_{t:03d}.png", np.round(masks[t] * 255).astype(np.uint8))
        _png(folder / f"residual_{t:03d}.png", residuals[t][..., 0] if residuals.shape[-1] == 1 else residuals[t])
        _png(folder / f"frame_{t:03d}.png", clip[t])
        shares.append({"frame": t, "of_crop": float(masks[t].mean()),
                       "of_photo": min(1.0, float(masks[t].sum()) / scale / frame_pixels)})
    weights = label_tensor([label])
    info = {
        "frames": len(fields),
        "expression": describe(weights[0].tolist()) if weights.is_floating_point() else EXPRESSIONS[int(label)],
        "intensities": [round(float(v), 6) for v in torch.as_tensor(intensities)],
        "crop_size": size,
        "photo_size": [int(clip.shape[2]), int(clip.shape[1])],
        "photo_to_crop": np.asarray(aligned.M, np.float64).round(6).tolist(),
        "field": "backward displacement in crop pixels (x, y): output pixel p takes the crop at p + F(p)",
        "compose": "(1 - mask) * warp(crop, field) + mask * residual, carried to the photo by photo_to_crop's inverse",
        "longest_vector_px": round(longest, 4),
        "synthesised_share": shares,
        "synthesised_share_mean": {key: float(np.mean([s[key] for s in shares])) for key in ("of_crop", "of_photo")},
    }
    atomic_write_text(folder / "layers.json", json.dumps(info, indent=1))
    return info
