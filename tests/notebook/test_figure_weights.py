"""No committed figure comes from other weights than the bundled files.

Every figure made from a bundled model (`affinekit/weights/affinekit_default.pt`,
`affinekit_pixels.pt`, `expression_classifier.pt`) is stamped in `figures/made_with.json`
with the SHA-256 of the file that made it (`affinekit.notebook.provenance`). Replace a
bundled file and every figure stamped with its old hash fails here, each with the command
that makes it again.

The figures committed before stamps existed were made from models since replaced (or cannot
say which): they are listed in STALE_UNTIL_REMADE with the command that re-makes each, and
reported on every run. Re-making one stamps it; its entry must then go (a test says so).
"""
from __future__ import annotations

import warnings
from pathlib import Path

from affinekit.notebook.provenance import (BUNDLED, file_sha256, read_manifest, records_naming_bundled,
                                           stale_figures, stamp)

REPO = Path(__file__).resolve().parents[2]
FIGURES = REPO / "figures"

# figure (relative to figures/) -> (why it is stale, the command that makes it again).
# The lead empties this after regenerating with the bundled model; a re-made figure must leave it.
# Empty since 7 Dec 2026, when notebook 06's bars were re-made: every stamped figure is current.
STALE_UNTIL_REMADE: dict[str, tuple[str, str]] = {}


def stale_report() -> str:
    return "\n".join(f"  {name}: {why}\n      re-make: {cmd}" for name, (why, cmd) in STALE_UNTIL_REMADE.items())


def test_no_figure_comes_from_other_weights_than_the_bundled_files():
    if STALE_UNTIL_REMADE:
        warnings.warn(f"{len(STALE_UNTIL_REMADE)} committed figures are known to be stale until re-made "
                      f"(tests/notebook/test_figure_weights.py STALE_UNTIL_REMADE):\n{stale_report()}")
    stale = [s for s in stale_figures(FIGURES) if s.figure not in STALE_UNTIL_REMADE]
    stamped = read_manifest(FIGURES)
    unstamped = [n for n in records_naming_bundled(FIGURES) if n not in stamped and n not in STALE_UNTIL_REMADE]
    lines = [s.line() for s in stale] + [
        f"{n}: names a bundled weights file but figures/made_with.json has no stamp for it; re-make it, "
        f"or stamp it with python scripts/stamp_figure.py" for n in unstamped]
    assert not lines, ("figures made from other weights than the bundled files:\n  " + "\n  ".join(lines)
                       + "\nre-make each with its command (figures/README.md), then commit the figures "
                         "and figures/made_with.json")


def test_stale_list_holds_committed_figures_not_yet_remade():
    missing = [n for n in STALE_UNTIL_REMADE if not (FIGURES / n).is_file()]
    assert not missing, f"STALE_UNTIL_REMADE names figures that are not in figures/: {missing}"
    still_stale = {s.figure for s in stale_figures(FIGURES)}
    remade = [n for n in STALE_UNTIL_REMADE if n in read_manifest(FIGURES) and n not in still_stale]
    assert not remade, f"re-made from the bundled weights, so remove from STALE_UNTIL_REMADE: {remade}"


def test_a_swapped_weights_file_makes_its_figures_stale(tmp_path):
    weights, other = tmp_path / "model.pt", tmp_path / "other.pt"
    weights.write_bytes(b"the weights that made the figure")
    other.write_bytes(b"other weights")
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "grid.png").write_bytes(b"png")
    (figures / "table.md").write_text("| weights/model.pt | 23.01 |\n")
    stamp(figures, ["grid.png", "table.md"], {"affinekit/weights/model.pt": file_sha256(weights)},
          "affinekit figures --only 05")
    stamp(figures, ["gone.png"], {"affinekit/weights/model.pt": "0" * 64}, "x")    # not in the folder: ignored
    bundled = {"affinekit/weights/model.pt": weights}
    assert stale_figures(figures, bundled) == []
    weights.write_bytes(other.read_bytes())                                         # the bundled file replaced
    stale = stale_figures(figures, bundled)
    assert [s.figure for s in stale] == ["grid.png", "table.md"]
    assert all(s.remake == "affinekit figures --only 05" and s.current == file_sha256(other) for s in stale)
    assert "re-make: affinekit figures --only 05" in stale[0].line()


def test_the_bundled_files_are_the_three_shipped_ones():
    assert sorted(Path(n).name for n in BUNDLED) == ["affinekit_default.pt", "affinekit_pixels.pt",
                                                     "expression_classifier.pt"]
    assert all(p.is_file() for p in BUNDLED.values())
