"""A bank that stores its mouths larger than the refiner's patch (MouthConfig.bank_size): the network
reads them at the patch's size, the copy is shown at the bank's size where the frame's mouth is large."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from affinekit.config import ModelConfig, MouthConfig
from affinekit.models.exemplars import tps_warp
from affinekit.models.generator import Generator
from affinekit.models.mouth import cut_patches, paste_patches
from affinekit.models.mouth_exemplar import ExemplarRefiner, exemplar_inputs, refine, shown_larger
from affinekit.training.mouth_bank import Bank, cut_exemplar, load_bank
from affinekit.weights.checkpoint import load_generator, save_generator_only

from test_exemplars import _bank_refiner, lips
from test_mouth import face_points


def checkers(side: int, cell: int) -> np.ndarray:
    """An RGB checkerboard (side, side, 3) uint8 with cells of `cell` pixels: detail a resize loses."""
    idx = np.arange(side) // cell
    board = ((idx[:, None] + idx[None, :]) % 2 * 160 + 40).astype(np.uint8)
    return np.repeat(board[..., None], 3, -1)


def banked_refiner(side: int, num_labels: int = 7) -> ExemplarRefiner:
    """A SMALL exemplar refiner (32 px patch) whose bank holds three checkerboards of `side` px."""
    return _bank_refiner(num_labels, [checkers(side, side // 8)] * 3)


def test_a_bank_side_that_is_not_a_multiple_of_the_patch_is_refused():
    with pytest.raises(ValueError, match="mouth.bank_size"):
        MouthConfig(size=32, depth=2, bank_size=48)
    with pytest.raises(ValueError, match="mouth.bank_size"):       # a multiple, but below the patch
        MouthConfig(size=32, depth=2, bank_size=-32)
    assert MouthConfig(size=32, depth=2, bank_size=64).bank_side == 64
    assert MouthConfig(size=32, depth=2, bank_size=32).bank_side == MouthConfig(size=32, depth=2).bank_side == 32


@pytest.mark.parametrize("size, says", [("100", "must be a multiple of the refiner's patch size 128"),
                                         ("0", "argument --size"), ("-128", "argument --size")])
def test_the_bank_building_script_refuses_a_side_before_reading_anything(size, says, tmp_path, capsys):
    from helpers import load_repo_script
    script = load_repo_script("scripts/build_mouth_bank.py")
    with pytest.raises(SystemExit) as stop:
        script.main(["--frll", str(tmp_path / "none"), "--split", str(tmp_path / "none"),
                     "--out", str(tmp_path / "bank.pt"), "--size", size])
    assert stop.value.code == 2 and says in capsys.readouterr().err
    assert not (tmp_path / "bank.pt").exists()


def test_the_thin_plate_warp_draws_the_same_picture_at_any_size():
    torch.manual_seed(0)
    image = F.interpolate(torch.rand(1, 3, 8, 8), size=(64, 64), mode="bilinear", align_corners=False)
    src, dst = lips(0.4, 0.1)[None], (lips(0.4, 0.1) * 1.2 + 0.05)[None]
    small = tps_warp(image, src, dst)
    large = tps_warp(image, src, dst, size=128)
    assert large.shape[-1] == 128
    assert (F.avg_pool2d(large, 2) - small).abs().max() < 0.03
    assert (F.avg_pool2d(tps_warp(image, src, dst * 0.7, size=128), 2) - small).abs().max() > 0.1   # it can differ


def test_the_network_reads_a_larger_bank_at_its_own_size():
    small, large = banked_refiner(32), banked_refiner(64)
    assert (large.cfg.bank_side, small.cfg.bank_side) == (64, 32)
    shapes, picks = lips(0.4, 0.1)[None], torch.tensor([1])
    warped_small, polygons_small = exemplar_inputs(small, shapes, picks)
    warped_large, polygons_large = exemplar_inputs(large, shapes, picks)
    assert warped_large.shape == warped_small.shape == (1, 3, 32, 32)
    assert torch.equal(polygons_large, polygons_small)
    # the 64 px board's area mean is what the 32 px board holds (4 px cells on both at 32 px)
    assert (warped_large - warped_small).abs().mean() < 0.05


def test_the_copy_is_shown_larger_with_the_same_mask_and_correction():
    refiner = banked_refiner(64)
    torch.manual_seed(1)
    patch, neutral = torch.rand(2, 1, 3, 32, 32) * 2 - 1
    shapes, picks = lips(0.4, 0.1)[None], torch.tensor([1])
    warped, polygons = exemplar_inputs(refiner, shapes, picks)
    label, level = torch.tensor([3]), torch.tensor([1.0])
    with torch.no_grad():
        mask, image = refiner(patch, neutral, warped, polygons, label, level)
        fine_mask, fine = refiner(patch, neutral, warped, polygons, label, level,
                                  F.interpolate(warped, scale_factor=2, mode="nearest"))
    assert torch.equal(mask, fine_mask) and fine.shape == (1, 3, 64, 64)
    assert (F.avg_pool2d(fine, 2) - image).abs().mean() < 0.05     # the same colour, drawn on a finer grid


def test_the_larger_copy_is_used_only_where_the_frame_shows_the_mouth_larger():
    refiner, plain = banked_refiner(64), banked_refiner(32)
    theta = torch.tensor([[[0.25, 0.0, 0.0], [0.0, 0.25, 0.1]]])          # a quarter of the frame's side
    assert shown_larger(refiner, theta, (512, 512))                        # 128 px of frame: larger than 32
    assert not shown_larger(refiner, theta, (96, 96))                      # 24 px of frame
    assert not shown_larger(plain, theta, (512, 512))                      # no larger copy to show


def test_a_larger_bank_keeps_the_teeths_detail_in_a_large_frame():
    """The same refiner and bank bytes: shown larger, the pasted mouth keeps the board's edges."""
    torch.manual_seed(0)
    refiner = banked_refiner(64)
    frames = torch.zeros(1, 3, 256, 256)
    theta = torch.tensor([[[0.25, 0.0, 0.0], [0.0, 0.25, 0.0]]])           # 64 frame px over the 32 px patch
    shapes, picks = lips(0.4, 0.25)[None], torch.tensor([2])
    labels, levels = torch.tensor([3]), torch.tensor([1.0])
    with torch.no_grad():
        fine, _, image = refine(refiner, frames, frames, theta, labels, levels, shapes, picks)
        # the same refiner's colour at the patch's size, pasted the same way
        patch = cut_patches(frames, theta, 32)
        warped, polygons = exemplar_inputs(refiner, shapes, picks)
        mask, coarse_image = refiner(patch, patch, warped, polygons, labels, levels)
        coarse = paste_patches(frames, theta, mask, coarse_image)
    assert image.shape[-1] == 64
    lap = lambda x: F.conv2d(x.mean(1, keepdim=True), torch.tensor([[[[0., 1, 0], [1, -4, 1], [0, 1, 0]]]])).var()
    box = (slice(None), slice(None), slice(104, 152), slice(104, 152))
    assert float(lap(fine[box])) > 1.5 * float(lap(coarse[box]))


def test_a_bank_cut_larger_holds_the_same_shapes_and_a_finer_picture():
    rng = np.random.default_rng(0)
    image = (rng.random((400, 400, 3)) * 255).astype(np.uint8)
    points = face_points((200.0, 190.0), 90.0)
    small, shape_small = cut_exemplar(image, points, MouthConfig(size=32, depth=2))
    large, shape_large = cut_exemplar(image, points, MouthConfig(size=32, depth=2, bank_size=64))
    assert small.shape == (32, 32, 3) and large.shape == (64, 64, 3)
    assert np.abs(shape_small - shape_large).max() < 1e-4
    halved = large.astype(float).reshape(32, 2, 32, 2, 3).mean((1, 3))
    assert np.abs(halved - small).mean() < 12                             # the same mouth, at twice the detail


def test_a_bank_file_records_its_side_and_refuses_mixed_sizes(tmp_path):
    bank = Bank()
    bank.add(checkers(64, 8), lips(0.4, 0.2).numpy(), "frll-001", "frll")
    with pytest.raises(ValueError, match="32 px mouth for a bank of 64 px"):
        bank.add(checkers(32, 4), lips(0.4, 0.2).numpy(), "frll-002", "frll")
    assert load_bank(bank.save(tmp_path / "bank.pt"))["side"] == 64


def test_a_generators_bank_is_replaced_with_its_weights_unchanged(tmp_path):
    from affinekit.errors import AffinekitError
    from affinekit.training.mouth_attach import replace_bank
    torch.manual_seed(0)
    g = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=2, max_width=16)).eval()
    g.mouth = banked_refiner(32, g.cfg.num_labels)
    path = save_generator_only(g, g.cfg, tmp_path / "g.pt", half=True)
    bank = Bank()
    for person, gap in (("frll-001", 0.2), ("clip-a", 0.3)):
        bank.add(checkers(64, 8), lips(0.4, gap).numpy(), person, "frll")
    replaced, _ = load_generator(replace_bank(path, bank.save(tmp_path / "bank64.pt"), tmp_path / "g64.pt"))
    assert replaced.mouth.cfg.bank_size == 64 and replaced.mouth.cfg.exemplars == 2
    before = {k: v for k, v in load_generator(path)[0].mouth.state_dict().items() if not k.startswith("bank_")}
    after = replaced.mouth.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in before.items())
    assert replaced.mouth.exemplar_images(torch.tensor([1])).shape == (1, 3, 64, 64)
    # a bank of mouths that the patch does not divide is refused, naming the fix
    odd = Bank()
    odd.add(checkers(48, 6), lips(0.4, 0.2).numpy(), "frll-001", "frll")
    with pytest.raises(AffinekitError, match="--size"):
        replace_bank(path, odd.save(tmp_path / "bank48.pt"), tmp_path / "g48.pt")
    g.mouth = None
    with pytest.raises(AffinekitError, match="no exemplar mouth stage"):
        replace_bank(save_generator_only(g, g.cfg, tmp_path / "bare.pt"), tmp_path / "bank64.pt", tmp_path / "x.pt")


@pytest.mark.parametrize("case", ["missing generator", "bank as --out", "no stage"])
def test_the_bank_swapping_script_answers_bad_arguments_in_one_line(case, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path
    g = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=2, max_width=16)).eval()
    g.mouth = None if case == "no stage" else banked_refiner(32, g.cfg.num_labels)
    generator = save_generator_only(g, g.cfg, tmp_path / "g.pt")
    bank = Bank()
    bank.add(checkers(64, 8), lips(0.4, 0.2).numpy(), "frll-001", "frll")
    bank_path = bank.save(tmp_path / "bank.pt")
    before = bank_path.read_bytes()
    argv = {"missing generator": [str(tmp_path / "none.pt"), "--out", str(tmp_path / "o.pt")],
            "bank as --out": [str(generator), "--out", str(bank_path)],
            "no stage": [str(generator), "--out", str(tmp_path / "o.pt")]}[case]
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(repo / "scripts" / "replace_mouth_bank.py"), *argv, "--bank", str(bank_path)],
                          capture_output=True, text=True, timeout=240, env={**os.environ, "PYTHONPATH": str(repo)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert {"missing generator": "none.pt", "bank as --out": "--bank file", "no stage": "no exemplar"}[case] in proc.stderr
    assert bank_path.read_bytes() == before and not (tmp_path / "o.pt").exists()


def test_a_bank_swapped_without_a_person_names_its_people_in_the_file(tmp_path):
    from affinekit.training.mouth_attach import replace_bank
    torch.manual_seed(0)
    g = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=2, max_width=16)).eval()
    g.mouth = banked_refiner(32, g.cfg.num_labels)
    path = save_generator_only(g, g.cfg, tmp_path / "g.pt", half=True, data={"keys": ["a"]})
    assert load_generator(path)[0].mouth.bank_names == []      # an older file: it does not say
    bank = Bank()
    for person, gap in (("frll-001", 0.2), ("clip-hands", 0.3), ("clip-d3", 0.25)):
        bank.add(checkers(32, 4), lips(0.4, gap).numpy(), person, "clip")
    out = replace_bank(path, bank.save(tmp_path / "bank.pt"), tmp_path / "g2.pt", ["clip-hands"])
    replaced, _ = load_generator(out)
    assert replaced.mouth.cfg.exemplars == 2 and replaced.mouth.bank_people.tolist() == [0, 1]
    assert replaced.mouth.bank_names == ["frll-001", "clip-d3"]
    from affinekit.weights.checkpoint import training_data
    assert training_data(out)["keys"] == ["a"]          # what it trained on is kept


def test_the_names_of_a_banks_people_travel_with_the_bank_and_nothing_else_carries_them(tmp_path):
    """A moved mouth stage brings its bank's names and replaces the target's; names handed in with the
    training data never outlive the bank they named."""
    from affinekit.training.mouth_attach import move_mouth
    from affinekit.weights.checkpoint import BANK_PEOPLE, training_data
    torch.manual_seed(0)
    donor = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=2, max_width=16)).eval()
    donor.mouth = banked_refiner(32, donor.cfg.num_labels)
    donor.mouth.bank_names = ["frll-001", "frll-002", "clip-d3"]
    donor_path = save_generator_only(donor, donor.cfg, tmp_path / "donor.pt", half=True, data={"keys": ["a"]})
    other = Generator(donor.cfg)
    other_path = save_generator_only(other, other.cfg, tmp_path / "other.pt", half=True,
                                     data={"keys": ["b"], BANK_PEOPLE: ["someone-else"]})
    assert training_data(other_path) == {"keys": ["b"]}          # no bank: no names
    move_mouth(other_path, donor_path)
    assert load_generator(other_path)[0].mouth.bank_names == ["frll-001", "frll-002", "clip-d3"]
    assert training_data(other_path) == {"keys": ["b"], BANK_PEOPLE: ["frll-001", "frll-002", "clip-d3"]}


def test_a_person_left_out_is_never_copied_inside_the_block_and_is_again_after_it():
    from affinekit.models.mouth_exemplar import leaving_out
    refiner = banked_refiner(32)                         # people 0, 1, 2: lips(0.4, 0), (0.4, 0.1), (0.3, 0.3)
    refiner.bank_names = ["frll-001", "frll-002", "clip-d3"]
    shapes = torch.stack([lips(0.3, 0.3)] * 2)[None].expand(3, -1, -1, -1)   # (3 clips, 2 frames, 20, 2)
    levels = torch.tensor([[0.0, 1.0]] * 3)
    assert refiner.choose(shapes, levels).tolist() == [2, 2, 2]
    with leaving_out(refiner, "clip-d3"):
        inside = refiner.choose(shapes, levels).tolist()
        assert refiner.choose(shapes, levels, exclude=torch.tensor([0, 0, 0])).tolist() == [2, 2, 2]
    assert 2 not in inside and refiner.choose(shapes, levels).tolist() == [2, 2, 2]
    with leaving_out(refiner, "clip-nobody"), leaving_out(None, "clip-d3"):
        assert refiner.choose(shapes, levels).tolist() == [2, 2, 2]
