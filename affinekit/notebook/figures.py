"""`affinekit figures`: re-run the notebooks with papermill and collect their figures.

Each notebook takes a FIGURES_DIR parameter and saves its PNG figures (and
notebook 04 the Table 2 markdown) there; this module runs them in order into a
temporary folder (the executed notebooks are kept only on failure, to read the
error) and lists what was written.

Figures that show faces are named after the data they show: `*_demo.png` from
the open demo data, `*_ckplus-faces.png` from CK+. The latter are for the
user's own eyes: CK+'s licence forbids redistributing its images, so
figures/.gitignore keeps them out of the repository. (Tables and plots of
numbers measured on CK+, `*_ckplus.md` / `*_ckplus.png`, are fine to share.) Without CK+ (no AFFINEKIT_CKPLUS, no
data/ckplus/) every notebook runs on the demo data.
"""
from __future__ import annotations

import ast
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import papermill as pm

from affinekit.errors import AffinekitError
from affinekit.notebook.inputs import ckplus_root
from affinekit.notebook.timed_run import FULL_LIMITS, TINY_LIMITS, Limits, execute_with_limits

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
# the notebooks that make figures, in the tour's order (05 is the interactive app)
NOTEBOOKS = ("01_dataset_exploration", "02_lip_patches", "03_training", "03b_what_l_means", "04_evaluation",
             "05_generate_videos", "06_experiments", "07_toy")
# The one way a notebook is made small: values for its own parameters, passed through papermill.
# The tests run every notebook at these sizes (seconds each on a CPU), as does `affinekit figures --tiny`.
TINY: dict[str, dict[str, Any]] = {
    "01_dataset_exploration": dict(MAX_SEQUENCES=7, MONTAGE_FRAMES=4, CROP_SIZE=96, MAX_MEASURED=4),
    "02_lip_patches": dict(N_FACES=2, CROP_SIZE=96),
    "03_training": dict(MAX_SEQUENCES=4, CROP_SIZE=64, IMAGE_SIZE=32, BASE_WIDTH=8, STEPS=4, BATCH_SIZE=2,
                        SAMPLE_EVERY=2, SCORE_EVERY=4),
    # 03's sizes and training parameters: a tiny 03b reads the run a tiny 03 trains (SHARED_FOLDERS)
    "03b_what_l_means": dict(MAX_SEQUENCES=4, CROP_SIZE=64, IMAGE_SIZE=32, BASE_WIDTH=8, STEPS=4, BATCH_SIZE=2,
                             SAMPLE_EVERY=2, COMPARE_STEPS=4, COMPARE_SIZE=32),
    "04_evaluation": dict(CROP_SIZE=64, FRAMES=4, LIMIT=2, GALLERY=1, PAIR_LIMIT=3, PAIR_SETS="frll"),
    "05_generate_videos": dict(FRAMES=4, LEVELS=4, BLENDS=3),
    "06_experiments": dict(CROP_SIZE=64, STEPS=2, IMAGE_SIZE=32, BASE_WIDTH=8, FRAMES=4, MAX_TEST=2),
    "07_toy": dict(PEOPLE=4, FRAMES=5, STEPS=3, CROP_SIZE=32, IMAGE_SIZE=32, BASE_WIDTH=8),
}
# Parameters naming the folders a notebook writes its runs, prepared data and clips into: a tiny
# run keeps them inside its own work folder, away from the runs/ and prepared/ of a real session.
WORK_FOLDERS = ("PREPARED_DIR", "RUN_DIR", "WORK_DIR", "OUT_DIR")
# A folder a notebook reads from another one: notebook 03b reads notebook 03's run (runs/notebook03_<data>
# in a real session), so a tiny 03b's RUN_DIR is the tiny 03's, and trains it there only when 03 did not run.
SHARED_FOLDERS: dict[str, dict[str, str]] = {"03b_what_l_means": {"RUN_DIR": "03_training"}}


def declared_parameters(name: str) -> list[str]:
    """The parameter names of a notebook's `parameters` cell, in order."""
    return list(pm.inspect_notebook(str(NOTEBOOK_DIR / f"{name}.ipynb")))


def tiny_parameters(name: str, work_dir: Path) -> dict[str, Any]:
    """`TINY[name]`, plus each folder the notebook declares (WORK_FOLDERS) under work_dir/name/ (or under
    the folder of the notebook it reads it from, SHARED_FOLDERS); prepared data goes to
    work_dir/prepared/<crop>px, shared by the notebooks that prepare the same crops (as prepared/ is in a
    real session: `prepare` reuses what is done and refuses other settings)."""
    owners = {p: SHARED_FOLDERS.get(name, {}).get(p, name) for p in WORK_FOLDERS}
    folders = {p: work_dir / owners[p] / p.lower().removesuffix("_dir") for p in WORK_FOLDERS}
    folders["PREPARED_DIR"] = work_dir / "prepared" / f"{TINY[name].get('CROP_SIZE', 0)}px"
    declared = declared_parameters(name)
    return {**{p: str(folder) for p, folder in folders.items() if p in declared}, **TINY[name]}


def run_notebook(name: str, out_dir: Path, work_dir: Path, parameters: dict[str, Any] | None = None,
                 tiny: bool = False, kernel: str = "affinekit", log: bool = False,
                 limits: Limits | None = None) -> dict[str, Any]:
    """Execute one notebook with papermill; returns the values it recorded (RESULTS_JSON).

    `tiny` passes `tiny_parameters`; `parameters` override any of them. A cell or the notebook that runs
    past `limits` (default: `TINY_LIMITS` for tiny runs, else `FULL_LIMITS`) fails with an AffinekitError."""
    src = NOTEBOOK_DIR / f"{name}.ipynb"
    if not src.is_file():
        raise AffinekitError(f"{src}: notebook missing; run from a checkout of affinekit")
    results = work_dir / f"{name}.json"
    params: dict[str, Any] = {"FIGURES_DIR": str(out_dir.resolve()), "RESULTS_JSON": str(results)}
    if tiny:
        params.update(tiny_parameters(name, work_dir))
    params.update(parameters or {})
    try:
        execute_with_limits(src, work_dir / f"{name}.ipynb", params, kernel=kernel, cwd=NOTEBOOK_DIR,
                            limits=limits or (TINY_LIMITS if tiny else FULL_LIMITS), log=log)
    except pm.PapermillExecutionError as err:
        raise AffinekitError(f"{src.name}: cell {err.exec_count} failed ({err.ename}: {err.evalue}); "
                             f"the executed notebook is in {work_dir}") from None
    return json.loads(results.read_text()) if results.exists() else {}


def parse_params(items: list[str], notebooks: tuple[str, ...] = NOTEBOOKS) -> dict[str, dict[str, Any]]:
    """`[NOTEBOOK:]NAME=VALUE` strings -> {notebook: {NAME: value}}, each only where the notebook declares NAME.

    Values are Python literals (600, 0.5, "x", True), else plain strings.
    """
    declared = {name: set(declared_parameters(name)) for name in notebooks}
    chosen: dict[str, dict[str, Any]] = {name: {} for name in notebooks}
    for item in items:
        target, _, assignment = item.rpartition(":") if ":" in item.split("=", 1)[0] else ("", "", item)
        name, sep, raw = assignment.partition("=")
        if not sep or not name.isidentifier():
            raise AffinekitError(f"--param {item}: expected [NOTEBOOK:]NAME=VALUE, e.g. STEPS=600")
        try:
            value: Any = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        names = [n for n in notebooks if not target or n.startswith(target)]
        if target and not names:
            raise AffinekitError(f"--param {item}: no notebook {target!r}; choose from {', '.join(notebooks)}")
        hits = [n for n in names if name in declared[n]]
        if not hits:
            raise AffinekitError(f"--param {item}: no notebook declares {name}; see each notebook's parameters cell")
        for n in hits:
            chosen[n][name] = value
    return chosen


def select_notebooks(only: list[str] | None) -> tuple[str, ...]:
    """The notebooks named (by prefix, e.g. '03', which takes 03_training and 03b_what_l_means) in the
    tour's order; all when `only` is empty."""
    if not only:
        return NOTEBOOKS
    unknown = [o for o in only if not any(n.startswith(o) for n in NOTEBOOKS)]
    if unknown:
        raise AffinekitError(f"--only {' '.join(unknown)}: no such notebook; choose from {', '.join(NOTEBOOKS)}")
    return tuple(n for n in NOTEBOOKS if any(n.startswith(o) for o in only))


def make_figures(out: str | Path = "figures", tiny: bool = False, notebooks: tuple[str, ...] = NOTEBOOKS,
                 verbose: bool = True, parameters: dict[str, dict[str, Any]] | None = None,
                 ) -> dict[str, dict[str, Any]]:
    """Run `notebooks` in order, writing figures into `out`; returns each one's recorded values.

    `parameters` overrides notebook parameters, per notebook name (see `parse_params`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if ckplus_root() is not None and verbose:
        print("affinekit figures: CK+ found: figures showing CK+ faces are saved as *_ckplus-faces.png; "
              "never commit or share them (CK+ forbids redistribution)", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="affinekit-figures-"))
    recorded = {}
    before = {p: p.stat().st_mtime for p in out.iterdir()}
    try:
        for name in notebooks:
            t0 = time.perf_counter()
            if verbose:
                print(f"running {name} ...", end=" ", flush=True)
            recorded[name] = run_notebook(name, out, work, (parameters or {}).get(name), tiny=tiny)
            if verbose:
                print(f"{time.perf_counter() - t0:.0f} s")
    except BaseException:
        if verbose:
            print(f"\nexecuted notebooks kept in {work}", file=sys.stderr)
        raise
    shutil.rmtree(work, ignore_errors=True)
    if verbose:
        written = sorted(p for p in out.iterdir() if p.is_file() and before.get(p) != p.stat().st_mtime)
        print(f"wrote {len(written)} files into {out}:")
        for p in written:
            print(f"  {p.name}")
    return recorded
