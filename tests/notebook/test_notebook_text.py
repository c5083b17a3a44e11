"""Notebook sources hold no control characters: a `\\t` or `\\b` written into a string that Python
reads (`"\\text"`, `"\\beta"`) becomes a TAB or a backspace, and the formula it was in breaks."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")      # everything below space but the newline


def test_no_notebook_source_holds_a_control_character():
    pairs = sorted(NOTEBOOKS.glob("*.py"))
    assert pairs, f"no notebooks found in {NOTEBOOKS}"
    found = []
    for path in pairs:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CONTROL.search(line):
                found.append(f"{path.name}:{n}")
        book = path.with_suffix(".ipynb")
        if book.exists():
            for cell in json.loads(book.read_text(encoding="utf-8"))["cells"]:
                if CONTROL.search("".join(cell["source"]).replace("\n", "")):
                    found.append(f"{book.name}: cell {cell.get('id', '?')}")
    assert not found, f"control characters (a TAB where a \\t was meant?) in: {found}"


def test_the_check_finds_a_tab_in_a_formula():
    assert CONTROL.search("$F = l \\cdot F_y + (\text{learned})$")        # "\t" in a Python string: a TAB
    assert not CONTROL.search(r"$F = l \cdot F_y + (\text{learned})$")


# What only affinekit.show may do: draw. A notebook that imports matplotlib, calls pyplot (`plt.`) or
# torch.nn.functional (`F.`), or lays out axes on a figure has grown code a reader cannot reuse.
BANNED_MODULES = ("matplotlib", "torch.nn.functional")
BANNED_NAMES = ("plt", "F")                                  # pyplot's and torch.nn.functional's usual names
DRAWING_METHODS = ("add_subplot", "subplots", "imshow", "twinx")


def _banned(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in BANNED_MODULES)


def drawing_code(source: str) -> list[str]:
    """What in a notebook's jupytext source (markdown is comments there) draws or calls
    torch.nn.functional itself: each as `line N: what`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        what = ""
        if isinstance(node, ast.Import):
            what = ", ".join(f"import {a.name}" for a in node.names if _banned(a.name))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            what = ", ".join(f"from {module} import {a.name}" for a in node.names
                             if _banned(module) or _banned(f"{module}.{a.name}"))
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in BANNED_NAMES:
                what = f"{node.value.id}.{node.attr}"
            elif node.attr == "functional" or (node.attr in DRAWING_METHODS and isinstance(node.ctx, ast.Load)):
                what = f".{node.attr}"
        if what:
            found.append((node.lineno, what))
    return [f"line {n}: {what}" for n, what in sorted(found)]


def test_notebooks_are_thin_no_drawing_or_functional_calls_of_their_own():
    """Every figure is drawn by a `show/` function and every tensor op lives in the kit."""
    sources = sorted(NOTEBOOKS.glob("0*.py"))
    assert sources, f"no notebooks found in {NOTEBOOKS}"
    found = [f"{path.name} {hit}" for path in sources for hit in drawing_code(path.read_text())]
    assert not found, f"drawing or tensor code in the notebooks (move it into affinekit.show / the kit): {found}"


MADE_UP = """\
# %% [markdown]
# A markdown cell may say matplotlib, plt.plot and F.interpolate: it is text.

# %%
import matplotlib.pyplot as plt
from torch.nn import functional as F
import torch.nn.functional
from affinekit.show import charts

small = F.interpolate(x, size=32)
fig = charts.line_chart({"a": [1, 2]})
ax = fig.add_subplot(1, 1, 1)
plt.show()
"""


def test_the_check_finds_drawing_in_a_made_up_notebook():
    found = drawing_code(MADE_UP)
    assert found == ["line 5: import matplotlib.pyplot", "line 6: from torch.nn import functional",
                     "line 7: import torch.nn.functional", "line 10: F.interpolate", "line 12: .add_subplot",
                     "line 13: plt.show"], found
    assert drawing_code("# plt.plot in a comment\nfig = charts.line_chart({})\ndisplay(fig)\n") == []
