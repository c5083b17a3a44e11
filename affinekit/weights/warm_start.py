"""Starting a generator from another's weights, a grey one's into a colour one included.

A colour model need not relearn how faces move: the motion a grey model learned
(encoders, field, mask) carries over. Only the layers that touch pixels change
shape: the encoders' first convolutions read 3 channels instead of 1, and the
residual the decoder paints has 3 channels. A grey input repeated in R, G and B
must give the grey model's answer, so each input weight is split evenly over the
three channels and the residual's one channel is copied to all three; colour is
then learned from the colour sources.
"""
from __future__ import annotations

from pathlib import Path

import torch

from affinekit.errors import AffinekitError
from affinekit.models.generator import Generator
from affinekit.weights.checkpoint import load_generator

_INPUTS = ("base_encoder.stem.0.weight", "direction_encoder.stem.0.weight")
_OUTPUT = ("decoder.out.weight", "decoder.out.bias")
MOUTH_PREFIX = "mouth."          # the refiner's weights inside a generator's state


def inflated_state(state: dict[str, torch.Tensor], source_channels: int, channels: int,
                   motion: bool) -> dict[str, torch.Tensor]:
    """A generator state dict of `source_channels` image channels reshaped for `channels`."""
    if source_channels == channels:
        return dict(state)
    if (source_channels, channels) != (1, 3):
        raise AffinekitError(f"cannot start a {channels}-channel model from a {source_channels}-channel one; "
                             "only grey -> colour is supported")
    out = dict(state)
    for name in _INPUTS:
        w = state[name]                                   # (out, C [+ labels], 3, 3): image channels first
        image, rest = w[:, :1], w[:, 1:]
        out[name] = torch.cat([image.repeat(1, 3, 1, 1) / 3.0, rest], 1)
    for name in _OUTPUT:
        w = state[name]
        if motion:                                         # field (2), mask (1), residual (1 -> 3)
            out[name] = torch.cat([w[:3], w[3:4].repeat(3, *([1] * (w.dim() - 1)))], 0)
        else:                                              # the pixel head draws the frame itself
            out[name] = w.repeat(3, *([1] * (w.dim() - 1)))
    return out


def warm_start(generator: Generator, path: str | Path) -> None:
    """Load `path`'s generator weights into `generator` (same shape, or grey into colour)."""
    source, cfg = load_generator(path)
    mine = generator.cfg
    free = ("channels", "mask_region")        # grey -> colour is inflated; where the mask may open holds no weights
    same = {k: v for k, v in vars(cfg).items() if k not in free} == {k: v for k, v in vars(mine).items()
                                                                      if k not in free}
    if not same:
        raise AffinekitError(f"{path}: a generator of another shape; train.init_from needs the same model config "
                             "(channels and model.mask_region may differ)")
    # an export with a mouth stage (the bundled model) carries the refiner's weights too: training starts
    # the generator alone, and a refiner is trained afterwards for the new generator's frames
    # (scripts/train_mouth_refiner.py), so those weights are left behind
    state = {k: v for k, v in source.state_dict().items() if not k.startswith(MOUTH_PREFIX)}
    state = inflated_state(state, cfg.channels, mine.channels, generator.moves)
    if getattr(generator, "mouth", None) is not None:
        state.update({k: v for k, v in generator.state_dict().items() if k.startswith(MOUTH_PREFIX)})
    generator.load_state_dict(state)      # copies into the generator's own tensors, on its device
