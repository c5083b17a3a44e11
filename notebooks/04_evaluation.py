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
# # 4. Evaluating honestly: Table 2, against baselines, on unseen subjects
#
# A generated clip is compared with the **real** clip of the same sequence:
# both start from the same neutral frame, the real one is resampled to the
# same number of frames. The measures (`affinekit.metrics`):
#
# - **PSNR** and **SSIM** against the real frames, in floating point. (An
#   8-bit subtraction wraps around modulo 256 and turns large errors into
#   small ones: the original AffineGAN metric script does this, which adds
#   several dB even for doing nothing. The table's notes measure the effect
#   in this very run.)
# - **ACD** (average content distance) with dlib's 128-d face descriptor:
#   ACD-C, the mean distance between frames of one clip (does the identity
#   stay?); ACD-I, each frame against the input; ACD-M, each frame against the
#   matching real frame.
# - **expression accuracy**: does a small classifier read the last frame as
#   the requested expression?
#
# Numbers alone say little, so every table carries, **measured in the same
# run**: the real videos (the target values), **copy-input** (repeat the
# neutral frame: no model at all) and **landmark-warp** (move the landmarks by
# the mean displacement of that expression and warp the image: no learning
# of appearance). A model earns its place only where it beats these.
#
# Test sequences come from **subjects the model never saw** (`subject`
# protocol); with `FOLDS` > 1, from k folds over subjects, as mean ± std.
# The published rows are quoted apart, never mixed with measured ones.

# %% tags=["parameters"]
CKPLUS = ""            # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
CHECKPOINT = ""        # the model to score; empty: the bundled model
PAPER_CHECKPOINT = ""  # the paper's pixel-head model for its own row; empty: the bundled one; "none": no row
PREPARED_DIR = ""      # prepared sequences (empty: prepared/<data>_<crop>px in the repository)
WORK_DIR = ""          # scratch folder (empty: runs/notebook04)
CROP_SIZE = 128
FRAMES = 16            # frames per clip
FOLDS = 0              # 0 or 1: one subject split; k: k-fold cross-validation over subjects
TRAIN_STEPS = 0        # with FOLDS: also train a fresh model per fold for this many steps
LIMIT = 0              # test sequences per fold (0: all)
GALLERY = 3            # best and worst cases shown
SEED = 0
FIGURES_DIR = ""
RESULTS_JSON = ""

# %%
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
from IPython.display import Markdown, display

from affinekit import notebook, plots
from affinekit.config import DataConfig
from affinekit.data.prepare import prepare_records
from affinekit.evaluate import REAL, subject_protocol

S = notebook.sizes(dict(CROP_SIZE=64, FRAMES=4, LIMIT=2, GALLERY=1), CROP_SIZE=CROP_SIZE, FRAMES=FRAMES,
                   LIMIT=LIMIT, GALLERY=GALLERY)
FIGS = notebook.figure_dir(FIGURES_DIR)
DATA, records = notebook.read_records(CKPLUS)
prepared = Path(PREPARED_DIR or notebook.REPO_ROOT / "prepared" / f"{DATA}_{S['CROP_SIZE']}px")
work = Path(WORK_DIR or notebook.REPO_ROOT / "runs" / "notebook04")
checkpoint, model_name = notebook.model_checkpoint(CHECKPOINT)
checkpoints = [checkpoint] + notebook.paper_checkpoint(PAPER_CHECKPOINT)
report = prepare_records(records, prepared, DataConfig(image_size=S["CROP_SIZE"], align_per_frame=DATA != "ckplus"),
                         progress=False)
print(report.summary())
print(f"data: {DATA}; model: {model_name}")

# %% [markdown]
# ## Table 2, regenerated
#
# `subject_protocol` splits by subject, fits landmark-warp on the training
# subjects, generates a clip from every test sequence's first frame with each
# maker, and scores them all. Each model has one row: its output, exactly
# what `affinekit generate` would show for that face. The paper's pixel head
# (trained by the same recipe) has its own row beside the kit's motion head.

# %%
table = subject_protocol(prepared, checkpoints=checkpoints, folds=FOLDS, frames=S["FRAMES"],
                         train_steps=TRAIN_STEPS, seed=SEED, work_dir=work / "folds",
                         limit=S["LIMIT"] or None, keep_clips=True)
markdown = f"*Data: {DATA}; model: {model_name}.*\n\n" + table.to_markdown()
if FIGS:
    (FIGS / f"table2_{DATA}.md").write_text(markdown)
    (FIGS / f"table2_{DATA}.json").write_text(table.to_json())
display(Markdown(markdown))

# %% [markdown]
# ## Per expression
#
# The same per-sequence scores, averaged per requested expression. With few
# test sequences per expression these bars are noisy: read them next to the
# counts.

# %%
model_row = next(r.name for r in table.rows if r.kind == "model")
per_expr = defaultdict(lambda: defaultdict(list))
for item in table.per_sequence:
    for metric in ("psnr", "ssim", "acd_m", "correct"):
        per_expr[(item["row"], metric)][item["label"]].append(float(item[metric]))
rows = [r.name for r in table.rows if r.name != REAL]
means = {metric: {row: {lab: float(np.mean([v for v in vals if math.isfinite(v)] or [np.nan]))
                        for lab, vals in per_expr[(row, metric)].items()} for row in rows}
         for metric in ("psnr", "ssim", "acd_m", "correct")}
counts = {lab: len(v) for lab, v in per_expr[(rows[0], "psnr")].items()}
fig = plots.per_expression(means, title=f"per expression ({DATA}; test sequences: {counts})")
notebook.save(fig, FIGS, f"per_expression_{DATA}.png")
display(fig)

# %% [markdown]
# ## Best and worst cases
#
# The model's test clips with the highest and the lowest PSNR: for each, the
# real clip above and the generated one below, neutral to apex.

# %%
scored = sorted((item for item in table.per_sequence if item["row"] == model_row), key=lambda it: it["psnr"])
worst, best = scored[:S["GALLERY"]], scored[::-1][:S["GALLERY"]]
for name, cases in (("best", best), ("worst", worst)):
    grid, labels = [], []
    for item in cases:
        clips = table.clips[item["key"]]
        grid += [plots.pick_frames(clips[REAL], 6), plots.pick_frames(clips[model_row], 6)]
        labels += [f"real\n{item['key']}", f"generated ({item['label']})\nPSNR {item['psnr']:.1f} dB"]
    fig = plots.frame_grid(grid, row_labels=labels, title=f"{name} {len(cases)} by PSNR: {model_name}")
    notebook.save(fig, FIGS, f"gallery_{name}.png", faces_from=DATA)
    display(fig)

# %%
notebook.record(RESULTS_JSON, data=DATA, model=model_name, rows=[r.name for r in table.rows],
                kinds=[r.kind for r in table.rows],
                metrics={r.name: r.metrics for r in table.rows}, videos=table.rows[0].videos,
                per_expression=means["psnr"], counts=counts, gallery=[len(best), len(worst)],
                markdown_has_quoted="Quoted, not measured" in markdown,
                table_file=str(FIGS / f"table2_{DATA}.md") if FIGS else "")

# %% [markdown]
# **Next:** `05_generate_videos.ipynb`, to play with the model on any photo.
