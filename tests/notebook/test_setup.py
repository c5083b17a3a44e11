"""The notebooks' plumbing: sizes shrunk only under AFFINEKIT_TINY, values recorded as plain JSON,
figures saved under names that say whose faces they show, and where the data comes from."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from affinekit.errors import AffinekitError  # noqa: E402
from affinekit.notebook import inputs as notebook_inputs  # noqa: E402
from affinekit.notebook import setup as notebook_setup
from affinekit.show.plots import new_figure  # noqa: E402


def test_sizes_shrink_only_with_the_tiny_switch(monkeypatch):
    monkeypatch.delenv("AFFINEKIT_TINY", raising=False)
    assert notebook_setup.sizes(dict(STEPS=10), STEPS=2000, FRAMES=16) == {"STEPS": 2000, "FRAMES": 16}
    monkeypatch.setenv("AFFINEKIT_TINY", "1")
    out = notebook_setup.sizes(dict(STEPS=10, FRAMES=4, NAME="demo", LIMIT=2), STEPS=2000, FRAMES=2,
                               NAME="ckplus", LIMIT=0)
    assert out == {"STEPS": 10, "FRAMES": 2, "NAME": "demo", "LIMIT": 2}   # 0 ("all") is capped too


def test_record_merges_json_and_makes_values_plain(tmp_path):
    p = tmp_path / "r.json"
    notebook_setup.record(p, a=np.int64(3), b=np.arange(2), c=torch.tensor(0.5))
    notebook_setup.record(p, d=math.nan, e=tmp_path, f=-math.inf)
    got = json.loads(p.read_text())
    assert got == {"a": 3, "b": [0, 1], "c": 0.5, "d": None, "e": str(tmp_path), "f": "-inf"}
    assert notebook_setup.record(None, x=1) == {"x": 1}


def test_setup_reads_the_parameters_and_saves_and_records_where_told(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFINEKIT_TINY", "1")
    monkeypatch.delenv("AFFINEKIT_CKPLUS", raising=False)
    params = dict(STEPS=2000, FRAMES=16, MAX_SEQUENCES=0, CKPLUS="", FIGURES_DIR=str(tmp_path / "figs"),
                  RESULTS_JSON=str(tmp_path / "r.json"))
    nb = notebook_setup.setup(params, tiny=dict(STEPS=4, MAX_SEQUENCES=3), limit="MAX_SEQUENCES")
    assert nb.sizes == {"STEPS": 4, "MAX_SEQUENCES": 3} and nb.tiny
    assert nb.data == "demo" and 0 < len(nb.records) <= 3 and nb.data_root == notebook_inputs.DEMO_DIR
    fig = new_figure(1, 1)
    assert nb.save(fig, "faces.png", faces=True) == tmp_path / "figs" / "faces_demo.png"
    assert (tmp_path / "figs" / "faces_demo.png").read_bytes()[:4] == b"\x89PNG"
    assert nb.save_text("t.md", "| a |").read_text() == "| a |\n"          # a text file ends its last line
    assert nb.save_text("u.md", "| b |\n").read_text() == "| b |\n"
    nb.record(steps=4)
    assert json.loads((tmp_path / "r.json").read_text()) == {"steps": 4}
    assert nb.prepared_dir("", 64).name == "demo_64px" and nb.folder("/x/y", "runs") == type(tmp_path)("/x/y")
    # tiny runs (the tests) keep their work apart from a real session's runs and prepared data
    assert nb.folder("", "runs", "notebook06") == notebook_setup.REPO_ROOT / ".tiny" / "runs" / "notebook06"
    assert nb.prepared_dir("", 64).parent == notebook_setup.REPO_ROOT / ".tiny" / "prepared"


def test_setup_without_folders_saves_and_records_nothing(monkeypatch):
    monkeypatch.delenv("AFFINEKIT_TINY", raising=False)
    nb = notebook_setup.setup(dict(FRAMES=16, FIGURES_DIR="", RESULTS_JSON=""), tiny=dict(FRAMES=4), read_data=False)
    assert nb.sizes == {"FRAMES": 16} and nb.records == [] and nb.data_root is None
    assert nb.save(new_figure(1, 1), "x.png") is None and nb.save_text("x.md", "x") is None
    assert nb.folder("", "runs", "notebook06") == notebook_setup.REPO_ROOT / "runs" / "notebook06"


def test_ckplus_faces_get_a_name_git_ignores():
    assert notebook_setup.tagged("fig3_montage.png", "ckplus") == "fig3_montage_ckplus-faces.png"
    assert notebook_setup.tagged("fig3_montage.png", "demo") == "fig3_montage_demo.png"


def test_ckplus_root_refuses_a_missing_path(tmp_path, monkeypatch):
    with pytest.raises(AffinekitError):
        notebook_inputs.ckplus_root(tmp_path / "nope")
    monkeypatch.setenv("AFFINEKIT_CKPLUS", str(tmp_path / "nope"))
    with pytest.raises(AffinekitError, match="AFFINEKIT_CKPLUS"):
        notebook_inputs.ckplus_root()
    monkeypatch.setenv("AFFINEKIT_CKPLUS", str(tmp_path))
    assert notebook_inputs.ckplus_root() == tmp_path


def test_spread_takes_labels_in_turn():
    class R:
        def __init__(self, key, label):
            self.key, self.label = key, label
    records = [R("a1", "happy"), R("a2", "happy"), R("a3", "happy"), R("b1", "fear"), R("c1", "anger")]
    assert [r.key for r in notebook_inputs.spread(records, 4)] == ["a1", "b1", "c1", "a2"]


def test_checkpoint_lookups_name_the_parameter_to_fix(tmp_path):
    with pytest.raises(AffinekitError, match="CHECKPOINT"):
        notebook_inputs.model_checkpoint(tmp_path / "missing.pt")
    assert notebook_inputs.paper_checkpoint("none") == []
    path, what = notebook_inputs.model_checkpoint("")
    assert path.is_file() and what == "the bundled model"
