"""benchmarks/wild_faces.py --warp-only: the open faces scored with the trained parts left out."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import load_repo_script


def mouth_mask(out: str) -> float:
    return float(re.search(r"mean mask inside the mouth at the apex: ([0-9.]+)", out).group(1))


def test_warp_only_shuts_the_mask_that_the_whole_model_opens(tmp_path, capsys):
    """The bundled model paints inside the mouth (its mask opens there); with --warp-only prior or field the
    frame is the warp alone, so the mask inside the mouth is exactly 0."""
    script = load_repo_script("benchmarks/wild_faces.py")
    assert script.main(["--frames", "2", "--figure", str(tmp_path / "whole.png")]) == 0
    assert mouth_mask(capsys.readouterr().out) > 0.01
    for part in ("prior", "field"):
        assert script.main(["--frames", "2", "--warp-only", part, "--figure", str(tmp_path / f"{part}.png")]) == 0
        out = capsys.readouterr().out
        assert mouth_mask(out) == 0.0, part
        assert (tmp_path / f"{part}.png").is_file()


def test_validation_faces_without_prepared_folders_name_them_and_the_fix(tmp_path, capsys):
    """--faces validation with none of its folders prepared: one error naming the folders and the fix, each
    missing folder named on stderr, before any model is loaded or any clip made."""
    script = load_repo_script("benchmarks/wild_faces.py")
    with pytest.raises(FileNotFoundError, match="none of frll256, jaffe256, yale256, ck256 .*prepare them"):
        script.validation_faces(tmp_path)
    assert str(tmp_path / "frll256") in capsys.readouterr().err


def test_specks_report_gives_both_means_and_what_the_mouth_stage_adds():
    """benchmarks/specks_by_expression.py's lines on hand-made shares: the means over all clips (by hand:
    on (0.002 + 0.004 + 0.0) / 3 = 0.2%, off (0.001 + 0.001 + 0.0) / 3 = 0.067%), and per expression
    the change, signed."""
    script = load_repo_script("benchmarks/specks_by_expression.py")
    specks = {e: {"on": [], "off": []} for e in script.SIX}
    specks["surprise"] = {"on": [0.002, 0.004], "off": [0.001, 0.001]}
    specks["anger"] = {"on": [0.0], "off": [0.0]}
    lines = script.report(specks)
    assert lines[0].startswith("specks outside the mouth box (3 clips): mouth stage on 0.200%, off 0.067%")
    assert lines[1] == "  anger     on 0.000%  off 0.000%  mouth stage adds +0.000%"
    assert lines[2] == "  surprise  on 0.300%  off 0.100%  mouth stage adds +0.200%"
    assert len(lines) == 3


@pytest.mark.parametrize("options, report", [
    ([], True),
    (["--faces", "validation"], False),
    (["--judge", "J.pt"], False),
    (["--no-mouth"], False),
    (["--warp-only", "field"], False),
    (["--intensity", "2"], False),
    (["--checkpoint", "G.pt"], False),
    (["--checkpoint", "affinekit/weights/affinekit_default.pt"], True),
])
def test_only_the_reports_own_run_draws_the_shipped_figure(options, report):
    """A probe (another judge, the validation faces, the mouth stage off, ...) once replaced the shipped
    figure of the open faces: without --figure, only the report's own run may write it."""
    import argparse
    script = load_repo_script("benchmarks/wild_faces.py")
    parser = argparse.ArgumentParser()
    for flag in ("--checkpoint", "--judge", "--warp-only", "--faces"):
        parser.add_argument(flag, default="open" if flag == "--faces" else None)
    parser.add_argument("--no-mouth", action="store_true")
    parser.add_argument("--intensity", type=float, default=1.0)
    chosen = script.default_figure(parser.parse_args(options))
    assert chosen.name == "generated_expressions_wild.png"
    assert chosen.parent.name == ("figures" if report else "out")


def test_a_benchmark_run_on_another_checkpoint_writes_under_out(tmp_path):
    """`report_or_probe`: the shipped path for the report's run; the same name under out/ otherwise;
    `is_bundled` knows the bundled generator by where its file is, not by how it is spelled."""
    from affinekit.notebook.provenance import PROBE_FOLDER, is_bundled, report_or_probe
    from affinekit.weights.bundled import DEFAULT_WEIGHTS
    shipped = Path("figures") / "teeth_strip.png"
    assert report_or_probe(shipped, True) == shipped
    assert report_or_probe(shipped, False) == PROBE_FOLDER / "teeth_strip.png"
    assert is_bundled(None) and is_bundled(DEFAULT_WEIGHTS)
    assert is_bundled(DEFAULT_WEIGHTS.parent / ".." / "weights" / DEFAULT_WEIGHTS.name)
    assert not is_bundled(tmp_path / DEFAULT_WEIGHTS.name)


def test_an_open_face_is_made_without_its_own_clips_mouths_and_another_face_with_all():
    """aligned_faces leaves a face's own clip ("clip-<name>") out of the bank while the caller works on it,
    and puts it back after; a face the bank does not hold changes nothing."""
    import sys
    from types import SimpleNamespace
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
    from test_larger_bank import banked_refiner

    script = load_repo_script("benchmarks/wild_faces.py")
    refiner = banked_refiner(32)
    refiner.bank_names = ["frll-001", "clip-d9", "clip-d3"]
    animator = SimpleNamespace(generator=SimpleNamespace(mouth=refiner), align=lambda photo, name: name)
    seen = {name: refiner.left_out for name, _ in script.aligned_faces(
        animator, [("d3", None), ("astronaut", None), ("d9", None)])}
    assert seen == {"d3": 2, "astronaut": None, "d9": 1} and refiner.left_out is None
