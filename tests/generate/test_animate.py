"""Photo -> clip: reading photos, finding the face, applying the motion to the photo.

A tiny randomly initialised Generator stands in for the bundled model, so these
tests exercise the whole pipeline without it. Generators whose field, mask and
residual are set by hand (a known shift, an open mask of known grey) check that
the crop's motion lands on the right photo pixels and that colour survives.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from helpers import known_motion
from skimage import data

from affinekit.config import ModelConfig
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.generate.animate import Animator, load_pretrained
from affinekit.generate.layout import face_region, grid
from affinekit.generate.paste import face_mask
from affinekit.io.photos import even_size, read_photo
from affinekit.models.generator import Generator

TINY = ModelConfig(image_size=64, channels=1, base_width=8, depth=3)


def tiny_generator(cfg: ModelConfig = TINY, seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    return Generator(cfg)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="module")
def animator() -> Animator:
    return Animator(tiny_generator())


def luma(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32)


# --------------------------------------------------------------------------- clips

def test_animate_returns_frames_at_photo_size(animator, astronaut):
    frames = animator.animate(astronaut, "happy", frames=16)
    assert frames.shape == (16, 512, 512, 3) and frames.dtype == np.uint8
    # frame 0 is intensity 0: the generated change is zero there, so it is the photo itself
    assert np.array_equal(frames[0], astronaut)
    # far from the face (bottom-left corner, the suit) nothing moves
    assert np.array_equal(frames[:, 400:, :120], np.repeat(astronaut[None, 400:, :120], 16, 0))
    # ...but inside the face the random generator does change something
    assert np.abs(frames[-1, 100:160, 190:260].astype(int) - astronaut[100:160, 190:260]).mean() > 0.05


def test_frames_and_intensity_options(animator, astronaut):
    assert animator.animate(astronaut, "surprise", frames=3).shape[0] == 3
    still = animator.animate(astronaut, "surprise", frames=4, intensity=0.0)
    assert all(np.array_equal(f, astronaut) for f in still)
    for bad in (0, -2, 2.5):
        with pytest.raises(AffinekitError, match="frames"):
            animator.animate(astronaut, "happy", frames=bad)


@pytest.mark.parametrize("cfg", [TINY, ModelConfig(image_size=32, channels=3, base_width=8, depth=3),
                                 ModelConfig(image_size=32, channels=1, base_width=8, depth=3, output="pixels")])
def test_crop_only_is_a_close_up_in_the_photos_colour(astronaut, cfg):
    frames = Animator(tiny_generator(cfg)).animate(astronaut, "anger", frames=5, crop_only=True)
    assert frames.shape == (5, 256, 256, 3)
    if cfg.output == "motion":   # the motion head warps the colour close-up itself
        assert np.abs(frames[..., 0].astype(int) - frames[..., 2]).mean() > 5


def test_same_result_from_path_array_and_pil(animator, astronaut, tmp_path):
    from PIL import Image

    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    a = animator.animate(astronaut, "happy", frames=4)
    assert np.array_equal(animator.animate(str(path), "happy", frames=4), a)
    assert np.array_equal(animator.animate(Image.open(path), "happy", frames=4), a)


def test_exif_orientation_is_applied(animator, astronaut, tmp_path):
    from PIL import Image

    upright = np.ascontiguousarray(astronaut[:, 40:440])  # 512 x 400
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(upright)))  # as a phone stores it, on its side
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    stored.save(tmp_path / "phone.png", exif=exif)
    frames = animator.animate(tmp_path / "phone.png", "happy", frames=2)
    assert frames.shape == (2, 512, 400, 3) and np.array_equal(frames[0], upright)


def test_timings_name_the_stages_of_the_last_clip(animator, astronaut):
    animator.animate(astronaut, "happy", frames=4)
    assert set(animator.timings) == {"read", "detect", "align", "generate"}
    animator.animate_all(astronaut, frames=2)
    assert set(animator.timings) == {"read", "detect", "align", "generate", "layout"}


# --------------------------------------------------------------------------- motion on the photo

def test_a_known_field_moves_the_photo_through_the_inverse_alignment(astronaut):
    """A uniform crop-space shift d moves the face by A^-1 d in photo pixels (A: the alignment's scale
    and rotation), sampled from the full-resolution photo."""
    shift = (0.1, -0.05)                                  # normalised units: 3.2 and -1.6 pixels of a 64 px crop
    anim = Animator(known_motion(shift))
    aligned = anim.align(astronaut)
    frames = anim.animate(astronaut, "happy", frames=2)
    assert np.array_equal(frames[0], astronaut)           # l = 0: the photo itself
    d_crop = np.array(shift) * 64 / 2
    d_photo = np.linalg.solve(aligned.M[:, :2].astype(np.float64), d_crop)
    assert np.hypot(*d_photo) > 8                         # the astronaut's face is ~3x the crop: a visible move
    ys, xs = np.mgrid[0:512, 0:512].astype(np.float32)
    # the photo is sampled bicubically (generate/inference.py), as cv2's INTER_CUBIC does
    expected = cv2.remap(astronaut, xs + np.float32(d_photo[0]), ys + np.float32(d_photo[1]), cv2.INTER_CUBIC)
    nose = aligned.photo_landmarks()[30].round().astype(int)
    box = (slice(nose[1] - 30, nose[1] + 30), slice(nose[0] - 30, nose[0] + 30))   # inside the border window
    err = np.abs(frames[1][box].astype(float) - expected[box]).mean()
    wrong = np.abs(frames[1][box].astype(float) - cv2.remap(astronaut, xs - np.float32(d_photo[0]),
                                                            ys - np.float32(d_photo[1]), cv2.INTER_CUBIC)[box]).mean()
    assert err < 1.0 and wrong > 5 * err + 3, (err, wrong)
    # far from the face nothing moves
    assert np.array_equal(frames[1][400:, :120], astronaut[400:, :120])


def test_gray_model_keeps_the_colour_of_a_colour_photo(astronaut):
    """Where a gray model's mask opens, luma becomes the residual and the photo's chroma stays."""
    anim = Animator(known_motion(mask=1.0, grey=0.2))     # residual 0.2 in [-1, 1] = 153 grey levels
    aligned = anim.align(astronaut)
    frames = anim.animate(astronaut, "surprise", frames=2)
    before = cv2.cvtColor(astronaut, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    after = cv2.cvtColor(frames[-1], cv2.COLOR_RGB2YCrCb).astype(np.float32)
    nose = aligned.photo_landmarks()[30].round().astype(int)
    box = (slice(nose[1] - 25, nose[1] + 25), slice(nose[0] - 25, nose[0] + 25))
    unclipped = np.all((frames[-1][box] > 2) & (frames[-1][box] < 253), -1)
    assert unclipped.mean() > 0.8
    assert abs(after[box][..., 0][unclipped].mean() - 153.0) < 1.5
    assert np.abs(after[box][..., 1:] - before[box][..., 1:])[unclipped].max() <= 2.0
    assert not np.array_equal(frames[-1][..., 0], frames[-1][..., 1])  # still a colour picture


def test_face_mask_is_soft_and_inside_the_crop():
    pts = np.array([[0.2 + 0.6 * (i % 17) / 16, 0.3 + 0.6 * (i // 17) / 3] for i in range(68)], np.float32) * 64
    mask = face_mask(pts, 64)
    assert mask.shape == (64, 64) and mask.dtype == np.float32
    assert mask.max() == pytest.approx(1.0, abs=1e-3) and mask.min() >= 0
    assert np.all(mask[0] == 0) and np.all(mask[:, -1] == 0)  # the crop's border never shows
    soft = ((mask > 0.05) & (mask < 0.95)).sum()
    assert soft > 0.1 * (mask > 0.95).sum()  # a feathered edge, not a hard step


def test_gray_photo_stays_gray(animator, astronaut):
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    frames = animator.animate(gray, "sadness", frames=4)
    assert frames.shape == (4, 512, 512, 3)
    assert np.array_equal(frames[..., 0], frames[..., 1]) and np.array_equal(frames[..., 1], frames[..., 2])
    assert np.array_equal(frames[0, ..., 0], gray)
    # a gray picture stored as RGB is treated as gray too, even by a colour model
    rgb_gray = np.repeat(gray[..., None], 3, -1)
    colour = Animator(tiny_generator(ModelConfig(image_size=32, channels=3, base_width=8, depth=3)))
    out = colour.animate(rgb_gray, "happy", frames=3)
    assert np.array_equal(out[..., 0], out[..., 2])


def test_the_papers_pixel_head_is_blended_into_the_photo(astronaut):
    gen = tiny_generator(ModelConfig(image_size=64, channels=1, base_width=8, depth=3, output="pixels"))
    frames = Animator(gen).animate(astronaut, "fear", frames=3)
    assert frames.shape == (3, 512, 512, 3)
    assert np.array_equal(frames[-1][400:, :120], astronaut[400:, :120])     # outside the face mask
    assert not np.array_equal(frames[-1][..., 0], frames[-1][..., 1])         # still colour


# --------------------------------------------------------------------------- photo sizes

def test_large_photo_is_capped_at_1024(animator, astronaut):
    big = cv2.resize(astronaut, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)  # 1024 x 1024
    assert animator.animate(big, "happy", frames=2).shape == (2, 1024, 1024, 3)
    bigger = cv2.resize(astronaut, (1500, 1200), interpolation=cv2.INTER_CUBIC)
    out = animator.animate(bigger, "happy", frames=2)
    assert out.shape == (2, 818, 1024, 3)  # 1200 * 1024 / 1500 = 819.2 -> 818 (even)


def test_odd_sizes_become_even(animator, astronaut):
    odd = astronaut[5:480, 20:503]  # 475 x 483
    out = animator.animate(odd, "happy", frames=2)
    assert out.shape == (2, 474, 482, 3) and np.array_equal(out[0], odd[:474, :482])
    assert even_size(475, 483) == (474, 482) and even_size(3000, 1001) == (1024, 340)


def test_face_at_the_photo_edge(animator, astronaut):
    edge = np.ascontiguousarray(astronaut[60:, 175:])  # the crop's footprint runs off the top-left
    from affinekit.generate.paste import photo_roi
    aligned = animator.align(edge)
    assert photo_roi(aligned.M, 64, (10 ** 4, 10 ** 4), pad=0)[:2] == (0, 0)
    out = animator.animate(edge, "disgust", frames=3)
    assert out.shape == (3, 452, 336, 3) and np.array_equal(out[0], edge[:452, :336])


def test_closeup_sits_beside_the_full_frame(animator, astronaut):
    clip = animator.animate(astronaut, "happy", frames=2, closeup=True)
    assert clip.shape == (2, 512, 1024, 3)
    assert np.array_equal(clip[0, :, :512], astronaut)
    aligned = animator.align(astronaut)
    x0, y0, x1, y1 = face_region(aligned.M, 64, (512, 512))
    expected = cv2.resize(astronaut[y0:y1, x0:x1], (512, 512), interpolation=cv2.INTER_LINEAR)
    assert np.abs(clip[0, :, 512:].astype(int) - expected).mean() < 1.0


def test_small_photo(animator, astronaut):
    small = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)  # the face is ~45 px wide
    out = animator.animate(small, "happy", frames=2)
    assert out.shape == (2, 256, 256, 3) and np.array_equal(out[0], small)


# --------------------------------------------------------------------------- the grid

def test_animate_all_is_a_grid_of_seven_close_ups_and_the_full_frame(animator, astronaut):
    frames = animator.animate_all(astronaut, frames=3)
    t, gh, gw, _ = frames.shape
    assert t == 3 and gh % 2 == 0 and gw % 2 == 0 and max(gh, gw) <= 1024
    rows, cols = 2, 4
    cell_h, cell_w = gh // rows, gw // cols
    cells = [frames[:, r * cell_h:(r + 1) * cell_h, c * cell_w:(c + 1) * cell_w]
             for r in range(rows) for c in range(cols)]
    filled = [c for c in cells if c.max() > 0]
    assert len(filled) == 8
    for cell in filled:  # a label strip with text (white pixels) on top of each panel
        assert (cell[0, : cell_h // 8] > 200).any()
    # the full frame, shrunk: the astronaut's face is smaller in it than in the close-ups
    whole = cv2.resize(astronaut, (cells[7].shape[2], cells[7].shape[2]), interpolation=cv2.INTER_AREA)
    strip = cell_h - cells[7].shape[2]
    assert np.abs(cells[7][0, strip:].astype(int) - whole[:cell_h - strip]).mean() < 12
    last = [c[-1].astype(int) for c in filled[:7]]
    assert sum(np.abs(last[i] - last[j]).mean() > 0 for i in range(7) for j in range(i + 1, 7)) >= 20


def test_grid_framing_face_or_full(animator, astronaut):
    full = animator.animate_all(astronaut, frames=2, framing="full")
    assert full.shape[1:3] == (574, 1024)  # 4 x 2 panels of 256 px, each under a 31 px label strip
    face = animator.animate_all(astronaut, frames=2, framing="face")
    aligned = animator.align(astronaut)
    x0, y0, x1, y1 = face_region(aligned.M, 64, (512, 512))
    assert x1 - x0 == y1 - y0 and 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512
    nose = cv2.invertAffineTransform(aligned.M) @ np.append(aligned.landmarks[30], 1.0)
    assert x0 < nose[0] < x1 and y0 < nose[1] < y1
    assert face.shape[2] == 4 * (x1 - x0)  # face panels at full resolution, not shrunk
    # the first panel (anger, frame 0) is that region of the photo
    strip = face.shape[1] // 2 - (y1 - y0)
    assert np.array_equal(face[0, strip:strip + y1 - y0, : x1 - x0], astronaut[y0:y1, x0:x1])
    with pytest.raises(AffinekitError, match="framing"):
        animator.animate_all(astronaut, framing="wide")


def test_grid_helper_layout():
    videos = [np.full((2, 40, 60, 3), 10 * (i + 1), np.uint8) for i in range(3)]
    out = grid(videos, ["a", "b", "c"], columns=2, max_side=1024)
    assert out.shape[0] == 2 and out.shape[2] == 120  # 2 columns of 60 px


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("name", ["camera", "chelsea", "coffee", "blank"])
def test_no_face_is_one_clear_line(animator, name):
    image = np.full((300, 400, 3), 128, np.uint8) if name == "blank" else getattr(data, name)()
    with pytest.raises(AffinekitError) as err:
        animator.animate(image, "happy", name=f"{name}.png")
    msg = str(err.value)
    assert "\n" not in msg and f"{name}.png" in msg and "no face" in msg


def test_missing_and_non_image_files(animator, tmp_path):
    with pytest.raises(AffinekitError, match="no such file") as err:
        animator.animate(tmp_path / "nope.jpg", "happy")
    assert "nope.jpg" in str(err.value)
    fake = tmp_path / "notes.jpg"
    fake.write_text("this is not a picture\n")
    with pytest.raises(AffinekitError, match="not an image") as err:
        animator.animate(fake, "happy")
    assert "notes.jpg" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(AffinekitError, match="folder"):
        read_photo(tmp_path)
    with pytest.raises(AffinekitError, match="shape"):
        read_photo(np.zeros((20, 20, 5), np.uint8))


def test_unknown_expression_lists_the_valid_names(animator, astronaut):
    with pytest.raises(AffinekitError) as err:
        animator.animate(astronaut, "smug")
    msg = str(err.value)
    assert "smug" in msg and all(e in msg for e in EXPRESSIONS)
    # aliases and indices work
    assert animator.animate(astronaut, "Happiness", frames=2).shape[0] == 2
    assert animator.animate(astronaut, 4, frames=2).shape[0] == 2


def test_load_pretrained_without_bundled_model_is_one_line(monkeypatch, tmp_path):
    import affinekit
    import affinekit.generate.animate as animate

    monkeypatch.setattr(animate, "DEFAULT_WEIGHTS", tmp_path / "affinekit_default.pt")
    with pytest.raises(AffinekitError) as err:
        affinekit.load_pretrained()
    msg = str(err.value)
    assert "\n" not in msg and "affinekit_default.pt" in msg and "bundled model" in msg and "--checkpoint" in msg


def test_load_pretrained_from_a_checkpoint(tmp_path, astronaut):
    from affinekit.weights.checkpoint import save_generator_only

    gen = tiny_generator()
    path = save_generator_only(gen, TINY, tmp_path / "tiny.pt")
    anim = load_pretrained(path)
    assert anim.image_size == 64 and anim.channels == 1
    a = anim.animate(astronaut, "happy", frames=3)
    b = Animator(gen).animate(astronaut, "happy", frames=3)
    assert np.array_equal(a, b)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(AffinekitError, match="junk.pt"):
        load_pretrained(junk)


def test_a_face_cut_off_at_the_top_is_not_animated(animator, astronaut):
    """dlib's HOG detector fires weakly on the suit below; that is not a face to animate."""
    with pytest.raises(AffinekitError, match="no face found"):
        animator.animate(np.ascontiguousarray(astronaut[150:]), "happy", frames=2)


def test_a_region_is_the_same_pixels_as_the_full_frame_and_long_clips_go_in_chunks(astronaut):
    import affinekit.generate.inference as inference
    from affinekit.generate.render import render_clips

    anim = Animator(known_motion((0.08, 0.03), mask=None))
    aligned = anim.align(astronaut)
    box = face_region(aligned.M, 64, astronaut.shape[:2])
    lam = torch.linspace(0, 1, inference.CHUNK + 5)            # more frames than one chunk
    full = render_clips(anim.generator, aligned, [4], lam)
    part = render_clips(anim.generator, aligned, [4], lam, region=box)
    x0, y0, x1, y1 = box
    assert part.shape == (1, len(lam), y1 - y0, x1 - x0, 3)
    assert np.array_equal(part, full[:, :, y0:y1, x0:x1])
    assert not np.array_equal(full[0, -1], full[0, 0])          # the face did move
