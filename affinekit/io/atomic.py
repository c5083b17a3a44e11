"""Atomic file writes: write beside the target, check what was written, then rename over it.

A crash, a Ctrl-C or a full disk mid-write leaves the old file (or none), never
a truncated one: prepared sequences, manifests, checkpoints and videos all go
through here. The written file gets the mode a plain `open()` would give it
(0666 less the umask), not the private 0600 of a temporary file. Temporary
files are named `.<name>.<pid>.<random><suffix>` beside the target; the next
write of the same target removes those whose process is gone (a killed run),
at once, and leaves a live writer's alone.

A write never goes through a link it did not make: a link at the target is
replaced, not followed, and with `within` (the folder the user named) a linked
folder between `within` and the target is refused, so a folder received from
someone else, with links planted in it, cannot send a write anywhere else.
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import IO, Callable, Iterator

from affinekit.errors import AffinekitError

# A temporary file without a readable process id (another machine's, an older kit's) is a
# leftover once it is older than this.
STALE_SECONDS = 600
NAME_MAX = 255          # bytes in a file name on Linux, macOS and Windows file systems
TEMP_EXTRA = 2 + 10 + 1 + 8   # the leading dot, ".<pid>." (up to 10 digits, dots) and mkstemp's 8 random letters


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:             # it exists but is someone else's
        return True
    return True


def temp_stem(name: str, suffix: str = "", limit: int = NAME_MAX) -> str:
    """The part of a temporary file's name that stands for the target `name`: the name itself, or for a
    name so long that `.<name>.<pid>.<random><suffix>` would pass the file-name limit, its start and a
    hash of the whole (a legal 244-character clip name failed after the work otherwise)."""
    room = limit - len(suffix.encode()) - TEMP_EXTRA
    if len(name.encode()) <= room:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    return f"{cut_to_bytes(name, room - len(digest) - 1)}~{digest}"


def cut_to_bytes(text: str, size: int) -> str:
    """`text` cut on a character boundary so that its UTF-8 encoding takes at most `size` bytes."""
    while len(text.encode("utf-8")) > size:
        text = text[:-1]
    return text


def _is_leftover(temp: Path, target_name: str, now: float) -> bool:
    pid = temp.name[len(target_name) + 2:].split(".", 1)[0]
    if pid.isdigit() and int(pid) != os.getpid():
        return not _process_alive(int(pid))
    return now - temp.stat().st_mtime > STALE_SECONDS


def remove_stale_temporaries(path: Path, suffix: str) -> None:
    """Delete `.<name>.*<suffix>` leftovers of earlier, killed writes of `path`."""
    now = time.time()
    stem = temp_stem(path.name, suffix)
    for old in path.parent.glob(f".{glob.escape(stem)}.*{suffix}"):
        with contextlib.suppress(OSError):
            if _is_leftover(old, stem, now):
                old.unlink()


def refuse_links(path: str | os.PathLike, within: str | os.PathLike | None) -> None:
    """AffinekitError when a folder between `within` and `path` (`within` itself allowed: the user named
    it) is a link, or when `path` lies outside `within`: a write there would land elsewhere."""
    if within is None:
        return
    path, root = Path(os.path.abspath(path)), Path(os.path.abspath(within))
    if root != path and root not in path.parents:
        raise AffinekitError(f"{path}: lies outside {root}, the folder being written; nothing was written")
    for folder in reversed(path.parents):
        if folder != root and root in folder.parents and folder.is_symlink():
            raise AffinekitError(f"{folder}: is a link (to {os.readlink(folder)}) inside {root}; affinekit does not "
                                 f"write through links it did not make; remove the link or choose another folder")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp",
                verify: Callable[[str], None] | None = None, within: str | os.PathLike | None = None) -> Iterator[str]:
    """Yield a temporary file name in `path`'s folder; on success it is renamed to `path`.

    `suffix` matters to writers that pick a format by extension (videos).
    `verify(tmp)` runs before the rename and raises if the file is not whole
    (a writer that failed quietly); then the temporary file is removed and
    `path` is left as it was. A link at `path` is replaced, never written through;
    `within`: see `refuse_links`.
    """
    path = Path(path)
    refuse_links(path, within)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder / path.name, suffix)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{temp_stem(path.name, suffix)}.{os.getpid()}.", suffix=suffix)
    os.close(fd)
    try:
        os.chmod(tmp, _umask_mode())
        yield tmp
        if verify is not None:
            verify(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], object],
                 within: str | os.PathLike | None = None) -> Path:
    """Call `write(binary_file)` on a temporary file, flush it to disk, then rename it to `path`.
    An OSError names `path` (a write or fsync error names no file, or the hidden temporary)."""
    try:
        with atomic_path(path, within=within) as tmp, open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())     # a full disk shows here, before the rename
    except OSError as err:
        if err.errno is None:
            raise
        raise type(err)(err.errno, err.strerror, str(path)) from None
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, within: str | os.PathLike | None = None) -> Path:
    """`atomic_write` of UTF-8 text: a JSON, a table, a log rewritten; never half a file."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda f: f.write(data), within)


def append_line(path: str | os.PathLike, within: str | os.PathLike | None = None) -> IO[str]:
    """`path` open for appending text lines (a run's log), refusing a planted link or a non-file
    (a FIFO would block, a device would swallow the log): appending cannot be atomic, so the
    link is refused rather than replaced."""
    refuse_links(path, within)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as err:
        why = "is a link" if Path(path).is_symlink() else (err.strerror or str(err))
        raise AffinekitError(f"{path}: cannot append to it ({why}); affinekit does not write through links "
                             "it did not make; remove it or choose another folder") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise AffinekitError(f"{path}: is not a plain file; remove it or choose another folder")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "a", encoding="utf-8")
