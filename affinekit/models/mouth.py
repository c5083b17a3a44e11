"""The mouth refiner: the inside of the mouth and the lip edges, painted at high resolution.

The motion head's field moves the lips well, but what a warp cannot show (the
cavity of an opened mouth, teeth, the edge of a wide smile) comes from a residual
predicted on the 64 px crop and stretched over a face hundreds of pixels wide.
The refiner works after that composite, on a square patch around the mouth cut
at `MouthConfig.size` px (128: about four times the mouth's size in the 64 px
crop) from the frame at whatever resolution it has (a 256 px training crop, the
user's photo). It reads the composited patch, the same patch of the neutral
photo, the label and the intensity, and predicts the luma R to paint and a mask
m there: where m opens, the frame's luma becomes R and its chroma stays (`paint`),
pasted back at the frame's own resolution.

- The patch is fixed per clip (from the neutral face's landmarks), so it cannot
  jitter from frame to frame; it is square in the aligned crop (upright face)
  and whatever similarity of it the photo needs.
- m is multiplied by min(l, 1) and by a window that is zero at the patch's
  edge: at l = 0 the frame is x0 exactly, and no seam can show.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from affinekit.config import MouthConfig
from affinekit.io.images import tensor_channels
from affinekit.models.generator import SLOPE, label_planes, norm
from affinekit.models.motion import border_window

MOUTH_POINTS = slice(48, 68)
LEFT_EYE, RIGHT_EYE = slice(36, 42), slice(42, 48)


def mouth_square(landmarks: torch.Tensor, size: int, cfg: MouthConfig) -> torch.Tensor:
    """Affine maps (B, 2, 3) from the patch's normalised coordinates to the frame's, for landmarks
    (B, 68, 2) in pixels of a size x size aligned crop (what `F.affine_grid` takes).

    The square is centred below the lips' centre (an opening jaw moves down) and its side is
    `cfg.box_scale` inter-ocular distances, enough for a wide smile or an open mouth.
    """
    pts = torch.as_tensor(landmarks, dtype=torch.float32)
    iod = (pts[:, RIGHT_EYE].mean(1) - pts[:, LEFT_EYE].mean(1)).norm(dim=-1)        # (B,)
    centre = pts[:, MOUTH_POINTS].mean(1)
    centre = torch.stack([centre[:, 0], centre[:, 1] + cfg.drop * iod], -1)
    half = 0.5 * cfg.box_scale * iod
    theta = torch.zeros(pts.shape[0], 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 2 * half / size
    theta[:, :, 2] = (2 * centre + 1) / size - 1
    return theta


def cut_patches(frames: torch.Tensor, theta: torch.Tensor, size: int) -> torch.Tensor:
    """Patches (N, C, size, size) of frames (N, C, H, W) through maps theta (N, 2, 3)."""
    grid = F.affine_grid(theta.to(frames), (frames.shape[0], frames.shape[1], size, size), align_corners=False)
    return F.grid_sample(frames, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _inverse(theta: torch.Tensor) -> torch.Tensor:
    """The inverse of affine maps (N, 2, 3)."""
    full = torch.cat([theta, torch.tensor([0.0, 0.0, 1.0]).to(theta).expand(theta.shape[0], 1, 3)], 1)
    return torch.linalg.inv(full)[:, :2]


def paste_patches(frames: torch.Tensor, theta: torch.Tensor, mask: torch.Tensor,
                  residual: torch.Tensor) -> torch.Tensor:
    """The frame's luma (or colour) becomes R where m opens (`paint`), with m (N, 1, s, s) and R (N, 1 or 3,
    s', s'; any size) carried from the patch to the frame (N, C, H, W) through theta's inverse, at the
    frame's resolution; only the patch's footprint is touched."""
    n, c, h, w = frames.shape
    # the footprint's bounding box in frame pixels: only there can m be non-zero
    corners = torch.tensor([[-1.0, -1.0, 1.0], [1.0, -1.0, 1.0], [-1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]).to(theta)
    xy = torch.einsum("nij,kj->nki", theta, corners)                        # (N, 4, 2) normalised
    px = ((xy + 1) * torch.tensor([w, h]).to(theta) - 1) / 2
    x0 = int(max(0, np.floor(float(px[..., 0].min())) - 1))
    y0 = int(max(0, np.floor(float(px[..., 1].min())) - 1))
    x1 = int(min(w, np.ceil(float(px[..., 0].max())) + 2))
    y1 = int(min(h, np.ceil(float(px[..., 1].max())) + 2))
    if x1 <= x0 or y1 <= y0:
        return frames
    ys = (2 * torch.arange(y0, y1, dtype=theta.dtype, device=theta.device) + 1) / h - 1
    xs = (2 * torch.arange(x0, x1, dtype=theta.dtype, device=theta.device) + 1) / w - 1
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    at = torch.stack([gx, gy, torch.ones_like(gx)], -1)                     # (h', w', 3) frame normalised
    inv = _inverse(theta)
    grid = torch.einsum("nij,hwj->nhwi", inv, at)                            # patch normalised
    # m and R may differ in size (an exemplar bank's colour can be shown larger than the patch)
    parts = [torch.cat([mask, residual], 1)] if mask.shape[-1] == residual.shape[-1] else [mask, residual]
    maps = torch.cat([F.grid_sample(p.to(frames), grid.to(frames), mode="bilinear", padding_mode="zeros",
                                    align_corners=False) for p in parts], 1)
    out = frames.clone()
    out[:, :, y0:y1, x0:x1] = paint(out[:, :, y0:y1, x0:x1], maps[:, :1], maps[:, 1:])
    return out


def paint(frames: torch.Tensor, mask: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """Frames (N, C, h, w) where `mask` opens onto `image` (N, 1 or 3, h, w). One channel is luma:
    the frames' luma becomes it and their chroma stays (the same amount is added to R, G and B;
    YCbCr is linear in RGB, so only Y moves). Three channels are colour: a grey frame takes their luma."""
    if image.shape[1] == 1:
        return frames + mask * (image - tensor_channels(frames, 1))
    return frames + mask * (tensor_channels(image, frames.shape[1]) - frames)


class MouthRefiner(nn.Module):
    """A small U-Net on the mouth patch: (composited patch, neutral patch, label, intensity) -> (m, R).

    Inputs are RGB in [-1, 1] (a grey frame enters as three equal channels); R is the luma to paint,
    in [-1, 1], and m in [0, 1] is zero at the patch's edge and at l = 0. The refiner paints luma and
    keeps the frame's chroma: a mouth's cavity, teeth and lip edges are luma structures, and the
    colour truth of most expressions here comes from grey sources (CK+, JAFFE, Yale) and two MEAD
    people, too little to learn the chroma of an open mouth from (a colour residual painted green
    and yellow speckle in surprised mouths). The U-Net runs at half the patch's size on 2 x 2 pixel
    blocks (pixel unshuffle in, pixel shuffle out): every output pixel is still predicted on its own,
    at a quarter of the cost of convolving the full-size patch (a clip's 16 patches must take well
    under a tenth of a second on a laptop CPU).
    """

    EXTRA_INPUTS = 0      # planes a subclass adds to the patch, the neutral patch, the label and l
    OUT_MAPS = 2          # maps per output pixel: (mask, luma) here

    def __init__(self, cfg: MouthConfig, num_labels: int):
        super().__init__()
        self.cfg, self.num_labels = cfg, num_labels
        widths = [min(cfg.width * 2 ** i, cfg.max_width) for i in range(cfg.depth + 1)]
        cin = 4 * (6 + self.EXTRA_INPUTS + num_labels + 1)
        self.stem = nn.Sequential(nn.Conv2d(cin, widths[0], 3, 1, 1), norm(widths[0]))
        self.downs = nn.ModuleList(nn.Sequential(nn.LeakyReLU(SLOPE), nn.Conv2d(a, b, 4, 2, 1), norm(b))
                                   for a, b in zip(widths[:-1], widths[1:]))
        self.ups = nn.ModuleList(
            nn.Sequential(nn.LeakyReLU(SLOPE), nn.ConvTranspose2d(widths[i] if i == cfg.depth else 2 * widths[i],
                                                                  widths[i - 1], 4, 2, 1), norm(widths[i - 1]))
            for i in range(cfg.depth, 0, -1))
        # OUT_MAPS maps per pixel of each 2 x 2 block
        self.out = nn.Conv2d(2 * widths[0], self.OUT_MAPS * 4, 3, 1, 1)
        with torch.no_grad():
            self.out.bias.view(self.OUT_MAPS, 4)[1] = -2.0   # the mask starts mostly shut: near the identity
        self.register_buffer("window", border_window(cfg.size, 0.15), persistent=False)

    def forward(self, patch: torch.Tensor, neutral: torch.Tensor, label: torch.Tensor,
                intensity: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(m (N, 1, s, s), R (N, 1, s, s)) for patches (N, 3, s, s), labels (N,) or mixture weights (N, L),
        intensities (N,)."""
        raw = self.maps(patch, neutral, label, intensity)
        level = intensity.to(patch).view(-1, 1, 1, 1)
        mask = torch.sigmoid(raw[:, 1:]) * self.window.to(patch) * level.abs().clamp(max=1.0)
        return mask, torch.tanh(raw[:, :1])

    def maps(self, patch: torch.Tensor, neutral: torch.Tensor, label: torch.Tensor, intensity: torch.Tensor,
             *extra: torch.Tensor) -> torch.Tensor:
        """The U-Net's raw output (N, OUT_MAPS, s, s) for its inputs (`extra`: a subclass's planes)."""
        s = patch.shape[-1]
        level = intensity.to(patch).view(-1, 1, 1, 1)
        if label.is_floating_point():      # a mixture's weights (N, L) stand where one-hot planes would
            planes = label.to(patch)[:, :, None, None].expand(-1, -1, s, s)
        else:
            planes = label_planes(label, self.num_labels, (s, s)).to(patch)
        x = F.pixel_unshuffle(torch.cat([patch, neutral, *extra, planes, level.expand(-1, 1, s, s)], 1), 2)
        skips = [self.stem(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        h = self.ups[0](skips[-1])
        for up, skip in zip(self.ups[1:], reversed(skips[1:-1])):
            h = up(torch.cat([h, skip], 1))
        return F.pixel_shuffle(self.out(F.leaky_relu(torch.cat([h, skips[0]], 1), SLOPE)), 2)


def refine_frames(refiner: MouthRefiner, frames: torch.Tensor, neutral: torch.Tensor, theta: torch.Tensor,
                  labels: torch.Tensor, intensities: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Frames (N, C, H, W) in [-1, 1] with their mouths refined, and the refiner's (m, R) on the patch.

    neutral: the clip's x0 at the frames' size (N, C, H, W); theta (N, 2, 3) the mouth square of each
    frame (patch -> frame, normalised); labels, intensities (N,).
    """
    s = refiner.cfg.size
    patch = cut_patches(tensor_channels(frames, 3), theta, s)
    base = cut_patches(tensor_channels(neutral, 3), theta, s)
    mask, residual = refiner(patch, base, labels, intensities)
    return paste_patches(frames, theta, mask, residual), mask, residual
