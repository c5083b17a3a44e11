"""The four discriminators, by their one name everywhere (the ModuleDict key `d[name]`, the weight
`train.w_<name>`, the logs `D_<name>...`/`G_<name>`; the intensity one's weight and logs say
`lambda`): the whole frame ("frame", a PatchGAN), the lip patch ("lip"), the intensity spread
("intensity"), the unpaired apex ("apex"), and beside them an auxiliary classifier of the apex's
expression ("expression", StarGAN's and GANimation's classification term).

- `PatchDiscriminator`: the "frame" one, a conditional PatchGAN on (neutral frame, frame, label
  planes); it answers per overlapping patch whether the frame is a real
  expression of that face with that label.
- `LipDiscriminator`: the same kind of network on a crop around the lips, the
  frame multiplied by the lip mask from the data pipeline (the mouth carries
  most of an expression and is small in the whole frame).
- `IntensityDiscriminator`: a small MLP on single intensities; real ones are
  U(0, 1) samples, fake ones are the intensities inferred for real frames, so
  the inference spreads its values over [0, 1] instead of collapsing.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from affinekit.config import ModelConfig
from affinekit.io.images import tensor_channels
from affinekit.models.classifier import ClassifierConfig, ExpressionNet
from affinekit.models.generator import SLOPE, label_planes, norm


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: (x0, frame, label) -> logits per patch (N, 1, h, w)."""

    def __init__(self, channels: int, num_labels: int, width: int, size: int, max_downs: int = 3,
                 images: int = 2):
        super().__init__()
        self.num_labels = num_labels
        # Stop downsampling at 4x4 patches so tiny inputs (lip crops, 32 px tests) still work.
        downs = max(1, min(max_downs, size.bit_length() - 3))
        layers: list[nn.Module] = [nn.Conv2d(images * channels + num_labels, width, 4, 2, 1), nn.LeakyReLU(SLOPE)]
        cin = width
        for i in range(1, downs):
            cout = min(width * 2 ** i, 8 * width)
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), norm(cout), nn.LeakyReLU(SLOPE)]
            cin = cout
        layers.append(nn.Conv2d(cin, 1, 3, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x0: torch.Tensor | None, frame: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        planes = label_planes(label, self.num_labels, frame.shape[-2:]).to(frame.dtype)
        return self.net(torch.cat(([] if x0 is None else [x0]) + [frame, planes], 1))


class ApexDiscriminator(nn.Module):
    """Unpaired and label-conditioned: (apex face, label) -> patch logits, on the face's luma.

    It compares generated apex faces with real apex faces of other people (CK+48, the
    expression photos of still pairs), so it needs no neutral frame. It sees luma
    only: grey and colour sources are then alike to it, and colour cannot give a
    fake away when the real faces of a label happen to be grey.
    """

    def __init__(self, num_labels: int, width: int, size: int):
        super().__init__()
        self.net = PatchDiscriminator(1, num_labels, width, size, images=1)

    def forward(self, frame: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return self.net(None, tensor_channels(frame, 1), label)


def lip_boxes(masks: torch.Tensor, crop: int) -> torch.Tensor:
    """Affine grids' thetas (N, 2, 3) of `crop`-pixel squares centred on each mask's centroid.

    An empty mask (face without lips found) falls back to the usual mouth place
    of an aligned crop, low and centred.
    """
    N, _, H, W = masks.shape
    m = masks.float().flatten(1)
    # pixel centres in grid_sample's coordinates (align_corners=False)
    ys = ((torch.arange(H, device=masks.device) + 0.5) * 2 / H - 1).repeat_interleave(W)
    xs = ((torch.arange(W, device=masks.device) + 0.5) * 2 / W - 1).repeat(H)
    area = m.sum(1)
    fallback = torch.tensor([0.0, 0.5], device=masks.device)
    cx = torch.where(area > 0, (m * xs).sum(1) / area.clamp_min(1), fallback[0])
    cy = torch.where(area > 0, (m * ys).sum(1) / area.clamp_min(1), fallback[1])
    scale = crop / H
    # Keep the box inside the image so the patch never samples padding.
    cx, cy = cx.clamp(-1 + scale, 1 - scale), cy.clamp(-1 + scale, 1 - scale)
    theta = torch.zeros(N, 2, 3, device=masks.device)
    theta[:, 0, 0] = theta[:, 1, 1] = scale
    theta[:, 0, 2], theta[:, 1, 2] = cx, cy
    return theta


def lip_crops(images: torch.Tensor, masks: torch.Tensor, crop: int) -> torch.Tensor:
    """Crops (N, C, crop, crop) of `images * masks` around the lips (differentiable)."""
    theta = lip_boxes(masks, crop).to(images.dtype)
    grid = F.affine_grid(theta, [images.shape[0], images.shape[1], crop, crop], align_corners=False)
    return F.grid_sample(images * masks.to(images.dtype), grid, align_corners=False)


class LipDiscriminator(nn.Module):
    """Conditional PatchGAN on lip crops: (x0, frame, masks, label) -> patch logits."""

    def __init__(self, channels: int, num_labels: int, width: int, size: int):
        super().__init__()
        self.crop = max(8, size // 2)
        self.net = PatchDiscriminator(channels, num_labels, width, self.crop, max_downs=2)

    def forward(self, x0: torch.Tensor, frame: torch.Tensor, masks: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        # The target frame's mask cuts x0 too: CK+ faces hardly move, and the
        # same window on both lets the network compare mouths like for like.
        return self.net(lip_crops(x0, masks, self.crop), lip_crops(frame, masks, self.crop), label)


class ApexExpressionClassifier(nn.Module):
    """Which expression an apex face shows: (apex face) -> logits (N, num_labels), on the face's luma.

    It learns from the same real apex faces of other people as the apex discriminator, with their
    labels; the generator is then asked that its apex be read as the requested expression. A patch
    discriminator conditioned on label planes can be fooled by a face that looks real but mild;
    a classifier cannot, so it pulls towards what tells the expressions apart (StarGAN's D_cls).
    Its people are never the judge's (`evaluation.judge`), so the judge's readings stay a fair test.
    """

    def __init__(self, num_labels: int, width: int):
        super().__init__()
        widths = (width, 2 * width, 4 * width)
        self.net = ExpressionNet(ClassifierConfig(widths=widths, num_labels=num_labels, dropout=0.0))

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        return self.net(tensor_channels(frame, 1))


class IntensityDiscriminator(nn.Module):
    """MLP on single intensities (N,) -> logits (N, 1)."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.LeakyReLU(SLOPE),
                                 nn.Linear(hidden, hidden), nn.LeakyReLU(SLOPE), nn.Linear(hidden, 1))

    def forward(self, intensities: torch.Tensor) -> torch.Tensor:
        return self.net(intensities.reshape(-1, 1))


def build_discriminators(cfg: ModelConfig) -> nn.ModuleDict:
    """The four discriminators and the expression classifier of a model config, as one ModuleDict (one
    optimiser). The classifier comes last, so the four start from the same weights as before it was added."""
    return nn.ModuleDict({
        "frame": PatchDiscriminator(cfg.channels, cfg.num_labels, cfg.disc_width, cfg.image_size),
        "lip": LipDiscriminator(cfg.channels, cfg.num_labels, cfg.disc_width, cfg.image_size),
        "intensity": IntensityDiscriminator(),
        "apex": ApexDiscriminator(cfg.num_labels, cfg.disc_width, cfg.image_size),
        "expression": ApexExpressionClassifier(cfg.num_labels, cfg.disc_width),
    })


# A discriminator's old name in checkpoints -> today's: the frame PatchGAN was "patch" (next to the lip patch).
OLD_NAMES = {"patch": "frame"}


def current_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`build_discriminators`' state dict with old discriminator names (`OLD_NAMES`) read as today's."""
    def renamed(key: str) -> str:
        head, _, rest = key.partition(".")
        return f"{OLD_NAMES.get(head, head)}.{rest}" if rest else key
    return {renamed(k): v for k, v in state.items()}
