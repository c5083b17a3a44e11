"""Fitting the mouth two-sample test's probe, one per fold. Evaluation never trains: the command
(`affinekit evaluate --protocol paired`) or a notebook hands `fit_mouth_probe` down to
`evaluation.two_sample.two_sample_test`, as it hands down `run.FoldTrainer`."""
from __future__ import annotations

import torch
from torch import nn

from affinekit.models.mouth_probe import MouthNet

LEARNING_RATE = 1e-2


def fit_mouth_probe(x: torch.Tensor, y: torch.Tensor, epochs: int, generator: torch.Generator) -> MouthNet:
    """A MouthNet trained full-batch on patches (N, 1, H, W) and labels y (N,) (1 = generated): the
    training folds hold a few hundred patches at most. Each patch is mirrored at random each epoch: a
    mouth is about symmetric, and it doubles the little data. Returned in eval mode."""
    net = MouthNet()
    optimiser = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE, weight_decay=1e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    net.train()
    for _ in range(epochs):
        flip = torch.rand(len(x), generator=generator) < 0.5
        batch = torch.where(flip[:, None, None, None], x.flip(-1), x)
        optimiser.zero_grad()
        loss_fn(net(batch), y).backward()
        optimiser.step()
    return net.eval()
