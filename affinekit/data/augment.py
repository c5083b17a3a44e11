"""Training augmentation that prepares a CK+-trained model for photos in the wild.

CK+ is grey, evenly lit and shot on one camera; users bring phone stills and
webcam frames. Each training item gets one draw of brightness, contrast, gamma,
blur, sensor noise, scale, shift and a horizontal flip, applied identically to
every frame of the item (the clip must stay one clip), to its lip masks and to
its landmarks, so the landmark loss still points at the right pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Landmark index of each point's mirror image (dlib 68-point layout), for horizontal flips.
MIRROR_68 = np.array(
    list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] + [35, 34, 33, 32, 31]
    + [45, 44, 43, 42, 47, 46] + [39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])


@dataclass
class Augmentation:
    """One item's draw. Defaults are the identity."""
    flip: bool = False
    scale: float = 1.0          # about the crop's centre
    shift: tuple[float, float] = (0.0, 0.0)   # (dx, dy) pixels
    brightness: float = 0.0     # added, 0-255 levels
    contrast: float = 1.0       # about the image mean
    gamma: float = 1.0
    blur: float = 0.0           # Gaussian sigma, pixels (0: none)
    noise: float = 0.0          # Gaussian std, 0-255 levels (one pattern for all frames)
    seed: int = 0               # of the noise pattern

    @classmethod
    def draw(cls, rng: np.random.Generator, size: int, max_shift: float = 4.0) -> "Augmentation":
        """A random draw; shifts scale with the crop (`max_shift` pixels at 128 px)."""
        shift = max_shift * size / 128.0
        return cls(flip=bool(rng.random() < 0.5), scale=float(rng.uniform(0.92, 1.08)),
                   shift=(float(rng.uniform(-shift, shift)), float(rng.uniform(-shift, shift))),
                   brightness=float(rng.uniform(-30, 30)), contrast=float(rng.uniform(0.7, 1.3)),
                   gamma=float(np.exp(rng.uniform(np.log(0.7), np.log(1.4)))),
                   blur=float(rng.uniform(0.3, 1.2)) if rng.random() < 0.4 else 0.0,
                   noise=float(rng.uniform(0, 6)) if rng.random() < 0.5 else 0.0,
                   seed=int(rng.integers(2 ** 31)))

    def matrix(self, size: int) -> np.ndarray:
        """(2, 3) pixel transform of the geometry: flip, then scale about the centre, then shift."""
        c = (size - 1) / 2.0
        sx = -self.scale if self.flip else self.scale
        return np.array([[sx, 0.0, c - sx * c + self.shift[0]],
                         [0.0, self.scale, c - self.scale * c + self.shift[1]]], np.float64)

    def geometry(self, frames: np.ndarray, masks: np.ndarray,
                 landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """frames (T, H, W, C) uint8, masks (T, H, W) uint8, landmarks (T, 68, 2) -> the same, moved."""
        if not self.flip and self.scale == 1.0 and self.shift == (0.0, 0.0):
            return frames, masks, landmarks
        size = frames.shape[2]
        M = self.matrix(size)
        c = frames.shape[3]
        moved = np.stack([cv2.warpAffine(f, M, (size, frames.shape[1]), flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_REPLICATE).reshape(f.shape[0], size, c)
                          for f in frames])
        moved_masks = np.stack([cv2.warpAffine(m, M, (size, masks.shape[1]), flags=cv2.INTER_NEAREST,
                                               borderMode=cv2.BORDER_CONSTANT, borderValue=0) for m in masks])
        points = landmarks @ M[:, :2].T + M[:, 2]
        if self.flip:
            points = points[:, MIRROR_68]
        return moved, moved_masks, points.astype(np.float32)

    def photometric(self, frames: np.ndarray) -> np.ndarray:
        """frames (T, H, W, C) uint8 -> the same lighting, camera and noise change on each."""
        x = frames.astype(np.float32) / 255.0
        x = np.clip((x - x.mean()) * self.contrast + x.mean() + self.brightness / 255.0, 0, 1) ** self.gamma
        x *= 255.0
        if self.blur > 0:
            x = np.stack([cv2.GaussianBlur(f, (0, 0), self.blur).reshape(f.shape) for f in x])
        if self.noise > 0:
            x = x + np.random.default_rng(self.seed).normal(0, self.noise, x.shape[1:]).astype(np.float32)
        return np.clip(np.rint(x), 0, 255).astype(np.uint8)

    def __call__(self, frames: np.ndarray, masks: np.ndarray,
                 landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Geometry on frames, masks and landmarks, then lighting on frames."""
        frames, masks, landmarks = self.geometry(frames, masks, landmarks)
        return self.photometric(frames), masks, landmarks
