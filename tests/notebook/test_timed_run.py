"""A papermill run cannot hang: a lost reply, a cell that runs too long and a notebook that runs too
long each fail within seconds of their limit, naming the notebook and the cell, and leave no kernel
(nor anything the kernel started) behind."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("papermill")

from affinekit.errors import AffinekitError  # noqa: E402
from affinekit.notebook.timed_run import Limits, execute_with_limits  # noqa: E402

pytestmark = pytest.mark.slow

# The first cell records the kernel's pid and starts a child of the kernel that would outlive it.
PIDS = """import os, pathlib, subprocess
child = subprocess.Popen(["sleep", "600"])
pathlib.Path({path!r}).write_text(f"{{os.getpid()}} {{child.pid}}")"""
# What happened to notebook 05 on a fresh clone: the cell ran, the kernel went idle, its reply never came.
LOSE_REPLY = """kernel = get_ipython().kernel
send = kernel.session.send
def lose_execute_replies(stream, msg_type, content=None, parent=None, **kw):
    if msg_type == "execute_reply":
        return kernel.session.msg(msg_type, content, parent)
    return send(stream, msg_type, content, parent, **kw)
kernel.session.send = lose_execute_replies"""


def notebook(folder: Path, *sources: str) -> Path:
    path = folder / "tiny.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# a tiny notebook")]
                                  + [nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def alive(pid: int) -> bool:
    """True while the process runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def run(src: Path, limits: Limits) -> tuple[str, float]:
    t0 = time.monotonic()
    with pytest.raises(AffinekitError) as err:
        execute_with_limits(src, src.with_name("executed.ipynb"), {}, kernel="python3", cwd=src.parent,
                            limits=limits)
    return str(err.value), time.monotonic() - t0


def gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within        # init reaps the orphaned child when it gets to it
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not any(alive(p) for p in pids)


def test_a_lost_reply_fails_at_the_cell_limit_and_the_kernel_is_killed(tmp_path):
    pids = tmp_path / "pids"
    src = notebook(tmp_path, PIDS.format(path=str(pids)), LOSE_REPLY, "print('never reached')")
    message, took = run(src, Limits(cell_s=3, notebook_s=300))
    assert message.startswith("tiny.ipynb: cell 2 (`kernel = get_ipython().kernel`) ran past the per-cell limit of 3 s")
    assert "reply was lost" in message and "\n" not in message
    assert took < 60                                # not the 300 s of the whole-notebook limit
    kernel, child = map(int, pids.read_text().split())
    assert gone([kernel, child]), "the kernel or its child outlived the timeout"


def test_a_cell_that_runs_too_long_is_stopped(tmp_path):
    src = notebook(tmp_path, "x = 1", "import time\ntime.sleep(600)")
    message, took = run(src, Limits(cell_s=3, notebook_s=300))
    assert message.startswith("tiny.ipynb: cell 2 (`import time`) ran past the per-cell limit of 3 s")
    assert took < 60


def test_a_notebook_that_runs_too_long_is_stopped_though_each_cell_is_quick(tmp_path):
    src = notebook(tmp_path, *["import time\ntime.sleep(2)"] * 40)     # 80 s in all
    # 25 s: the kernel's start counts too, and takes seconds on a busy machine
    message, took = run(src, Limits(cell_s=30, notebook_s=25))
    assert message.startswith("tiny.ipynb: the notebook ran past its whole-notebook limit of 25 s, in cell ")
    assert "(`import time`)" in message
    assert took < 60


def test_a_notebook_within_its_limits_runs_as_before(tmp_path):
    src = notebook(tmp_path, "import time\ntime.sleep(1)", "print('done')")
    execute_with_limits(src, tmp_path / "executed.ipynb", {}, kernel="python3", cwd=tmp_path,
                        limits=Limits(cell_s=30, notebook_s=120))
    out = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    assert out.cells[-1].outputs[0]["text"] == "done\n"


def test_a_kernel_that_dies_is_named_with_its_cell(tmp_path):
    src = notebook(tmp_path, "x = 1", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "print('never')")
    message, took = run(src, Limits(cell_s=60, notebook_s=300))
    assert message.startswith("tiny.ipynb: the kernel died in cell 2 (`import os, signal`)")
    assert took < 60
