"""One run at a time per output folder: `train` and `prepare` take a lock on their `--out`.

Two `train` runs into one folder interleaved their logs and left one run's
config beside the other's checkpoint; two `prepare` runs left files the
manifest did not list. The lock is `fcntl.flock` on the folder itself (no
file is added to it): the kernel drops it when the process ends, however it
ends (kill -9 too), so a stale lock never blocks the next run.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator

from affinekit.errors import AffinekitError


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, option: str = "--out") -> Iterator[Path]:
    """Hold an exclusive lock on `folder` (created if missing, removed again if left empty) for the block;
    AffinekitError if another process holds it. Under torchrun only rank 0 locks: the ranks of one run
    share the folder."""
    folder = Path(folder)
    if int(os.environ.get("RANK", "0") or 0) != 0:
        yield folder
        return
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AffinekitError(f"{option} {folder}: another affinekit run is writing there; wait for it to "
                                 f"finish or choose another {option}") from None
        try:
            yield folder
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
        if created:         # a run that failed before writing anything leaves no empty folder behind
            with contextlib.suppress(OSError):
                folder.rmdir()
