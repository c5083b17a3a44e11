"""Which weights made each figure: a stamp per figure, and the check that finds the stale ones.

`figures/made_with.json` maps a figure's file name (a PNG, a table, a record) to the weights
that made it, by path and SHA-256, and to the command that makes it again:

    {"table2_demo.md": {"weights": {"affinekit/weights/affinekit_default.pt": "9f2c...",
                                     "affinekit/weights/expression_classifier.pt": "41ab..."},
                        "remake": "affinekit figures --only 04"}}

A notebook stamps through `NotebookSetup.uses_weights` (every figure it saves after that call
is stamped), a benchmark or script through `stamp`. When a bundled file is replaced, every
figure stamped with its old hash is stale: `stale_figures` finds them, and
tests/notebook/test_figure_weights.py fails with the list and the command for each.
"""
from __future__ import annotations

import hashlib
import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from affinekit.data.paths import REPO_ROOT
from affinekit.io.atomic import atomic_write_text
from affinekit.weights.bundled import CLASSIFIER_WEIGHTS, DEFAULT_WEIGHTS, PIXELS_WEIGHTS

MANIFEST = "made_with.json"
CKPLUS_PREFIX = "AFFINEKIT_CKPLUS=/path/to/ckplus "


def weights_name(path: str | os.PathLike) -> str:
    """How a stamp names a weights file: its path inside the repository (`affinekit/weights/...`),
    else its absolute path."""
    p = Path(path).resolve()
    return p.relative_to(REPO_ROOT).as_posix() if p.is_relative_to(REPO_ROOT) else str(p)


BUNDLED: dict[str, Path] = {weights_name(p): p for p in (DEFAULT_WEIGHTS, PIXELS_WEIGHTS, CLASSIFIER_WEIGHTS)}


PROBE_FOLDER = REPO_ROOT / "out"


def is_bundled(checkpoint: str | os.PathLike | None) -> bool:
    """Whether a script's --checkpoint names the bundled generator (None: it does)."""
    return checkpoint is None or Path(checkpoint).resolve() == DEFAULT_WEIGHTS.resolve()


def report_or_probe(report: str | os.PathLike, report_run: bool) -> Path:
    """Where a benchmark writes a figure or table it was given no path for: the shipped file (`report`,
    under figures/) for the report's own run, else the same name under out/. A setting being tried, or
    another checkpoint, must never replace what the kit ships."""
    return Path(report) if report_run else PROBE_FOLDER / Path(report).name


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_stamp(paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    """{weights_name(path): its SHA-256} for each file."""
    return {weights_name(p): file_sha256(p) for p in paths}


def read_manifest(figures_dir: str | os.PathLike) -> dict[str, dict]:
    """The stamps in figures_dir/made_with.json ({} when there is none)."""
    path = Path(figures_dir) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {}


def stamp(figures_dir: str | os.PathLike, names: Sequence[str], weights: Mapping[str, str] | Iterable[str | os.PathLike],
          remake: str) -> dict[str, dict]:
    """Record that the files `names` (relative to figures_dir) were made from `weights` (paths, or a ready
    `weights_stamp`) by the command `remake`; returns the whole manifest as written."""
    made_with = dict(weights) if isinstance(weights, Mapping) else weights_stamp(weights)
    manifest = read_manifest(figures_dir)
    for name in names:
        manifest[str(name)] = {"weights": made_with, "remake": remake}
    atomic_write_text(Path(figures_dir) / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def remake_command(notebook: str, data: str) -> str:
    """The command that re-runs a notebook's figures: `affinekit figures --only 04`, with CK+'s
    root in front when its data was CK+."""
    return f"{CKPLUS_PREFIX if data == 'ckplus' else ''}affinekit figures --only {notebook}"


def script_command(script: str | os.PathLike, argv: Sequence[str] | None = None) -> str:
    """`python benchmarks/x.py --flag value`: how a script was run (argv: its arguments; None: sys.argv's)."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", weights_name(script), *map(shlex.quote, args)])


@dataclass(frozen=True)
class Stale:
    """A figure stamped with other weights than the bundled file of the same name."""

    figure: str
    weights: str        # the bundled file's name, e.g. affinekit/weights/affinekit_default.pt
    recorded: str       # the SHA-256 it was made from
    current: str        # the bundled file's SHA-256 now
    remake: str

    def line(self) -> str:
        return (f"{self.figure}: made from {self.weights} {self.recorded[:12]}, bundled now {self.current[:12]}; "
                f"re-make: {self.remake}")


def stale_figures(figures_dir: str | os.PathLike, bundled: Mapping[str, Path] | None = None) -> list[Stale]:
    """Every figure present in figures_dir whose stamp names a bundled file (`BUNDLED`, or the
    mapping given) with another SHA-256 than that file has now."""
    bundled = BUNDLED if bundled is None else bundled
    current = {name: file_sha256(path) for name, path in bundled.items()}
    out = []
    for figure, entry in sorted(read_manifest(figures_dir).items()):
        if not (Path(figures_dir) / figure).is_file():
            continue                     # a figure kept out of git (CK+ faces) or since removed
        for name, sha in sorted(entry["weights"].items()):
            if name in current and sha != current[name]:
                out.append(Stale(figure, name, sha, current[name], entry["remake"]))
    return out


def records_naming_bundled(figures_dir: str | os.PathLike) -> list[str]:
    """The tables and records (`*.md`, `*.json`, README aside) in figures_dir whose text names a
    bundled file (`affinekit_default.pt` ...): each must carry a stamp."""
    names = [Path(n).name for n in BUNDLED]
    found = []
    for path in sorted(Path(figures_dir).glob("*")):
        if path.suffix in (".md", ".json") and path.name not in ("README.md", MANIFEST):
            text = path.read_text(errors="replace")
            if any(n in text for n in names):
                found.append(path.name)
    return found
