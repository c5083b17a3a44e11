"""Tables the notebooks show on GitHub: committed markdown files copied into their markdown cells.

Notebooks are committed without outputs, so a table that a code cell prints is invisible on
GitHub. A notebook's jupytext source (notebooks/NAME.py) therefore carries each table it
discusses between two marker lines in a markdown cell:

    # <!-- figures/table2_ckplus.md -->
    # ...the file's lines, each behind "# "...
    # <!-- end figures/table2_ckplus.md -->

`embed_notebook` rewrites every such block from the file it names, so a regenerated table
reaches the page in one command (then `jupytext --sync` the pair):

    python -m affinekit.notebook.embed            # every notebook; prints what changed

tests/notebook/test_prose_numbers.py fails while a block differs from its file.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from affinekit.data.paths import REPO_ROOT
from affinekit.errors import AffinekitError

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
START = re.compile(r"^# <!-- ((?:\.\./)?figures/[^ ]+\.md) -->$")


def committed(name: str, repo: Path = REPO_ROOT) -> str:
    """The text of a committed table (`figures/NAME.md`); a missing one is a one-line error."""
    path = repo / name
    if not path.is_file():
        raise AffinekitError(f"{path}: no such committed table; make it with `affinekit figures` (figures/README.md)")
    return path.read_text()


def commented(text: str) -> list[str]:
    """A markdown file's lines as jupytext markdown-cell lines: "# line", "#" for a blank one."""
    return [f"# {line}".rstrip() if line.strip() else "#" for line in text.rstrip("\n").splitlines()]


def blocks(source: str) -> list[tuple[str, int, int]]:
    """(file named, first line inside, line of the end marker) of each embedded block, 0-based."""
    lines, found = source.splitlines(), []
    for i, line in enumerate(lines):
        m = START.match(line)
        if m:
            end = lines.index(f"# <!-- end {m.group(1)} -->", i + 1)
            found.append((m.group(1).removeprefix("../"), i + 1, end))
    return found


def embedded(source: str, repo: Path = REPO_ROOT) -> dict[str, tuple[list[str], list[str]]]:
    """{file named: (the lines in the notebook, the lines the file gives)} for each block."""
    lines = source.splitlines()
    return {name: (lines[a:b], commented(committed(name, repo))) for name, a, b in blocks(source)}


def embed_notebook(path: str | Path, repo: Path = REPO_ROOT) -> list[str]:
    """Rewrite each embedded block of a jupytext source from its file; returns the files that changed."""
    path = Path(path)
    lines = path.read_text().splitlines()
    changed = []
    for name, a, b in reversed(blocks("\n".join(lines))):     # from the end, so earlier indices hold
        fresh = commented(committed(name, repo))
        if lines[a:b] != fresh:
            lines[a:b] = fresh
            changed.append(name)
    if changed:
        path.write_text("\n".join(lines) + "\n")
    return changed[::-1]


def main() -> int:
    for source in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]*_*.py")):
        for name in embed_notebook(source):
            print(f"{source.relative_to(REPO_ROOT)}: {name} re-embedded; now run "
                  f"jupytext --sync {source.with_suffix('.ipynb').relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
