"""scripts/choose_notebook03_steps.py: each fold holds out its own training-side subjects, the curves
are averaged, and a finished fold is read back, not trained again (training and scoring made up)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import load_repo_script, write_prepared

from affinekit.errors import AffinekitError
from affinekit.notebook import held_out
from affinekit.training import run

def load_script():
    return load_repo_script("scripts/choose_notebook03_steps.py")


@pytest.fixture
def fake_training(monkeypatch):
    """`train` steps the callbacks without a model; a fold's PSNR depends on its held-out keys and step."""
    class Trained(list):
        """The keys of each fold trained; `configs`: the TrainConfig each was given."""
        configs: list = []

    trained = Trained()
    trained.configs = []

    class Trainer:
        generator = None

    def fake_train(prepared, work, model_cfg, train_cfg, data_cfg, keys, callbacks):
        trained.append(sorted(keys))
        trained.configs.append(train_cfg)
        Path(work).mkdir(parents=True, exist_ok=True)
        for cb in callbacks:
            cb.on_start(Trainer())
        for step in range(1, train_cfg.steps + 1):
            for cb in callbacks:
                cb.on_step(Trainer(), step, {})

    def fake_scores(generator, prepared, keys, frames=16):
        fake_scores.calls += 1
        peak = 1 if "S001_001" in keys else 3        # the fold holding S001 out peaks early, the other late
        step = fake_scores.step_of[id(keys)] = fake_scores.step_of.get(id(keys), -1) + 1
        return {"psnr": 20.0 - (step - peak) ** 2, "ssim": 0.8, "expr_acc": 1.0, "copy_psnr": 19.0}

    fake_scores.calls, fake_scores.step_of = 0, {}
    monkeypatch.setattr(run, "train", fake_train)
    monkeypatch.setattr(held_out, "held_out_scores", fake_scores)
    return trained


def test_folds_hold_out_each_subject_once_average_and_read_back(tmp_path, fake_training, capsys):
    prepared = write_prepared(tmp_path / "p", n=6)
    args = ["--data", str(prepared), "--steps", "4", "--every", "1", "--folds", "2",
            "--work", str(tmp_path / "work"), "--out", str(tmp_path / "curve.jsonl")]
    assert load_script().main(args) == 0
    rows = [json.loads(line) for line in (tmp_path / "curve.jsonl").read_text().splitlines()]
    folds = {row["fold"]: row["subjects"] for row in rows}
    assert len(folds) == 2 and sorted(sum(folds.values(), [])) == sorted(set(sum(folds.values(), [])))
    assert [row["step"] for row in rows if row["fold"] == 0] == [0, 1, 2, 3, 4]
    assert len(fake_training) == 2
    printed = capsys.readouterr().out
    assert "mean PSNR" in printed and "highest at step 2 (19.00 dB)" in printed     # between the folds' peaks
    assert load_script().main(args) == 0                                           # both folds read back
    assert len(fake_training) == 2 and printed.count("read back") == 0
    assert capsys.readouterr().out.count("read back") == 2


def test_an_unfinished_fold_is_refused_with_its_folder(tmp_path, fake_training):
    prepared = write_prepared(tmp_path / "p", n=6)
    (tmp_path / "work" / "fold0" / "checkpoints").mkdir(parents=True)
    (tmp_path / "work" / "fold0" / "checkpoints" / "last.pt").write_bytes(b"x")
    (tmp_path / "work" / "fold0" / "config.json").write_text("{}")
    with pytest.raises(AffinekitError, match="fold0: holds an unfinished choice run"):
        load_script().main(["--data", str(prepared), "--steps", "2", "--folds", "2",
                            "--work", str(tmp_path / "work"), "--out", str(tmp_path / "c.jsonl")])


def test_the_schedule_and_set_settings_reach_the_training_and_the_record(tmp_path, fake_training):
    prepared = write_prepared(tmp_path / "p", n=6)
    assert load_script().main(["--data", str(prepared), "--steps", "2", "--folds", "2", "--lr-decay-from", "0.25",
                               "--set", "train.lambda_warmup=1000", "--work", str(tmp_path / "work"),
                               "--out", str(tmp_path / "c.jsonl")]) == 0
    assert [(c.lr_decay_from, c.lambda_warmup) for c in fake_training.configs] == [(0.25, 1000)] * 2
    rows = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert all(r["lr_decay_from"] == 0.25 and r["set"] == ["train.lambda_warmup=1000"] for r in rows)


def test_folds_run_one_at_a_time_are_averaged_by_a_run_without_fold(tmp_path, fake_training, capsys):
    prepared = write_prepared(tmp_path / "p", n=6)
    common = ["--data", str(prepared), "--steps", "4", "--every", "1", "--folds", "2",
              "--work", str(tmp_path / "work"), "--out", str(tmp_path / "curve.jsonl")]
    assert load_script().main(common + ["--fold", "1"]) == 0
    assert len(fake_training) == 1 and not (tmp_path / "curve.jsonl").exists()
    assert (tmp_path / "work" / "fold1" / "curve.jsonl").is_file() and not (tmp_path / "work" / "fold0").exists()
    assert load_script().main(common) == 0                          # trains fold 0, reads fold 1 back
    assert len(fake_training) == 2 and "highest at step 2" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        load_script().main(common + ["--fold", "2"])
