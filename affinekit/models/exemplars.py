"""Real mouths to copy teeth and cavities from: lip shapes, retrieval by shape, the warp into a polygon.

A small network trained by regression paints a grey band where teeth should be; what looks right is
a real mouth copied in and harmonised (`models.mouth_exemplar`). This module holds the geometry:

- shapes are the 20 lip points (48-67: outer 48-59, inner 60-67) in the mouth patch's normalised
  coordinates (`models.mouth.mouth_square`: a square of `box_scale` inter-ocular distances), so a
  shape is already measured in inter-ocular distances and two faces of any size compare;
- `moved_points` carries a neutral face's points through the motion head's backward field (the
  points of the frame the field makes);
- `descriptor` / `nearest`: retrieval by the inner lips' opening (and, weighted less, the outer
  lips), each centred on itself; a person can be left out (training: never one's own mouth);
- `tps_warp`: an image whose lip points sit at `src` drawn so that they sit at `dst` (a thin-plate
  spline through the lip points and the patch's border, which stays put);
- `polygon_mask`: the inside of a polygon (the inner lips) on the patch's pixel grid;
- `teeth_shares`: how much of each mouth's opening shows teeth (light, low-chroma pixels: the rule
  `evaluation.teeth` measures generated mouths by), so that a smile can copy a mouth that shows them.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from affinekit.io.images import to_uint8
from affinekit.models.motion import identity_grid, sample_at

LIPS = slice(48, 68)                  # the shape's points, in landmark numbering
OUTER, INNER = slice(0, 12), slice(12, 20)   # within a shape
OUTER_WEIGHT = 1.0                    # the outer lips place the exemplar (its warp follows them): as much as the opening
FIELD_ITERATIONS = 6                  # fixed-point steps to follow a backward field forward
TEETH_LIGHTNESS = 60.0                # CIELAB L* (0-100) at or above which a low-chroma pixel is a tooth
TEETH_CHROMA = 20.0                   # CIELAB chroma sqrt(a*^2 + b*^2) at or below which a light pixel is a tooth


def to_patch(points: torch.Tensor, theta: torch.Tensor, size: int) -> torch.Tensor:
    """Points (N, P, 2) in pixels of a size x size frame -> the normalised coordinates of the patch
    that maps theta (N, 2, 3) (patch -> frame, normalised) cut."""
    pts = (2.0 * torch.as_tensor(points, dtype=torch.float32) + 1.0) / size - 1.0
    A, b = theta[:, :, :2].float(), theta[:, :, 2].float()
    return torch.einsum("nij,npj->npi", torch.linalg.inv(A), pts - b[:, None])


def moved_points(points: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Where points (B, P, 2) (normalised) of x0 sit in the frames that a backward field flow
    (B, T, 2, h, w) makes: the p with p + flow(p) = point, by fixed-point steps from the point."""
    B, T = flow.shape[:2]
    q = points.float()[:, None].expand(B, T, -1, -1).flatten(0, 1)
    field = flow.flatten(0, 1).float()
    p = q
    for _ in range(FIELD_ITERATIONS):
        p = q - sample_at(field, p)
    return p.view(B, T, *p.shape[1:])


def descriptor(shapes: torch.Tensor) -> torch.Tensor:
    """Shapes (..., 20, 2) -> (..., 40): inner and outer lips, each centred on itself (where the mouth
    sits is the field's business; what shows inside is decided by the opening's shape)."""
    inner = shapes[..., INNER, :] - shapes[..., INNER, :].mean(-2, keepdim=True)
    outer = shapes[..., OUTER, :] - shapes[..., OUTER, :].mean(-2, keepdim=True)
    return torch.cat([inner.flatten(-2), OUTER_WEIGHT * outer.flatten(-2)], -1)


def nearest(bank: torch.Tensor, query: torch.Tensor, people: torch.Tensor | None = None,
            exclude: torch.Tensor | None = None, count: int = 1, allowed: torch.Tensor | None = None) -> torch.Tensor:
    """Indices (Q,) of the bank's descriptors (K, D) nearest to each query (Q, D), ties to the lower
    index ((Q, count), nearest first, for count > 1); where `exclude` (Q,) names a person, that
    person's entries in `people` (K,) are skipped, and so are the entries `allowed` (Q, K) rules out."""
    dist = torch.cdist(query.float(), bank.float())                     # (Q, K)
    skip = torch.zeros_like(dist, dtype=torch.bool)
    if exclude is not None and people is not None:
        skip |= people.view(1, -1) == exclude.view(-1, 1)
    if allowed is not None:
        skip |= ~allowed.bool()
    if bool((skip.sum(1) > bank.shape[0] - count).any()):
        raise ValueError("too few exemplars of other people (or of the kind allowed) left to retrieve from")
    dist = dist.masked_fill(skip, float("inf"))
    # a stable sort keeps equal distances in index order (argmin's rule, for every rank)
    order = torch.sort(dist, dim=1, stable=True).indices[:, :count]
    return order[:, 0] if count == 1 else order


def _tps_kernel(r2: torch.Tensor) -> torch.Tensor:
    """U(r) = r^2 log r^2 (the thin-plate's radial basis), 0 at r = 0."""
    return r2 * torch.log(r2.clamp(min=1e-12))


def border_anchors(count: int = 5) -> torch.Tensor:
    """(4 (count - 1), 2) points on the patch's edge: they keep the warp still where the mouth ends."""
    t = torch.linspace(-1, 1, count)
    ones = torch.ones(count)
    ring = torch.cat([torch.stack([t, -ones], 1), torch.stack([ones, t], 1),
                      torch.stack([t.flip(0), ones], 1), torch.stack([-ones, t.flip(0)], 1)])
    return torch.unique_consecutive(ring, dim=0)[:-1]


def tps_map(a: torch.Tensor, b: torch.Tensor, points: torch.Tensor, regular: float = 1e-3) -> torch.Tensor:
    """points (N, Q, 2) carried by the thin-plate spline that takes control points a (N, P, 2) to b
    (N, P, 2). `regular` keeps coinciding control points from making the system singular."""
    N, P = a.shape[:2]
    a, b, points = a.float(), b.float(), points.float()
    K = _tps_kernel(torch.cdist(a, a) ** 2) + regular * torch.eye(P, device=a.device)
    Pm = torch.cat([torch.ones(N, P, 1, device=a.device), a], 2)                    # (N, P, 3)
    system = torch.cat([torch.cat([K, Pm], 2),
                        torch.cat([Pm.transpose(1, 2), torch.zeros(N, 3, 3, device=a.device)], 2)], 1)
    coef = torch.linalg.solve(system, torch.cat([b, torch.zeros(N, 3, 2, device=a.device)], 1))
    U = _tps_kernel(torch.cdist(points, a) ** 2)
    affine = torch.cat([torch.ones(*points.shape[:2], 1, device=a.device), points], 2)
    return U @ coef[:, :P] + affine @ coef[:, P:]


def tps_warp(images: torch.Tensor, src: torch.Tensor, dst: torch.Tensor, size: int | None = None) -> torch.Tensor:
    """images (N, C, s, s) whose points src (N, P, 2) (normalised) are drawn at dst (N, P, 2), on a
    size x size grid (default s: the points are normalised, so any size draws the same picture).

    A thin-plate spline from dst to src (plus the patch's border, fixed) gives, for every output
    pixel, where to read the image: a backward warp, bilinear.
    """
    N, C, s, _ = images.shape
    s = size or s
    ring = border_anchors().to(images.device)[None].expand(N, -1, -1)
    grid = identity_grid(s, s, images.device).reshape(1, -1, 2).expand(N, -1, -1)
    where = tps_map(torch.cat([dst.to(ring), ring], 1), torch.cat([src.to(ring), ring], 1), grid)
    return F.grid_sample(images, where.view(N, s, s, 2).to(images), mode="bilinear", padding_mode="border",
                         align_corners=False)


def tps_points(points: torch.Tensor, src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """Where `tps_warp(images, src, dst)` draws an image's points (N, Q, 2): the forward spline."""
    ring = border_anchors().to(src.device)[None].expand(src.shape[0], -1, -1)
    return tps_map(torch.cat([src.float(), ring], 1), torch.cat([dst.float(), ring], 1), points)


def polygon_mask(points: torch.Tensor, size: int) -> torch.Tensor:
    """(N, 1, size, size) in {0, 1}: the pixel centres inside the polygons (N, P, 2) (normalised,
    in order), by the even-odd rule."""
    grid = identity_grid(size, size).reshape(-1, 2)                 # (S, 2)
    x, y = grid[:, 0][None, :, None], grid[:, 1][None, :, None]     # (1, S, 1)
    a = points.float()[:, None]                                     # (N, 1, P, 2)
    b = points.float().roll(-1, 1)[:, None]
    ax, ay, bx, by = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    crosses = (ay > y) != (by > y)
    at_x = ax + (y - ay) * (bx - ax) / torch.where(by == ay, torch.full_like(by, 1e-12), by - ay)
    inside = (crosses & (x < at_x)).sum(-1) % 2 == 1                # (N, S)
    return inside.float().view(-1, 1, size, size)


def lightness_chroma(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L* in 0-100, chroma) of an RGB (H, W, 3) or grey (H, W) uint8 image, float32."""
    rgb = np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image[..., :3]
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    return lab[..., 0], np.hypot(lab[..., 1], lab[..., 2])


def tooth_pixels(lightness: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """Where a pixel is a tooth: light and low in chroma (bool, the shape of `lightness_chroma`'s maps)."""
    return (lightness >= TEETH_LIGHTNESS) & (chroma <= TEETH_CHROMA)


def teeth_shares(images: torch.Tensor, shapes: torch.Tensor) -> torch.Tensor:
    """(K,) the share of each mouth's opening (the inner-lip polygon of shapes (K, 20, 2), patch
    coordinates) that shows teeth, for mouths images (K, 3, s, s) in [-1, 1]; 0 where the lips meet."""
    s = images.shape[-1]
    inside = polygon_mask(shapes[:, INNER].float(), s)[:, 0].bool().numpy()
    pixels = to_uint8(images)
    out = []
    for image, opening in zip(pixels, inside):
        teeth = opening & tooth_pixels(*lightness_chroma(image))
        out.append(teeth.sum() / opening.sum() if opening.any() else 0.0)
    return torch.tensor(out, dtype=torch.float32)


def encode_jpeg(patch: np.ndarray, quality: int = 92) -> np.ndarray:
    """An RGB uint8 patch (s, s, 3) as JPEG bytes (uint8 (n,)): the bank ships small."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(patch, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode a mouth patch as JPEG")
    return data.reshape(-1)


def decode_jpeg(data: np.ndarray) -> np.ndarray:
    """The RGB uint8 patch that `encode_jpeg` wrote."""
    image = cv2.imdecode(np.ascontiguousarray(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("a mouth exemplar's JPEG bytes could not be decoded")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
