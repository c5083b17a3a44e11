# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python (affinekit)
#     language: python
#     name: affinekit
# ---

# %% [markdown]
# # 5. One photo in, a video out: play with the model
#
# `affinekit.load_pretrained()` returns an `Animator`, which takes any face
# photo through five stages:
#
# 1. **read** the photo (a path, an array or a PIL image);
# 2. **detect** the face and its 68 landmarks (notebook 02);
# 3. **align** it: the similarity transform to the model's square crop;
# 4. **generate** every frame in one batched pass, at intensities evenly
#    spaced from 0 (the photo) to the chosen intensity (1 = apex; above 1 the
#    model extrapolates along the same hidden affine direction): the motion
#    head's field, mask and residual, computed on the crop, are carried
#    through the inverse alignment and applied to the full-resolution photo,
#    so the clip keeps the photo's size, colour and detail;
# 5. **encode** the clip (mp4 or gif).
#
# What you see is the network's output: `affinekit.generate.inference` is the one
# path that `generate`, this notebook, the app and evaluation all use.
#
# First the same thing from code, then an app (ipywidgets): pick a sample or
# upload a photo, choose the expression, the number of frames, the
# intensity and the frame rate; **Generate** plays the clip inline; save it
# as mp4 or gif; the **scrub** slider shows a single frame at any intensity.

# %% tags=["parameters"]
CHECKPOINT = ""        # a checkpoint from `affinekit train`; empty: the bundled model
PHOTO = ""             # a face photo to add to the samples
EXPRESSION = "happy"
FRAMES = 16
INTENSITY = 1.0        # 1 is the apex, above 1 extrapolates (the app slider goes to 2)
FPS = 8
LEVELS = 7             # intensities per row of the close-up grid, 0 to 1.5
BLENDS = 5             # shares per row of the two-expression blends
OUT_DIR = ""           # where clips are saved (empty: out/clips in the repository)
FIGURES_DIR = ""
RESULTS_JSON = ""

# %%
from pathlib import Path

import numpy as np
from IPython.display import HTML, display

from affinekit.show import plots
from affinekit.expressions import EXPRESSIONS
from affinekit.notebook.inputs import load_animator, model_checkpoint, sample_photos
from affinekit.notebook.setup import setup
from affinekit.io.video import read_frames
from affinekit.show.widgets import GeneratorApp, clip_html

# where figures and recorded values go
nb = setup(globals(), read_data=False)     # the photos below, no data set
out_dir = nb.folder(OUT_DIR, "out", "clips")
out_dir.mkdir(parents=True, exist_ok=True)
animator, model_name = load_animator(CHECKPOINT)
nb.uses_weights(model_checkpoint(CHECKPOINT)[0], notebook="05")   # each figure below records these weights' hash
samples = sample_photos()
if PHOTO:
    samples[Path(PHOTO).stem] = PHOTO
name, photo = next(iter(samples.items()))
print(f"model: {model_name} ({animator}); samples: {list(samples)}")

# %% [markdown]
# ## From code
#
# `align` reads the photo, finds the face and cuts the network's crop, once: every clip and
# picture below starts from that `AlignedFace`. `animate` returns the frames, `(T, H, W, 3)`
# uint8; `save` writes mp4 or gif. `clip_html` is what the app uses to play a clip inline: an HTML5
# `<video>` holding the mp4 itself (base64), looping and muted so browsers
# let it autoplay.

# %%
face = animator.align(photo)
frames = animator.animate(face, EXPRESSION, frames=FRAMES, intensity=INTENSITY)
video_path = animator.save(frames, out_dir / f"{EXPRESSION}.mp4", fps=FPS)
print(f"{frames.shape[0]} frames of {frames.shape[2]}x{frames.shape[1]}, saved to {video_path}; "
      f"stage times (s): { {k: round(v, 3) for k, v in animator.timings.items()} }")
player, video_format = clip_html(frames, FPS, width=320)
display(HTML(player))

# %% [markdown]
# ## Every expression, neutral to apex and beyond
#
# The bundled model on ten open faces, last frames (`figures/generated_expressions_wild.png`,
# made by `python benchmarks/wild_faces.py`). Seven of them are first frames of open clips whose
# mouths the bank holds; each is made without its own clip's mouths, as a user's photo would be:
#
# ![every expression on faces in the wild](../figures/generated_expressions_wild.png)
#
# Aligned close-ups of the face (`crop_only=True`), in the photo's own
# colour, one row per expression, intensity from 0 to 1.5: columns past 1
# extrapolate. One `render` call, one pass through the network for the seven.

# %%
rows = list(animator.render(face, list(range(len(EXPRESSIONS))), LEVELS, 1.5, view="closeup"))
fig = plots.frame_grid(rows, row_labels=list(EXPRESSIONS),
                       col_labels=[f"l={v:.2f}" for v in np.linspace(0, 1.5, LEVELS)],
                       title=f"{name}: {model_name}")
nb.save(fig, "generated_expressions.png", faces=True)
display(fig)

# %% [markdown]
# The committed figure, from the neutral demo photo, is this cell's output with the default
# parameters and the bundled model (`affinekit figures --only 05` re-makes it; `figures/made_with.json`
# names the weights it was made with):
#
# ![every expression from one photo](../figures/generated_expressions_demo.png)

# %% [markdown]
# ## Generated against real, on open faces
#
# FRLL photographs each person neutral and smiling, so a smile can be set against the real one.
# Three FRLL people the bundled model never saw (`figures/frll_happy_real_generated.png`): the
# neutral photo, the real smile, the model's happy at `l` = 1 and |generated - real|, whose mean
# is printed beside the neutral photo's own distance from the real smile. The generated smile
# parts the lips on teeth copied from a real smile of another person (the mouth stage) and is
# fuller than these people's own, so it comes a little closer to the real smile than the unchanged
# photo for one of them and stays a little further for the other two (notebook 04's paired
# evaluation measures this on every validation person).
#
# ![real smile, generated smile and their difference](../figures/frll_happy_real_generated.png)
#
# One of them through every expression the model knows (anger, contempt, disgust, fear, happy,
# sadness, surprise; `crop_only` close-ups, 12 frames there and back):
#
# <img src="../figures/gifs/frll007_anger.gif" width="96" alt="anger" title="anger"> <img src="../figures/gifs/frll007_contempt.gif" width="96" alt="contempt" title="contempt"> <img src="../figures/gifs/frll007_disgust.gif" width="96" alt="disgust" title="disgust"> <img src="../figures/gifs/frll007_fear.gif" width="96" alt="fear" title="fear"> <img src="../figures/gifs/frll007_happy.gif" width="96" alt="happy" title="happy"> <img src="../figures/gifs/frll007_sadness.gif" width="96" alt="sadness" title="sadness"> <img src="../figures/gifs/frll007_surprise.gif" width="96" alt="surprise" title="surprise">
#
# Faces: Face Research Lab London Set (DeBruine & Jones 2017, CC BY 4.0). `python
# scripts/frll_showcase.py` remakes both.

# %% [markdown]
# ## Look inside the generator
#
# The clip above is the end of a chain. Here is the chain itself, for the face
# above. Every number comes from the network as it is.
#
# **Shapes.** Two encoders of one U-Net shape read the 64 px crop. At each
# level the decoder receives `base + l * direction`: the table gives each
# level's code shape (channels, height, width). The motion head's last layer
# turns the decoded maps into a field (2 channels), a mask (1) and a residual
# (1 for a gray model).

# %%
import json

from IPython.display import Markdown

from affinekit.show import look_inside

aligned = face
generator = animator.generator
label = EXPRESSIONS.index(EXPRESSION)
levels = look_inside.level_table(generator)
levels_markdown = look_inside.shapes_markdown(generator)       # measured by running the two encoders
nb.save_text("generator_shapes_05.md", levels_markdown)
display(Markdown(levels_markdown))

# %% [markdown]
# For the bundled model (`figures/generator_shapes_05.md`, written by the cell above):
#
# <!-- figures/generator_shapes_05.md -->
# | level | E_b(x0) | E_d(x0, y) | decoder receives |
# |---|---|---|---|
# | input | x0 (3, 64, 64) | x0 and 7 label planes (10, 64, 64) | |
# | skip 0 | (32, 64, 64) | (32, 64, 64) | E_b + l * E_d |
# | skip 1 | (64, 32, 32) | (64, 32, 32) | E_b + l * E_d |
# | skip 2 | (128, 16, 16) | (128, 16, 16) | E_b + l * E_d |
# | skip 3 | (256, 8, 8) | (256, 8, 8) | E_b + l * E_d |
# | bottleneck | (256, 4, 4) | (256, 4, 4) | E_b + l * E_d |
# | output | | | field 2 + mask 1 + residual 3 maps, then (1 - A) warp(x0, F) + A R, at 64 px |
# <!-- end figures/generator_shapes_05.md -->

# %% [markdown]
# **The label** enters only the direction encoder, as seven constant planes
# stacked beside the face: the plane of the requested expression is all ones,
# the others all zeros.

# %%
planes = look_inside.planes_for_label(label, size=8)
fig = plots.frame_grid([[np.repeat((p * 255).astype(np.uint8)[..., None], 3, -1) for p in planes]],
                       row_labels=[EXPRESSION], col_labels=[e[:4] for e in EXPRESSIONS],
                       title="label planes fed to the direction encoder (white = 1)")
display(fig)

# %% [markdown]
# **Direction codes.** How hard each expression pushes the codes, and where:
# the norm over channels of the direction code at every position of every
# level (one row per expression), on one colour scale for every panel, so rows
# and levels compare. Then how alike the expressions' directions are at the
# bottleneck (cosine similarity, 1 on the diagonal).

# %%
norms = look_inside.direction_norms(generator, aligned.crop)
fig = look_inside.plot_direction_norms(norms)
nb.save(fig, "direction_norms.png", faces=True)
display(fig)
similarity = look_inside.direction_similarity(generator, aligned.crop)
fig = look_inside.plot_similarity(similarity)
nb.save(fig, "direction_similarity.png")
display(fig)
nb.save_text("direction_similarity.json", json.dumps(look_inside.direction_record(norms, similarity, name), indent=1))

# %% [markdown]
# The committed figures (the bundled model, the neutral demo photo,
# `figures/direction_similarity.json`). The norms grow with depth down to level 3
# (up to 28 at level 3 against 9 at level 0), then fall at the bottleneck (level 4, up to 22),
# and the brightest cells of several
# panels lie on the crop's border, where padding, not the face, shapes the code:
# read the face's interior. The similarities run from -0.01
# (contempt and surprise) to 0.70 (contempt and happy), nearly all positive: the directions share a
# large common part. Fear and surprise, which move the face alike, sit at 0.33,
# and happy and sadness, which move the mouth opposite ways, at 0.37, so at
# the bottleneck the cosine does not tell alike expressions from opposite ones.
#
# ![direction norms per level](../figures/direction_norms_demo.png) ![similarity of the directions](../figures/direction_similarity.png)

# %% [markdown]
# **The raw output.** Before anything is composed, the motion head gives a
# field (arrows: where each pixel of the frame comes from, in crop pixels), a
# mask (where the residual replaces the warp) and the residual itself. Move the
# slider to change the intensity; at 0 the field and mask are exactly zero.
#
# **Linearity.** The codes move on a straight line in `l`; the decoder and the
# warp are not linear, so the frame at 0.5 need not be the average of the
# frames at 0 and 1. The ratio below compares that gap with the whole change.

# %%
import ipywidgets as widgets

raw = look_inside.raw_output(generator, aligned.crop, label, INTENSITY)
fig = look_inside.plot_raw_output(raw, aligned.crop, title=f"{EXPRESSION} at intensity {INTENSITY}")
nb.save(fig, "raw_output.png", faces=True)
display(fig)


def show_raw(intensity: float = INTENSITY) -> None:
    display(look_inside.plot_raw_output(look_inside.raw_output(generator, aligned.crop, label, intensity),
                                        aligned.crop, title=f"{EXPRESSION} at intensity {intensity:.2f}"))


slider = widgets.interactive(show_raw, intensity=widgets.FloatSlider(value=INTENSITY, min=0.0, max=2.0, step=0.1))
display(slider)
linear = look_inside.linearity(generator, aligned.crop, label)
print(f"G(0.5) vs the midpoint of G(0) and G(1): {linear['midpoint_gap']:.4f}; whole change G(0) -> G(1): "
      f"{linear['change_0_to_1']:.4f}; ratio {linear['ratio']:.2f}")

# %% [markdown]
# The committed figure is this cell's output with the default parameters and the bundled model
# (`affinekit figures --only 05`; `tests/notebook/test_figure_weights.py` fails when the weights
# it names are not the bundled ones):
#
# ![the motion head's raw field, mask and residual](../figures/raw_output_demo.png)

# %% [markdown]
# ### The prior, and what training learned on top of it
#
# The field above is the sum of two parts, $F = l \cdot F_y + (\text{learned correction})$.
# $F_y$ is the label's motion prior, fitted once from landmarks before training and kept in
# the model as a buffer (`generator.prior`): the same field for every face. The correction is
# what the network learned, and the only part that depends on the face. Below, for two FRLL
# people the model never saw and three expressions: the neutral close-up, the frame the prior
# alone makes at `l` = 1 (the face warped by $l \cdot F_y$; correction, mask and residual
# switched off, which is what an untrained generator with the same prior gives), the model's own
# frame at `l` = 1, and the two parts of its field as lengths in pixels of the model's 64 px crop,
# on one colour scale (a square-root scale, so the small motions show), with arrows where the
# face moves at least half a pixel (the way it moves; their length is fixed, the colour gives it).

# %%
import json

from affinekit.notebook.inputs import DEMO_FRLL
from affinekit.show import prior_fields

PRIOR_EXPRESSIONS = ["happy", "surprise", "anger"]
frll_people = sorted((DEMO_FRLL / "neutral_front").glob("*.jpg"))[:2]     # 007 and 012, never trained on
prior_rows = [(animator.align(person), person.stem[:3], expression)
              for person in frll_people for expression in PRIOR_EXPRESSIONS]
prior_summary = {}
if generator.moves:
    split = prior_fields.prior_and_learned(generator, [face for face, _, _ in prior_rows],
                                           [EXPRESSIONS.index(e) for _, _, e in prior_rows])
    fig = prior_fields.plot_prior_and_learned(
        split, [f"FRLL {person}\n{e}" for _, person, e in prior_rows],
        title=f"The motion prior and the learned correction, {model_name} at l = 1\n"
              "Faces: Face Research Lab London Set (DeBruine & Jones 2017, CC BY 4.0)")
    nb.save(fig, "prior_and_learned_frll.png")
    display(fig)
    prior_summary = prior_fields.field_summary(split, [e for _, _, e in prior_rows])
    nb.save_text("prior_and_learned_frll.json", json.dumps(
        {"model": model_name, "faces": [f"FRLL {person}" for _, person, _ in prior_rows[::len(PRIOR_EXPRESSIONS)]],
         "intensity": 1.0, "unit": "pixels of the model's crop", "expressions": prior_summary}, indent=1))
    for expression, values in prior_summary.items():
        print(f"{expression}: mean |l F_y| {values['prior_mean_px']:.2f} px, mean |learned correction| "
              f"{values['correction_mean_px']:.2f} px, share of the prior it takes back {values['against_prior']:.2f}")
nb.record(prior_and_learned=prior_summary)

# %% [markdown]
# The committed figure (the bundled model; `figures/prior_and_learned_frll.json` holds each
# expression's numbers, means over the two faces):
#
# ![the motion prior against the learned correction on two FRLL faces](../figures/prior_and_learned_frll.png)
#
# - **For happy and surprise the prior does most of the moving.** Happy's $F_y$ pulls the mouth
#   corners up and out (up to 4.0 px, 0.57 px on average over the crop), and alone it already
#   widens the closed lips into a smile. Surprise's lifts the brows and forehead by about 3 px and
#   drops the jaw by up to 8.9 px (1.46 px on average); alone it stretches the closed lips down
#   into a long pink shape, because a warp cannot open a mouth.
# - **There the learned correction is smaller and spread thin**: 0.51 px on average for happy (at
#   most 3.2 px), pointing every which way, and 1.08 px for surprise (at most 5.8 px). Surprise's
#   is strongest along the crop's lower edge under the chin, carrying the jaw's drop on where the
#   prior fades out, and across the brows; it also makes a frame of about a pixel along the crop's
#   edges. Measured along the prior field, the correction takes back 11% of surprise's prior and
#   -20% of happy's (it adds a fifth to the smile).
# - **Anger is the other way round.** Its prior is the weakest (0.51 px on average, at most 1.6 px:
#   mostly the brows drawn down and together), the correction is larger (0.72 px, at most 3.3 px)
#   and points mostly up, against the prior, over the cheeks and the sides of the face; along the
#   prior it takes back 24% of it (the 6 Dec model's took back 66%). The model's frame frowns,
#   with the brows down and together, where the 6 Dec model's barely moved: since 8 Dec an
#   expression classifier in training asks that the motion read as anger.
# - **What the model's frame has and the prior's lacks is painted, not warped**: surprise's open,
#   dark mouth (the residual, where the mask opens) with teeth in it (the mouth refiner), where the
#   prior alone gave stretched lips. The residual also paints purple tints under the surprised eyes,
#   and a pale violet band under person 007's chin, for surprise and for anger.
#
# The prior is one field per expression, so its maps are the same for both people; the correction
# is the part that reads the face, and its mean differs between them by 0.06 px at most
# (the panels' titles).

# %% [markdown]
# ### The mouth refiner, on a surprise
#
# The residual above is painted on the 64 px crop: stretched over a photo, an opened mouth
# would be a smear. The bundled model therefore has a second, small network, the **mouth
# refiner** (`affinekit.models.mouth`): after the warp, it cuts a square around the mouth (1.5
# inter-ocular distances, placed by the neutral face, so it cannot jitter) at 128 px from the
# frame at the frame's own resolution, reads it with the same square of the neutral photo, the
# label and the intensity, and predicts a mask m and the luma R to paint there; the frame's luma
# becomes `(1 - m) luma + m R` inside the square and its chroma stays (a colour residual painted
# green and yellow inside open mouths: see the model card). m is zero at the square's edge and at l = 0. It was
# trained behind the frozen generator against real mouths (L1, a mouth discriminator, a term
# against flicker; see the model card). Below: what it reads, where it paints, what it paints.
#
# *Exercise.* Compare `animator.mouth = False` with `True` on your own photo
# (`affinekit generate photo.jpg --no-mouth` does the same from the shell): where does the mask
# open for happy, and for surprise, and how far (its largest value)? Answer: `notebooks/ANSWERS.md`.

# %%
from affinekit.show.look_inside_mouth import mouth_layers, plot_mouth_layers

if getattr(generator, "mouth", None) is not None:
    layers = mouth_layers(generator, aligned.photo, aligned.photo_landmarks(), EXPRESSIONS.index("surprise"), 1.0)
    fig = plot_mouth_layers(layers, title="surprise at intensity 1: the refiner's input, mask, residual, result")
    nb.save(fig, "mouth_refiner_layers.png", faces=True)
    display(fig)
    nb.record(mouth_mask_mean=float(layers["mask"].mean()))
else:
    print("this checkpoint has no mouth refiner (trained before issue 19, or without one)")

# %% [markdown]
# The committed figures: the layers on the neutral demo photo, and the refiner off and on for
# FRLL people the model never saw, beside their real smile (`python benchmarks/mouth_figure.py`):
#
# ![the mouth refiner's input, mask, residual and result](../figures/mouth_refiner_layers_demo.png)
#
# ![mouths with and without the refiner, and the real smile](../figures/mouth_refiner.png)

# %% [markdown]
# ## The app
#
# Run the cell, then use the controls. The clip shows the full frame with a
# close-up of the face beside it, so a small face's change can be seen. Everything the buttons do is a plain
# method of `GeneratorApp` (`generate`, `save`, `scrub`, `use_upload`), so
# it can also be driven from code, and it is tested that way.

# %%
app = GeneratorApp(animator, samples, expression=EXPRESSION, frames=FRAMES, intensity=INTENSITY,
                   fps=FPS, out_dir=out_dir)
app

# %%
written = read_frames(video_path)
nb.record(model=model_name, samples=list(samples), video=str(video_path),
          video_frames=len(written), frames_shape=list(frames.shape), video_format=video_format,
          player_has_video="<video" in player and "base64," in player,
          grid_shape=[len(rows), len(rows[0])], app_expressions=list(app.expression.options),
          intensity_max=app.intensity.max, raw_keys=sorted(raw),
          field_max=float(np.abs(raw.get("field", np.zeros(1))).max()),
          similarity_diagonal=[float(v) for v in np.diag(similarity)], linearity=linear,
          levels=len(levels) - 1)

# %% [markdown]
# ## Control over the expression: mixtures
#
# An expression is a *direction* in the codes and its intensity a number on it,
# so two expressions can be mixed: with weights `w_i` the decoder receives
# `E_b(x0) + l * sum_i w_i E_d(x0, y_i)` at every level
# (`animator.animate(photo, {"happy": 0.6, "surprise": 0.4})`, or
# `affinekit generate photo.jpg --mix happy=0.6,surprise=0.4`; the app above has a
# slider per expression). The motion head's starting field, each label's mean
# landmark motion, is mixed with the same weights: `sum_i w_i prior[y_i]`, so a
# mixture with one weight of 1 is exactly the plain expression (tested), and a
# 50/50 blend starts from the average of the two mean motions.
#
# Below: the apex close-up for pairs of expressions, from all of the first
# (left) to all of the second (right).

# %%
from affinekit.generate.mixtures import mixture_weights

PAIRS = [("happy", "surprise"), ("anger", "disgust"), ("fear", "sadness")]
blend_shares = np.linspace(1.0, 0.0, BLENDS)
blend_rows = [list(animator.render(face, [mixture_weights({a: float(w), b: float(1 - w)}) for w in blend_shares],
                                   1, 1.0, view="closeup")[:, 0]) for a, b in PAIRS]      # one frame: the apex
fig = plots.frame_grid(blend_rows, row_labels=[f"{a} -> {b}" for a, b in PAIRS],
                       col_labels=[f"{w:.2f} / {1 - w:.2f}" for w in blend_shares],
                       title=f"two-expression blends at the apex: {name}")
nb.save(fig, "expression_blends.png", faces=True)
display(fig)

# %% [markdown]
# **What is linear and what is not.** The codes and the prior field are blended
# linearly by construction. The decoder is not linear, so the field's learned
# correction, the mask and the residual of a blend need not be the blend of the
# two expressions' own. `look_inside.mixture_linearity` measures it at the apex:
# the mean gap between the blend's output and the same blend of the two plain
# outputs, relative to their size (0 = perfectly linear). The whole field gap is
# smaller than its learned part's because the prior, a large share of the field,
# is exactly linear; the frame's change is the least linear, since a warp is not
# linear in its field (and the mask mixes in a residual that is not either).

# %%
linearity_rows = {f"{a} + {b}": look_inside.mixture_linearity(generator, aligned.crop, EXPRESSIONS.index(a),
                                                              EXPRESSIONS.index(b)) for a, b in PAIRS}
mixture_table = look_inside.mixture_markdown(linearity_rows)
nb.save_text("mixture_linearity.md", mixture_table)
display(Markdown(mixture_table))

# %% [markdown]
# On the neutral demo photo with the bundled model (`figures/mixture_linearity.md`, written by
# the cell above):
#
# <!-- figures/mixture_linearity.md -->
# | blend | share of the first | frame_gap | field_gap | correction_gap | mask_gap |
# |---|---|---|---|---|---|
# | happy + surprise | 0.25 | 0.336 | 0.170 | 0.245 | 0.172 |
# | happy + surprise | 0.50 | 0.458 | 0.236 | 0.341 | 0.241 |
# | happy + surprise | 0.75 | 0.337 | 0.174 | 0.250 | 0.159 |
# | anger + disgust | 0.25 | 0.173 | 0.138 | 0.153 | 0.105 |
# | anger + disgust | 0.50 | 0.233 | 0.193 | 0.213 | 0.155 |
# | anger + disgust | 0.75 | 0.172 | 0.148 | 0.164 | 0.118 |
# | fear + sadness | 0.25 | 0.235 | 0.188 | 0.215 | 0.106 |
# | fear + sadness | 0.50 | 0.330 | 0.257 | 0.293 | 0.157 |
# | fear + sadness | 0.75 | 0.242 | 0.178 | 0.204 | 0.122 |
# <!-- end figures/mixture_linearity.md -->
#
# At a 50/50 share the whole
# field of happy + surprise is 24% off the blend of the two fields (its learned
# correction 34%), the mask 24% and the frame's change 46%. The blend is a new
# expression the decoder makes from the mixed codes, not a cross-fade, and it is
# most non-linear halfway.
#
# ## Timing curves
#
# How the intensity runs over the clip (`--curve`, `animate(..., curve=)`):
# linear (the default), ease (slow at both ends), apex-hold (up in the first 60%,
# then held) and there-and-back (neutral -> apex -> neutral). There-and-back
# stops one step short of neutral, so a GIF (which loops) or an MP4 played in a
# loop goes from its last frame to its first with the same step as everywhere else.

# %%
from affinekit.generate.curves import CURVES, intensity_curve
from affinekit.show import charts

fig = charts.line_chart({curve: intensity_curve(curve, 16, 1.0).numpy() for curve in CURVES},
                        xlabel="frame of a 16-frame clip", ylabel="intensity")
nb.save(fig, "timing_curves.png")
display(fig)
loop = animator.animate(face, EXPRESSION, frames=FRAMES, curve="there-and-back")
loop_path = animator.save(loop, out_dir / f"{EXPRESSION}_loop.gif", fps=FPS)
print(f"there-and-back: {len(loop)} frames, saved to {loop_path}; last frame to first differs by "
      f"{np.abs(loop[-1].astype(int) - loop[0]).mean():.2f} levels (first to second: "
      f"{np.abs(loop[1].astype(int) - loop[0]).mean():.2f})")

# %% [markdown]
# ## How the expression grows with the intensity (measured)
#
# `python benchmarks/dose_response.py` makes six expressions at intensities 0 to 2
# (steps of 0.25) on the open faces (six FRLL people, the astronaut, the demo photo,
# the first frames of eight open clips) and measures the kit's classifier's
# probability of the requested expression and how far the mouth and brow
# landmarks moved (dlib on the full frame, in inter-ocular distances):
#
# ![dose-response](../figures/dose_response.png)
#
# The landmarks move monotonically with the intensity for five expressions, and for
# surprise up to l = 1.25 (the mean curves' Spearman is 1.0 for the five and 0.88 for surprise, whose mouth,
# opened wide past l = 1.25, gets dlib's mouth points wrong), and dlib still finds
# the face at l = 2 in 92 of 96 clips. The classifier is the weak part: it has no
# neutral class and reads neutral faces as sadness or fear (0.3-0.4 at l = 0), so
# those curves barely move; anger rises up to l = 1.5 and levels off, happy rises up to l = 1 and
# then dips, surprise rises up to l = 1.25, dips and climbs again at 2, and disgust
# rises to l = 1.75 and falls a little. The benchmark prints the numbers.
#
# ## A reference face
#
# `affinekit generate photo.jpg --like other.jpg` reads the expression off another
# photo: the change of its base code from this face's is fitted onto every
# expression's direction with non-negative weights (`affinekit.generate.reference`), at the
# three coarsest levels of the U-Net, and the clip goes to that mixture. Here the demo FRLL person's own smile is the
# reference for her neutral photo.

# %%
from affinekit.notebook.inputs import DEMO_FRLL
from affinekit.generate.reference import infer_mixture

neutral_photo = sorted((DEMO_FRLL / "neutral_front").glob("*.jpg"))[0]
smile_photo = DEMO_FRLL / "smiling_front" / neutral_photo.name.replace("_03", "_08")
neutral_face, smile_face = animator.align(neutral_photo), animator.align(smile_photo)
inferred = infer_mixture(generator, neutral_face.network_crop, smile_face.network_crop)
print(f"{smile_photo.name} seen from {neutral_photo.name}: {inferred}")
if inferred.intensity > 0:
    like = animator.animate(neutral_face, inferred.mixture(), frames=2, intensity=min(inferred.intensity, 3.0),
                            crop_only=True)
    fig = plots.frame_grid([[like[0], like[-1], animator.render(smile_face, [0], 1, 0.0, view="closeup")[0, 0]]],
                           col_labels=["neutral", "this face, inferred mixture", "the reference"],
                           title=f"--like: {inferred}")
    display(fig)

# %% [markdown]
# On real sequences (`python benchmarks/reference_face.py --data prepared/ck128`):
# the apex frames of the CK+ validation people's sequences (S111 and S124, never
# trained on) give back their own label as the largest weight in 6 of 7 cases
# from their own neutral frame, and in 17 of 24 from the other person's (chance 1
# in 7). Smiles are the failure: the model carries most of a smile in the prior
# field, which lives outside the codes, so a smile's code change projects onto
# contempt or sadness about as much as onto happy.
#
# ## The output as layers
#
# `--layers DIR` (or `affinekit.generate.layers.write_layers`) writes what each frame was
# made of: the field (`.npy`, and as a colour wheel: hue is the direction, brightness
# the length), the mask, the residual and the composited frame, plus `layers.json`
# with the transform from the photo to the crop and the share of pixels
# synthesised rather than warped. A compositor can re-time or re-grade the clip
# from these without the kit.

# %%
from PIL import Image

from affinekit.generate.layers import write_layers

layers_dir = out_dir / "layers"
layers_dir.mkdir(parents=True, exist_ok=True)
layer_info = None
if generator.moves:
    layer_clip = animator.animate(face, EXPRESSION, frames=FRAMES, intensity=INTENSITY)
    layer_info = write_layers(layers_dir, generator, animator.last_aligned, label,
                              intensity_curve("linear", FRAMES, INTENSITY), layer_clip)
    last = FRAMES - 1
    fig = plots.frame_grid([[np.asarray(Image.open(layers_dir / f"{kind}_{last:03d}.png").convert("RGB"))
                             for kind in ("field", "mask", "residual")]],
                           col_labels=["field (colour wheel)", "mask", "residual"], title="layers of the last frame")
    display(fig)
    print(f"share synthesised rather than warped, mean over the clip: "
          f"{layer_info['synthesised_share_mean']['of_crop']:.1%} of the crop, "
          f"{layer_info['synthesised_share_mean']['of_photo']:.1%} of the frame")

# %%
nb.record(blend_grid=[len(blend_rows), len(blend_rows[0])], mixture_linearity=linearity_rows,
          curves=list(CURVES), loop_frames=len(loop), reference_intensity=inferred.intensity,
          layers_frames=layer_info["frames"] if layer_info else 0,
          app_mix_sliders=sorted(app.mix))
