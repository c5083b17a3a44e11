"""The rows of a labels CSV (path,label[,subject]) checked: every row labelled, no path given two labels,
every path naming a sequence of the source.

A header-only file, a row that stops before its label, a row whose label cell is empty,
two rows giving one clip different labels (the last used to win) and rows whose
paths match nothing (a typo, a wrong folder) each passed silently; each is now
one line naming the CSV, the row and the fix. A sequence meant to stay
unlabelled says so: its label is `unlabelled` (or it has no row at all).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS, expression_index

Labels = dict[Path, tuple[str | None, str | None]]


UNLABELLED = ("unlabelled", "unlabeled")   # the label that keeps a listed sequence unlabelled on purpose


def _label(raw: str | None, where: str) -> str | None:
    """The row's expression, or None for `unlabelled`; an empty cell (`path,`) or a row that stops
    before the label column (`path`) is a mistake (a label lost in a spreadsheet), not a choice."""
    choices = f"one of {', '.join(EXPRESSIONS)}, or {UNLABELLED[0]} to keep the sequence unlabelled"
    if raw is None:
        raise AffinekitError(f"{where}: the row has no label column; write path,label with {choices}")
    if not raw.strip():
        raise AffinekitError(f"{where}: the row's label is empty; give {choices}")
    if raw.strip().lower() in UNLABELLED:
        return None
    try:
        return EXPRESSIONS[expression_index(raw.strip())]
    except ValueError as err:
        raise AffinekitError(f"{where}: {err}") from None


def check_label_rows(rows: list[dict[str, str | None]], header: list[str], path: Path) -> Labels:
    """{resolved path: (label, subject)} from csv.DictReader rows and header; AffinekitError naming the row
    otherwise."""
    if not {"path", "label"} <= set(header):
        raise AffinekitError(f"{path}: labels CSV needs a header with columns path,label")
    if not rows:
        raise AffinekitError(f"{path}: labels CSV has a header but no rows; add one row per video or frame "
                             "folder (path,label)")
    table: Labels = {}
    lines: dict[Path, int] = {}
    for line, row in enumerate(rows, start=2):
        where = f"{path}:{line}"
        if not (row.get("path") or "").strip():
            raise AffinekitError(f"{where}: the row has no path; give the video or frame folder it labels")
        target = Path(row["path"].strip())
        target = (target if target.is_absolute() else path.parent / target).resolve()
        label = _label(row.get("label"), where)
        subject = (row.get("subject") or "").strip() or None
        if target in table and table[target] != (label, subject):
            raise AffinekitError(f"{where}: {row['path'].strip()} is labelled {table[target][0]} on line "
                                 f"{lines[target]} and {label} here; keep one row per path")
        table[target], lines[target] = (label, subject), line
    return table


def refuse_unmatched(labels: Labels, sequences: Iterable[Path], csv_path: str | Path | None) -> None:
    """AffinekitError when a row of the labels CSV names none of `sequences` (paths are compared resolved)."""
    if not labels:
        return
    known = {Path(p).resolve() for p in sequences}
    unmatched = [p for p in labels if p not in known]
    if unmatched:
        raise AffinekitError(f"{csv_path}: {len(unmatched)} row(s) name no sequence of the source, e.g. "
                             f"{unmatched[0]}; fix the paths (they are relative to the CSV) or delete the rows")
