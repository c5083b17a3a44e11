"""A papermill run that cannot hang: a limit per cell and one for the whole notebook.

nbclient waits for a cell's reply for ever unless told otherwise, and once a
reply went missing (a fresh clone's `make test` sat 13 minutes in notebook 05,
its kernel idle). nbclient's own `timeout` does not cover every wait: after the
last cell it asks the kernel for its info and, on a timeout there, fails with a
bare AssertionError. So a watchdog thread enforces the limits instead: when a
cell runs, or the kernel stays silent, past the per-cell limit, or the
notebook past its whole limit, it kills the kernel's process group (the kernel
and anything it started: no orphaned kernel survives a timeout). nbclient
then sees a dead kernel within a second or so, and the run fails with one line
naming the notebook, the cell, its first line and the limit.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
from jupyter_client import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from affinekit.errors import AffinekitError


@dataclass(frozen=True)
class Limits:
    """Seconds a single cell (or a silence of the kernel) and the whole notebook may take."""

    cell_s: float
    notebook_s: float


# Full-size `affinekit figures` runs train for many CPU minutes in one cell (03's 2000 steps, 06's
# variants): these limits are for a run that is stuck, far above a slow one.
FULL_LIMITS = Limits(cell_s=6 * 3600, notebook_s=24 * 3600)
# Tiny runs (the tests, `affinekit figures --tiny`): on a shared 2-core machine at a load of 11 to 15 the
# slowest cell (imports) took 85 s and the slowest notebook (03) 323 s; at a load of 9, 06 took 71 s. Seven
# times the slowest cell still fails a lost reply in 10 minutes, not hours.
TINY_LIMITS = Limits(cell_s=600, notebook_s=1800)
START_LIMIT_S = 120   # for the kernel to answer its first message (papermill's default is 60)
IOPUB_LIMIT_S = 30    # for a cell's output to arrive after its reply (nbclient's 4 s is short on a busy CPU)


class _Watchdog:
    """Follows the cells through nbclient's hooks and kills the kernel when a limit passes."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.start = self.last = time.monotonic()   # the run's start; the last sign of progress
        self.cell: tuple[int, str, str] | None = None   # (index, id, source) of the cell last sent
        self.running = False
        self.fired = ""                             # "cell" or "notebook": the limit that killed the kernel
        self.managers: list[AsyncKernelManager] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="notebook-watchdog", daemon=True)

    def manager_class(self) -> type[AsyncKernelManager]:
        """A kernel manager class that lets this watchdog see the kernel it starts."""
        managers = self.managers

        class Watched(AsyncKernelManager):
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                managers.append(self)

        return Watched

    def on_cell_execute(self, cell: Any, cell_index: int, **_: Any) -> None:
        self.cell, self.running, self.last = (cell_index, cell.get("id", ""), cell.source), True, time.monotonic()

    def on_cell_executed(self, cell: Any, cell_index: int, **_: Any) -> None:
        self.running, self.last = False, time.monotonic()

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            now = time.monotonic()
            if now - self.start > self.limits.notebook_s:
                self.fired = "notebook"
            elif self.cell is not None and now - self.last > self.limits.cell_s:   # the start has its own
                self.fired = "cell"
            else:
                continue
            self._kill()
            return

    def message(self, src: Path) -> str:
        """What passed which limit, where, in one line."""
        where = _where(src, self)
        if self.fired == "notebook":
            return f"the notebook ran past its whole-notebook limit of {self.limits.notebook_s:.0f} s, in {where}"
        if self.running:
            return f"{where} ran past the per-cell limit of {self.limits.cell_s:.0f} s (busy, or its reply was lost)"
        return f"the kernel went silent for the per-cell limit of {self.limits.cell_s:.0f} s after {where}"

    def _kill(self) -> None:
        for km in self.managers:
            process = getattr(getattr(km, "provisioner", None), "process", None)
            if process is None or process.poll() is not None:
                continue
            try:   # the kernel leads its own process group (jupyter_client starts it in a new session)
                if hasattr(os, "killpg") and os.getpgid(process.pid) == process.pid:
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
            except ProcessLookupError:   # it ended meanwhile
                pass


def _where(src: Path, watch: _Watchdog) -> str:
    """'cell 12 (`first line`)', the index as in the committed notebook (papermill adds a cell)."""
    if watch.cell is None:
        return "the kernel's start"
    index, cell_id, source = watch.cell
    ids = [c.get("id") for c in nbformat.read(src, as_version=4).cells]
    first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    return f"cell {ids.index(cell_id) if cell_id in ids else index} (`{first[:80]}`)"


def execute_with_limits(src: Path, dst: Path, parameters: dict[str, Any], *, kernel: str, cwd: Path,
                        limits: Limits, log: bool = False) -> None:
    """papermill's `execute_notebook(src -> dst)`, failing with an AffinekitError instead of hanging.

    A cell that fails raises papermill's PapermillExecutionError as before."""
    with _Watchdog(limits) as watch:
        try:
            pm.execute_notebook(str(src), str(dst), parameters=parameters, kernel_name=kernel, cwd=str(cwd),
                                log_output=log, progress_bar=False, start_timeout=START_LIMIT_S,
                                iopub_timeout=IOPUB_LIMIT_S, kernel_manager_class=watch.manager_class(),
                                on_cell_execute=watch.on_cell_execute, on_cell_executed=watch.on_cell_executed)
        except Exception as err:    # noqa: BLE001 - a killed kernel surfaces as several errors
            if watch.fired:
                why = f"{watch.message(src)}; the kernel was stopped"
            elif isinstance(err, CellTimeoutError):
                why = f"{_where(src, watch)}: its output did not arrive within {IOPUB_LIMIT_S} s of its reply"
            elif isinstance(err, DeadKernelError):
                why = f"the kernel died in {_where(src, watch)} (out of memory?)"
            else:
                raise
            raise AffinekitError(f"{src.name}: {why}; the executed notebook is in {dst.parent}") from None
