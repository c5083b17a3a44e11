"""A folder of outputs written whole (`generate --layers DIR`): into a fresh temporary folder beside it,
then renamed into place, under a lock on the folder above.

Written in place, two runs into one folder mixed their files under one run's description, a run
killed midway left a folder that looked whole, and a link planted in a received folder sent a
write elsewhere. Here the files go into a folder this process has just made (nothing planted in
it), the old folder is moved aside and removed only once the new one is in place, and a folder
holding anything but such outputs (a user's photos, a home folder) is never replaced.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from affinekit.errors import AffinekitError
from affinekit.io.locks import folder_lock


def check_replaceable(folder: Path, ours: Callable[[str], bool], option: str) -> None:
    """AffinekitError unless `folder` is missing, empty or holds only files `ours` recognises (a
    previous run's outputs), and is a real folder, not a link."""
    if folder.is_symlink():
        raise AffinekitError(f"{option} {folder}: is a link; give a real folder (affinekit does not write "
                             "through links it did not make)")
    if not folder.exists():
        return
    if not folder.is_dir():
        raise AffinekitError(f"{option} {folder}: is a file, not a folder; choose another {option}")
    strangers = sorted(p.name for p in folder.iterdir() if not ours(p.name))
    if strangers:
        raise AffinekitError(f"{option} {folder}: holds files this command did not write ({', '.join(strangers[:3])}"
                             f"{', ...' if len(strangers) > 3 else ''}); it would be replaced whole: choose an "
                             f"empty or new folder for {option}")


@contextlib.contextmanager
def output_folder(folder: str | os.PathLike, ours: Callable[[str], bool], option: str) -> Iterator[Path]:
    """Yield a new empty temporary folder; on success it replaces `folder` whole (the old one, checked
    by `check_replaceable`, is removed after the rename), on failure it is removed and `folder` stays."""
    folder = Path(folder)
    check_replaceable(folder, ours, option)
    parent = folder.parent if str(folder.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(parent, option):
        check_replaceable(folder, ours, option)            # again, now that no other run can change it
        temporary = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.{os.getpid()}."))
        try:
            os.chmod(temporary, 0o777 & ~_umask())
            yield temporary
            old = None
            if folder.exists():
                old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.{os.getpid()}."))
                os.rename(folder, old / "old")
            os.rename(temporary, folder)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)       # removes planted links, never what they point to
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
