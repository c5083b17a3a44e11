"""What a training log says, as numbers the prose beside its figures can be checked against.

Notebook 03 writes these into `figures/training_<data>.json` beside Figs. 6 and 7,
and a test checks each sentence that cites them, so a rerun that changes the
curves cannot leave the prose behind.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from affinekit.show.charts import smooth

# a discriminator within this distance of its chance loss (moving average) cannot tell real from fake
CHANCE_BAND = 0.02


def _values(log: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    return np.array([float(r[key]) for r in log if isinstance(r.get(key), (int, float))], np.float64)


def smoothing_window(log: Sequence[Any]) -> int:
    """The moving-average window the loss charts draw (`charts.loss_curves`)."""
    return max(1, len(log) // 50)


def curve_summary(log: Sequence[Mapping[str, Any]], chance: float) -> dict[str, Any]:
    """G_L1's start, peak and end; the step from which D_frame_real and D_frame_fake stay at chance; G's
    gradient shares. Smoothed values use the charts' window."""
    window = smoothing_window(log)
    steps = np.array([int(r.get("step", i + 1)) for i, r in enumerate(log)])
    g_l1 = smooth(_values(log, "G_L1"), window)
    out: dict[str, Any] = {"steps": int(steps[-1]) if len(steps) else 0, "window": window}
    if len(g_l1):
        peak = int(np.argmax(g_l1))
        out["G_L1"] = {"first": float(g_l1[0]), "peak": float(g_l1[peak]), "peak_step": int(steps[peak]),
                       "last": float(g_l1[-1]), "net_change": float(g_l1[-1] - g_l1[0])}
    d = [smooth(_values(log, k), window) for k in ("D_frame_real", "D_frame_fake")]
    if all(len(v) == len(steps) and len(v) for v in d):
        off = np.maximum(np.abs(d[0] - chance), np.abs(d[1] - chance))
        outside = np.nonzero(off > CHANCE_BAND)[0]
        first = int(outside[-1]) + 1 if len(outside) else 0
        out["D"] = {"chance": chance, "band": CHANCE_BAND,
                    "at_chance_from_step": int(steps[first]) if first < len(steps) else None,
                    "real_last": float(d[0][-1]), "fake_last": float(d[1][-1])}
    shares = {k[len("share_"):]: float(np.mean(_values(log, k))) for k in sorted({k for r in log for k in r})
              if k.startswith("share_") and len(_values(log, k))}
    if shares:
        out["gradient_shares"] = shares
        out["gan_share"] = float(sum(v for k, v in shares.items() if k in ("G_frame", "G_lip", "G_apex")))
    return out
