"""The generator's side of a training step, as one module call (what DistributedDataParallel needs),
and the discriminators frozen while the generator steps against them."""
from __future__ import annotations

import contextlib
from typing import Iterable, Iterator

import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

from affinekit.models.generator import Generator
from affinekit.models.motion import compose

# Intensities that drive the generator in training are clamped here: an early,
# untrained projection can return any number (|a| is tiny at initialisation),
# and decoding at l = 40 would swamp the L1 loss with garbage.
LAMBDA_RANGE = (-0.25, 1.5)


class GeneratorStep(nn.Module):
    """Everything the generator computes in a step, as a single forward for DDP.

    DDP synchronises gradients of one forward per backward, so the encodings,
    the intensity inference and the decode live in one call.
    """

    def __init__(self, generator: Generator):
        super().__init__()
        self.generator = generator

    def forward(self, x0: torch.Tensor, label: torch.Tensor, targets: torch.Tensor, positions: torch.Tensor,
                blend: float) -> tuple[torch.Tensor, ...]:
        """(frame at l = 0, frames at the targets' intensities, the intensities, for the motion head
        the targets' fields, masks and learned field corrections (else None), and the raw outputs
        every loss reaches G through (the gradient shares are measured on them))."""
        g = self.generator
        base, direction = g.encode(x0, label)
        lam = g.project(targets, base[-1], direction[-1])            # (B, K), inferred intensities
        # Early on the projection is noise, so G is driven by the known position
        # t/(T-1) and hands over to the inferred intensity as `blend` goes 1 -> 0.
        # The gradient through lam is kept: it is how the encoders learn a
        # direction whose projection explains the real frames.
        # The official code drives G with float(alpha): no gradient reaches the projection that way.
        official = g.cfg.projection == "official"
        drive = (blend * positions + (1.0 - blend) * (lam.detach() if official else lam)).clamp(*LAMBDA_RANGE)
        levels = torch.cat([torch.zeros_like(drive[:, :1]), drive], 1)
        if not g.moves:
            frames = g.decode_pixels(base, direction, levels)
            return frames[:, 0], frames[:, 1:], lam, None, None, None, (frames,)
        motion = g.decode_motion(base, direction, levels, label)
        frames = compose(x0, motion)
        return (frames[:, 0], frames[:, 1:], lam, motion.flow[:, 1:], motion.mask[:, 1:], motion.correction[:, 1:],
                (motion.flow, motion.mask, motion.residual))


def _no_sync(module: nn.Module) -> contextlib.AbstractContextManager:
    return module.no_sync() if isinstance(module, DDP) else contextlib.nullcontext()


@contextlib.contextmanager
def frozen(modules: Iterable[nn.Module]) -> Iterator[None]:
    """Discriminators as fixed functions for the generator's step.

    No weight gradients are computed (cheaper), and under DDP no gradient
    synchronisation is prepared for a backward that must not update them.
    """
    modules = list(modules)
    params = [p for m in modules for p in m.parameters()]
    for p in params:
        p.requires_grad_(False)
    try:
        with contextlib.ExitStack() as stack:
            for m in modules:
                stack.enter_context(_no_sync(m))
            yield
    finally:
        for p in params:
            p.requires_grad_(True)
