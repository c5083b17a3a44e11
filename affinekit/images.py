"""Image conversions, in one place: uint8 pictures <-> model tensors, gray <-> RGB.

Pictures on disk, in prepared files and in videos are uint8, (H, W) gray or
(H, W, 3) RGB. Models take float tensors in [-1, 1], (..., C, H, W).
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

LUMA = (0.299, 0.587, 0.114)   # ITU-R BT.601, what OpenCV's RGB2GRAY uses


def to_model(frames: np.ndarray) -> torch.Tensor:
    """uint8 (..., H, W, C) -> float32 (..., C, H, W) in [-1, 1]."""
    return torch.from_numpy(np.moveaxis(np.asarray(frames), -1, -3).astype(np.float32) / 127.5 - 1.0)


def to_uint8(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """float (..., C, H, W) in [-1, 1] -> uint8 (..., H, W, C), rounded as a saved video would hold it."""
    a = x.detach().cpu().float().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, np.float32)
    a = np.clip(np.round((a + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.moveaxis(a, -3, -1))


def tensor_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """Tensors (N, C, H, W) converted to `channels`: gray by luma, or gray repeated."""
    c = x.shape[1]
    if c == channels:
        return x
    if channels == 1:
        return (x * torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)
    return x.expand(-1, channels, -1, -1)


def to_channels(image: np.ndarray, gray: bool, bgr: bool = False) -> np.ndarray:
    """An image as (H, W) gray or (H, W, 3) RGB; `bgr` says colour input is OpenCV's BGR(A)."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return image if gray else np.repeat(image[:, :, None], 3, axis=2)
    if image.shape[2] == 4:
        image = image[:, :, :3]
    if gray:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY if bgr else cv2.COLOR_RGB2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if bgr else np.ascontiguousarray(image)


def as_rgb(frame: np.ndarray) -> np.ndarray:
    """A frame as (H, W, 3): gray repeated, alpha dropped."""
    frame = np.asarray(frame)
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.shape[2] == 1:
        return np.repeat(frame, 3, axis=2)
    return frame[:, :, :3]
