"""benchmarks/wild_faces.py --warp-only: the open faces scored with the trained parts left out."""
from __future__ import annotations

import re

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
