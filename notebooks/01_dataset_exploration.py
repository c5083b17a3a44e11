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
# # 1. The data: faces going from neutral to an expression
#
# AffineGAN learns from **sequences**: a face starts neutral and ends at the
# *apex* of one expression (anger, contempt, disgust, fear, happy, sadness,
# surprise). The reference data set is the Extended Cohn-Kanade data set (CK+):
# 593 sequences of 123 subjects, 327 of them labelled with an emotion (18 of
# them contempt), grayscale, neutral first, apex last. Its authors give 10 to 60
# frames a sequence; the sample used here has shorter ones too (its labelled
# sequences run from 8 to 45 frames, in the counts figure below).
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
#    turns into lip patches;
# 4. every other source the kit learns from: still pairs (FRLL, JAFFE, Yale),
#    MEAD clips and CK+48's unpaired apex faces, and why training samples them
#    in balance.

# %% tags=["parameters"]
CKPLUS = ""            # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
MAX_SEQUENCES = 0      # 0: every labelled sequence
MONTAGE_FRAMES = 7     # frames per row of the montage, neutral to apex
CROP_SIZE = 128        # aligned face crop, pixels
SOURCES = ""           # a folder of frll/ jaffe/ yale/ mead/ ck48/; empty: ../shared/data if there, else demo
MAX_MEASURED = 40      # items per source whose intensity is measured for the histogram (0: every one)
FIGURES_DIR = ""       # where to save the figures (empty: do not save)
RESULTS_JSON = ""      # where to record values for the tests (empty: do not record)

# %%
from collections import Counter
from statistics import median

from IPython.display import Markdown, display

from affinekit.show import charts, plots
from affinekit.config import DataConfig
from affinekit.data.apex import ck48_roles, ck_subject
from affinekit.data.faces import FaceAligner
from affinekit.data.intensity import MIN_TEACHING_INTENSITY, source_intensities
from affinekit.data.prepare import prepare_sequence
from affinekit.expressions import EXPRESSIONS
from affinekit.notebook.inputs import (SOURCE_NAMES, align_pair_both_ways, batch_shares, faces_data,
                                       markdown_rows, source_records, sources_root, sources_table)
from affinekit.notebook.setup import setup, tagged

# the data, where figures and recorded values go
nb = setup(globals(), limit="MAX_SEQUENCES")
DATA, records = nb.data, nb.records
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
# The committed figures, from the CK+ sample and from the open demo clips. The CK+
# sample's 40 labelled sequences (10 subjects) carry six of the seven labels: none of them
# is contempt, so on this sample contempt comes only from other sources (below), and
# 4 of them are shorter than the 10 frames CK+'s description promises (8 or 9 frames).
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
aligner = FaceAligner(size=CROP_SIZE)
per_frame = DATA != "ckplus"           # CK+ heads sit still; clips in the wild move
rows, row_labels = [], []
for expression in EXPRESSIONS:
    record = next((r for r in records if r.label == expression), None)
    if record is None:
        continue
    frames = plots.pick_frames(record.load_frames(), MONTAGE_FRAMES)
    crops, _, _ = aligner.align_sequence(frames, record.key, per_frame=per_frame)
    rows.append(list(crops))
    row_labels.append(f"{expression}\n{record.key}")
columns = ["neutral"] + [""] * (MONTAGE_FRAMES - 2) + ["apex"]
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
#
# The two look alike because the demo clip's frame is already a tight, upright crop of the face,
# so the alignment's rotation, scale and shift are small here; on a CK+ frame (640 x 490, the face
# in the middle of the picture) the crop zooms in several times.

# %%
nb.record(data=DATA, n_sequences=len(records), by_expression=by_expression,
          by_subject=by_subject, lengths=lengths, montage_rows=len(rows),
          montage_shape=[len(rows), len(rows[0])] if rows else [0, 0],
          landmarks_shape=list(points.shape), crop_landmarks=crop_points)

# %% [markdown]
# ## Every source the kit learns from
#
# CK+ alone has 123 people, and the CK+ sample beside a checkout 10: too few to learn how
# *anyone's* face smiles. So the kit also learns from sets that are not sequences
# (`affinekit prepare` recognises each by its layout; `data/README.md`):
#
# - **sequences** (CK+, the AffineGAN sample's CK+ folders, the demo clips): neutral first
#   frame to apex last; a frame's intensity is its position;
# - **still pairs** (FRLL smiles, JAFFE's six expressions, Yale's happy, sad and surprised):
#   a neutral photo and an expression photo of one person, *taken apart*; the expression
#   photo is the apex, intensity 1;
# - **MEAD clips** (kind "pair" too): one frame of the actor's neutral clip and 4 frames of a
#   clip in which the actor talks while holding the emotion, chosen by the mouth so that a
#   syllable is not taken for the expression;
# - **unpaired apex faces** (CK+48): an expression without its neutral face. They cannot
#   teach the generator a motion; only the apex discriminator learns from them.
#
# Only the demo clips and FRLL (CC BY 4.0) may be shipped. The others come from their owners;
# the `SOURCES` parameter points at a folder holding them (`frll/`, `jaffe/`, `yale/`,
# `mead/`, `ck48/`, as in `../shared/data`, which is used when it is there). On a fresh
# clone this section shows the shipped demo: the demo clips and six FRLL people in
# `data/demo/frll/`.

# %%
root = sources_root(SOURCES or None)
sources = source_records(root, records)
print(f"sources: {root if root else 'the shipped demo (data/demo/ clips and data/demo/frll/, no other set here)'}")
table = sources_table(sources)
display(Markdown(markdown_rows(table)))

# %% [markdown]
# ## A still pair beside a sequence
#
# Top: a happy sequence, sampled from its neutral first frame to its apex. Below: a still
# pair, which has only the two ends: the neutral photo and the smiling one. A sequence
# teaches the generator the whole path (each frame at its own intensity); a pair teaches
# where the path ends (intensity 1), and the middle is left to the model.

# %%
sequence = next((r for r in records if r.label == "happy"), records[0])
pairs = [r for rs in sources.values() for r in rs if r.kind == "pair" and r.video is None]  # MEAD's are clips
pair = next((r for r in pairs if r.label == sequence.label), pairs[0])
frames = plots.pick_frames(sequence.load_frames(), MONTAGE_FRAMES)
seq_crops, _, _ = aligner.align_sequence(frames, sequence.key, per_frame=per_frame)
both = align_pair_both_ways(pair, aligner)
gap = [None] * (MONTAGE_FRAMES - 2)
fig = plots.frame_grid([list(seq_crops), [both["neutral"], *gap, both["own"]]],
                       row_labels=[f"sequence\n{sequence.key}", f"still pair\n{pair.key}"],
                       col_labels=["neutral"] + [""] * len(gap) + ["apex"],
                       title=f"{sequence.label}: a sequence ({SOURCE_NAMES.get(sequence.source, sequence.source)}) "
                             f"and a still pair ({SOURCE_NAMES.get(pair.source, pair.source)})")
nb.save(fig, tagged("pair_and_sequence.png", faces_data([sequence.source, pair.source])))
display(fig)

# %% [markdown]
# ## Aligned each on its own
#
# A CK+ subject sits still while the camera films a sequence, so one similarity transform
# (fitted on the neutral frame's eyes and nose) crops every frame, and only the expression
# moves. The two photos of a pair were taken apart: the head moved between them, even in
# FRLL's studio. `affinekit prepare` therefore aligns **each photo on its own**: its own
# landmarks, its own transform, its eyes on the template's positions. Below, the
# expression photo under its own transform, and under the neutral photo's transform (what
# a sequence would do): the eyes land several pixels off, and the generator would be asked
# to move the whole head instead of the mouth.

# %%
fig = plots.frame_grid([[both["neutral"], both["own"], both["shared"]]],
                       col_labels=["neutral photo", "smile, its own transform",
                                   "smile, the neutral's transform"],
                       title=f"{pair.key}: eyes {both['eye_offset_own']:.1f} px and "
                             f"{both['eye_offset_shared']:.1f} px from the template", cell=2.2)
nb.save(fig, tagged("pair_alignment.png", faces_data([pair.source])))
display(fig)
print(f"eye centres off the template: {both['eye_offset_own']:.1f} px aligned on its own, "
      f"{both['eye_offset_shared']:.1f} px with the neutral photo's transform ({CROP_SIZE} px crops)")

# %% [markdown]
# ## A MEAD item
#
# MEAD's actors speak while they hold an emotion, so a clip is not a neutral-to-apex
# sequence. The kit keeps one frame of the actor's neutral clip (lips meeting at their
# usual width) and 4 frames from the middle of the emotion clip whose mouths are closest
# to the clip's median mouth: the mouth the emotion holds, not a syllable. Every frame is
# aligned on its own (the head moves). MEAD is research-only: never shipped, so this
# shows only where MEAD is present.

# %%
mead = sources.get("mead", [])
mead_item = next((r for r in mead if r.label == "happy"), mead[0] if mead else None)
if mead_item is not None:
    prepared_item = prepare_sequence(mead_item, DataConfig(crop_size=CROP_SIZE, channels=3))
    fig = plots.frame_grid([list(prepared_item.frames)], row_labels=[f"{mead_item.label}\n{mead_item.key}"],
                           col_labels=[f"neutral (frame {prepared_item.info['neutral_frame']})"]
                           + [f"frame {i}" for i in prepared_item.info["target_frames"]],
                           title="a MEAD item: a neutral frame, then 4 held-emotion frames")
    nb.save(fig, tagged("mead_item.png", faces_data(["mead"])))
    display(fig)
else:
    print("no MEAD here (research use only: never shipped); point SOURCES at a folder holding mead/")

# %% [markdown]
# ## CK+48: apex faces without their neutral face
#
# CK+48 holds 48 px grey crops of the last 3 frames of CK+'s labelled sequences. With no
# neutral face there is no motion to learn: these crops teach the **apex discriminator**
# (does this look like a real face showing this expression?) and train the kit's
# expression classifier. The two must not share people, or the generator could be rewarded
# for fooling a judge that learned the same faces: `affinekit.data.apex.ck48_roles` gives
# every CK+ person one role (the classifier's test people, its training people, the
# discriminator's people).

# %%
ck48 = sources.get("ck48", [])
if ck48:
    firsts = [next(r for r in ck48 if r.label == e) for e in EXPRESSIONS if any(r.label == e for r in ck48)]
    fig = plots.frame_grid([[r.load_images()[-1] for r in firsts]], col_labels=[r.label for r in firsts],
                           title="CK+48: one apex face per expression (48 px)", cell=1.2)
    nb.save(fig, tagged("ck48_apex.png", faces_data(["ck48"])))
    display(fig)
    roles = Counter(ck48_roles({ck_subject(r.subject) for r in ck48}).values())
    print(f"CK+48: {len(ck48)} apex items of {len({r.subject for r in ck48})} people; roles: {dict(roles)}")
else:
    roles = Counter()
    print("no CK+48 here (crops of CK+: never shipped); point SOURCES at a folder holding ck48/")

# %% [markdown]
# ## How strong is each item's expression?
#
# A CK+ sequence ends at a full apex; an FRLL smile is a mild one; a MEAD actor speaking
# angrily may move the landmarks *against* CK+'s anger. If every expression photo were taught
# as intensity 1, "l = 1" would mean the sources' average, and a model taught by many mild
# stills animates mildly. So the kit measures each item: its neutral-to-apex landmark motion
# (after a similarity fit on the eyes and nose, in inter-ocular distances) projected onto the
# expression's direction, the mean motion of CK+ training sequences
# (`affinekit.data.intensity`; 1 = a CK+ apex). Items at or below 0.1 move too little, or the
# wrong way, to teach the geometry of their expression: training leaves them out
# (`data.intensity=position` brings back the old behaviour). `affinekit prepare` prints the
# same numbers per source. MEAD clips are measured by `prepare` (their frames are chosen
# there), not here.

# %%
measured = source_intensities(sources, aligner, MAX_MEASURED)
fig = charts.intensity_histograms(measured, MIN_TEACHING_INTENSITY)
nb.save(fig, f"intensity_per_source_{'demo' if root is None else 'all'}.png")
display(fig)
intensity_medians = {s: round(median(v), 2) for s, v in measured.items() if v}
print("median apex intensity per source (1 = a CK+ apex):", intensity_medians)

# %% [markdown]
# ## Why training samples in balance
#
# Left: how many items each source has of each expression. Drawn in proportion, a batch
# would be mostly FRLL smiles and JAFFE's six expressions, and "happy" would be learnt
# from studio stills. `SequenceDataset.sampling_weights` (`data.balance`, on by default)
# draws every expression equally often, then every source equally often within an
# expression, then items evenly: right, the share of a training batch each (source,
# expression) gets. In the whole mixture, contempt (5 items in two sources) gets as much
# of a batch as happy (135 items, in every source), and FRLL's 82 smiles as much of
# "happy" as the AffineGAN sample's 2. Apex faces are not in it: they feed only the apex
# discriminator.

# %%
counts, shares = batch_shares(sources)
fig = charts.balance_bars(counts, shares)
nb.save(fig, f"sources_balance_{'demo' if root is None else 'all'}.png")
display(fig)
per_expression_share = {e: sum(d.get(e, 0.0) for d in shares.values()) for e in EXPRESSIONS
                        if any(e in d for d in shares.values())}
print("share of a batch per expression:", {e: round(v, 3) for e, v in per_expression_share.items()})

# %% [markdown]
# The committed pictures: a still pair beside a sequence and the two alignments, from the
# shipped demo, and the balance of the whole mixture (`SOURCES` = `../shared/data`; numbers
# only, no faces):
#
# ![a still pair beside a sequence](../figures/pair_and_sequence_demo.png)
# ![aligned each on its own](../figures/pair_alignment_demo.png)
# ![balance of the whole mixture](../figures/sources_balance_all.png)

# %% [markdown]
# ## Exercises
#
# Answers: `notebooks/ANSWERS.md` (measured by `python scripts/exercise_answers.py --only data`).
#
# 1. **Fewer sequences**: `MAX_SEQUENCES = 4`. Check: which expressions are left in the counts.
#    Hint: they lose whole expressions first; a balanced batch then draws the few left more often.
# 2. **Another crop size**: `CROP_SIZE = 64`. Check: the crop landmarks against the 128 px ones
#    (`crop_points`). Hint: they scale with the crop; the montage keeps the same faces at a
#    quarter of the pixels.
# 3. **Only the shipped sources**: `SOURCES = "demo"`. Check: how many sources each expression has in
#    the balance table. Hint: FRLL's six still pairs are all smiles.

# %%
nb.record(sources_root=str(root) if root else "demo", sources_table=table,
          pair_eye_offset={"own": both["eye_offset_own"], "shared": both["eye_offset_shared"]},
          pair_key=pair.key, mead_item=mead_item.key if mead_item is not None else None,
          ck48_roles=dict(roles), batch_counts=counts, batch_shares=shares,
          per_expression_share=per_expression_share, intensity_medians=intensity_medians)

# %% [markdown]
# **Next:** `02_lip_patches.ipynb` turns the lip landmarks into the binary
# patch that the local discriminator looks at.
