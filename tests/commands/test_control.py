"""Control over the expression: mixtures, timing curves, a reference face, layers, and their one-line errors.

A tiny random generator stands in for the bundled model (`--checkpoint`); its prior
field is filled with random values so a mixture's prior is not trivially zero.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from affinekit.cli import main
from affinekit.config import ModelConfig
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.generate.animate import load_pretrained
from affinekit.generate.curves import CURVES, intensity_curve, loops
from affinekit.generate.mixtures import describe, label_tensor, mixture_weights, parse_mix
from affinekit.generate.reference import infer_mixture
from affinekit.models.affine import project_intensity, project_mixture
from affinekit.models.generator import Generator
from affinekit.weights.checkpoint import save_generator_only

MOTION = ModelConfig(image_size=32, channels=3, base_width=8, depth=3)
PIXELS = ModelConfig(image_size=32, channels=1, base_width=8, depth=3, output="pixels")
HAPPY, SURPRISE = EXPRESSIONS.index("happy"), EXPRESSIONS.index("surprise")


def tiny(cfg: ModelConfig, seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    g = Generator(cfg).eval()
    if g.moves:
        with torch.no_grad():
            g.prior.copy_(0.05 * torch.randn_like(g.prior))
    return g


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return save_generator_only(tiny(MOTION), MOTION, tmp_path_factory.mktemp("ckpt") / "tiny.pt")


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    face, blank = folder / "astronaut.jpg", folder / "blank.png"
    Image.fromarray(data.astronaut()).save(face)
    Image.fromarray(np.tile(np.linspace(0, 255, 200, dtype=np.uint8), (200, 1))).save(blank)
    return {"face": face, "blank": blank}


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- mixtures --------------------------------------------------------------------------

def test_parse_mix_reads_names_and_weights():
    assert parse_mix("happy=0.6, surprise=0.4") == {"happy": 0.6, "surprise": 0.4}
    w = mixture_weights(parse_mix("sad=1,happy=0.25"))
    assert w[EXPRESSIONS.index("sadness")] == 1.0 and w[HAPPY] == 0.25 and w.sum() == 1.25
    assert describe(w) == "happy=0.25,sadness=1.00"


@pytest.mark.parametrize("text, words", [
    ("smile=0.5", "unknown expression 'smile'"),
    ("happy=lots", "not a number"),
    ("", "empty mixture"),
    (" , ", "empty mixture"),
    ("happy", "NAME=WEIGHT"),
    ("happy=0.5,happy=0.2", "twice"),
    ("happy=0", "every weight is 0"),
    ("happy=-1", "from 0 to"),
    ("happy=nan", "from 0 to"),
])
def test_bad_mixtures_name_the_option(text, words):
    with pytest.raises(AffinekitError) as err:
        mixture_weights(parse_mix(text, "--mix"), "--mix")
    assert str(err.value).startswith("--mix") and words in str(err.value) and "\n" not in str(err.value)


def test_mixture_weights_refuse_what_is_not_a_number():
    with pytest.raises(AffinekitError, match="must be a number"):
        mixture_weights({"happy": "0.5"})
    with pytest.raises(AffinekitError, match="empty mixture"):
        mixture_weights({})


def test_one_hot_mixture_is_exactly_the_plain_expression():
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    lam = torch.linspace(0, 1.5, 5)
    for cfg in (MOTION, PIXELS):
        g = tiny(cfg)
        x0 = x[:, :cfg.channels]
        plain = g.generate(x0, torch.tensor([HAPPY, SURPRISE]), lam)
        mixed = g.generate(x0, label_tensor([np.eye(7)[HAPPY], np.eye(7)[SURPRISE]]), lam)
        assert torch.equal(plain, mixed), cfg.output


def test_mixture_codes_and_prior_are_the_weighted_sums():
    g = tiny(MOTION)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    weights = torch.zeros(1, 7)
    weights[0, HAPPY], weights[0, SURPRISE] = 0.6, 0.4
    _, mixed = g.encode(x, weights)
    _, happy = g.encode(x, torch.tensor([HAPPY]))
    _, surprise = g.encode(x, torch.tensor([SURPRISE]))
    for m, h, s in zip(mixed, happy, surprise):
        assert torch.allclose(m, 0.6 * h + 0.4 * s, atol=1e-6)
    assert torch.allclose(g.label_prior(weights)[0], 0.6 * g.prior[HAPPY] + 0.4 * g.prior[SURPRISE], atol=1e-7)
    # a blend differs from either end
    clips = g.generate(x.expand(2, -1, -1, -1), torch.cat([weights, torch.eye(7)[[HAPPY]]]), torch.tensor([0.0, 1.0]))
    assert not torch.equal(clips[0, 1], clips[1, 1])


def test_animator_takes_a_mixture_and_one_hot_matches(checkpoint):
    animator = load_pretrained(checkpoint)
    plain = animator.animate(data.astronaut(), "happy", frames=4)
    assert np.array_equal(plain, animator.animate(data.astronaut(), {"happy": 1.0}, frames=4))
    blend = animator.animate(data.astronaut(), {"happy": 0.6, "surprise": 0.4}, frames=4)
    assert blend.shape == plain.shape and not np.array_equal(blend, plain)
    with pytest.raises(AffinekitError, match="unknown expression"):
        animator.animate(data.astronaut(), {"grin": 1.0})


# -- timing curves ---------------------------------------------------------------------

def test_linear_curve_is_the_kit_s_original_clip():
    assert torch.equal(intensity_curve("linear", 16, 1.3), torch.linspace(0, 1.3, 16))


@pytest.mark.parametrize("curve", CURVES)
def test_every_curve_starts_neutral_and_reaches_the_intensity(curve):
    lam = intensity_curve(curve, 17, 1.5)
    assert lam.shape == (17,) and lam[0] == 0 and abs(float(lam.max()) - 1.5) < 1e-6
    assert lam.min() >= 0


def test_there_and_back_loops_without_a_repeated_or_missing_step():
    lam = intensity_curve("there-and-back", 16, 1.0).numpy()
    assert loops("there-and-back") and not loops("linear")
    assert lam[8] == pytest.approx(1.0)                     # the apex in the middle
    assert lam[-1] == pytest.approx(lam[1])                 # last -> first mirrors first -> second
    assert np.allclose(lam[1:], lam[1:][::-1])              # the way back is the way there


def test_ease_and_apex_hold_shapes():
    ease = intensity_curve("ease", 11, 1.0).numpy()
    assert np.all(np.diff(ease) >= 0) and ease[1] < 0.1     # slow start
    hold = intensity_curve("apex-hold", 11, 1.0).numpy()
    assert np.all(hold[6:] == pytest.approx(1.0)) and hold[3] < 1.0


# -- reference face --------------------------------------------------------------------

def test_project_mixture_recovers_a_non_negative_mix():
    torch.manual_seed(1)
    directions = torch.randn(7, 16, 2, 2)
    code_0 = torch.randn(16, 2, 2)
    code_t = code_0 + 0.7 * directions[HAPPY] + 0.3 * directions[SURPRISE]
    c = project_mixture(code_t, code_0, directions)
    assert c[HAPPY] == pytest.approx(0.7, abs=1e-5) and c[SURPRISE] == pytest.approx(0.3, abs=1e-5)
    assert (c >= 0).all() and c.sum() == pytest.approx(1.0, abs=1e-5)
    # one direction: the projection of affine.py
    single = project_mixture(code_t, code_0, directions[HAPPY:HAPPY + 1])[0]
    lam = project_intensity(code_t[None], code_0[None], directions[HAPPY][None])[0]
    assert float(single) == pytest.approx(float(lam), rel=1e-4)


def test_project_mixture_fits_every_level_together_each_weighing_the_same_per_element():
    torch.manual_seed(2)
    sizes = [(8, 8, 8), (16, 2, 2)]                         # a large skip level and a small bottleneck
    directions = [torch.randn(7, *size) for size in sizes]
    code_0 = [torch.randn(*size) for size in sizes]
    code_t = [z + 0.6 * d[HAPPY] + 0.2 * d[SURPRISE] for z, d in zip(code_0, directions)]
    c = project_mixture(code_t, code_0, directions)
    assert c[HAPPY] == pytest.approx(0.6, abs=1e-5) and c[SURPRISE] == pytest.approx(0.2, abs=1e-5)
    # the levels disagree: the skip level (512 values) says happy, the bottleneck (64) says surprise; per
    # element each counts the same, so neither wins outright (unscaled, the skip level gives happy 0.87)
    split = [code_0[0] + directions[0][HAPPY], code_0[1] + directions[1][SURPRISE]]
    both = project_mixture(split, code_0, directions)
    assert 0.2 < float(both[HAPPY]) < 0.8 and 0.2 < float(both[SURPRISE]) < 0.8


def test_infer_mixture_reads_which_expression_at_three_levels_and_how_far_at_the_bottleneck():
    g = tiny(MOTION)

    def fits(seed: int):
        torch.manual_seed(seed)
        x, ref = torch.rand(3, 32, 32) * 2 - 1, torch.rand(3, 32, 32) * 2 - 1
        with torch.no_grad():
            pair = torch.stack([x, ref])
            codes = g.base_encoder(pair)
            _, dirs = g.encode(pair[:1].expand(g.cfg.num_labels, -1, -1, -1), torch.arange(g.cfg.num_labels))
        bottleneck = project_mixture(codes[-1][1], codes[-1][0], dirs[-1])
        three = project_mixture([c[1] for c in codes[-3:]], [c[0] for c in codes[-3:]], dirs[-3:])
        return x, ref, bottleneck, three

    def differ(f) -> bool:      # both fits find an expression, and not the same mixture
        _, _, b, t = f
        return float(b.sum()) > 0 and float(t.sum()) > 0 and float((t / t.sum() - b / b.sum()).abs().max()) > 0.05

    # a random pair of faces often projects onto no direction, or onto one alone at both: take the first that differs
    x, ref, bottleneck, three = next(f for f in map(fits, range(200)) if differ(f))
    inferred = infer_mixture(g, x, ref)
    assert inferred.intensity == pytest.approx(float(bottleneck.sum()), rel=1e-5)
    assert inferred.weights == pytest.approx((three / three.sum()).numpy(), abs=1e-5)
    assert infer_mixture(g, x, ref, levels=1).weights == pytest.approx((bottleneck / bottleneck.sum()).numpy(), abs=1e-5)


def test_infer_mixture_sees_no_expression_in_the_neutral_face_itself():
    g = tiny(MOTION)
    x = torch.rand(3, 32, 32) * 2 - 1
    assert infer_mixture(g, x, x).intensity == pytest.approx(0.0, abs=1e-6)


# -- the command line ------------------------------------------------------------------

@pytest.mark.parametrize("options, words", [
    (["--mix", "grin=1"], "--mix: unknown expression 'grin'"),
    (["--mix", "happy=much"], "--mix: weight 'much'"),
    (["--mix", ""], "--mix: empty mixture"),
    (["--curve", "bounce"], "--curve: unknown timing curve"),
    (["--mix", "happy=1", "--like", "x.jpg"], "--mix and --like"),
    (["--mix", "happy=1", "--expression", "all"], "--mix and --expression both choose"),
    (["--like", "missing.jpg"], "--like"),
])
def test_bad_control_options_get_one_line(options, words, checkpoint, photos, tmp_path, capsys):
    code, out, err = run(["generate", photos["face"], "--checkpoint", checkpoint, "--out", tmp_path / "c.mp4",
                          *options], capsys)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "c.mp4").exists()


def test_like_with_no_face_names_the_option(checkpoint, photos, tmp_path, capsys):
    code, _, err = run(["generate", photos["face"], "--like", photos["blank"], "--checkpoint", checkpoint,
                        "--out", tmp_path / "c.mp4"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--like" in err and "no face" in err


def test_one_clip_options_refuse_a_batch(checkpoint, photos, tmp_path, capsys):
    code, _, err = run(["generate", photos["face"], photos["face"], "--mix", "happy=1", "--out-dir", tmp_path,
                        "--checkpoint", checkpoint], capsys)
    assert code == 2 and "--mix works on one photo" in err


def test_mix_curve_and_layers_from_the_command_line(checkpoint, photos, tmp_path, capsys):
    layers = tmp_path / "layers"
    code, out, _ = run(["generate", photos["face"], "--mix", "happy=0.6,surprise=0.4", "--curve", "there-and-back",
                        "--frames", 6, "--checkpoint", checkpoint, "--out", tmp_path / "c.gif", "--layers", layers],
                       capsys)
    assert code == 0 and "happy=0.6,surprise=0.4" in out and "there-and-back" in out
    info = json.loads((layers / "layers.json").read_text())
    assert info["frames"] == 6 and info["expression"] == "happy=0.60,surprise=0.40"
    assert info["intensities"][0] == 0 and max(info["intensities"]) == pytest.approx(1.0)
    for kind in ("field_{:03d}.npy", "field_{:03d}.png", "mask_{:03d}.png", "residual_{:03d}.png", "frame_{:03d}.png"):
        assert all((layers / kind.format(t)).is_file() for t in range(6)), kind
    assert np.load(layers / "field_000.npy").shape == (2, 32, 32)
    assert not np.load(layers / "field_000.npy").any()            # intensity 0: nothing moves
    assert np.abs(np.load(layers / "field_003.npy")).max() > 0     # the apex moves
    shares = info["synthesised_share"]
    assert shares[0]["of_crop"] == 0 and all(0 <= s["of_crop"] <= 1 and 0 <= s["of_photo"] <= 1 for s in shares)
    assert shares[3]["of_photo"] < shares[3]["of_crop"]             # the crop is a part of the frame
    frame = np.asarray(Image.open(layers / "frame_000.png"))
    assert frame.shape == (512, 512, 3)


def test_like_prints_the_inferred_mixture(checkpoint, photos, tmp_path, capsys):
    smiling = tmp_path / "smiling.png"
    Image.fromarray(load_pretrained(checkpoint).animate(data.astronaut(), "happy", frames=2, intensity=2.0)[-1]).save(smiling)
    code, out, err = run(["generate", photos["face"], "--like", smiling, "--frames", 4, "--checkpoint", checkpoint,
                          "--out", tmp_path / "c.mp4"], capsys)
    if code == 2:       # a random model may see no expression at all: then it says so, on one line
        assert "--like" in err and err.count("\n") == 1
    else:
        assert code == 0 and "inferred" in out and "at intensity" in out


def test_layers_refuse_the_pixel_head(photos, tmp_path, capsys):
    ckpt = save_generator_only(tiny(PIXELS), PIXELS, tmp_path / "pixels.pt")
    code, _, err = run(["generate", photos["face"], "--checkpoint", ckpt, "--frames", 2, "--out", tmp_path / "c.mp4",
                        "--layers", tmp_path / "layers"], capsys)
    assert code == 2 and "--layers" in err and err.count("\n") == 1


# -- the widget ------------------------------------------------------------------------

def test_widget_has_a_slider_per_expression_and_sends_the_mixture(tmp_path):
    pytest.importorskip("ipywidgets")
    from affinekit.show.widgets import GeneratorApp

    calls = []

    class Stub:
        def animate(self, photo, expression, frames=16, intensity=1.0, crop_only=False, closeup=False):
            calls.append(expression)
            return np.zeros((frames, 16, 16, 3), np.uint8)

    app = GeneratorApp(Stub(), {"one": np.full((16, 16, 3), 90, np.uint8)}, out_dir=tmp_path)
    assert set(app.mix) == set(EXPRESSIONS)
    app.n_frames.value = 2
    app.generate()
    assert calls[-1] == "happy"                                   # all sliders at 0: the dropdown's expression
    app.mix["happy"].value, app.mix["surprise"].value = 0.6, 0.4
    app.generate()
    assert calls[-1] == {"happy": 0.6, "surprise": 0.4} and "happy=0.60,surprise=0.40" in app.status.value
    app.scrub(0.5)
    assert calls[-1] == {"happy": 0.6, "surprise": 0.4}


def test_mixture_linearity_is_zero_at_the_ends_and_not_in_between():
    from affinekit.show import look_inside

    g = tiny(MOTION)
    with torch.no_grad():          # a learned field correction (a fresh head's is zero)
        g.decoder.out.weight[:2].normal_(0.0, 0.05)
    crop = (np.random.default_rng(0).random((32, 32, 3)) * 255).astype(np.uint8)
    ends = look_inside.mixture_linearity(g, crop, HAPPY, SURPRISE, shares=[1.0, 0.0])
    assert all(v == 0 for row in ends for k, v in row.items() if k.endswith("_gap"))
    middle = look_inside.mixture_linearity(g, crop, HAPPY, SURPRISE, shares=[0.5])[0]
    assert middle["correction_gap"] > 0 and set(middle) == {"share", "frame_gap", "field_gap", "correction_gap",
                                                             "mask_gap"}
