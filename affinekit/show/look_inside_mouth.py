"""Look inside the mouth refiner: the patch it reads, the mask and residual it predicts, what it makes.

Notebook 05 shows these on a surprise: the warp opens the lips, and the refiner decides where the
cavity, the teeth and the lip edges are painted (the mask) and with what (the residual).
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch

from affinekit.data.faces import FaceAligner, apply_transform
from affinekit.io.images import tensor_channels, to_model, to_uint8
from affinekit.models.motion import compose
from affinekit.models.mouth import cut_patches
from affinekit.models.mouth_exemplar import clip_plan, refine


@torch.inference_mode()
def mouth_layers(generator: torch.nn.Module, photo: np.ndarray, photo_landmarks: np.ndarray, label: int,
                 intensity: float = 1.0, size: int = 256) -> dict[str, np.ndarray]:
    """The refiner's inputs and outputs on the mouth of an aligned `size` px close-up of the photo.

    Returns uint8 pictures: "warped" (the motion head's composite), "neutral" (the same patch of
    the photo), "refined" (the result), all (s, s, 3) at the refiner's patch size; "residual" (s, s)
    uint8, the luma it paints (a refiner with an exemplar bank: the luma of the real mouth it shows); "mask" (s, s) float in [0, 1]; "frame" the whole refined close-up.
    """
    if getattr(generator, "mouth", None) is None:
        raise ValueError("this generator has no mouth refiner (a file from before issue 19, or trained without one)")
    aligner = FaceAligner(size)
    M = aligner.transform(photo_landmarks)
    crop = aligner.warp(photo, M).reshape(size, size, -1)
    x0 = tensor_channels(to_model(crop)[None], 3)
    labels = torch.tensor([label])
    levels = torch.tensor([[0.0, float(intensity)]])
    motion = generator.motion(tensor_channels(x0, generator.cfg.channels), labels, levels)
    warped = compose(x0, motion)[:, -1]
    points = torch.from_numpy(apply_transform(M, photo_landmarks)).float()[None]
    theta, shapes, picks = clip_plan(generator.mouth, points, size, motion.flow, levels, labels)
    refined, mask, residual = refine(generator.mouth, warped, x0, theta, labels, levels[:, -1],
                                     None if shapes is None else shapes[:, -1], picks)
    residual = tensor_channels(residual, 1)
    s = generator.mouth.cfg.size
    patch = lambda img: to_uint8(cut_patches(img, theta, s))[0]
    return {"warped": patch(warped), "neutral": patch(x0), "mask": mask[0, 0].numpy(),
            "residual": to_uint8(residual)[0, ..., 0], "refined": patch(refined), "frame": to_uint8(refined)[0]}


def mouth_closeup(frame: np.ndarray, landmarks: np.ndarray, size: int = 128) -> np.ndarray:
    """The mouth of a full-resolution frame (H, W, 3), a square 1.6 inter-ocular distances wide
    around the lips of `landmarks` (68, 2, photo pixels), at `size` px: where the refiner paints."""
    iod = float(np.linalg.norm(landmarks[42:48].mean(0) - landmarks[36:42].mean(0)))
    cx, cy = landmarks[48:68].mean(0) + (0.0, 0.1 * iod)
    scale = size / (1.6 * iod)
    M = np.float32([[scale, 0, size / 2 - cx * scale], [0, scale, size / 2 - cy * scale]])
    return cv2.warpAffine(np.ascontiguousarray(frame), M, (size, size), flags=cv2.INTER_AREA,
                          borderMode=cv2.BORDER_REPLICATE)


def plot_mouth_layers(layers: dict[str, np.ndarray], title: str = "") -> Any:
    """A row: neutral mouth, the warp's composite, the mask (with a colour bar), the residual, refined."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 2.6))
    axes = fig.subplots(1, 5)
    panels = [("neutral photo", layers["neutral"], {}), ("warp + coarse residual", layers["warped"], {}),
              ("refiner mask m", layers["mask"], dict(cmap="magma", vmin=0, vmax=1)),
              ("refiner luma R", layers["residual"], dict(cmap="gray", vmin=0, vmax=255)),
              ("luma R where m opens", layers["refined"], {})]
    for ax, (name, img, style) in zip(axes, panels):
        shown = ax.imshow(img, **style)
        if style.get("cmap") == "magma":
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
