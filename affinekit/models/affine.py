"""The hidden affine step: mixing codes along a direction, and inferring intensities.

A frame at intensity l is decoded from `base + l * direction` at every level of
the U-Net. Training needs the reverse: given a real frame x_t, which l produced
it? We project the change of its bottleneck base code onto the direction:

    l_t = <E_b(x_t) - E_b(x0), a> / |a|^2,   a = E_d(x0, y) at the bottleneck

so l = 0 for x0 itself and l = 1 where the frame moved by exactly one direction.
`project_mixture` does the same onto every label's direction at once, with
non-negative intensities (a reference face's expression as a mixture).

The official code differs (`model.projection=official`): l_t = |<E_b(x_t) - E_b(x0), a>| / |a|,
unsigned and divided by |a| rather than |a|^2 (so its scale grows with |a|), and
detached where it drives the decoder (`GeneratorStep`). `model.mixing=bottleneck`
adds l * direction at the bottleneck only; the skip levels then carry the base code.
"""
from __future__ import annotations

import torch
from scipy.optimize import nnls

# Keeps the projection finite when a direction is (nearly) zero, e.g. at
# initialisation or for an untrained label; tiny next to |a|^2 of a trained model.
EPS = 1e-6


def mix_codes(base: list[torch.Tensor], direction: list[torch.Tensor],
              intensities: torch.Tensor, bottleneck_only: bool = False) -> list[torch.Tensor]:
    """Codes `base + l * direction` for every (sample, intensity) pair.

    base, direction: per level (B, C_i, H_i, W_i); intensities: (B, T).
    Returns per level (B*T, C_i, H_i, W_i), sample-major (b0t0, b0t1, ...),
    so the decoder handles the whole clip batch in one pass. With
    `bottleneck_only` the skip levels get the base code alone.
    """
    B, T = intensities.shape
    mixed = []
    for i, (b, d) in enumerate(zip(base, direction)):
        l = intensities.to(b.dtype).view(B, T, 1, 1, 1)
        if bottleneck_only and i < len(base) - 1:
            l = torch.zeros_like(l)
        mixed.append((b.unsqueeze(1) + l * d.unsqueeze(1)).flatten(0, 1))
    return mixed


def project_intensity(code_t: torch.Tensor, code_0: torch.Tensor, direction: torch.Tensor,
                      official: bool = False) -> torch.Tensor:
    """Intensity of frames whose bottleneck base code is `code_t` (`official`: |<delta, a>| / |a|).

    code_t: (B, K, C, h, w) or (B, C, h, w); code_0, direction: (B, C, h, w).
    Returns (B, K) or (B,).
    """
    single = code_t.dim() == code_0.dim()
    if single:
        code_t = code_t.unsqueeze(1)
    a = direction.flatten(1)                                  # (B, D)
    delta = (code_t - code_0.unsqueeze(1)).flatten(2)         # (B, K, D)
    dot = (delta * a.unsqueeze(1)).sum(-1)
    if official:
        lam = dot.abs() / (a.norm(dim=-1, keepdim=True) + EPS)
    else:
        lam = dot / (a.pow(2).sum(-1, keepdim=True) + EPS)
    return lam[:, 0] if single else lam


@torch.no_grad()
def intensity_stats(lam: torch.Tensor, positions: torch.Tensor) -> dict[str, float]:
    """Mean, spread and Pearson correlation with the frames' true positions (for the log)."""
    lam = lam.detach().float().flatten()
    pos = positions.detach().float().flatten().to(lam.device)
    stats = {"lambda_mean": lam.mean().item(), "lambda_std": lam.std(unbiased=False).item(),
             "lambda_min": lam.min().item(), "lambda_max": lam.max().item()}
    lc, pc = lam - lam.mean(), pos - pos.mean()
    denom = (lc.pow(2).sum() * pc.pow(2).sum()).sqrt()
    stats["lambda_corr"] = (lc * pc).sum().item() / denom.item() if denom.item() > 0 else 0.0
    return stats


def project_mixture(code_t: torch.Tensor | list[torch.Tensor], code_0: torch.Tensor | list[torch.Tensor],
                    directions: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
    """Non-negative intensities c_i with `code_t - code_0 ~ sum_i c_i directions[i]` (least squares).

    The generalisation of `project_intensity` to several directions at once: with one
    direction and a positive projection, c is exactly that intensity. code_t, code_0:
    (C, h, w) base codes of a frame and of the neutral face; directions: (L, C, h, w), one
    per label; or lists of these, one per U-Net level, fitted together. Each level's rows
    are divided by the square root of its size, so every level weighs the same per element
    and a large level does not outvote a small one. Returns (L,) float32, >= 0 (scipy's
    NNLS, exact active set).
    """
    if isinstance(code_t, torch.Tensor):
        code_t, code_0, directions = [code_t], [code_0], [directions]
    scales = [float(d[0].numel()) ** -0.5 for d in directions]
    A = torch.cat([d.detach().double().flatten(1) * s for d, s in zip(directions, scales)], 1).T.cpu().numpy()
    b = torch.cat([(t - z).detach().double().flatten() * s
                   for t, z, s in zip(code_t, code_0, scales)]).cpu().numpy()
    coefficients, _ = nnls(A, b)
    return torch.from_numpy(coefficients).float()
