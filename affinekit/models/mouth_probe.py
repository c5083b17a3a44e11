"""The mouth two-sample test's probe: a tiny CNN that says "generated" or "real" of a mouth patch.

Trained per fold by `affinekit.training.two_sample.fit_mouth_probe`; the test itself (folds by
person, held-out accuracy) is `affinekit.evaluation.two_sample`.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class MouthNet(nn.Module):
    """Three 3x3 stride-2 convs (8, 16, 32 channels, batch norm, ReLU), average pool, one logit.

    Stride 2 rather than a conv at full size and a max pool: five times cheaper on a CPU, and the
    first layer still sees every pixel, so fine detail (teeth, lip edges, blur) reaches the logit."""
    def __init__(self, widths: Sequence[int] = (8, 16, 32)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for w in widths:
            layers += [nn.Conv2d(cin, w, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w),
                       nn.ReLU(inplace=True)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B,) of "generated" for standardised patches (B, 1, H, W)."""
        return self.head(self.features(x))[:, 0]
