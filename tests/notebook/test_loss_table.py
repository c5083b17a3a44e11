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


def test_share_legend_names_each_discriminator_and_the_terms_the_share_cannot_see():
    from affinekit.notebook.loss_table import share_labels
    from affinekit.io.runlog import OLD_COLUMNS

    log = [{"step": 10, "share_G_GAN": 0.01, "share_G_lip": 0.02, "share_G_apex": 0.1, "share_G_sup": 0.0,
            "share_G_L1": 0.87}, {"step": 20, "share_G_GAN": 0.0, "share_G_lip": 0.01, "share_G_apex": 0.2,
                                  "share_G_sup": 0.0, "share_G_L1": 0.79}]
    labels = share_labels(log)
    assert labels["share_G_GAN"] == "G_GAN (frame D)" and labels["share_G_lip"] == "G_lip (lip D)"
    assert labels["share_G_apex"] == "G_apex (apex D)" and labels["share_G_L1"] == "G_L1"
    assert labels["share_G_sup"] == "G_sup: 0, not on G's raw outputs"       # zero at every measured step
    assert OLD_COLUMNS["share_G_patch"] == "share_G_lip"       # old logs' lip term is read under today's name
