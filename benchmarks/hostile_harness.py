"""The harness shared by the hostile-input benchmarks: a case, its result, and a process run that never
hangs. Its own module so that `hostile_round2.py` and `hostile_round2_cases.py` both import it and
neither imports the other (issue 30: the two imported each other).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# a model small enough that a training step takes milliseconds (as tests/test_hostile_inputs.py's)
TINY = ["--set", "model.image_size=16", "--set", "model.depth=2", "--set", "model.base_width=8",
        "--set", "model.max_width=16", "--set", "model.disc_width=8", "--set", "train.batch_size=3",
        "--set", "data.num_targets=2", "--set", "train.sample_every=0", "--device", "cpu"]
CAP = ["prlimit", "--as=4000000000"]      # a 4 GB address-space cap (ulimit -v 3906250)


@dataclass
class Result:
    rc: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    peak_mb: float = 0.0         # the process's peak resident memory when it was stopped at the timeout


@dataclass
class Case:
    """One hostile input. `argv` is formatted with B (the shared inputs) and W (this case's folder);
    `expect` is "refuse" (exit 2 and every word of `words` in the one line), "works" (exit 0 and `check`
    returns None) or "either" (a clear refusal with `words`, or a checked success)."""
    cls: str
    name: str
    argv: list[str]
    expect: str = "refuse"
    words: tuple[str, ...] = ()
    setup: Callable[[Path, Path], None] | None = None
    check: Callable[[Path, Path, Result], str | None] | None = None
    outputs: tuple[str, ...] = ()          # paths under W a success may write or change (prefixes)
    wrap: list[str] = field(default_factory=list)
    timeout: int = 240
    python: bool = False                   # argv is `python -c CODE ARGS`, not `affinekit ARGS`
    run: Callable[["Case", Path, Path], Result] | None = None    # a case that drives its own processes
    big: bool = False
    shown: str = ""                        # the command as the table shows it, for a `run` case
    slow_ok: bool = False                  # long, honest work: still running at the timeout is no hang


def run_process(argv: list[str], timeout: int, wrap: list[str] | None = None, python: bool = False) -> Result:
    """Run argv (`affinekit` arguments, or `-c CODE ...` for Python) in a fresh process, never hanging."""
    cmd = (wrap or []) + [PYTHON] + ([] if python else ["-m", "affinekit"]) + argv
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        return Result(proc.returncode, out, err, time.perf_counter() - start)
    except subprocess.TimeoutExpired:
        peak = peak_resident_mb(proc.pid)
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        return Result(None, out, err, time.perf_counter() - start, timed_out=True, peak_mb=peak)


def peak_resident_mb(pid: int) -> float:
    """A running process's peak resident memory (VmHWM), MB; 0 when unknown."""
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration, ValueError):
        return 0.0
