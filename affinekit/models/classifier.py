"""The expression classifiers' network: a small CNN over one grey face crop.

Two instruments share it: the CK+48 classifier (48 px, the seven expressions) and the
multi-source judge (48 px aligned crops, equalised; the seven expressions and neutral). Their
training lives in `affinekit.training.classifier` and `affinekit.training.judge`; their
use in evaluation in `affinekit.evaluation.classifier` and `affinekit.evaluation.judge`.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import as_gray, to_model, to_uint8

# a judge's outputs: the seven expressions, then neutral (a clip that never moves should read as
# neutral, not as whichever expression the still face resembles most; `JudgeRecipe.neutral`)
JUDGE_LABELS: tuple[str, ...] = EXPRESSIONS + ("neutral",)


@dataclass
class ClassifierConfig:
    """The network's shape (plain values: stored in the checkpoint beside the training recipe)."""
    size: int = 48
    widths: tuple[int, ...] = (16, 32, 64)
    num_labels: int = len(EXPRESSIONS)
    dropout: float = 0.3

    @classmethod
    def from_stored(cls, values: dict[str, Any]) -> "ClassifierConfig":
        """The shape from a checkpoint's flat "config" dict (which also holds the training recipe)."""
        names = {f.name for f in fields(cls)}
        shape = {k: v for k, v in values.items() if k in names}
        if "widths" in shape:
            shape["widths"] = tuple(shape["widths"])
        return cls(**shape)


class ExpressionNet(nn.Module):
    """Three conv blocks (two 3x3 convs, batch norm, max pool), global average pool, linear."""
    def __init__(self, cfg: ClassifierConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for w in cfg.widths:
            layers += [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                       nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(cfg.dropout),
                                  nn.Linear(cin, cfg.num_labels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, num_labels) of grey faces (B, 1, size, size) in [-1, 1]."""
        return self.head(self.features(x))


def faces_to_model(faces: np.ndarray) -> torch.Tensor:
    """(N, H, W) uint8 gray faces -> (N, 1, H, W) in [-1, 1], what ExpressionNet reads."""
    return to_model(np.asarray(faces)[..., None])


# The inner face in the aligned framing, as fractions of the crop: centre x, y and half-axes x, y.
# Outside it lie background, hair and the padding of tight crops, which tell the sources apart
# (FRLL's light wall, CK+48's replicated borders) and say nothing of the expression.
FACE_OVAL = (0.5, 0.56, 0.37, 0.46)


def face_oval_mask(size: int) -> np.ndarray:
    """(size, size) bool: the pixels inside `FACE_OVAL`."""
    cx, cy, ax, ay = FACE_OVAL
    centres = (np.arange(size) + 0.5) / size
    return ((centres[None, :] - cx) / ax) ** 2 + ((centres[:, None] - cy) / ay) ** 2 <= 1


def grey_faces(frames, size: int, equalize: bool = False, oval: bool = False) -> np.ndarray:
    """Aligned face crops as the judge reads them: (N, size, size) uint8 grey (luma), area-resized, and
    with `equalize` histogram-equalised (grey studio sources and colour photos then spread their levels
    alike, so exposure says less about where a face came from), and with `oval` grey (128) outside
    `FACE_OVAL`.

    frames: uint8 crops (N, H, W[, C]) or a list of them (sizes may differ), or float crops
    (N, C, H, W) in [-1, 1] (a tensor or an array), which are first rounded to uint8 as a saved
    video would hold them, so a generated frame and its saved copy read the same.
    """
    if isinstance(frames, torch.Tensor) or (isinstance(frames, np.ndarray) and frames.dtype != np.uint8):
        frames = to_uint8(frames)
    out = np.empty((len(frames), size, size), np.uint8)
    outside = ~face_oval_mask(size) if oval else None
    for i, frame in enumerate(frames):
        grey = as_gray(np.asarray(frame))
        small = grey if grey.shape == (size, size) else cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA)
        if outside is not None:
            small = small.copy()
            small[outside] = 128
        out[i] = cv2.equalizeHist(small) if equalize else small
        if outside is not None:         # after equalising too: the level it maps 128 to depends on the face
            out[i][outside] = 128
    return out
