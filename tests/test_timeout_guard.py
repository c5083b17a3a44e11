"""The suite's overall guard: pytest-timeout is configured in pyproject.toml, so `make test`
(`python -m pytest -q`) stops a test that hangs, fails it with a clear message and goes on."""
from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HANGING = """import time

def test_hangs():
    time.sleep(120)

def test_after_it_still_runs():
    assert True
"""


def test_the_suite_runs_under_pytest_timeout(request):
    pytest.importorskip("pytest_timeout")
    assert float(request.config.getini("timeout")) >= 60         # generous: a guard, not a benchmark
    assert request.config.getini("timeout_method") == "signal"  # fails one test, the run goes on


def test_a_hanging_test_fails_at_the_limit_and_the_run_goes_on(tmp_path):
    pytest.importorskip("pytest_timeout")
    (tmp_path / "test_hanging.py").write_text(HANGING)
    t0 = time.monotonic()
    # the repository's own settings (-c pyproject.toml), only the limit made short
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-c", str(REPO / "pyproject.toml"),
                           "--rootdir", str(tmp_path), "-o", "timeout=2", str(tmp_path / "test_hanging.py")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    took = time.monotonic() - t0
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Failed: Timeout (>2.0s) from pytest-timeout" in proc.stdout, proc.stdout[-2000:]
    assert "FAILED test_hanging.py::test_hangs" in proc.stdout
    assert "1 failed, 1 passed" in proc.stdout
    assert took < 60                      # not the 120 s the test sleeps


def _calls(root: Path):
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                yield path.relative_to(REPO), node


def test_every_subprocess_and_wait_in_the_tests_has_a_timeout():
    """A child that never ends must fail its test, never hold up the suite: subprocess.run and friends,
    and every .wait() / .communicate(), name a timeout (subprocess.TimeoutExpired names the command)."""
    untimed = []
    for path, call in _calls(REPO / "tests"):
        name, owner = call.func.attr, getattr(call.func.value, "id", "")
        waits = name in {"wait", "communicate"} and not call.args
        runs = owner == "subprocess" and name in {"run", "call", "check_call", "check_output"}
        if (waits or runs) and "timeout" not in {k.arg for k in call.keywords}:
            untimed.append(f"{path}:{call.lineno}")
    assert not untimed, f"no timeout: {untimed}"


def test_every_papermill_run_goes_through_the_timed_run():
    """notebook/timed_run is the one caller of papermill's execute_notebook: every run has its limits."""
    callers = {f"{path}:{call.lineno}" for root in ("affinekit", "tests", "benchmarks", "scripts")
               for path, call in _calls(REPO / root) if call.func.attr == "execute_notebook"}
    assert [c.split(":")[0] for c in callers] == ["affinekit/notebook/timed_run.py"], callers
