"""Image and identity metrics of generated clips, batched over videos.

Pixel metrics take float arrays and an explicit `data_range` (2.0 for [-1, 1],
255.0 for 0-255 values) so that no metric silently assumes a scale. Clips are
`(B, T, C, H, W)` as clip makers return them.

Conventions, chosen so that a model cannot score by repeating its input:
- PSNR, SSIM, ACD-I and ACD-M skip frame 0: it is the input the model was given.
- A video's PSNR comes from its mean squared error pooled over the scored frames,
  so one frame equal to its reference (possible when a short sequence is
  resampled to more frames) does not make the whole video infinite. Identical
  videos still give `inf`, which tables print as "inf".
- ACD-C uses every frame (it asks whether the clip keeps one identity).
- Face descriptors are NaN where no face was found; such frames are left out of
  the means and counted by the caller, never replaced.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np
from skimage.metrics import structural_similarity


def mse(a: np.ndarray, b: np.ndarray, image_ndim: int = 3) -> np.ndarray:
    """Mean squared error over the last `image_ndim` axes, in float64."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    axes = tuple(range(a.ndim - image_ndim, a.ndim))
    return np.mean((a - b) ** 2, axis=axes)


def psnr_from_mse(err: np.ndarray | float, data_range: float) -> np.ndarray:
    """PSNR in dB from a mean squared error; `inf` where the error is 0."""
    err = np.asarray(err, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(float(data_range) ** 2 / err)


def psnr(a: np.ndarray, b: np.ndarray, data_range: float, image_ndim: int = 3) -> np.ndarray:
    """Peak signal-to-noise ratio per image, computed in floating point.

    `a` and `b` have the same shape; the last `image_ndim` axes form one image
    (3 for (C, H, W), 2 for (H, W)); the result has the leading shape.
    """
    return psnr_from_mse(mse(a, b, image_ndim), data_range)


def wraparound_mse(a: np.ndarray, b: np.ndarray, image_ndim: int = 3,
                   square_wraps: bool = True) -> np.ndarray:
    """The mean squared error that uint8 arithmetic gives (wrong on purpose; see below).

    `np.mean((a - b) ** 2)` on two uint8 arrays wraps the difference modulo 256
    (10 - 250 becomes 16, not -240) and, with `square_wraps`, the square too
    (16 ** 2 becomes 0). The original AffineGAN metric script computes PSNR
    this way; `square_wraps=False` wraps only the subtraction.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise TypeError("wraparound_mse reproduces uint8 arithmetic: pass two uint8 arrays")
    diff = a - b                                  # uint8: wraps modulo 256
    sq = diff * diff if square_wraps else diff.astype(np.float64) ** 2
    axes = tuple(range(a.ndim - image_ndim, a.ndim))
    return np.mean(sq, axis=axes, dtype=np.float64)


def psnr_uint8_wraparound(a: np.ndarray, b: np.ndarray, image_ndim: int = 3,
                          square_wraps: bool = True) -> np.ndarray:
    """PSNR (dB, peak 255) from `wraparound_mse`: exists only to show the inflation.

    Never use it to score a model: large errors wrap to small ones, so copying
    the input frame gains about 8 dB on CK+.
    """
    return psnr_from_mse(wraparound_mse(a, b, image_ndim, square_wraps), 255.0)


def ssim(a: np.ndarray, b: np.ndarray, data_range: float) -> np.ndarray:
    """SSIM per image with scikit-image's defaults (7x7 uniform window).

    Images are the last three axes, (C, H, W); channels are averaged.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim < 3:
        raise ValueError(f"expected equal shapes (..., C, H, W), got {a.shape} and {b.shape}")
    lead = a.shape[:-3]
    fa = a.reshape((-1,) + a.shape[-3:])
    fb = b.reshape((-1,) + b.shape[-3:])
    out = np.empty(len(fa))
    for i, (x, y) in enumerate(zip(fa, fb)):
        if x.shape[0] == 1:
            out[i] = structural_similarity(x[0], y[0], data_range=data_range)
        else:
            out[i] = structural_similarity(x, y, data_range=data_range, channel_axis=0)
    return out.reshape(lead)


def _scored(clips: np.ndarray, skip_first: bool) -> np.ndarray:
    if clips.ndim != 5:
        raise ValueError(f"expected clips (B, T, C, H, W), got shape {clips.shape}")
    return clips[:, 1:] if skip_first else clips


def video_psnr(generated: np.ndarray, real: np.ndarray, data_range: float,
               skip_first: bool = True) -> np.ndarray:
    """PSNR per video (B,), from the squared error pooled over the scored frames."""
    g, r = _scored(generated, skip_first), _scored(real, skip_first)
    return psnr_from_mse(mse(g, r, image_ndim=3).mean(axis=1), data_range)


def video_psnr_wraparound(generated: np.ndarray, real: np.ndarray, skip_first: bool = True,
                          square_wraps: bool = True) -> np.ndarray:
    """`video_psnr` with uint8 wrap-around arithmetic (uint8 clips): for the note only."""
    g, r = _scored(generated, skip_first), _scored(real, skip_first)
    err = wraparound_mse(g, r, image_ndim=3, square_wraps=square_wraps).mean(axis=1)
    return psnr_from_mse(err, 255.0)


def video_ssim(generated: np.ndarray, real: np.ndarray, data_range: float,
               skip_first: bool = True) -> np.ndarray:
    """Mean SSIM over the scored frames, per video (B,)."""
    g, r = _scored(generated, skip_first), _scored(real, skip_first)
    return ssim(g, r, data_range).mean(axis=1)


def _check_desc(desc: np.ndarray) -> np.ndarray:
    desc = np.asarray(desc, dtype=np.float64)
    if desc.ndim != 3:
        raise ValueError(f"expected descriptors (B, T, D), got shape {desc.shape}")
    return desc


def acd_c(desc: np.ndarray) -> np.ndarray:
    """ACD-C per video (B,): mean pairwise L2 distance between its frames' descriptors.

    Frames without a face (NaN rows) are left out; a video with fewer than two
    usable frames gives NaN.
    """
    desc = _check_desc(desc)
    out = np.full(desc.shape[0], np.nan)
    for i, video in enumerate(desc):
        ok = video[~np.isnan(video).any(axis=1)]
        if len(ok) < 2:
            continue
        d = np.linalg.norm(ok[:, None, :] - ok[None, :, :], axis=-1)
        iu = np.triu_indices(len(ok), k=1)
        out[i] = d[iu].mean()
    return out


def _mean_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean over frames of ||a - b||, ignoring NaN pairs; NaN where none is left."""
    d = np.linalg.norm(a - b, axis=-1)            # NaN where either side is NaN
    ok = ~np.isnan(d)
    total = np.where(ok, d, 0.0).sum(axis=1)
    count = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def acd_i(desc: np.ndarray, input_desc: np.ndarray, skip_first: bool = True) -> np.ndarray:
    """ACD-I per video (B,): mean distance of each frame's descriptor to the input face's (B, D)."""
    desc = _check_desc(desc)
    desc = desc[:, 1:] if skip_first else desc
    ref = np.asarray(input_desc, dtype=np.float64)[:, None, :]
    return _mean_distance(desc, ref)


def acd_m(desc: np.ndarray, real_desc: np.ndarray, skip_first: bool = True) -> np.ndarray:
    """ACD-M per video (B,): mean distance of each frame's descriptor to the matching real frame's."""
    desc, real_desc = _check_desc(desc), _check_desc(real_desc)
    if skip_first:
        desc, real_desc = desc[:, 1:], real_desc[:, 1:]
    return _mean_distance(desc, real_desc)


def resample_indices(length: int, frames: int) -> np.ndarray:
    """`frames` evenly spaced indices from the first to the last of `length` frames."""
    if length < 1 or frames < 1:
        raise ValueError("need at least one frame")
    return np.round(np.linspace(0, length - 1, frames)).astype(np.int64)


def geometric_mean_ratio(ratios: Iterable[float]) -> float:
    """Geometric mean of positive finite ratios (others ignored; NaN if none): 2 and 1/2 average to 1."""
    r = np.asarray([float(x) for x in ratios], np.float64)
    r = r[np.isfinite(r) & (r > 0)]
    return float(np.exp(np.log(r).mean())) if len(r) else float("nan")


def mean_skipping_nan(values: np.ndarray) -> float:
    """Mean over videos that keeps `inf` (all identical) and ignores NaN (not measurable)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return float("nan")
    return float(np.mean(v))


def mean_of_finite(values: Iterable[float]) -> float:
    """Mean of the finite values only (inf and NaN both left out); NaN when none is finite."""
    finite = [float(v) for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def confidence_half_width(values: Iterable[float]) -> float:
    """Half-width of a normal 95% confidence interval of the mean, 1.96 s / sqrt(n), over the finite
    values; NaN below n = 2 (one sequence says nothing about the spread)."""
    v = np.asarray([x for x in values if np.isfinite(x)], np.float64)
    return float(1.96 * v.std(ddof=1) / np.sqrt(len(v))) if len(v) >= 2 else float("nan")


def laplacian_variance(image: np.ndarray, where: np.ndarray | None = None) -> float:
    """Sharpness of an image (H, W) or (H, W, C): the variance of its Laplacian, grey, in float64.

    Colour is made grey by luma first (ITU-R BT.601), so a grey and a colour copy of one picture
    score alike. The value scales with the square of the intensity range: compare images on one scale.
    `where` (H, W) bool keeps only those pixels' Laplacian (a face box without its mouth box).
    """
    a = np.asarray(image, dtype=np.float64)
    if a.ndim == 3:
        a = a[..., 0] if a.shape[-1] == 1 else a[..., :3] @ np.array([0.299, 0.587, 0.114])
    if a.ndim != 2 or min(a.shape) < 3:
        raise ValueError(f"expected an image (H, W[, C]) of at least 3x3 pixels, got shape {np.shape(image)}")
    # the 4-neighbour Laplacian on the interior: no border rule adds edges that are not in the image
    lap = a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] - 4.0 * a[1:-1, 1:-1]
    if where is not None:
        lap = lap[np.asarray(where, bool)[1:-1, 1:-1]]
        if lap.size == 0:
            raise ValueError("`where` keeps no interior pixel")
    return float(lap.var())


def sharpness_ratio(generated: np.ndarray, reference: np.ndarray) -> float:
    """`laplacian_variance` of `generated` over that of `reference` (1: as sharp; below 1: blurrier).

    NaN when the reference is perfectly flat (no sharpness to compare with).
    """
    ref = laplacian_variance(reference)
    return laplacian_variance(generated) / ref if ref > 0 else float("nan")


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a binomial share (95% for z = 1.96); (NaN, NaN) when n = 0.

    Unlike the normal interval it stays inside [0, 1] and is not zero-wide at 0 or n successes,
    which matters here: a perfect classifier on 30 patches is not certain to be perfect.
    """
    if n <= 0:
        return float("nan"), float("nan")
    p, z2 = successes / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))
