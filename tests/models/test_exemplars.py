"""The exemplar bank's geometry (retrieval by lip shape, leaving a person out, the warp into the lips,
the polygon, following a field) and the exemplar refiner: one inference path, a checkpoint round trip,
today's refiner still loading."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from affinekit.config import ModelConfig, MouthConfig
from affinekit.generate.inference import render_crops
from affinekit.models.exemplars import (
    decode_jpeg,
    descriptor,
    encode_jpeg,
    moved_points,
    nearest,
    polygon_mask,
    tps_points,
    tps_warp,
)
from affinekit.models.generator import Generator
from affinekit.models.mouth import MouthRefiner
from affinekit.models.mouth_exemplar import ExemplarRefiner, make_refiner
from affinekit.weights.checkpoint import load_generator, save_generator_only

from test_mouth import face_points


def lips(width: float, gap: float, centre=(0.0, 0.0)) -> torch.Tensor:
    """A hand-made lip shape (20, 2): outer 12 points on an ellipse of half-width `width`, inner 8 on
    one whose half-height is `gap` (the opening)."""
    t_out = torch.linspace(0, 2 * np.pi, 13)[:-1]
    t_in = torch.linspace(0, 2 * np.pi, 9)[:-1]
    outer = torch.stack([width * torch.cos(t_out), 0.5 * width * torch.sin(t_out)], 1)
    inner = torch.stack([0.8 * width * torch.cos(t_in), gap * torch.sin(t_in)], 1)
    return torch.cat([outer, inner]) + torch.tensor(centre)


def test_retrieval_finds_the_nearest_shape_wherever_the_mouth_sits():
    bank = torch.stack([lips(0.4, 0.0), lips(0.4, 0.1), lips(0.4, 0.3), lips(0.25, 0.25)])
    # a wide smile opened a little, shifted: the descriptor centres each lip ring, so the place does not count
    query = lips(0.4, 0.12, centre=(0.3, -0.2))
    assert nearest(descriptor(bank), descriptor(query[None])).tolist() == [1]
    # a round open mouth: the narrow, open exemplar (3), not the wide one opened as far (2)
    assert nearest(descriptor(bank), descriptor(lips(0.24, 0.26)[None])).tolist() == [3]


def test_retrieval_leaves_the_targets_own_person_out():
    bank = torch.stack([lips(0.4, 0.1), lips(0.4, 0.12), lips(0.4, 0.3)])
    people = torch.tensor([7, 8, 9])
    query = descriptor(lips(0.4, 0.1)[None])
    assert nearest(descriptor(bank), query).tolist() == [0]
    assert nearest(descriptor(bank), query, people, torch.tensor([7])).tolist() == [1]     # 7's own mouth skipped
    assert nearest(descriptor(bank), query, people, torch.tensor([7]), count=2).tolist() == [[1, 2]]
    with pytest.raises(ValueError, match="too few"):
        nearest(descriptor(bank[:1]), query, people[:1], torch.tensor([7]))


def test_the_thin_plate_warp_moves_a_spot_from_its_point_to_the_target_point():
    s = 64
    image = torch.zeros(1, 1, s, s)
    # a bright spot at pixel (40, 24): normalised ((2 * 40 + 1) / 64 - 1, (2 * 24 + 1) / 64 - 1)
    image[0, 0, 23:26, 39:42] = 1.0
    src = torch.tensor([[[(2 * 40 + 1) / s - 1, (2 * 24 + 1) / s - 1], [-0.5, 0.5], [0.5, 0.5]]])
    dst = src.clone()
    dst[0, 0] = torch.tensor([(2 * 20 + 1) / s - 1, (2 * 30 + 1) / s - 1])       # to pixel (20, 30)
    out = tps_warp(image, src, dst)[0, 0]
    y, x = np.unravel_index(int(out.argmax()), out.shape)
    assert (x, y) == (20, 30)
    assert float(out[30, 20]) > 0.9
    assert float(out[24, 40]) < 0.1                    # the spot left its old place
    # the same points on both sides: the image comes back (the border and the points stay put)
    assert torch.allclose(tps_warp(image, src, src), image, atol=1e-4)
    # the forward spline says where the warp draws a point: the spot's point lands on its target
    assert torch.allclose(tps_points(src[:, :1], src, dst), dst[:, :1], atol=1e-3)


def test_the_polygon_mask_holds_the_pixel_centres_inside():
    square = torch.tensor([[[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]])
    mask = polygon_mask(square, 8)[0, 0]
    # pixel centres of an 8 px grid: -7/8, -5/8, ..., 7/8; inside (-0.5, 0.5): -3/8 .. 3/8, 4 per side
    assert int(mask.sum()) == 16
    assert mask[2:6, 2:6].all()
    flat = torch.tensor([[[-0.5, 0.0], [0.5, 0.0], [0.5, 0.0], [-0.5, 0.0]]])     # a closed mouth: no inside
    assert int(polygon_mask(flat, 8).sum()) == 0


def test_points_follow_a_constant_backward_field():
    flow = torch.zeros(1, 2, 2, 16, 16)
    flow[0, 1, 0] = -0.2              # frame 1: every pixel reads 0.2 to its left: the image moves right
    points = torch.tensor([[[0.0, 0.0], [0.3, -0.4]]])
    moved = moved_points(points, flow)
    assert torch.allclose(moved[0, 0], points[0])
    assert torch.allclose(moved[0, 1], points[0] + torch.tensor([0.2, 0.0]), atol=1e-6)


def test_jpeg_bytes_come_back_close_to_the_patch():
    # teeth-like: light stripes in luma on a warm tint (JPEG keeps luma finely, chroma coarsely)
    stripes = 150 + 60 * (np.arange(32) // 3 % 2)
    patch = np.clip(stripes[None, :, None] + np.array([10, 0, -10]), 0, 255).repeat(32, 0).astype(np.uint8)
    back = decode_jpeg(encode_jpeg(patch, quality=95))
    assert back.shape == patch.shape and np.abs(back.astype(int) - patch).mean() < 4


SMALL = dict(size=32, width=8, max_width=16, depth=2, exemplars=3)


def _bank_refiner(num_labels: int, mouths: list[np.ndarray] | None = None) -> ExemplarRefiner:
    """An exemplar refiner whose bank holds three hand-made mouths (default: a dark, a mid and a light
    32 px square; larger ones make a bank of that side, `MouthConfig.bank_size`)."""
    mouths = mouths or [np.full((32, 32, 3), v, np.uint8) for v in (20, 120, 240)]
    jpegs = [encode_jpeg(m, quality=95) for m in mouths]
    side = mouths[0].shape[0]
    cfg = MouthConfig(**SMALL, bank_bytes=sum(len(j) for j in jpegs), bank_size=0 if side == SMALL["size"] else side)
    refiner = ExemplarRefiner(cfg, num_labels)
    offsets = torch.tensor(np.concatenate([[0], np.cumsum([len(j) for j in jpegs])]))
    shapes = torch.stack([lips(0.4, 0.0), lips(0.4, 0.1), lips(0.3, 0.3)])
    refiner.set_bank(torch.from_numpy(np.concatenate(jpegs)), offsets, shapes, torch.tensor([0, 1, 2]))
    with torch.no_grad():                 # open the mask: the exemplar must show
        refiner.out.bias.view(5, 4)[1] = 4.0
    return refiner.eval()


def test_an_exemplar_refiner_round_trips_through_a_generator_file_and_old_refiners_still_load(tmp_path):
    torch.manual_seed(0)
    g = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=2, max_width=16)).eval()
    g.mouth = _bank_refiner(g.cfg.num_labels)
    x0 = torch.rand(1, 3, 32, 32) * 2 - 1
    points = torch.from_numpy(face_points((16.0, 14.0), 12.0)).float()[None]
    before = render_crops(g, x0, torch.tensor([3]), torch.tensor([0.0, 1.0]), points)
    path = save_generator_only(g, g.cfg, tmp_path / "g.pt", half=True)
    loaded, _ = load_generator(path)
    assert isinstance(loaded.mouth, ExemplarRefiner)
    assert torch.equal(loaded.mouth.bank_jpeg, g.mouth.bank_jpeg)          # the bytes survive a float16 export
    assert torch.allclose(loaded.mouth.bank_shapes, g.mouth.bank_shapes, atol=1e-3)
    after = render_crops(loaded, x0, torch.tensor([3]), torch.tensor([0.0, 1.0]), points)
    assert (after - before).abs().max() < 0.05                              # float16 weights: close, not equal
    assert torch.equal(after[:, 0], x0.clamp(-1, 1))                         # l = 0 is x0 exactly
    off = render_crops(loaded, x0, torch.tensor([3]), torch.tensor([0.0, 1.0]), points, mouth=False)
    assert (after[:, 1] - off[:, 1]).abs().max() > 0.05                      # the stage is on, and can be left out
    # a file with today's refiner (no bank) loads as today's refiner
    g.mouth = make_refiner(MouthConfig(size=32, width=8, max_width=16, depth=2), g.cfg.num_labels)
    old, _ = load_generator(save_generator_only(g, g.cfg, tmp_path / "old.pt"))
    assert type(old.mouth) is MouthRefiner


def test_one_exemplar_per_clip_chosen_at_its_strongest_frame():
    refiner = _bank_refiner(7)
    shapes = torch.stack([lips(0.4, 0.0), lips(0.4, 0.08), lips(0.3, 0.28)])[None]      # a clip opening up
    picks = refiner.choose(shapes, torch.tensor([[0.0, 0.5, 1.0]]))
    assert picks.tolist() == [2]                                            # the apex's round opening
    assert refiner.choose(shapes, torch.tensor([[0.0, 1.0, 0.5]])).tolist() == [1]


def test_the_notebooks_look_inside_the_mouth_works_with_a_bank():
    from affinekit.show.look_inside_mouth import mouth_layers
    torch.manual_seed(0)
    g = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=2, max_width=16)).eval()
    g.mouth = _bank_refiner(g.cfg.num_labels)
    photo = (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)
    layers = mouth_layers(g, photo, face_points((32.0, 28.0), 20.0), 3, 1.0, size=64)
    assert layers["refined"].shape == (32, 32, 3) and layers["residual"].shape == (32, 32)
    assert layers["mask"].max() > 0.5                      # the exemplar shows


def test_an_exemplars_opening_is_warped_into_a_bigger_mouth_elsewhere():
    from affinekit.models.exemplars import INNER, OUTER
    s = 128
    # a synthetic exemplar: white inside its own inner lips, black elsewhere
    shape = lips(0.35, 0.15, centre=(0.0, 0.1))
    white = polygon_mask(shape[None, INNER], s) * 2 - 1
    # the frame's mouth: 1.3 times bigger and lower; the warp follows the outer lips
    target = shape * 1.3 + torch.tensor([0.05, 0.1])
    warped = tps_warp(white, shape[None, OUTER], target[None, OUTER])[0, 0] > 0
    expected = polygon_mask(target[None, INNER], s)[0, 0] > 0
    iou = (warped & expected).sum() / (warped | expected).sum()
    assert iou > 0.9                                          # the opening landed in the bigger mouth
    # and the forward spline draws the exemplar's opening where the warp put it
    drawn = polygon_mask(tps_points(shape[None, INNER], shape[None, OUTER], target[None, OUTER]), s)[0, 0] > 0
    assert (drawn & warped).sum() / (drawn | warped).sum() > 0.9
