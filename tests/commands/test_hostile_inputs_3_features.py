"""Bad input, round three (issue 31, classes 3 and 4): the new generate features (`--like`, `--mix`,
`--layers`, `train.init_from`, ICC profiles, batches) and the paired protocol's training overlap.

Each case is one test: a refusal is exit 2 and one line naming the option, with the files on disk
byte for byte as before; a fixed crash now makes its clip. Models are tiny and untrained.
"""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageCms
from test_hostile_inputs import TINY_TRAIN, assert_one_line_error, cli, encoded

from affinekit.config import ModelConfig, MouthConfig
from affinekit.errors import AffinekitError
from affinekit.generate.layers import compose_layers
from affinekit.generate.many_photos import expand_photos
from affinekit.io.image_decoder import decode_image
from affinekit.models.generator import Generator
from affinekit.models.mouth import MouthRefiner
from affinekit.weights.checkpoint import save_generator_only

SMALL_MOUTH = MouthConfig(size=32, width=8, max_width=16, depth=2)


def with_mouth(cfg: ModelConfig, path: Path) -> Path:
    """A seeded generator export of `cfg` with a mouth stage whose weights are drawn wide (it paints)."""
    torch.manual_seed(0)
    generator = Generator(cfg)
    generator.mouth = MouthRefiner(SMALL_MOUTH, cfg.num_labels)
    for p in generator.mouth.parameters():
        p.data.normal_(0, 0.3)
    return save_generator_only(generator, cfg, path)


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    from skimage import data
    folder = tmp_path_factory.mktemp("photos")
    (folder / "colour.png").write_bytes(encoded(data.astronaut(), "PNG"))
    (folder / "grey.png").write_bytes(encoded(Image.fromarray(data.astronaut()).convert("L"), "PNG"))
    return {"colour": folder / "colour.png", "grey": folder / "grey.png"}


@pytest.fixture(scope="module")
def colour_mouth_model(tmp_path_factory) -> Path:
    return with_mouth(ModelConfig(image_size=64, channels=3, base_width=8, depth=3),
                      tmp_path_factory.mktemp("mouth") / "mouth.pt")


# ------------------------------------------------------------------------------------- --like, --mix

@pytest.mark.parametrize("photo, like", [("colour", "grey"), ("grey", "colour")])
def test_like_with_a_grey_and_a_colour_photo_makes_the_clip(photo, like, photos, colour_mouth_model, tmp_path, capsys):
    out = tmp_path / "clip.gif"
    code, printed, err = cli(["generate", photos[photo], "--like", photos[like], "--checkpoint", colour_mouth_model,
                              "--out", out, "--frames", "2"], capsys)
    assert "Traceback" not in err
    if code == 2:           # an untrained model may see no expression at all: that is a clear refusal
        assert_one_line_error(code, err, "--like", "projects onto no expression")
    else:
        assert code == 0 and out.stat().st_size > 0 and "inferred" in printed, err


@pytest.mark.parametrize("mix, intensity, words", [
    ("happy=1.5,surprise=1", "1", ("--mix", "2.5", "passes 2", "face tears")),
    ("happy=1", "2.5", ("intensity must be from 0 to 2",)),
    ("happy=1.2", "1.8", ("--mix", "2.16", "passes 2")),
    ("sad=0.5,sadness=0.5", "1", ("--mix", "'sad' and 'sadness' both name sadness")),
    ("surprised=1,surprise=0.2", "1", ("--mix", "both name surprise")),
])
def test_mix_beyond_the_tearing_total_or_naming_one_expression_twice_is_refused(mix, intensity, words, checkpoint,
                                                                                photos, tmp_path, capsys):
    code, _, err = cli(["generate", photos["colour"], "--checkpoint", checkpoint, "--mix", mix, "--intensity",
                        intensity, "--out", tmp_path / "c.mp4"], capsys)
    assert_one_line_error(code, err, *words)
    assert list(tmp_path.iterdir()) == []


def test_mix_with_expression_is_refused(checkpoint, photos, tmp_path, capsys):
    code, _, err = cli(["generate", photos["colour"], "--checkpoint", checkpoint, "--mix", "happy=1", "--expression",
                        "sadness", "--out", tmp_path / "c.mp4"], capsys)
    assert_one_line_error(code, err, "--mix and --expression")
    assert list(tmp_path.iterdir()) == []


def test_mix_at_the_bound_is_made(checkpoint, photos, tmp_path, capsys):
    code, _, err = cli(["generate", photos["colour"], "--checkpoint", checkpoint, "--mix", "happy=1,surprise=1",
                        "--frames", "2", "--out", tmp_path / "c.gif"], capsys)
    assert code == 0 and (tmp_path / "c.gif").stat().st_size > 0, err


# ------------------------------------------------------------------------------------- --layers

def test_layers_compose_gives_the_frames_mouth_stage_included(colour_mouth_model, photos, tmp_path, capsys):
    layers = tmp_path / "L"
    code, _, err = cli(["generate", photos["colour"], "--checkpoint", colour_mouth_model, "--expression", "surprise",
                        "--intensity", "2", "--frames", "3", "--out", tmp_path / "c.mp4", "--layers", layers], capsys)
    assert code == 0, err
    frames = np.stack([decode_image((layers / f"frame_{t:03d}.png").read_bytes(), "frame") for t in range(3)])
    composed = compose_layers(layers).astype(int)
    assert np.abs(composed - frames).max() <= 2 and np.abs(composed - frames).mean() < 0.05   # 8-bit layers
    info = json.loads((layers / "layers.json").read_text())
    assert info["mouth"]["patch_size"] == SMALL_MOUTH.size and "mouth_luma" in info["compose"]
    info["mouth"] = None        # what the layers said before: the mouth stage left out
    (layers / "layers.json").write_text(json.dumps(info))
    assert np.abs(compose_layers(layers).astype(int) - frames).max() > 8


# ------------------------------------------------------------------------------------- train.init_from

def test_init_from_an_export_with_a_mouth_stage_trains(tmp_path, capsys):
    from helpers import write_prepared
    data = write_prepared(tmp_path / "P", n=3, size=16)
    export = with_mouth(ModelConfig(image_size=16, channels=1, depth=2, base_width=8, max_width=16, disc_width=8),
                        tmp_path / "with_mouth.pt")
    code, _, err = cli(["train", "--data", data, "--out", tmp_path / "run", *TINY_TRAIN, "--set", "train.steps=1",
                        "--set", f"train.init_from={export}"], capsys)
    assert code == 0, err
    assert (tmp_path / "run" / "generator.pt").is_file()


# ------------------------------------------------------------------------------------- ICC profiles

def wide_rgb_profile() -> bytes:
    """A minimal ICC v2 display profile: Adobe RGB (1998)'s primaries (D50-adapted), gamma 2.2."""
    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + struct.pack(">3i", *(round(v * 65536) for v in (x, y, z)))
    desc_text = b"wide test RGB\0"
    tags = {b"desc": b"desc\0\0\0\0" + struct.pack(">I", len(desc_text)) + desc_text + b"\0" * 79,
            b"wtpt": xyz(0.9642, 1.0, 0.8249), b"rXYZ": xyz(0.6097, 0.3111, 0.0195),
            b"gXYZ": xyz(0.2053, 0.6257, 0.0609), b"bXYZ": xyz(0.1492, 0.0632, 0.7446),
            b"rTRC": b"curv\0\0\0\0" + struct.pack(">IH", 1, 563) + b"\0\0"}
    tags[b"gTRC"] = tags[b"bTRC"] = tags[b"rTRC"]
    table, body, offset = b"", b"", 128 + 4 + 12 * len(tags)
    for sig, data in tags.items():
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    size = offset + len(body)
    header = struct.pack(">I4sI4s4s4s", size, b"\0" * 4, 0x02100000, b"mntr", b"RGB ", b"XYZ ") + b"\0" * 12
    header += b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + struct.pack(">3i", 63190, 65536, 54061)
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body


def chroma(image: np.ndarray) -> float:
    return float((image.max(-1).astype(int) - image.min(-1)).mean())


def test_a_wide_gamut_photo_is_converted_to_srgb_not_desaturated(tmp_path):
    pixels = np.zeros((32, 32, 3), np.uint8)
    pixels[:16] = (70, 160, 70)
    pixels[16:] = (170, 80, 60)
    wide = encoded(pixels, "PNG", icc_profile=wide_rgb_profile())
    srgb = encoded(pixels, "PNG", icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    assert np.array_equal(decode_image(srgb, "srgb.png"), pixels)         # sRGB is left as it is
    converted = decode_image(wide, "wide.png")
    assert chroma(converted) > chroma(pixels) + 10                          # the wide colours are kept wide
    assert np.array_equal(decode_image(encoded(pixels, "JPEG", quality=100, icc_profile=wide_rgb_profile()),
                                       "wide.jpg").argmax(-1), converted.argmax(-1))


def test_a_damaged_colour_profile_is_one_line(tmp_path, capsys):
    path = tmp_path / "bad.png"
    path.write_bytes(encoded(np.full((32, 32, 3), 90, np.uint8), "PNG", icc_profile=b"not a profile at all"))
    with pytest.raises(AffinekitError, match="bad.png: its embedded colour profile"):
        decode_image(path.read_bytes(), str(path))


# ------------------------------------------------------------------------------------- batches

def test_batches_say_what_they_skip_and_make_one_clip_per_file(photos, tmp_path):
    (tmp_path / "in" / "deep" / "deeper").mkdir(parents=True)
    for name in ("in/a.png", "in/deep/b.png", "in/deep/deeper/c.png"):
        (tmp_path / name).write_bytes(photos["colour"].read_bytes())
    (tmp_path / "in" / "notes.txt").write_text("not a photo\n")
    os.symlink(tmp_path / "in" / "a.png", tmp_path / "in" / "link.png")
    notes: list[str] = []
    found = expand_photos([str(tmp_path / "in" / "*"), str(tmp_path / "in" / "." / "a.png"),
                           str(tmp_path / "in" / "**" / "*.png")], log=notes.append)
    assert sorted(p.name for p in found) == ["a.png", "b.png", "c.png"]
    assert any("skipped 1 folder(s) (deep)" in n for n in notes) and any("notes.txt" in n for n in notes)
    # link.png (in the first glob), ./a.png, then a.png and link.png again in the ** glob
    assert sum("the same file as" in n for n in notes) == 4


def test_a_batch_with_one_photo_twice_makes_one_clip_and_says_so(checkpoint, photos, tmp_path, capsys):
    code, out, err = cli(["generate", photos["colour"], str(photos["colour"].parent / "." / "colour.png"),
                          "--checkpoint", checkpoint, "--out-dir", tmp_path / "clips", "--frames", "2"], capsys)
    assert code == 0, err
    assert [p.name for p in (tmp_path / "clips").iterdir()] == ["colour_happy.mp4"]
    assert "the same file as" in err and "1 clip(s) written" in out
