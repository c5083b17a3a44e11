"""evaluate(): the real-videos row, inf handling, faces not found, folds, the CLI."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from helpers import face_points

from affinekit.cli import main as cli_main
from affinekit.errors import AffinekitError
from affinekit.evaluation.makers import GeneratorMaker, training_overlap
from affinekit.evaluation.scoring import evaluate, merge_folds
from affinekit.evaluation.sources import EvalSequence
from affinekit.evaluation.table import REAL


def synthetic_source(n: int = 2, length: int = 6, size: int = 48):
    """Face-free random sequences (no dlib face in them) with synthetic landmarks."""
    rng = np.random.default_rng(0)
    seqs = {f"S90{i}_001": EvalSequence(f"S90{i}_001", f"S90{i}", i % 7,
                                           rng.integers(0, 256, (length, size, size, 1), dtype=np.uint8),
                                           face_points((24, 24), iod=16).astype(np.float32))
            for i in range(n)}
    return seqs.__getitem__, list(seqs)


def noisy_maker(x0, labels, intensities, landmarks=None):
    """The input plus a fixed disturbance: finite PSNR, SSIM below 1."""
    clips = x0[:, None].repeat(1, len(intensities), 1, 1, 1)
    return (clips + 0.25 * torch.linspace(0, 1, len(intensities))[None, :, None, None, None]).clamp(-1, 1)


@pytest.fixture(scope="module")
def synthetic_table():
    source, keys = synthetic_source()
    return evaluate({"noisy": noisy_maker}, source, keys, frames=4)


def test_rows_inf_and_faces_not_found_are_reported(synthetic_table):
    t = synthetic_table
    assert [r.name for r in t.rows] == [REAL, "copy-input", "noisy"]
    real = t.row(REAL)
    assert math.isinf(real.metrics["psnr"]) and real.metrics["ssim"] == pytest.approx(1.0)
    noisy = t.row("noisy")
    assert math.isfinite(noisy.metrics["psnr"]) and noisy.metrics["ssim"] < 1
    assert noisy.fps > 0 and real.fps is None
    # random pixels hold no face: every frame is counted, and no descriptor is invented
    assert all(r.faces_not_found == r.frames_described == 8 for r in t.rows)
    assert math.isnan(noisy.metrics["acd_c"]) and math.isnan(noisy.metrics["acd_m"])
    assert len(t.per_sequence) == 3 * 2
    assert set(t.wraparound) >= {"psnr_float", "psnr_uint8_wraparound"}


def test_markdown_and_json_show_inf_and_quoted_rows_apart(synthetic_table):
    md = synthetic_table.to_markdown()
    real_line = next(line for line in md.splitlines() if line.startswith(f"| {REAL}"))
    assert "| inf | — |" in real_line
    assert "8/8" in real_line
    quoted_at = md.index("Quoted, not measured")
    assert md.index("| AffineGAN | 35.50 | 0.910 |") > quoted_at > md.index("| noisy |")
    # the seed paper's Table 2, quoted as printed; it has no ACD-M
    assert "| VGAN | 16.32 | 0.410 | 0.140 | 1.550 | n/a |" in md and "Hung, Duy, Huy" in md
    assert "Wrap-around" in md
    text = synthetic_table.to_json()
    assert "Infinity" not in text and "NaN" not in text                 # strict JSON
    data = json.loads(text)
    assert data["rows"][0]["metrics"]["psnr"] == "inf"
    assert data["rows"][2]["metrics"]["acd_c"] is None


def test_maker_with_wrong_shape_is_refused():
    source, keys = synthetic_source(n=1)
    with pytest.raises(AffinekitError, match="bad"):
        evaluate({"bad": lambda x0, y, t, lm=None: x0}, source, keys, frames=4)


def test_merge_folds_mean_and_spread(synthetic_table):
    import copy
    other = copy.deepcopy(synthetic_table)
    other.row("noisy").metrics["ssim"] = synthetic_table.row("noisy").metrics["ssim"] - 0.2
    merged = merge_folds([synthetic_table, other], "two folds")
    noisy = merged.row("noisy")
    s = synthetic_table.row("noisy").metrics["ssim"]
    assert noisy.metrics["ssim"] == pytest.approx(s - 0.1)
    assert noisy.spread["ssim"] == pytest.approx(np.std([s, s - 0.2], ddof=1))
    assert math.isinf(merged.row(REAL).metrics["psnr"])
    assert noisy.videos == 4 and {p["fold"] for p in merged.per_sequence} == {0, 1}
    assert "± " in merged.to_markdown()
    assert merged.row("noisy").note is None
    other.row("noisy").note = "test subjects seen in training: S902"
    warned = merge_folds([synthetic_table, other], "two folds").row("noisy")
    assert warned.note == "fold 2: test subjects seen in training: S902"


def test_training_overlap_warnings():
    assert "every sequence" in training_overlap({"train_keys": None}, ["S1_001"])
    assert "1 of 1" in training_overlap({"train_keys": ["S1_001"]}, ["S1_001"])
    assert "S1" in training_overlap({"train_keys": ["S1_002"]}, ["S1_001"])
    assert training_overlap({"train_keys": ["S2_001"]}, ["S1_001"]) is None
    assert "unknown" in training_overlap({}, ["S1_001"])


def _tiny(output: str, size: int = 32):
    from affinekit.config import ModelConfig
    from affinekit.models.generator import Generator
    torch.manual_seed(0)
    return Generator(ModelConfig(image_size=size, base_width=8, depth=3, max_width=32, output=output))


def test_generator_maker_is_the_inference_path_at_the_test_size():
    from affinekit.generate.inference import render_crops
    x0 = torch.rand(2, 1, 64, 64) * 2 - 1
    y, lam = torch.tensor([0, 4]), torch.linspace(0, 1, 3)
    for output in ("motion", "pixels"):
        gen = _tiny(output)
        out = GeneratorMaker(gen)(x0, y, lam)
        assert out.shape == (2, 3, 1, 64, 64)
        assert torch.equal(out, render_crops(gen, x0, y, lam))
    # the motion head returns the test crop itself at l = 0, at the test size
    assert torch.allclose(GeneratorMaker(_tiny("motion"))(x0, y, lam)[:, 0], x0, atol=1e-5)


@pytest.fixture(scope="module")
def prepared64(prepared_ckplus64):
    return prepared_ckplus64


def test_real_row_on_ckplus(prepared64):
    from affinekit.data.dataset import subject_split
    from affinekit.data.prepared import load_manifest
    from affinekit.evaluation.baselines import LandmarkWarp
    train, test = subject_split(load_manifest(prepared64)["sequences"], 0.2, 0)
    table = evaluate({"landmark-warp": LandmarkWarp().fit(prepared64, train)}, prepared64, test[:2], frames=5)
    real, copy = table.row(REAL), table.row("copy-input")
    assert real.faces_not_found == 0
    assert real.metrics["acd_m"] == 0.0 and math.isinf(real.metrics["psnr"])
    assert real.metrics["acd_i"] > 0                         # an expression changes the descriptor
    assert copy.metrics["acd_c"] == 0.0 and copy.metrics["acd_i"] == 0.0
    assert copy.metrics["acd_m"] == pytest.approx(real.metrics["acd_i"], abs=1e-6)
    # the 8-bit wrap-around flatters doing nothing
    assert table.wraparound["psnr_uint8_wraparound"] > table.wraparound["psnr_float"] + 3
    assert table.wraparound["psnr_float"] == pytest.approx(copy.metrics["psnr"])


def test_cli_writes_json_and_markdown(prepared64, tmp_path, capsys):
    out_json, out_md = tmp_path / "t.json", tmp_path / "t.md"
    code = cli_main(["evaluate", "--data", str(prepared64), "--protocol", "subject", "--limit", "1",
                     "--frames", "4", "--json", str(out_json), "--markdown", str(out_md)])
    assert code == 0
    data = json.loads(out_json.read_text())
    assert [r["name"] for r in data["rows"]][:3] == [REAL, "copy-input", "landmark-warp"]
    assert "Subject protocol" in out_md.read_text()


def test_cli_refuses_a_folder_that_is_not_prepared(tmp_path, capsys):
    assert cli_main(["evaluate", "--data", str(tmp_path), "--protocol", "subject"]) == 2
    assert "not a prepared folder" in capsys.readouterr().err


def test_an_export_carries_its_training_keys_inside_wherever_it_is_copied(tmp_path):
    from affinekit.config import ModelConfig
    from affinekit.evaluation.makers import load_model_maker, training_overlap
    from affinekit.models.generator import Generator
    from affinekit.weights.checkpoint import save_generator_only

    cfg = ModelConfig(image_size=32, base_width=8, depth=3, max_width=32)
    bare = save_generator_only(Generator(cfg), cfg, tmp_path / "bare.pt", half=True)
    assert "unknown" in training_overlap(load_model_maker(bare)[1], ["S003_002"])
    path = save_generator_only(Generator(cfg), cfg, tmp_path / "export.pt", half=True,
                               data={"keys": ["S001_001", "S002_001"]})
    moved = tmp_path / "elsewhere" / "renamed.pt"
    moved.parent.mkdir()
    path.rename(moved)
    # a JSON that guesses otherwise beside it changes nothing: the file itself is the truth
    moved.with_suffix(".json").write_text(json.dumps({"data": {"keys": ["S003_002"]}}))
    info = load_model_maker(moved)[1]
    assert info["train_keys"] == ["S001_001", "S002_001"]
    assert training_overlap(info, ["S003_002"]) is None
    assert "S002" in training_overlap(info, ["S002_004"])


def test_cli_trains_a_model_per_fold_with_the_configs_given(prepared64, tmp_path, capsys):
    out_json, work = tmp_path / "t.json", tmp_path / "folds"
    code = cli_main(["evaluate", "--data", str(prepared64), "--folds", "2", "--train-steps", "2", "--limit", "1",
                     "--frames", "4", "--train-size", "32", "--work-dir", str(work), "--json", str(out_json),
                     "--set", "model.base_width=8", "--set", "model.depth=3", "--set", "train.batch_size=2"])
    assert code == 0
    from affinekit.data.dataset import subject_kfold
    folds = subject_kfold(prepared64, 2, 0)
    for fold, (train_keys, test_keys) in enumerate(folds):
        run = json.loads((work / f"fold{fold}" / "config.json").read_text())
        assert run["model"]["base_width"] == 8 and run["model"]["image_size"] == 32 and run["train"]["steps"] == 2
        assert sorted(run["data"]["keys"]) == sorted(train_keys)
        assert not {k[:4] for k in train_keys} & {k[:4] for k in test_keys}
    rows = [r["name"] for r in json.loads(out_json.read_text())["rows"]]
    assert any(r.startswith("AffineGAN (this kit, 2 steps") for r in rows)
    assert cli_main(["evaluate", "--data", str(prepared64), "--set", "model.depth=3"]) == 2
    assert "--train-steps" in capsys.readouterr().err


@pytest.mark.parametrize("extra, words", [(["--folds", "-1"], "--folds -1"), (["--folds", "1"], "--folds 1"),
                                          (["--limit", "0"], "--limit 0")])
def test_cli_refuses_meaningless_counts(extra, words, tmp_path, capsys):
    (tmp_path / "manifest.json").write_text('{"sequences": []}')
    assert cli_main(["evaluate", "--data", str(tmp_path)] + extra) == 2
    assert words in capsys.readouterr().err


def test_cli_checks_its_output_paths_before_the_work(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text('{"sequences": []}')
    folder = tmp_path / "a_folder"
    folder.mkdir()
    # no sequences: the work itself would fail; the unwritable target is reported first
    assert cli_main(["evaluate", "--data", str(tmp_path), "--json", str(folder)]) == 2
    assert "a_folder: is a folder; give --json a file name" in capsys.readouterr().err
