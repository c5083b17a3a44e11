"""Memory a request needs, estimated before the work and refused in one line when it cannot fit.

`prepare --size 20000`, `evaluate --frames 5000`, `train.batch_size=100000` and
`generate --expression all --frames 1000` used to end in allocator tracebacks
minutes in. Each entry point estimates its largest allocation (a formula in
its own module, stated in bytes) and calls `require_memory`, which compares it
with what this process may still take: the memory the system reports
available, the cgroup's limit and the address-space limit (`ulimit -v`),
whichever is least.
"""
from __future__ import annotations

import os
import resource
from pathlib import Path

from affinekit.errors import AffinekitError

GIB = 1024 ** 3


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room() -> int | None:
    """The cgroup v2 limit less what the cgroup already uses; None without a limit."""
    base = Path("/sys/fs/cgroup")
    try:
        limit = (base / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int((base / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return None


def _address_space_room() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        used = pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        used = 0
    return soft - used


def available_bytes() -> int | None:
    """What this process may still allocate (the least of the system's, the cgroup's and ulimit's); None if unknown."""
    known = [v for v in (_meminfo_available(), _cgroup_room(), _address_space_room()) if v is not None]
    return max(0, min(known)) if known else None


def format_bytes(n: float) -> str:
    """Bytes as a short human figure: 3.2 GB, 410 MB."""
    if n >= GIB:
        return f"{n / GIB:.1f} GB"
    return f"{n / 1024 ** 2:.0f} MB"


def require_memory(needed: float, option: str, what: str, fix: str) -> None:
    """AffinekitError when `needed` bytes cannot fit: names the option, the need, what is free, the fix."""
    free = available_bytes()
    if free is None or needed <= free:
        return
    raise AffinekitError(f"{option}: {what} needs about {format_bytes(needed)} of memory but "
                         f"{format_bytes(free)} is available; {fix}")
