"""Image conversions, in one place: uint8 pictures <-> model tensors, gray <-> RGB, pictures to look at.

Pictures on disk, in prepared files and in videos are uint8, (H, W) gray or
(H, W, 3) RGB. Models take float tensors in [-1, 1], (..., C, H, W).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from affinekit.errors import AffinekitError
from affinekit.io.atomic import atomic_write

LUMA = (0.299, 0.587, 0.114)   # ITU-R BT.601, what OpenCV's RGB2GRAY uses
LEVELS_PER_UNIT = 127.5        # pixel levels in one unit of the models' [-1, 1]: 255 / 2
MODEL_RANGE = (-1.0, 1.0)      # what models read and write
UNIT_RANGE = (0.0, 1.0)        # masks, and the look-inside outputs drawn on [0, 1]


def to_model_scale(x: Any) -> Any:
    """Pixel levels [0, 255] -> the models' [-1, 1], layout and type untouched (tensor or array)."""
    return x / LEVELS_PER_UNIT - 1.0


def to_pixel_scale(x: Any) -> Any:
    """The models' [-1, 1] -> pixel levels [0, 255] (unrounded), layout and type untouched."""
    return (x + 1.0) * LEVELS_PER_UNIT


def to_model(frames: np.ndarray, channels: int | None = None) -> torch.Tensor:
    """uint8 (..., H, W, C) -> float32 (..., C', H, W) in [-1, 1]: C' = `channels` (gray by luma,
    or gray repeated: `tensor_channels`), None keeps C. Gray (..., H, W) pictures need their channel
    axis first (`frames[..., None]`)."""
    x = torch.from_numpy(to_model_scale(np.moveaxis(np.asarray(frames), -1, -3).astype(np.float32)))
    return x if channels is None else tensor_channels(x, channels).contiguous()


def to_uint8(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """float (..., C, H, W) in [-1, 1] -> uint8 (..., H, W, C), rounded as a saved video would hold it."""
    a = x.detach().cpu().float().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, np.float32)
    a = np.clip(np.round(to_pixel_scale(a)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.moveaxis(a, -3, -1))


def tensor_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """Tensors (..., C, H, W) converted to `channels`: gray by luma, or gray repeated."""
    c = x.shape[-3]
    if c == channels:
        return x
    if channels == 1:
        return (x * torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(3, 1, 1)).sum(-3, keepdim=True)
    return x.expand(*x.shape[:-3], channels, *x.shape[-2:])


def to_network_size(x: torch.Tensor, size: int) -> torch.Tensor:
    """Square images (..., C, H, W) at `size` x `size`: the kit's one resize to the network's size.

    Training batches, apex faces, the generator's own input, generation and the notebooks all
    resize here, so a face reaches the network as the same pixels in training and at inference.
    Bilinear, antialiased when shrinking (a plain bilinear shrink aliases). Non-float input
    (uint8 frames, masks) comes back as float32; a float tensor keeps its dtype.
    """
    if x.shape[-2:] == (size, size):
        return x
    x = x if x.is_floating_point() else x.float()
    lead = x.shape[:-3]
    out = F.interpolate(x.reshape(-1, *x.shape[-3:]), size=(size, size), mode="bilinear", align_corners=False,
                        antialias=size < x.shape[-1])
    return out.reshape(*lead, x.shape[-3], size, size)


def network_input(x: torch.Tensor, channels: int, size: int) -> torch.Tensor:
    """Crops (N, C, H, W) in [-1, 1] as a network of `channels` at `size` px reads them (`to_network_size`)."""
    return to_network_size(tensor_channels(x, channels), size)


def picture(image: Any, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """One image in any of the kit's layouts, to look at: (H, W) or (H, W, 3) uint8.

    uint8 pictures are taken as they are. A float image or tensor (channels first
    or last) is mapped from `value_range` (low, high) onto [0, 255]: the caller
    says what its numbers mean (`MODEL_RANGE`, `UNIT_RANGE`), nothing is guessed
    from the values, and a float image without a range is a ValueError.
    """
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = np.transpose(a, (1, 2, 0))               # (C,H,W) -> (H,W,C)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.dtype == np.uint8:
        return a
    if value_range is None:
        raise ValueError(f"a {a.dtype} image needs value_range, e.g. MODEL_RANGE {MODEL_RANGE} or UNIT_RANGE "
                         f"{UNIT_RANGE}: its numbers alone do not say which")
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise ValueError(f"value_range must rise from low to high, got {value_range}")
    a = (np.clip(a.astype(np.float32), low, high) - low) * (255.0 / (high - low))
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def picture_rgb(image: Any, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """`picture`, always (H, W, 3)."""
    return as_rgb(picture(image, value_range))


def as_rgb(frame: np.ndarray) -> np.ndarray:
    """A picture as contiguous (H, W, 3): gray (H, W) or (H, W, 1) repeated, alpha dropped.

    The kit's one RGB conversion (videos, plots, dlib's describer); any other shape is a ValueError.
    """
    frame = np.asarray(frame)
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise ValueError(f"expected a (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) picture, got {frame.shape}")
    return np.ascontiguousarray(frame[:, :, :3])


def as_gray(image: np.ndarray) -> np.ndarray:
    """A picture as contiguous (H, W) gray: colour by luma (`LUMA`, as OpenCV weighs it), alpha dropped."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    return cv2.cvtColor(as_rgb(image), cv2.COLOR_RGB2GRAY)


def to_channels(image: np.ndarray, gray: bool) -> np.ndarray:
    """An RGB(A) or gray picture as (H, W) gray or (H, W, 3) RGB (alpha dropped)."""
    return as_gray(image) if gray else as_rgb(image)


def write_png(path: str | Path, image: np.ndarray, fix: str = "check the folder you gave",
              within: str | Path | None = None) -> None:
    """Write a uint8 (H, W) gray or (H, W, 3) RGB picture as PNG, atomically (`io.atomic`: never through a
    planted link; `within` the folder the user named); a failure is one line naming the file."""
    image = np.ascontiguousarray(image)
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise AffinekitError(f"{path}: could not encode this picture as PNG; {fix}")
    try:
        atomic_write(path, lambda f: f.write(png.tobytes()), within)
    except OSError as err:
        raise AffinekitError(f"{path}: could not write this picture ({err.strerror or err}); {fix}") from None
