"""Outputs that would overwrite what a command reads, or each other, refused before any work.

`affinekit generate photo.gif --out photo.gif`, `evaluate --json P/manifest.json`,
`--markdown m.pt` (a checkpoint) and `--json t.txt --markdown t.txt` each
replaced a file the user still needed. Every command that writes names its
outputs and its inputs here first; a clash is one line naming both options.
Paths are compared after resolving links, `..` and case where the folder
ignores case (same inode when both exist).
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from affinekit.errors import AffinekitError

MANIFEST = "manifest.json"
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file: the same inode if both exist, else the same resolved path."""
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def is_checkpoint(path: str | os.PathLike) -> bool:
    """An existing file that holds a torch checkpoint (a zip with a `data.pkl`), whatever its name."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        with path.open("rb") as f:
            if f.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("data.pkl") for n in z.namelist())
    except (OSError, zipfile.BadZipFile):
        return path.suffix.lower() in CHECKPOINT_SUFFIXES


def prepared_file(path: str | os.PathLike) -> bool:
    """An existing file of a prepared folder: its manifest, or an .npz beside a manifest."""
    path = Path(path)
    if not path.is_file():
        return False
    return path.name == MANIFEST or (path.suffix == ".npz" and (path.parent / MANIFEST).is_file())


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.realpath(folder)) in Path(os.path.realpath(path)).parents


def refuse_inside(folder: str | os.PathLike, option: str,
                  inputs: Iterable[tuple[str, str | os.PathLike | None]]) -> None:
    """AffinekitError if an input or another output is `folder` or lies inside it: a folder of outputs
    replaced whole (`io.output_folder`) would take it along."""
    for what, path in inputs:
        if path and (same_file(path, folder) or _inside(Path(path), Path(folder))):
            raise AffinekitError(f"{option} {folder}: holds {what} {path}; the folder is replaced whole, so it "
                                 f"would be lost; choose another {option}")


def refuse_clashes(outputs: Mapping[str, str | os.PathLike | None],
                   inputs: Mapping[str, str | os.PathLike | None] | Iterable[tuple[str, str | os.PathLike]] = ()) -> None:
    """AffinekitError if an output names an input, another output, a checkpoint or a prepared file.

    outputs: option -> path (None: not given), e.g. {"--json": "t.json", "--markdown": None}.
    inputs: what -> path, e.g. {"the photo": "photo.gif", "--checkpoint": "m.pt"}.
    """
    given = [(option, Path(p)) for option, p in outputs.items() if p]
    pairs = list(inputs.items()) if isinstance(inputs, Mapping) else list(inputs)
    for i, (option, path) in enumerate(given):
        for what, source in pairs:
            if source and same_file(path, source):
                raise AffinekitError(f"{option} {path}: is {what} this command reads; writing there would "
                                     f"replace it; choose another {option}")
            if source and Path(source).is_dir() and path.is_file() and _inside(path, Path(source)):
                raise AffinekitError(f"{option} {path}: is a file of {what} {source}, which this command reads; "
                                     f"choose another {option}")
        for other_option, other in given[i + 1:]:
            if same_file(path, other):
                raise AffinekitError(f"{option} and {other_option} both name {path}; one would replace the "
                                     "other; give them different files")
        if is_checkpoint(path):
            raise AffinekitError(f"{option} {path}: is a model checkpoint; writing there would replace it; "
                                 f"choose another {option}")
        if prepared_file(path):
            raise AffinekitError(f"{option} {path}: is a file of the prepared folder {path.parent}; writing there "
                                 f"would break it for train and evaluate; choose another {option}")


def distinct_paths(paths: Sequence[str | Path], log: Callable[[str], None] = print,
                   said: str = "{path} is {first} again; it counts once") -> list:
    """`paths` without repeats, compared as resolved paths (a link, `..`, another spelling of one file or
    folder); each repeat left out with one line (`said`, formatted with `path` and `first`)."""
    out, first = [], {}
    for path in paths:
        key = os.path.normcase(os.path.realpath(path))
        if key in first:
            log(said.format(path=path, first=first[key]))
            continue
        first[key] = path
        out.append(path)
    return out


def distinct_folders(folders: Sequence[str | Path], log: Callable[[str], None] = print) -> list[str | Path]:
    """`folders` without repeats: a folder given twice to the paired protocol would count its pairs twice."""
    return distinct_paths(folders, log, "paired: {path} is {first} again; its pairs are counted once")
