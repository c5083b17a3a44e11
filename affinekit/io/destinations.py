"""Where a command will write, checked before it does any work.

Every command that writes (`prepare --out`, `train --out`, `generate --out` and
`--out-dir`, `evaluate --json/--markdown`, `figures --out`) checks its targets
here first, so a read-only or mistyped destination fails in the first second
with one line, not after minutes of work. Writability is probed by creating and
removing a file, because `os.access` answers yes to root on a read-only folder.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterable

from affinekit.errors import AffinekitError
from affinekit.io.clashes import refuse_clashes


def _probe(folder: Path, shown: Path, option: str) -> None:
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".affinekit-probe.")
    except OSError as err:
        raise AffinekitError(f"{shown}: cannot write in {folder} ({err.strerror or err}); "
                             f"choose another {option}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _file_in_the_way(folder: Path, shown: Path, option: str) -> None:
    for parent in (folder, *folder.parents):      # say so plainly, not with mkdir's errno
        if parent.exists() and not parent.is_dir():
            raise AffinekitError(f"{shown}: {parent} is a file, not a folder; choose another {option}")


def _make_folder(folder: Path, shown: Path, option: str) -> None:
    _file_in_the_way(folder, shown, option)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AffinekitError(f"{shown}: cannot create folder {folder} ({err.strerror or err}); "
                             f"choose another {option}") from None


def writable_folder(path: str | os.PathLike, option: str = "--out", create: bool = False) -> Path:
    """`path` as a folder new files can go in, or AffinekitError.

    Without `create` nothing is made: a missing folder passes when the nearest
    folder above it takes new files (the writer makes it later), so a command
    that fails on other input leaves no empty folder behind.
    """
    folder = Path(path)
    if create:
        _make_folder(folder, folder, option)
        _probe(folder, folder, option)
        return folder
    _file_in_the_way(folder, folder, option)
    existing = next(p for p in (folder.absolute(), *folder.absolute().parents) if p.exists())
    _probe(existing, folder, option)
    return folder


def writable_file(path: str | os.PathLike, option: str = "--out",
                  suffixes: Iterable[str] | None = None, make_folder: bool = False) -> Path:
    """`path` as a file that can be (re)written, or AffinekitError.

    `suffixes` (lower case, with the dot) restricts the name's ending, e.g. a
    video's `.mp4`/`.gif`. A missing folder is an error (most likely a typo)
    unless `make_folder`. An existing file is not touched: writers replace it
    atomically only once the new one is whole.
    """
    path = Path(path)
    if suffixes is not None:
        allowed = tuple(suffixes)
        if path.suffix.lower() not in allowed:
            raise AffinekitError(f"{path}: {option} must end in {' or '.join(allowed)}, "
                                 f"not {path.suffix or '(no suffix)'!r}")
    if path.is_dir():
        raise AffinekitError(f"{path}: is a folder; give {option} a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if make_folder:
        _make_folder(folder, path, option)
    elif not folder.is_dir():
        raise AffinekitError(f"{path}: folder {folder} does not exist; create it or choose another {option}")
    _probe(folder, path, option)
    return path


def output_file(path: str | os.PathLike, option: str, inputs: dict[str, str | os.PathLike | None] | None = None,
                suffixes: Iterable[str] | None = None) -> Path:
    """A script's or benchmark's output file checked before any work: writable (its folder made), and
    naming none of its `inputs`, no checkpoint and no prepared file (`clashes.refuse_clashes`)."""
    path = writable_file(path, option, suffixes, make_folder=True)
    refuse_clashes({option: path}, inputs or {})
    return path
