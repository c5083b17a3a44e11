"""Exports: the caller says what the run reached (from its run folder); the weights layer reads no log."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from helpers import write_prepared

from affinekit.config import DataConfig, ModelConfig, TrainConfig
from affinekit.errors import AffinekitError
from affinekit.io.run_folder import RunFolder
from affinekit.training.run import train
from affinekit.weights import export
from affinekit.weights.checkpoint import load_generator, training_data
from affinekit.weights.export import export_run


def test_the_weights_layer_reads_no_training_log():
    tree = ast.parse(Path(export.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"affinekit.io.runlog", "affinekit.io.run_folder"}, imported


def test_an_export_records_what_the_caller_read_from_the_run_folder(tmp_path):
    prepared = write_prepared(tmp_path / "prepared", size=32)
    model = ModelConfig(image_size=16, channels=1, depth=2, base_width=8, max_width=16, disc_width=8)
    train(prepared, tmp_path / "run", model, TrainConfig(steps=2, batch_size=2, device="cpu", sample_every=0),
          DataConfig(num_targets=2, augment=False))
    run = RunFolder(tmp_path / "run")
    out = tmp_path / "export" / "model.pt"
    config = export_run(run.checkpoint_path, run.read_config(), out, run.progress())
    written = json.loads(out.with_suffix(".json").read_text())
    assert written == config and written["exported"]["steps"] == 2 and written["exported"]["from"] == str(run.path)
    assert written["model"]["image_size"] == 16 and "w_lip" in written["train"]
    generator, cfg = load_generator(out)
    assert cfg == model and training_data(out)["prepared"] == str(prepared)
    # --json-only: the JSON again, from what the caller passes; no checkpoint needed
    export_run(tmp_path / "nowhere.pt", {"model": {}}, out, {"steps": 7}, weights=False)
    assert json.loads(out.with_suffix(".json").read_text()) == {"model": {}, "exported": {"steps": 7}}
    with pytest.raises(AffinekitError, match="nowhere.pt: missing"):
        export_run(tmp_path / "nowhere.pt", {}, out, {})
