"""Notebook sources hold no control characters: a `\\t` or `\\b` written into a string that Python
reads (`"\\text"`, `"\\beta"`) becomes a TAB or a backspace, and the formula it was in breaks."""
from __future__ import annotations

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


def test_notebooks_are_thin_no_drawing_or_functional_calls_of_their_own():
    """Every figure is drawn by a `show/` function and every tensor op lives in the kit: a notebook
    that imports matplotlib or calls torch.nn.functional has grown code a reader cannot reuse."""
    code = {path.name: "\n".join(line for line in path.read_text().splitlines() if not line.startswith("#"))
            for path in sorted(NOTEBOOKS.glob("0*.py"))}
    found = [f"{name}: {word}" for name, text in code.items()
             for word in ("matplotlib", "plt.", "nn.functional", ".add_subplot(", ".imshow(") if word in text]
    assert not found, f"drawing or tensor code in the notebooks (move it into affinekit.show / the kit): {found}"
