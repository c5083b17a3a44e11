"""The mouth refiner: its square, cut and paste, identity at l = 0, the one inference path with and
without it, saving it inside a generator file, and a tiny training run that resumes."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
from helpers import face_points as outline_points

from affinekit.config import ModelConfig, MouthConfig
from affinekit.data.faces import FaceAligner, apply_transform
from affinekit.generate.aligned import face_under
from affinekit.generate.inference import render_crops
from affinekit.generate.render import render_clips
from affinekit.io.images import tensor_channels
from affinekit.models.generator import Generator
from affinekit.models.mouth import MouthRefiner, cut_patches, mouth_square, paste_patches, refine_frames
from affinekit.weights.checkpoint import load_generator, save_generator_only, training_data

SMALL = MouthConfig(size=32, width=8, max_width=16, depth=2, steps=2, batch_size=2)


def face_points(center=(32.0, 32.0), iod: float = 24.0) -> np.ndarray:
    """Synthetic landmarks (helpers.face_points) with lips 48-67 on a small ellipse 0.8 IOD below the eyes."""
    pts = outline_points(center, iod)
    t = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    pts[48:68] = np.asarray(center) + iod * np.column_stack([0.4 * np.cos(t), 0.5 + 0.12 * np.sin(t)])
    return pts


def _generator_with_mouth(seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    g = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=2, max_width=16)).eval()
    g.mouth = MouthRefiner(SMALL, g.cfg.num_labels).eval()
    with torch.no_grad():     # open the refiner's mask so that it visibly paints
        g.mouth.out.bias.view(2, 4)[1] = 3.0
    return g


def test_the_mouth_square_sits_below_the_lips_and_is_box_scale_iods_wide():
    cfg = MouthConfig(box_scale=1.5, drop=0.1)
    size = 128
    pts = face_points(center=(64.0, 60.0), iod=40.0)
    theta = mouth_square(torch.from_numpy(pts).float()[None], size, cfg)[0].double().numpy()
    to_pixels = lambda n: ((n + 1) * size - 1) / 2
    centre = to_pixels(theta[:, 2])
    mouth = pts[48:68].mean(0)
    iod = np.linalg.norm(pts[42:48].mean(0) - pts[36:42].mean(0))
    np.testing.assert_allclose(centre, [mouth[0], mouth[1] + 0.1 * iod], atol=1e-4)
    side = to_pixels(theta[0, 0] + theta[0, 2]) - to_pixels(-theta[0, 0] + theta[0, 2])
    assert side == pytest.approx(1.5 * iod, rel=1e-5)


def test_paste_changes_only_the_squares_footprint_and_a_copy_of_the_patch_changes_little():
    torch.manual_seed(0)
    frames = torch.rand(2, 3, 96, 96) * 2 - 1
    pts = torch.from_numpy(np.stack([face_points((48.0, 40.0), 30.0), face_points((50.0, 44.0), 26.0)])).float()
    theta = mouth_square(pts, 96, MouthConfig())
    ones = torch.ones(2, 1, 64, 64)
    painted = paste_patches(frames, theta, ones, torch.full((2, 1, 64, 64), 0.5))
    changed = (painted != frames).any(1)                                    # (2, H, W)
    for i in range(2):
        ys, xs = torch.nonzero(changed[i], as_tuple=True)
        cx, cy = ((theta[i, :, 2] + 1) * 96 - 1) / 2
        half = theta[i, 0, 0] * 96 / 2
        assert (xs - cx).abs().max() <= half + 1.5 and (ys - cy).abs().max() <= half + 1.5
        assert changed[i].sum() > 0.8 * (2 * half) ** 2
    # a patch cut and pasted back whole returns the frame up to interpolation (smooth image)
    smooth = torch.nn.functional.avg_pool2d(frames, 9, 1, 4)
    again = paste_patches(smooth, theta, ones, tensor_channels(cut_patches(smooth, theta, 64), 1))
    assert (again - smooth).abs().mean() < 0.02
    # where the mask opens only the luma changes: R - G and B - G stay as they were
    chroma = lambda x: x[:, [0, 2]] - x[:, 1:2]
    torch.testing.assert_close(chroma(painted), chroma(frames), atol=1e-5, rtol=0)


def test_at_intensity_zero_the_refiner_returns_the_frame_exactly():
    g = _generator_with_mouth()
    frames = torch.rand(3, 3, 64, 64) * 2 - 1
    theta = mouth_square(torch.from_numpy(np.stack([face_points((32.0, 28.0), 20.0)] * 3)).float(), 64, SMALL)
    out, mask, _ = refine_frames(g.mouth, frames, frames, theta, torch.tensor([1, 3, 5]), torch.tensor([0.0, 0.5, 1.0]))
    assert torch.equal(out[0], frames[0])
    assert mask[0].max() == 0 and mask[2].max() > 0.1
    assert not torch.equal(out[2], frames[2])


def test_render_crops_paints_the_mouth_only_with_landmarks_and_mouth_on():
    g = _generator_with_mouth()
    x0 = torch.rand(2, 3, 64, 64) * 2 - 1
    labels, lam = torch.tensor([2, 5]), torch.linspace(0, 1, 4)
    pts = torch.from_numpy(np.stack([face_points((32.0, 28.0), 20.0)] * 2)).float()
    plain = render_crops(g, x0, labels, lam)
    off = render_crops(g, x0, labels, lam, pts, mouth=False)
    on = render_crops(g, x0, labels, lam, pts)
    assert torch.equal(plain, off)
    diff = (on - off).abs().amax(dim=(0, 1, 2))                             # (H, W)
    assert diff.max() > 0.05
    assert torch.equal(on[:, 0], off[:, 0])                                 # l = 0: untouched
    ys, xs = torch.nonzero(diff > 0, as_tuple=True)
    # only inside the mouth square: centre (32, 38 + 0.1 IOD), side 1.5 IOD = 30 px
    assert ys.min() >= 24 and ys.max() <= 56 and xs.min() >= 16 and xs.max() <= 48


def test_the_photo_view_refines_the_mouth_at_the_photos_resolution():
    g = _generator_with_mouth()
    photo = (np.random.default_rng(0).random((200, 180, 3)) * 255).astype(np.uint8)
    scale = 32 / 120                                                        # the face is 120 px wide in the photo
    M = np.array([[scale, 0, -30 * scale], [0, scale, -40 * scale]], np.float32)
    points = face_points((16.0, 14.0), 10.0)
    face = face_under(photo, M, apply_transform(cv2.invertAffineTransform(M), points), FaceAligner(32))
    on = render_clips(g, face, [4], torch.linspace(0, 1, 3))
    off = render_clips(g, face, [4], torch.linspace(0, 1, 3), mouth=False)
    diff = np.abs(on.astype(int) - off.astype(int)).max(axis=(0, 1, 4))
    ys, xs = np.nonzero(diff)
    assert len(ys) > 100
    # the mouth square (in crop pixels: centre ~ (16, 21), side 15) carried to the photo
    assert 30 + (16 - 8) / scale - 3 <= xs.min() and xs.max() <= 30 + (16 + 8) / scale + 3
    assert np.array_equal(on[0, 0], off[0, 0])


def test_a_generator_file_carries_its_refiner(tmp_path):
    g = _generator_with_mouth()
    path = save_generator_only(g, g.cfg, tmp_path / "g.pt", half=True)
    loaded, _ = load_generator(path)
    assert isinstance(loaded.mouth, MouthRefiner) and loaded.mouth.cfg == SMALL
    for a, b in zip(g.mouth.state_dict().values(), loaded.mouth.state_dict().values()):
        torch.testing.assert_close(a.float(), b.float(), atol=2e-3, rtol=1e-2)
    plain = Generator(g.cfg)
    loaded_plain, _ = load_generator(save_generator_only(plain, plain.cfg, tmp_path / "p.pt"))
    assert loaded_plain.mouth is None


def _prepared_faces(root, n: int = 4, frames: int = 3, size: int = 64):
    """A prepared folder of colour blobs whose landmarks are face_points (the mouth square needs them)."""
    from affinekit.config import DataConfig, to_dict
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    entries = []
    for i in range(n):
        key = f"S{i:03d}_001"
        images = (rng.random((frames, size, size, 3)) * 255).astype(np.uint8)
        points = np.repeat(face_points((32.0, 28.0), 20.0)[None], frames, 0).astype(np.float32)
        np.savez_compressed(root / f"{key}.npz", frames=images, landmarks=points,
                            lip_masks=np.zeros((frames, size, size), np.uint8),
                            transforms=np.zeros((frames, 2, 3), np.float32), label=np.array("happy"),
                            subject=np.array(f"S{i:03d}"), sequence=np.array("001"), source=np.array("test"))
        entries.append({"key": key, "file": f"{key}.npz", "subject": f"S{i:03d}", "sequence": "001",
                        "label": "happy", "frames": frames, "source": "test"})
    (root / "manifest.json").write_text(json.dumps({"config": to_dict(DataConfig(crop_size=size)),
                                                    "sequences": entries, "skipped": []}))
    return [e["key"] for e in entries]


def test_a_tiny_training_run_learns_resumes_and_attaches(tmp_path):
    from affinekit.training.mouth import train_mouth
    from affinekit.training.mouth_attach import attach_mouth

    keys = _prepared_faces(tmp_path / "prep")
    torch.manual_seed(0)
    g = Generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=2, max_width=16))
    gen_path = save_generator_only(g, g.cfg, tmp_path / "g.pt", data={"keys": keys[:3]})
    out = tmp_path / "run"
    train_mouth(gen_path, [tmp_path / "prep"], out, SMALL, snapshot_every=2)
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["last.pt", "step2.pt"]
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2]
    assert json.loads((out / "config.json").read_text())["items"] == 3      # the generator's items only
    trainer = train_mouth(gen_path, [tmp_path / "prep"], out, MouthConfig(**{**vars(SMALL), "steps": 3, "lr": 1e-5}))
    assert trainer.step == 3
    assert trainer.opt_g.param_groups[0]["lr"] == 1e-5          # a resume takes this run's learning rate
    assert [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()] == [1, 2, 3]
    path = attach_mouth(gen_path, out / "checkpoints" / "last.pt", tmp_path / "with_mouth.pt")
    loaded, _ = load_generator(path)
    assert loaded.mouth is not None
    torch.testing.assert_close(loaded.mouth.out.weight.float(), trainer.refiner.out.weight, atol=2e-3, rtol=1e-2)
    assert training_data(path) == {"keys": keys[:3]}
    from affinekit.training.mouth_bank import Bank
    from test_exemplars import lips
    bank = Bank()
    bank.add(np.full((16, 16, 3), 128, np.uint8), lips(0.4, 0.2).numpy(), "frll-001", "frll")
    named = attach_mouth(gen_path, out / "checkpoints" / "last.pt", tmp_path / "named.pt", bank.save(tmp_path / "b.pt"))
    assert training_data(named) == {"keys": keys[:3], "mouth_bank_people": ["frll-001"]}


def test_evaluation_gets_a_refiner_off_row_only_for_a_model_with_a_refiner():
    from affinekit.evaluation.makers import REFINER_OFF, GeneratorMaker, add_model_rows

    makers, notes = {}, {}
    add_model_rows(makers, notes, "model", GeneratorMaker(_generator_with_mouth()), "a note")
    assert list(makers) == ["model", "model" + REFINER_OFF] and notes["model" + REFINER_OFF] == "a note"
    x0 = torch.rand(1, 3, 64, 64) * 2 - 1
    pts = torch.from_numpy(face_points((32.0, 28.0), 20.0)).float()[None]
    on, off = (makers[k](x0, torch.tensor([6]), torch.tensor([0.0, 1.0]), pts) for k in makers)
    assert not torch.equal(on, off)
    plain = {}
    add_model_rows(plain, {}, "model", GeneratorMaker(Generator(ModelConfig(image_size=32, depth=2, base_width=8))))
    assert list(plain) == ["model"]


def test_a_mouth_stage_moves_unchanged_into_another_generator_export(tmp_path):
    """export_model.py --mouth-from: the donor's refiner weights, as stored, in the other export, whose own
    weights stay its own; the JSON says where the stage came from. A donor without a mouth stage is
    refused with its file named."""
    from affinekit.errors import AffinekitError
    from affinekit.training.mouth_attach import move_mouth

    donor = _generator_with_mouth(seed=0)
    donor_path = save_generator_only(donor, donor.cfg, tmp_path / "donor.pt", half=True, data={"keys": ["a"]})
    (tmp_path / "donor.json").write_text(json.dumps({"mouth": {"steps": 7}}))
    torch.manual_seed(1)
    other = Generator(donor.cfg)
    other_path = save_generator_only(other, other.cfg, tmp_path / "other.pt", half=True, data={"keys": ["b"]})
    (tmp_path / "other.json").write_text(json.dumps({"exported": {"steps": 3}}))
    plain_path = save_generator_only(other, other.cfg, tmp_path / "plain.pt", half=True, data={"keys": ["b"]})
    move_mouth(other_path, donor_path)
    moved, stored = load_generator(other_path)[0], load_generator(donor_path)[0]
    for (name, a), (_, b) in zip(moved.mouth.state_dict().items(), stored.mouth.state_dict().items()):
        assert torch.equal(a, b), name
    torch.testing.assert_close(moved.decoder.state_dict(), load_generator(plain_path)[0].decoder.state_dict())
    assert not torch.equal(next(moved.decoder.parameters()), next(stored.decoder.parameters()))
    record = json.loads((tmp_path / "other.json").read_text())
    assert record["mouth"] == {"steps": 7, "moved_from": str(donor_path)} and record["exported"] == {"steps": 3}
    assert training_data(other_path) == {"keys": ["b"]}     # its own training items stay
    with pytest.raises(AffinekitError, match="plain.pt: has no mouth stage"):
        move_mouth(donor_path, plain_path)
