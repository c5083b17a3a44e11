"""Bad input, round three (issue 31, class 4): the paired protocol's "validation people" are people no
scored checkpoint learned from, in any of its sources, and a folder given twice counts once.

The protocol's scoring (dlib, the classifier) is not what is tested here: which pairs reach it is.
`score_pairs` is replaced by a recorder that stops the run with the items it was handed.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from affinekit.config import ModelConfig
from affinekit.errors import AffinekitError
from affinekit.evaluation import paired
from affinekit.models.generator import Generator
from affinekit.weights.checkpoint import save_generator_only

PEOPLE = [f"frll-{i:03d}" for i in range(20)]   # 4 validation people at 20%


class Scored(Exception):
    """Raised by the recorder with the (folder, key) of every pair handed to scoring."""


def pair_folder(root: Path) -> Path:
    """A prepared still-pair folder's manifest, one happy pair per person (20 people, one source)."""
    root.mkdir(parents=True)
    entries = [{"key": f"{p}_happy", "file": f"{p}_happy.npz", "subject": p, "sequence": "happy", "label": "happy",
                "frames": 2, "source": "frll", "kind": "pair"} for p in PEOPLE]
    (root / "manifest.json").write_text(json.dumps({"config": {}, "sequences": entries, "skipped": []}))
    return root


def model(path: Path, data: dict) -> Path:
    torch.manual_seed(0)
    cfg = ModelConfig(image_size=16, channels=1, depth=2, base_width=8, max_width=16)
    return save_generator_only(Generator(cfg), cfg, path, data=data)


@pytest.fixture
def recorded(monkeypatch):
    monkeypatch.setattr(paired, "fit_landmark_warp", lambda train: object())
    monkeypatch.setattr(paired, "load_pair", lambda folder, key: (folder, key))

    def score(makers, items, **_):
        raise Scored(items)
    monkeypatch.setattr(paired, "score_pairs", score)


def scored(*args, **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(Scored) as caught:
        paired.paired_protocol(*args, log=lambda line: None, **kwargs)
    return caught.value.args[0]


def test_pairs_a_checkpoint_learned_from_another_source_are_left_out(recorded, tmp_path):
    folder = pair_folder(tmp_path / "frll")
    validation = scored([folder])
    assert validation                                   # without a checkpoint: the validation people
    seen = [validation[0][1], f"{validation[-1][1].split('_')[0]}_sad"]    # one pair, one other item of a person
    ckpt = model(tmp_path / "m.pt", {"prepared": "/elsewhere/ck", "keys": ["S001_001"], "source_keys": seen[:1],
                                     "apex_keys": seen[1:]})
    kept = scored([folder], [ckpt])
    assert {k for _, k in kept} == {k for _, k in validation} - {validation[0][1], validation[-1][1]}


def test_all_keys_keeps_seen_pairs_marked(recorded, tmp_path):
    folder = pair_folder(tmp_path / "frll")
    ckpt = model(tmp_path / "m.pt", {"prepared": "/elsewhere/ck", "keys": [], "source_keys": [f"{PEOPLE[0]}_happy"]})
    assert len(scored([folder], [ckpt], all_keys=True)) == len(PEOPLE)


def test_every_validation_pair_seen_is_one_line(recorded, tmp_path):
    folder = pair_folder(tmp_path / "frll")
    ckpt = model(tmp_path / "m.pt", {"prepared": "/elsewhere/ck", "keys": [], "source_keys": [f"{p}_happy" for p in PEOPLE]})
    with pytest.raises(AffinekitError, match="trained on every validation pair.*--all-keys"):
        paired.paired_protocol([folder], [ckpt], log=lambda line: None)


def test_a_checkpoint_trained_on_the_whole_folder_is_refused_in_one_line(recorded, tmp_path):
    folder = pair_folder(tmp_path / "frll")
    ckpt = model(tmp_path / "m.pt", {"prepared": str(folder), "keys": None})
    with pytest.raises(AffinekitError, match="trained on every validation pair"):
        paired.paired_protocol([folder], [ckpt], log=lambda line: None)


def test_the_same_folder_given_twice_counts_once(recorded, tmp_path):
    folder = pair_folder(tmp_path / "frll")
    once = scored([folder])
    twice = scored([folder, Path(str(folder) + "/"), tmp_path / "." / "frll"])
    assert twice == once and len(set(twice)) == len(twice)


def test_overlap_counts_every_source(tmp_path):
    from affinekit.evaluation.makers import load_model_maker, training_overlap
    ckpt = model(tmp_path / "m.pt", {"prepared": "/elsewhere/ck", "keys": ["S001_001"],
                                     "source_keys": [f"{p}_happy" for p in PEOPLE[:3]]})
    _, info = load_model_maker(ckpt)
    note = training_overlap(info, [f"{p}_happy" for p in PEOPLE[:4]])
    assert note == "3 of 4 test sequences were seen in training"
