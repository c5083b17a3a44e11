"""Where a training process runs: its device and, under torchrun, its DDP rank (seeds: `affinekit.seeds`)."""
from __future__ import annotations

import dataclasses
import os

import torch
import torch.distributed as dist

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
