"""Randomness that repeats: a step's seed from (seed, step, stream), seeded blocks, RNG states.

A step's batch and augmentation are pure functions of (seed, step, rank)
(`step_seed`, `seeded`), and the RNG states go into every checkpoint, so a
resumed run continues exactly as an uninterrupted one would.
"""
from __future__ import annotations

import contextlib
import random
from typing import Any, Iterator

import numpy as np
import torch


def step_seed(seed: int, step: int, stream: int = 0) -> int:
    """A well-mixed 63-bit seed from (seed, step, stream) (neighbouring steps share nothing)."""
    return int(np.random.SeedSequence([seed, step, stream]).generate_state(2, np.uint64)[0] >> np.uint64(1))


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed python, numpy and torch (CPU) for a block, then give the caller its RNG states back."""
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


def rng_state() -> dict[str, Any]:
    """The process's RNG states as tensors and plain values (checkpoint-safe)."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    version, pystate, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(gauss)},
        "python": {"version": version, "state": list(pystate), "gauss_next": gauss_next},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Inverse of `rng_state`."""
    torch.set_rng_state(state["torch"].cpu())
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
