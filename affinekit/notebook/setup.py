"""A notebook's plumbing behind one call: its data, where its figures go, and how it records
the values its tests check.

    nb = setup(globals(), limit="MAX_SEQUENCES")
    nb.save(fig, "fig6_g_l1.png")    # into FIGURES_DIR, when the run was given one
    nb.record(steps=trainer.step)    # into RESULTS_JSON, which the tests read back

A notebook has one way to be small: its UPPER_CASE parameters. The tests run every
notebook under papermill with tiny values for them (`affinekit.notebook.figures.TINY`)
and pass FIGURES_DIR, RESULTS_JSON and the folders it writes into; a reader who runs a
notebook by hand leaves them as they are, and nothing is saved.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from affinekit.config import DataConfig
from affinekit.data.paths import REPO_ROOT
from affinekit.io.atomic import atomic_write_text
from affinekit.io.json_values import plain
from affinekit.notebook.inputs import data_source, read_records
from affinekit.notebook.provenance import remake_command, stamp, weights_stamp
from affinekit.show.plots import save as save_png


def record(path: str | os.PathLike | None, **values: Any) -> dict[str, Any]:
    """Merge `values` into the JSON file at `path` (no-op when path is empty); returns them, made plain."""
    values = plain(values)
    if not path:
        return values
    p = Path(path)
    current = json.loads(p.read_text()) if p.exists() else {}
    current.update(values)
    atomic_write_text(p, json.dumps(current, indent=1, sort_keys=True))     # a reader never sees half a file
    return values


def tagged(name: str, data: str) -> str:
    """A figure file name that says which data its faces come from:
    `fig3_montage_demo.png`, or `fig3_montage_ckplus-faces.png` for CK+.

    .gitignore keeps `*_ckplus-faces.png` out of git: CK+ images may not be
    redistributed, so figures showing CK+ faces stay on the user's machine.
    (Figures of numbers measured on CK+, e.g. `per_expression_ckplus.png`, are
    fine to share.)
    """
    stem, dot, ext = name.rpartition(".")
    tag = "ckplus-faces" if data == "ckplus" else data
    return f"{stem}_{tag}.{ext}" if dot else f"{name}_{tag}"


@dataclass
class NotebookSetup:
    """What a notebook's first code cell sets up; see `setup`."""

    figures: Path | None = None          # FIGURES_DIR, created; None saves nothing
    results_json: Path | None = None     # RESULTS_JSON; None records nothing
    data: str = "demo"                   # "demo" or "ckplus"
    data_root: Path | None = None        # the CK+ root or data/demo (None: the notebook reads no data)
    records: list[Any] = field(default_factory=list)
    made_with: dict[str, str] = field(default_factory=dict)   # weights file -> SHA-256, stamped on each save
    remake: str = ""                                          # the command that makes the stamped figures again

    def uses_weights(self, *paths: str | os.PathLike, notebook: str) -> dict[str, str]:
        """From now on this notebook's figures come from these weights files: every figure and table
        saved after this call is stamped with their SHA-256 in FIGURES_DIR/made_with.json
        (`affinekit.notebook.provenance`), with `affinekit figures --only <notebook>` to make it again."""
        self.made_with.update(weights_stamp(paths))
        self.remake = remake_command(notebook, self.data)
        return self.made_with

    def _stamped(self, path: Path) -> Path:
        if self.made_with and self.figures is not None:
            stamp(self.figures, [path.relative_to(self.figures).as_posix()], self.made_with, self.remake)
        return path

    def save(self, fig: Any, name: str, faces: bool = False) -> Path | None:
        """Save `fig` as FIGURES_DIR/name (nothing without a folder). A figure that shows
        faces passes `faces=True`, which puts the data's name into the file name (`tagged`)."""
        if self.figures is None:
            return None
        return self._stamped(save_png(fig, self.figures / (tagged(name, self.data) if faces else name)))

    def save_text(self, name: str, text: str) -> Path | None:
        """Write a table (markdown, JSON) as FIGURES_DIR/name, beside the figures (nothing without a folder)."""
        if self.figures is None:
            return None
        # a text file ends its last line
        return self._stamped(atomic_write_text(self.figures / name, text if text.endswith("\n") else text + "\n"))

    def record(self, **values: Any) -> dict[str, Any]:
        """Record values for the tests into RESULTS_JSON (see `record`)."""
        return record(self.results_json, **values)

    def folder(self, given: str | os.PathLike, *default: str) -> Path:
        """The folder a parameter names, else REPO_ROOT/<default...> (e.g. "runs", "notebook04")."""
        return Path(given) if given else REPO_ROOT.joinpath(*default)

    def prepared_dir(self, given: str | os.PathLike, crop_size: int) -> Path:
        """Where prepared sequences go: the PREPARED_DIR parameter, else prepared/<data>_<crop>px."""
        return self.folder(given, "prepared", f"{self.data}_{crop_size}px")

    def data_config(self, crop_size: int) -> DataConfig:
        """How this notebook's data is prepared: crops of `crop_size` px, aligned once per sequence for
        CK+ (a still head) and per frame for clips in the wild (the head moves)."""
        return DataConfig(crop_size=crop_size, align_per_frame=self.data != "ckplus")


def setup(params: Mapping[str, Any], read_data: bool = True, limit: str | None = None) -> NotebookSetup:
    """A notebook's plumbing from its parameters (pass `globals()`): data, figures, records.

    - `read_data`: read the sequence records of CK+ (the CKPLUS parameter,
      AFFINEKIT_CKPLUS, data/ckplus/) or else of the open demo data;
      `limit` names the parameter that caps how many (0: all);
    - FIGURES_DIR and RESULTS_JSON (empty: save and record nothing).
    """
    figures = Path(params["FIGURES_DIR"]) if params.get("FIGURES_DIR") else None
    if figures is not None:
        figures.mkdir(parents=True, exist_ok=True)
    results = Path(params["RESULTS_JSON"]) if params.get("RESULTS_JSON") else None
    data, root, records = "demo", None, []
    if read_data:
        data, root = data_source(params.get("CKPLUS") or None)
        _, records = read_records(root if data == "ckplus" else None, limit=params[limit] if limit else 0)
    return NotebookSetup(figures, results, data, root, records)
