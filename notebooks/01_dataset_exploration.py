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
# # 1. The data: faces going from neutral to an expression
#
# AffineGAN learns from **sequences**: a face starts neutral and ends at the
# *apex* of one expression (anger, contempt, disgust, fear, happy, sadness,
# surprise). The reference data set is the Extended Cohn-Kanade data set (CK+):
# 593 sequences of 123 subjects, 327 of them labelled with an emotion, each
# sequence 10 to 60 grayscale frames long, neutral first, apex last.
#
# CK+ may not be redistributed, so the kit does not ship it. This notebook
# runs on CK+ if you have it (the `CKPLUS` parameter, the environment
# variable `AFFINEKIT_CKPLUS`, or `data/ckplus/`; see `data/README.md`) and
# otherwise on the kit's open demo data in `data/demo/`.
#
# What we look at:
# 1. how many sequences there are per expression and per subject, and how long they are;
# 2. a neutral-to-apex montage, one row per expression (the paper's Fig. 3);
# 3. the 68 facial landmarks dlib finds on a face, which the next notebook
#    turns into lip patches.

# %% tags=["parameters"]
CKPLUS = ""            # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
MAX_SEQUENCES = 0      # 0: every labelled sequence
MONTAGE_FRAMES = 7     # frames per row of the montage, neutral to apex
CROP_SIZE = 128        # aligned face crop, pixels
FIGURES_DIR = ""       # where to save the figures (empty: do not save)
RESULTS_JSON = ""      # where to record values for the tests (empty: do not record)

# %%
from collections import Counter

from IPython.display import display

from affinekit import charts, plots
from affinekit.data.faces import FaceAligner
from affinekit.expressions import EXPRESSIONS
from affinekit.notebook_setup import setup

# sizes (tiny under AFFINEKIT_TINY=1, as the tests run), the data, where figures and recorded values go
nb = setup(globals(), tiny=dict(MAX_SEQUENCES=7, MONTAGE_FRAMES=4, CROP_SIZE=96), limit="MAX_SEQUENCES")
S, DATA, records = nb.sizes, nb.data, nb.records
print(f"data: {DATA}, {len(records)} labelled sequences")

# %% [markdown]
# ## Counts: expressions, subjects, lengths
#
# Each record is one sequence (`affinekit.data.SequenceRecord`): a subject id,
# a sequence id, an expression label and the frame files (or a video). Models
# must be tested on **subjects they never saw**, so it matters how many
# sequences each subject contributes: `affinekit.data.dataset.subject_split`
# keeps every subject's sequences on one side of the split.

# %%
lengths = [len(r.frames) if r.frames else len(r.load_frames(gray=True)) for r in records]
by_expression = {e: n for e in EXPRESSIONS if (n := Counter(r.label for r in records)[e])}
by_subject = dict(sorted(Counter(r.subject for r in records).items()))
fig = charts.dataset_overview(by_expression, by_subject, lengths, title=f"{DATA}: {len(records)} sequences")
nb.save(fig, f"dataset_counts_{DATA}.png")
display(fig)
print(f"{len(by_subject)} subjects; frames per sequence: min {min(lengths)}, "
      f"median {sorted(lengths)[len(lengths) // 2]}, max {max(lengths)}")

# %% [markdown]
# The committed figures, from the CK+ sample and from the open demo clips:
#
# ![counts, CK+ sample](../figures/dataset_counts_ckplus.png) ![counts, demo clips](../figures/dataset_counts_demo.png)

# %% [markdown]
# ## Neutral to apex, one row per expression (Fig. 3)
#
# Every row is one sequence, sampled evenly from its first (neutral) frame to
# its last (apex) frame. The faces are **aligned**: `FaceAligner` finds the
# face and its landmarks, then fits a similarity transform (rotation, scale,
# shift) that puts the eyes and the nose on fixed positions of a square crop.
# CK+ subjects sit still, so one transform, fitted on the neutral frame,
# serves the whole sequence: only the expression moves, not the head.
#
# Faces filmed in the wild (the demo clips) do move their heads, so for them
# every frame gets its own transform (`per_frame=True`, `affinekit prepare
# --per-frame`).
#
# This is what the generator must learn: from the first column alone, make
# the rest of the row.

# %%
aligner = FaceAligner(size=S["CROP_SIZE"])
per_frame = DATA != "ckplus"           # CK+ heads sit still; clips in the wild move
rows, row_labels = [], []
for expression in EXPRESSIONS:
    record = next((r for r in records if r.label == expression), None)
    if record is None:
        continue
    frames = plots.pick_frames(record.load_frames(), S["MONTAGE_FRAMES"])
    crops, _, _ = aligner.align_sequence(frames, record.key, per_frame=per_frame)
    rows.append(list(crops))
    row_labels.append(f"{expression}\n{record.key}")
columns = ["neutral"] + [""] * (S["MONTAGE_FRAMES"] - 2) + ["apex"]
fig = plots.frame_grid(rows, row_labels=row_labels, col_labels=columns,
                       title=f"neutral to apex ({DATA})")
nb.save(fig, "fig3_montage.png", faces=True)
display(fig)

# %% [markdown]
# The committed montage (Fig. 3 of the paper), drawn from the open demo clips (CK+ faces may not be shared):
#
# ![Fig. 3 montage, demo clips](../figures/fig3_montage_demo.png)

# %% [markdown]
# ## The 68 landmarks
#
# dlib's shape predictor places 68 points on a face (the iBUG 300-W scheme):
# jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, and the mouth 48-67 (outer
# lip 48-59, inner lip 60-67, drawn in red). The aligner uses the eye centres
# and two nose points; the lip points give the lip patch of the next
# notebook. Left: the photo as it comes; right: the aligned crop, where the
# same points have been moved by the same transform.

# %%
record = records[0]
apex = record.load_frames()[-1]
points = aligner.landmarks(apex, record.key)
crop, crop_points, M = aligner.align(apex, record.key)
fig_photo = plots.landmark_overlay(apex, points, title=f"{record.key}: detected", highlight=range(48, 68))
fig_crop = plots.landmark_overlay(crop, crop_points, title="aligned crop", numbers=True, highlight=range(48, 68))
nb.save(fig_photo, "landmarks_photo.png", faces=True)
nb.save(fig_crop, "landmarks_crop.png", faces=True)
display(fig_photo, fig_crop)

# %% [markdown]
# The committed pictures, on a demo clip:
#
# ![landmarks on the photo](../figures/landmarks_photo_demo.png) ![landmarks on the aligned crop](../figures/landmarks_crop_demo.png)

# %%
nb.record(data=DATA, n_sequences=len(records), by_expression=by_expression,
          by_subject=by_subject, lengths=lengths, montage_rows=len(rows),
          montage_shape=[len(rows), len(rows[0])] if rows else [0, 0],
          landmarks_shape=list(points.shape), crop_landmarks=crop_points)

# %% [markdown]
# **Next:** `02_lip_patches.ipynb` turns the lip landmarks into the binary
# patch that the local discriminator looks at.
