# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
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
# What you see is the network's output: `affinekit.inference` is the one
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
OUT_DIR = ""           # where clips are saved (empty: out/clips in the repository)
FIGURES_DIR = ""
RESULTS_JSON = ""

# %%
from pathlib import Path

import numpy as np
from IPython.display import HTML, display

from affinekit import plots
from affinekit.expressions import EXPRESSIONS
from affinekit.notebook_inputs import load_animator, sample_photos
from affinekit.notebook_setup import setup
from affinekit.video import read_frames
from affinekit.widgets import GeneratorApp, clip_html

# sizes (tiny under AFFINEKIT_TINY=1, as the tests run), where figures and recorded values go
nb = setup(globals(), tiny=dict(FRAMES=4), read_data=False)     # the photos below, no data set
S = nb.sizes
out_dir = nb.folder(OUT_DIR, "out", "clips")
out_dir.mkdir(parents=True, exist_ok=True)
animator, model_name = load_animator(CHECKPOINT)
samples = sample_photos()
if PHOTO:
    samples[Path(PHOTO).stem] = PHOTO
name, photo = next(iter(samples.items()))
print(f"model: {model_name} ({animator}); samples: {list(samples)}")

# %% [markdown]
# ## From code
#
# `animate` returns the frames, `(T, H, W, 3)` uint8; `save` writes mp4 or
# gif. `clip_html` is what the app uses to play a clip inline: an HTML5
# `<video>` holding the mp4 itself (base64), looping and muted so browsers
# let it autoplay.

# %%
frames = animator.animate(photo, EXPRESSION, frames=S["FRAMES"], intensity=INTENSITY)
video_path = animator.save(frames, out_dir / f"{EXPRESSION}.mp4", fps=FPS)
print(f"{frames.shape[0]} frames of {frames.shape[2]}x{frames.shape[1]}, saved to {video_path}; "
      f"stage times (s): { {k: round(v, 3) for k, v in animator.timings.items()} }")
player, video_format = clip_html(frames, FPS, width=320)
display(HTML(player))

# %% [markdown]
# ## Every expression, neutral to apex and beyond
#
# The bundled model on ten open faces, last frames (`figures/generated_expressions_wild.png`,
# made by `python benchmarks/wild_faces.py`):
#
# ![every expression on faces in the wild](../figures/generated_expressions_wild.png)
#
# Aligned close-ups of the face (`crop_only=True`), in the photo's own
# colour, one row per expression, intensity from 0 to 1.5: columns past 1
# extrapolate.

# %%
steps = 4 if nb.tiny else 7
rows = [animator.animate(photo, e, frames=steps, intensity=1.5, crop_only=True) for e in EXPRESSIONS]
fig = plots.frame_grid(rows, row_labels=list(EXPRESSIONS),
                       col_labels=[f"l={v:.2f}" for v in np.linspace(0, 1.5, steps)],
                       title=f"{name}: {model_name}")
nb.save(fig, "generated_expressions.png", faces=True)
display(fig)

# %% [markdown]
# The committed figure, from the neutral demo photo:
#
# ![every expression from one photo](../figures/generated_expressions_demo.png)

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
from IPython.display import Markdown

from affinekit import look_inside

aligned = animator.align(photo)
generator = animator.generator
label = EXPRESSIONS.index(EXPRESSION)
levels = look_inside.level_table(generator)
display(Markdown("| level | name | base code | direction code | decoder gets |\n|---|---|---|---|---|\n" +
                 "\n".join(f"| {r['level']} | {r['name']} | {r['base code']} | {r['direction code']} | "
                            f"{r['decoder gets']} |" for r in levels)))

# %% [markdown]
# **The label** enters only the direction encoder, as seven constant planes
# stacked beside the face: the plane of the requested expression is all ones,
# the others all zeros.

# %%
planes = look_inside.label_planes(label, size=8)
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

# %% [markdown]
# The committed figures (the bundled model, the neutral demo photo,
# `figures/direction_similarity.json`). The deeper levels carry the larger norms
# (up to 31 at level 3 against 9 at level 0), and the brightest cells of several
# panels lie on the crop's border, where padding, not the face, shapes the code:
# read the face's interior. The similarities are all positive, from 0.16
# (contempt and surprise) to 0.74 (contempt and happy): the directions share a
# large common part. Fear and surprise, which move the face alike, sit at 0.63,
# but happy and sadness, which move the mouth opposite ways, sit at 0.64, so at
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
# The committed figure:
#
# ![the motion head's raw field, mask and residual](../figures/raw_output_demo.png)

# %% [markdown]
# ## The app
#
# Run the cell, then use the controls. The clip shows the full frame with a
# close-up of the face beside it, so a small face's change can be seen. Everything the buttons do is a plain
# method of `GeneratorApp` (`generate`, `save`, `scrub`, `use_upload`), so
# it can also be driven from code, and it is tested that way.

# %%
app = GeneratorApp(animator, samples, expression=EXPRESSION, frames=S["FRAMES"], intensity=INTENSITY,
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
