"""The exemplar bank's file: how far lips part, keeping open mouths only, a save/load round trip."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from affinekit.training.mouth_bank import MIN_OPENING, Bank, load_bank, open_only, opening

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from test_exemplars import lips  # noqa: E402


def test_opening_is_the_mean_gap_between_the_inner_lips_in_iods():
    # inner points at 45, 90, 135 degrees face those at 315, 270, 225: gaps 2 g sin 45, 2 g, 2 g sin 45,
    # in patch units (0.75 IOD each)
    g = 0.1
    expected = 0.75 * 2 * g * (2 * np.sin(np.pi / 4) + 1) / 3
    assert opening(lips(0.4, g).numpy()) == pytest.approx(expected, rel=1e-5)
    assert opening(lips(0.4, 0.0).numpy()) == pytest.approx(0.0, abs=1e-7)


def test_a_saved_bank_keeps_only_open_mouths_and_their_people(tmp_path):
    bank = Bank()
    patch = np.full((16, 16, 3), 128, np.uint8)
    bank.add(patch, lips(0.4, 0.0).numpy(), "frll-001", "frll")          # closed smile
    bank.add(patch, lips(0.4, 0.2).numpy(), "frll-002", "frll")          # open
    bank.add(patch, lips(0.3, 0.3).numpy(), "clip-d3", "clip")           # open
    data = load_bank(bank.save(tmp_path / "bank.pt"))
    assert data["names"] == ["frll-001", "frll-002", "clip-d3"] and data["people"].tolist() == [0, 1, 2]
    kept = open_only(data)
    assert kept.names == ["frll-002", "clip-d3"] and kept.people == [0, 1] and kept.sources == ["frll", "clip"]
    assert all(opening(s) >= MIN_OPENING for s in kept.shapes)
    t = kept.tensors()
    assert t["offsets"][-1] == t["jpeg"].shape[0] and torch.equal(t["jpeg"][: t["offsets"][1]],
                                                                   data["jpeg"][data["offsets"][1]:data["offsets"][2]])


def test_a_person_left_out_of_a_saved_bank_takes_all_their_mouths_and_only_theirs(tmp_path):
    from affinekit.errors import AffinekitError
    from affinekit.training.mouth_bank import without_people
    bank = Bank()
    patch = np.full((16, 16, 3), 128, np.uint8)
    for person, gap in (("frll-001", 0.2), ("clip-hands", 0.2), ("clip-hands", 0.3), ("clip-d3", 0.3)):
        bank.add(patch, lips(0.4, gap).numpy(), person, person.split("-")[0])
    data = load_bank(bank.save(tmp_path / "bank.pt"))
    kept = without_people(data, ["clip-hands"])
    assert kept.names == ["frll-001", "clip-d3"] and kept.people == [0, 1] and kept.sources == ["frll", "clip"]
    assert np.allclose(kept.shapes[1], data["shapes"][3].numpy())
    assert load_bank(kept.save(tmp_path / "kept.pt"))["names"] == ["frll-001", "clip-d3"]
    with pytest.raises(AffinekitError, match="holds no mouths of clip-nobody; its people are frll-001"):
        without_people(data, ["clip-nobody"], "bank.pt")
    with pytest.raises(AffinekitError, match="leaves no mouth"):
        without_people(data, ["frll-001", "clip-hands", "clip-d3"])


def test_one_mouth_of_a_person_can_leave_the_bank_by_its_number_among_theirs(tmp_path):
    from affinekit.errors import AffinekitError
    from affinekit.training.mouth_bank import without_people
    bank = Bank()
    patch = np.full((16, 16, 3), 128, np.uint8)
    for person, gap in (("frll-001", 0.2), ("clip-d6", 0.2), ("clip-d6", 0.3), ("clip-d6", 0.4), ("clip-d3", 0.3)):
        bank.add(patch, lips(0.4, gap).numpy(), person, person.split("-")[0])
    data = load_bank(bank.save(tmp_path / "bank.pt"))
    kept = without_people(data, ["clip-d6:1"])                 # the second of clip-d6's three: gap 0.3
    assert kept.names == ["frll-001", "clip-d6", "clip-d3"] and kept.people == [0, 1, 1, 2]
    assert np.allclose(kept.shapes[1], data["shapes"][1].numpy())
    assert np.allclose(kept.shapes[2], data["shapes"][3].numpy())
    both = without_people(data, ["clip-d6:0", "clip-d6:2", "clip-d3"])
    assert both.names == ["frll-001", "clip-d6"] and len(both.jpeg) == 2
    assert np.allclose(both.shapes[1], data["shapes"][2].numpy())
    with pytest.raises(AffinekitError, match="has no mouth clip-d6:3; clip-d6 has 3 [(]0-2[)]"):
        without_people(data, ["clip-d6:3"], "bank.pt")
    with pytest.raises(AffinekitError, match="holds no mouths of clip-nobody"):
        without_people(data, ["clip-nobody:0"])
