"""scripts/train_folds.py and `affinekit evaluate --fold-checkpoint`: per-fold models trained
elsewhere are tested on exactly the subjects they never saw."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import face_points, write_prepared

from affinekit.cli import main as cli_main
from affinekit.data.dataset import subject_kfold

REPO = Path(__file__).resolve().parents[2]
TINY = ["--set", "model.image_size=16", "--set", "model.depth=2", "--set", "model.base_width=8",
        "--set", "model.max_width=16", "--set", "model.disc_width=8", "--set", "train.batch_size=2",
        "--set", "data.num_targets=2", "--set", "data.intensity=position"]   # made-up faces that do not move


def train_folds(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "train_folds.py"), *args], capture_output=True,
                          text=True, timeout=300, cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS="1"))


@pytest.fixture(scope="module")
def fold_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("folds")
    data = write_prepared(root / "prepared", n=6, size=32)       # subjects S000, S001, S002
    for path in data.glob("*.npz"):                                # a face's landmarks, for landmark-warp
        arrays = dict(np.load(path))
        arrays["landmarks"][:] = face_points((16, 16), iod=10)
        np.savez_compressed(path, **arrays)
    out = root / "cv"
    proc = train_folds(str(data), "--out", str(out), "--folds", "3", "--parallel", "2", "--device", "cpu",
                       "--set", "train.steps=2", *TINY)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return data, out, proc.stdout


def test_each_fold_trains_on_its_training_subjects_and_is_exported(fold_runs):
    data, out, stdout = fold_runs
    for fold, (train_keys, test_keys) in enumerate(subject_kfold(data, 3, 0)):
        config = json.loads((out / f"fold{fold}.json").read_text())
        assert sorted(config["data"]["keys"]) == sorted(train_keys)
        assert not {k[:4] for k in config["data"]["keys"]} & {k[:4] for k in test_keys}
        assert config["exported"]["steps"] == 2
        assert (out / f"fold{fold}.pt").stat().st_size < 1_000_000     # weights only, float16
        assert f"fold {fold}: {out / f'fold{fold}.pt'} at step 2" in stdout


def test_a_rerun_resumes_the_fold_runs(fold_runs):
    data, out, _ = fold_runs
    proc = train_folds(str(data), "--out", str(out), "--folds", "3", "--device", "cpu",
                       "--set", "train.steps=3", *TINY)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for fold in range(3):
        log = [json.loads(line) for line in (out / f"fold{fold}" / "log.jsonl").read_text().splitlines()]
        assert [r["step"] for r in log] == [1, 2, 3]
        assert json.loads((out / f"fold{fold}.json").read_text())["exported"]["steps"] == 3


def test_evaluate_tests_each_fold_model_on_its_own_fold(fold_runs, tmp_path, capsys):
    data, out, _ = fold_runs
    table = tmp_path / "t.json"
    args = ["evaluate", "--data", str(data), "--folds", "3", "--frames", "3", "--checkpoint", str(out / "fold0.pt"),
            "--json", str(table)]
    assert cli_main(args + ["--fold-checkpoint", str(out / "fold{fold}.pt")]) == 0
    rows = {r["name"]: r for r in json.loads(table.read_text())["rows"]}
    assert not rows["fold models: fold{fold}.pt"]["note"]
    assert "seen in training" in rows[f"model: {out.name}/fold0.pt [motion head]"]["note"]    # fold 0's model on folds 1, 2
    # the files of two folds swapped: each now tests on subjects it trained on, and the table says so
    swapped = tmp_path / "swapped"
    swapped.mkdir()
    for src, dst in ((0, 1), (1, 0), (2, 2)):
        for ext in (".pt", ".json"):
            shutil.copy(out / f"fold{src}{ext}", swapped / f"fold{dst}{ext}")
    assert cli_main(args + ["--fold-checkpoint", str(swapped / "fold{fold}.pt")]) == 0
    rows = {r["name"]: r for r in json.loads(table.read_text())["rows"]}
    assert "fold 1:" in rows["fold models: fold{fold}.pt"]["note"] and "fold 3:" not in rows["fold models: fold{fold}.pt"]["note"]


def test_fold_checkpoint_mistakes_are_one_line_errors(fold_runs, tmp_path, capsys):
    data, out, _ = fold_runs
    assert cli_main(["evaluate", "--data", str(data), "--folds", "3", "--fold-checkpoint", str(out / "fold0.pt")]) == 2
    assert "{fold}" in capsys.readouterr().err
    assert cli_main(["evaluate", "--data", str(data), "--folds", "3", "--checkpoint", str(out / "fold0.pt"),
                     "--fold-checkpoint", str(tmp_path / "fold{fold}.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "fold0.pt" in err and "train_folds.py" in err
