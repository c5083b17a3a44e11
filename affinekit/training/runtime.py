"""Where a training process runs: its device and, under torchrun, its DDP rank (seeds: `affinekit.seeds`);
and `frozen`, modules held fixed (no weight gradients, no DDP sync) for a step that must not update them."""
from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Iterable, Iterator

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

from affinekit.devices import resolve_device


@dataclasses.dataclass
class DistInfo:
    """Where this process sits in a (possibly one-process) run."""
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed(device_name: str | None) -> tuple[DistInfo, torch.device]:
    """Join the process group torchrun describes in the environment (if any)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    info = DistInfo(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))
    device = resolve_device(device_name, info.local_rank)
    if info.enabled and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return info, device


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
