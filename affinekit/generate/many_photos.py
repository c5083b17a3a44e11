"""Many photos in, one clip per photo out: `affinekit generate a.jpg b.jpg photos/ 'more/*.png' --out-dir clips/`.

The model loads once. Each photo takes the one clip's route: read and aligned once
(`Animator.align`), rendered once (`Animator.animate` / `animate_all`, through
`render.render_clips`), written once (`save_video`). Faces go through the network one
photo at a time: batching faces of several photos lost on the 2-core CPU (8 faces in one
network batch took 1.42x the time of one at a time, `benchmarks/bench_generate.py` before
commit 2af5c62 removed that route: the 64 px network is cheap next to the full-resolution
compositing). A photo that fails (no face, an unreadable file) gets its
one-line error and the batch goes on; the summary counts both, and the exit code is 1 if
any photo failed.
"""
from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tqdm.auto import tqdm

from affinekit.errors import AffinekitError
from affinekit.expressions import requested_label
from affinekit.io.atomic import cut_to_bytes
from affinekit.io.clashes import distinct_paths
from affinekit.io.video import save_video

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def _note(line: str) -> None:
    print(f"note: {line}", file=sys.stderr)


def expand_photos(items: list[str], log: Callable[[str], None] = _note) -> list[Path]:
    """Files as given, folders as their photo files (sorted), globs (`**` too) as their matching photo
    files; in order. Nothing is dropped or doubled without a line from `log`: a glob's folders and
    non-photo files and a folder's other files are skipped with the reason, and one photo reached by
    two paths (`a.jpg` and `./a.jpg`, a link) is made once."""
    paths: list[Path] = []
    for item in items:
        p = Path(item)
        if any(ch in item for ch in "*?[") and not p.exists():
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            if not matches:
                raise AffinekitError(f"{item}: no file matches this pattern; check the glob (quote it for the shell)")
            paths += _photos_among(matches, item, log)
        elif p.is_dir():
            found = _photos_among(sorted(p.iterdir()), str(p), log)
            if not found:
                raise AffinekitError(f"{p}: no photos in this folder (looked for {', '.join(PHOTO_SUFFIXES)})")
            paths += found
        else:
            paths.append(p)     # a missing file is reported with the others, not here
    return distinct_paths(paths, log, "{path}: the same file as {first}; one clip is made for it")


def _photos_among(paths: list[Path], given: str, log: Callable[[str], None]) -> list[Path]:
    """The photo files among a folder's entries or a glob's matches; the rest skipped with one line."""
    photos = [p for p in paths if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES]
    folders = [p.name for p in paths if p.is_dir()]
    others = [p.name for p in paths if not p.is_dir() and p not in photos]
    if folders:
        log(f"{given}: skipped {len(folders)} folder(s) ({', '.join(folders[:3])}{', ...' if len(folders) > 3 else ''}): "
            "give a folder by itself to take its photos, or use ** in the pattern")
    if others:
        log(f"{given}: skipped {len(others)} file(s) that are not photos ({', '.join(others[:3])}"
            f"{', ...' if len(others) > 3 else ''}; photos end in {', '.join(PHOTO_SUFFIXES)})")
    return photos


def clip_names(photos: list[Path], expression: str, fmt: str, reserved: set[str] = frozenset()) -> list[str]:
    """`<stem>_<expression>.<fmt>` per photo; a repeated stem gets `-2`, `-3`, ...

    Names are compared ignoring case (`a.jpg` and `A.png` would share one file on a
    case-insensitive disk) and never take a name in `reserved` (the photos already in
    the output folder); a stem too long for a file name is shortened.
    """
    names, used = [], {r.casefold() for r in reserved}
    for photo in photos:
        base, n = f"{short_stem(photo.stem, len(expression) + len(fmt) + 8)}_{expression}", 1
        name = f"{base}.{fmt}"
        while name.casefold() in used:
            n += 1
            name = f"{base}-{n}.{fmt}"
        used.add(name.casefold())
        names.append(name)
    return names


def short_stem(stem: str, room: int, limit: int = 255) -> str:
    """`stem` cut (on a character boundary) so that it and `room` more bytes fit in a file name."""
    return cut_to_bytes(stem, limit - room)


@dataclass
class BatchReport:
    """What a batch did: written clips and one-line errors, per photo."""
    written: list[tuple[Path, Path]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.written)} clip(s) written, {len(self.failed)} photo(s) failed"


def generate_batch(animator: Any, photos: list[Path], out_dir: Path, expression: str, frames: int,
                   intensity: float, fps: int, fmt: str = "mp4", crop_only: bool = False,
                   progress: bool = True, log=print, curve: str = "linear") -> BatchReport:
    """One clip per photo into out_dir; errors are reported per photo and do not stop the batch."""
    report = BatchReport()
    inputs = {os.path.realpath(p) for p in photos}
    names = clip_names(photos, expression, fmt,
                       reserved={p.name for p in out_dir.iterdir() if os.path.realpath(p) in inputs})
    label = None if expression == "all" else requested_label(expression)
    with tqdm(total=len(photos), unit="photo", disable=not progress, file=sys.stderr) as bar:
        for photo, name in zip(photos, names):
            try:
                clip = animator.animate_all(photo, frames, intensity, crop_only, curve=curve) if label is None \
                    else animator.animate(photo, label, frames, intensity, crop_only=crop_only, curve=curve)
                path = save_video(clip, out_dir / name, fps)
                report.written.append((photo, path))
                log(f"{photo}: wrote {path}")
            except AffinekitError as err:
                report.failed.append((photo, str(err)))
                # errors name their file already; say it once
                log(f"error: {err}" if str(err).startswith(str(photo)) else f"{photo}: error: {err}")
            bar.update(1)
    return report
