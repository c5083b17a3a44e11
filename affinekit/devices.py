"""`--device auto|cpu|cuda|mps`, with the same meaning for generate, evaluate and train."""
from __future__ import annotations

import torch

from affinekit.errors import AffinekitError

DEVICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(name: str | None, local_rank: int = 0) -> torch.device:
    """'auto' -> a CUDA GPU when there is one, else Apple's MPS, else the CPU; asking for a
    device that is not there is a user error, not a silent fallback."""
    name = (name or "auto").lower()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise AffinekitError("device 'cuda' asked for but no CUDA GPU is available; use --device cpu or auto")
        return torch.device("cuda", local_rank) if name == "cuda" else torch.device(name)
    if name == "mps":
        if not _mps_available():
            raise AffinekitError("device 'mps' asked for but Apple's MPS is not available; use --device cpu or auto")
        return torch.device("mps")
    if name != "cpu":
        raise AffinekitError(f"unknown device {name!r}; use one of {', '.join(DEVICES)}")
    return torch.device("cpu")
