"""The notebooks' plumbing: values recorded as plain JSON, figures saved under names that say whose
faces they show, and where the data comes from."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from affinekit.errors import AffinekitError  # noqa: E402
from affinekit.notebook import inputs as notebook_inputs  # noqa: E402
from affinekit.notebook import setup as notebook_setup  # noqa: E402
from affinekit.show.plots import new_figure  # noqa: E402


def test_record_merges_json_and_makes_values_plain(tmp_path):
    p = tmp_path / "r.json"
    notebook_setup.record(p, a=np.int64(3), b=np.arange(2), c=torch.tensor(0.5))
    notebook_setup.record(p, d=math.nan, e=tmp_path, f=-math.inf)
    got = json.loads(p.read_text())
    assert got == {"a": 3, "b": [0, 1], "c": 0.5, "d": None, "e": str(tmp_path), "f": "-inf"}
    assert notebook_setup.record(None, x=1) == {"x": 1}


def test_setup_reads_the_parameters_and_saves_and_records_where_told(tmp_path, monkeypatch):
    monkeypatch.delenv("AFFINEKIT_CKPLUS", raising=False)
    params = dict(STEPS=2000, MAX_SEQUENCES=3, CKPLUS="", FIGURES_DIR=str(tmp_path / "figs"),
                  RESULTS_JSON=str(tmp_path / "r.json"))
    nb = notebook_setup.setup(params, limit="MAX_SEQUENCES")
    assert nb.data == "demo" and len(nb.records) == 3 and nb.data_root == notebook_inputs.DEMO_DIR
    assert len(notebook_setup.setup(dict(params, MAX_SEQUENCES=0), limit="MAX_SEQUENCES").records) > 3   # 0: all
    fig = new_figure(2, 1)
    saved = nb.save(fig, "faces.png", faces=True)
    assert saved == tmp_path / "figs" / "faces_demo.png"
    with Image.open(saved) as image:
        assert image.format == "PNG" and image.size == (240, 120)       # 2 x 1 inches at 120 dpi
    assert nb.save_text("t.md", "| a |").read_text() == "| a |\n"          # a text file ends its last line
    assert nb.save_text("u.md", "| b |\n").read_text() == "| b |\n"
    nb.record(steps=4)
    assert json.loads((tmp_path / "r.json").read_text()) == {"steps": 4}
    assert nb.prepared_dir("", 64) == notebook_setup.REPO_ROOT / "prepared" / "demo_64px"
    assert nb.folder("/x/y", "runs") == type(tmp_path)("/x/y")


def test_setup_without_folders_saves_and_records_nothing():
    nb = notebook_setup.setup(dict(FRAMES=16, FIGURES_DIR="", RESULTS_JSON=""), read_data=False)
    assert nb.records == [] and nb.data_root is None
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


def test_the_committed_tables_the_notebooks_show_exist(repo_root, tmp_path):
    from affinekit.notebook.embed import blocks, committed, embed_notebook

    shown = [name for p in (repo_root / "notebooks").glob("0*.py") for name, _, _ in blocks(p.read_text())]
    assert shown and all(committed(name, repo_root).startswith(("|", "*")) for name in shown)
    with pytest.raises(AffinekitError, match="affinekit figures"):
        committed("figures/table2_nowhere.md", repo_root)
    # re-embedding rewrites a block from its file, and only the block
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "t.md").write_text("| a | b |\n|---|---|\n\n| 1 | 2 |\n")
    source = tmp_path / "01_x.py"
    source.write_text("# %% [markdown]\n# before\n# <!-- figures/t.md -->\n# | old |\n# <!-- end figures/t.md -->\n# after\n")
    assert embed_notebook(source, tmp_path) == ["figures/t.md"]
    assert source.read_text().splitlines()[2:8] == ["# <!-- figures/t.md -->", "# | a | b |", "# |---|---|", "#",
                                                    "# | 1 | 2 |", "# <!-- end figures/t.md -->"]
    assert embed_notebook(source, tmp_path) == []
