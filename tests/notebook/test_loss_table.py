"""Notebook 03's loss table comes from TrainConfig: a row per weight, its default and this run's value."""
from __future__ import annotations

from dataclasses import fields

from affinekit.config import TrainConfig
from affinekit.notebook.loss_table import loss_table
from affinekit.training.losses import GENERATOR_TERMS


def test_one_row_per_weight_with_its_default_and_this_runs_value():
    table = loss_table(TrainConfig(w_frame=0.0, w_l1=7.5, gan_loss="bce"))
    rows = {line.split("|")[2].strip(" `"): [c.strip(" `") for c in line.split("|")[1:-1]]
            for line in table.splitlines() if line.startswith("| `")}
    weights = [f for f in fields(TrainConfig) if f.name.startswith("w_")]
    assert list(rows) == [f"train.{f.name}" for f in weights]            # TrainConfig's order, none left out
    for f in weights:
        key, _, default, value, what = rows[f"train.{f.name}"]
        assert GENERATOR_TERMS[key][0] == f.name and float(default) == f.default and what
    assert rows["train.w_frame"][3] == "0" and rows["train.w_l1"][2:4] == ["100", "7.5"]
    assert "GAN loss `bce`, chance level 0.693" in table
