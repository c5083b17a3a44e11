"""Write the notebooks in notebooks/ from the cell sources below (run: python scripts/build_notebooks.py).

The notebooks are generated so that they can be reviewed as code and never
carry outputs: edit this file, rerun it, commit both. `--check` exits 1 when a
committed notebook differs from what this file makes (a test runs it).

Conventions every notebook follows (see tests/test_notebooks.py):
- exactly one code cell tagged `parameters`, UPPER_CASE names only, whose
  defaults do the real job; papermill overrides them;
- `AFFINEKIT_TINY=1` in the environment shrinks sizes through
  `affinekit.notebook.sizes` (CI runs the committed notebooks that way);
- without CK+ the notebook runs on the open demo data (data/demo/);
- FIGURES_DIR (empty: save nothing) receives the PNG figures, RESULTS_JSON
  (empty: record nothing) the values the tests check.
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"


def md(text: str):
    return new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text: str):
    return new_code_cell(textwrap.dedent(text).strip("\n"))


def params(text: str):
    cell = code(text)
    cell.metadata["tags"] = ["parameters"]
    return cell


# --------------------------------------------------------------------------------------------
# 01 dataset exploration

NB01 = [
    md("""
    # 1. The data: faces going from neutral to an expression

    AffineGAN learns from **sequences**: a face starts neutral and ends at the
    *apex* of one expression (anger, contempt, disgust, fear, happy, sadness,
    surprise). The reference data set is the Extended Cohn-Kanade data set (CK+):
    593 sequences of 123 subjects, 327 of them labelled with an emotion, each
    sequence 10 to 60 grayscale frames long, neutral first, apex last.

    CK+ may not be redistributed, so the kit does not ship it. This notebook
    runs on CK+ if you have it (the `CKPLUS` parameter, the environment
    variable `AFFINEKIT_CKPLUS`, or `data/ckplus/`; see `data/README.md`) and
    otherwise on the kit's open demo data in `data/demo/`.

    What we look at:
    1. how many sequences there are per expression and per subject, and how long they are;
    2. a neutral-to-apex montage, one row per expression (the paper's Fig. 3);
    3. the 68 facial landmarks dlib finds on a face, which the next notebook
       turns into lip patches.
    """),
    params("""
    CKPLUS = ""            # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
    MAX_SEQUENCES = 0      # 0: every labelled sequence
    MONTAGE_FRAMES = 7     # frames per row of the montage, neutral to apex
    CROP_SIZE = 128        # aligned face crop, pixels
    FIGURES_DIR = ""       # where to save the figures (empty: do not save)
    RESULTS_JSON = ""      # where to record values for the tests (empty: do not record)
    """),
    code("""
    from collections import Counter

    from IPython.display import display

    from affinekit import notebook, plots
    from affinekit.data.faces import FaceAligner
    from affinekit.expressions import EXPRESSIONS

    S = notebook.sizes(dict(MAX_SEQUENCES=7, MONTAGE_FRAMES=4, CROP_SIZE=96),
                       MAX_SEQUENCES=MAX_SEQUENCES, MONTAGE_FRAMES=MONTAGE_FRAMES, CROP_SIZE=CROP_SIZE)
    FIGS = notebook.figure_dir(FIGURES_DIR)
    DATA, records = notebook.read_records(CKPLUS, limit=S["MAX_SEQUENCES"])
    print(f"data: {DATA}, {len(records)} labelled sequences")
    """),
    md("""
    ## Counts: expressions, subjects, lengths

    Each record is one sequence (`affinekit.data.SequenceRecord`): a subject id,
    a sequence id, an expression label and the frame files (or a video). Models
    must be tested on **subjects they never saw**, so it matters how many
    sequences each subject contributes: `affinekit.data.dataset.subject_split`
    keeps every subject's sequences on one side of the split.
    """),
    code("""
    lengths = [len(r.frames) if r.frames else len(r.load_frames(gray=True)) for r in records]
    by_expression = {e: n for e in EXPRESSIONS if (n := Counter(r.label for r in records)[e])}
    by_subject = dict(sorted(Counter(r.subject for r in records).items()))
    fig = plots.dataset_overview(by_expression, by_subject, lengths, title=f"{DATA}: {len(records)} sequences")
    notebook.save(fig, FIGS, f"dataset_counts_{DATA}.png")
    display(fig)
    print(f"{len(by_subject)} subjects; frames per sequence: min {min(lengths)}, "
          f"median {sorted(lengths)[len(lengths) // 2]}, max {max(lengths)}")
    """),
    md("""
    ## Neutral to apex, one row per expression (Fig. 3)

    Every row is one sequence, sampled evenly from its first (neutral) frame to
    its last (apex) frame. The faces are **aligned**: `FaceAligner` finds the
    face and its landmarks, then fits a similarity transform (rotation, scale,
    shift) that puts the eyes and the nose on fixed positions of a square crop.
    CK+ subjects sit still, so one transform, fitted on the neutral frame,
    serves the whole sequence: only the expression moves, not the head.

    Faces filmed in the wild (the demo clips) do move their heads, so for them
    every frame gets its own transform (`per_frame=True`, `affinekit prepare
    --per-frame`).

    This is what the generator must learn: from the first column alone, make
    the rest of the row.
    """),
    code("""
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
        row_labels.append(f"{expression}\\n{record.key}")
    columns = ["neutral"] + [""] * (S["MONTAGE_FRAMES"] - 2) + ["apex"]
    fig = plots.frame_grid(rows, row_labels=row_labels, col_labels=columns,
                           title=f"neutral to apex ({DATA})")
    notebook.save(fig, FIGS, "fig3_montage.png", faces_from=DATA)
    display(fig)
    """),
    md("""
    ## The 68 landmarks

    dlib's shape predictor places 68 points on a face (the iBUG 300-W scheme):
    jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, and the mouth 48-67 (outer
    lip 48-59, inner lip 60-67, drawn in red). The aligner uses the eye centres
    and two nose points; the lip points give the lip patch of the next
    notebook. Left: the photo as it comes; right: the aligned crop, where the
    same points have been moved by the same transform.
    """),
    code("""
    record = records[0]
    apex = record.load_frames()[-1]
    points = aligner.landmarks(apex, record.key)
    crop, crop_points, M = aligner.align(apex, record.key)
    fig_photo = plots.landmark_overlay(apex, points, title=f"{record.key}: detected", highlight=range(48, 68))
    fig_crop = plots.landmark_overlay(crop, crop_points, title="aligned crop", numbers=True, highlight=range(48, 68))
    notebook.save(fig_photo, FIGS, "landmarks_photo.png", faces_from=DATA)
    notebook.save(fig_crop, FIGS, "landmarks_crop.png", faces_from=DATA)
    display(fig_photo, fig_crop)
    """),
    code("""
    notebook.record(RESULTS_JSON, data=DATA, n_sequences=len(records), by_expression=by_expression,
                    by_subject=by_subject, lengths=lengths, montage_rows=len(rows),
                    montage_shape=[len(rows), len(rows[0])] if rows else [0, 0],
                    landmarks_shape=list(points.shape), crop_landmarks=crop_points)
    """),
    md("""
    **Next:** `02_lip_patches.ipynb` turns the lip landmarks into the binary
    patch that the local discriminator looks at.
    """),
]


# --------------------------------------------------------------------------------------------
# 02 lip patches

NB02 = [
    md("""
    # 2. Lip patches: where the expression is

    Most of an expression happens around the mouth. AffineGAN gives the mouth a
    discriminator of its own: beside the one that judges the whole face, a
    **local discriminator** sees only the lips, so the generator cannot get away
    with a blurry mouth. To cut the lips out, every training frame gets a binary
    *lip patch*. This notebook builds one step by step, on real faces
    (the paper's Fig. 4):

    1. **detect** the face (dlib's HOG detector);
    2. find the **68 landmarks** inside the face box;
    3. **align** the face to a square crop; the landmarks move with it;
    4. fill the **lip polygon**, points 48-59 (the outer lip), in an empty image;
    5. **dilate** it a few pixels, so the lip border is in, and keep the pixels
       of the crop under it: the **patch**.

    The code is `affinekit.data.faces` (steps 1-3) and `affinekit.data.lips`
    (steps 4-5).
    """),
    params("""
    CKPLUS = ""           # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
    N_FACES = 6           # faces in the gallery, one per expression while there are any
    CROP_SIZE = 128       # aligned face crop, pixels
    DILATION = 3          # pixels the lip polygon grows by
    FIGURES_DIR = ""
    RESULTS_JSON = ""
    """),
    code("""
    import numpy as np
    from IPython.display import display

    from affinekit import notebook, plots
    from affinekit.data.faces import FaceAligner, apply_transform
    from affinekit.data.lips import lip_mask, lip_patch

    S = notebook.sizes(dict(N_FACES=2, CROP_SIZE=96), N_FACES=N_FACES, CROP_SIZE=CROP_SIZE)
    FIGS = notebook.figure_dir(FIGURES_DIR)
    DATA, records = notebook.read_records(CKPLUS, limit=S["N_FACES"])
    aligner = FaceAligner(size=S["CROP_SIZE"])
    print(f"data: {DATA}; faces: {[r.key for r in records]}")
    """),
    md("""
    ## One face, step by step

    We take the **apex** frame of the first sequence (the last frame: the
    mouth is most open there). Steps 1 and 2: the detector returns one box;
    the shape predictor places the landmarks inside it.
    """),
    code("""
    record = records[0]
    image = record.load_frames()[-1]
    box = aligner.detect(image, record.key)
    points = aligner.landmarks(image, record.key, box=box)
    print(f"photo {image.shape}, face box (left, top, right, bottom) = {box}, landmarks {points.shape}")
    display(plots.landmark_overlay(image, points, title="1-2. face box and 68 landmarks", highlight=range(48, 68)))
    """),
    md("""
    Step 3: the similarity transform `M` (2x3) maps photo pixels to crop pixels.
    It is fitted so that the eye centres and two nose points land on a fixed
    template; the same `M` moves the landmarks into the crop.
    """),
    code("""
    M = aligner.transform(points)
    crop = aligner.warp(image, M)
    crop_points = apply_transform(M, points)
    print("M =\\n", np.round(M, 3))
    display(plots.landmark_overlay(crop, crop_points, title="3. aligned crop", highlight=range(48, 68)))
    """),
    md("""
    Steps 4 and 5: `lip_mask` fills the outer lip polygon (48-59) with ones and
    dilates it by `DILATION` pixels; `lip_patch` zeroes everything outside the
    mask. The local discriminator compares such patches of real and generated
    frames.
    """),
    code("""
    mask = lip_mask(crop_points, S["CROP_SIZE"], dilation=DILATION)
    patch = lip_patch(crop, mask)
    print(f"mask: {mask.dtype}, values {np.unique(mask).tolist()}, {int(mask.sum())} pixels "
          f"({100 * mask.mean():.1f}% of the crop)")
    fig = plots.lip_steps(image, points, crop, crop_points, mask, patch, box=box,
                          title=f"lip patch of {record.key} ({record.label}, apex)")
    notebook.save(fig, FIGS, "fig4_lip_patch.png", faces_from=DATA)
    display(fig)
    """),
    md("""
    ## Neutral against apex

    The patch follows the lips through the sequence: the same steps on the
    neutral (first) frame give a smaller, closed mouth. With one transform per
    sequence (CK+: the head is still), only the lips move between the two masks;
    clips in the wild are aligned frame by frame.
    """),
    code("""
    frames = record.load_frames()
    crops, seq_points, _ = aligner.align_sequence(frames[[0, -1]], record.key, per_frame=DATA != "ckplus")
    masks = [lip_mask(p, S["CROP_SIZE"], dilation=DILATION) for p in seq_points]
    fig = plots.frame_grid([[crops[0], masks[0] * 255, lip_patch(crops[0], masks[0])],
                            [crops[1], masks[1] * 255, lip_patch(crops[1], masks[1])]],
                           row_labels=["neutral", "apex"], col_labels=["crop", "mask", "patch"], cell=1.8)
    display(fig)
    print(f"mask area neutral {int(masks[0].sum())} px, apex {int(masks[1].sum())} px")
    """),
    md("""
    ## More faces

    The same pipeline on one apex frame per expression. The patch size changes
    with the expression: surprise and happy open the mouth, anger and sadness
    press the lips.
    """),
    code("""
    rows, labels, areas = [], [], {}
    for r in records:
        crop_r, pts_r, _ = aligner.align(r.load_frames()[-1], r.key)
        m = lip_mask(pts_r, S["CROP_SIZE"], dilation=DILATION)
        rows.append([crop_r, m * 255, lip_patch(crop_r, m)])
        labels.append(f"{r.label}\\n{r.key}")
        areas[r.key] = int(m.sum())
    fig = plots.frame_grid(rows, row_labels=labels, col_labels=["apex crop", "mask", "patch"], cell=1.6)
    notebook.save(fig, FIGS, "lip_patch_gallery.png", faces_from=DATA)
    display(fig)
    """),
    code("""
    notebook.record(RESULTS_JSON, data=DATA, n_faces=len(rows), box=list(box), landmarks_shape=list(points.shape),
                    mask_values=np.unique(mask).tolist(), mask_area=int(mask.sum()), crop_shape=list(crop.shape),
                    neutral_area=int(masks[0].sum()), apex_area=int(masks[1].sum()), areas=areas,
                    patch_outside_zero=bool((patch[mask == 0] == 0).all()))
    """),
    md("""
    **Next:** `03_training.ipynb` trains the generator, with these patches
    feeding the local discriminator.
    """),
]


# --------------------------------------------------------------------------------------------
# 03 training

NB03 = [
    md("""
    # 3. Training the hidden-affine GAN, with live loss plots

    **The idea.** Given a neutral face $x_0$ and an expression $y$, the generator
    makes frame $t$ of a clip from an *intensity* $l_t$ (0 = neutral, 1 = apex):

    $$\\hat x_t = \\mathrm{Dec}\\big(E_b(x_0) + l_t \\, E_d(x_0, y)\\big)$$

    Two encoders of the same U-Net shape read the photo: the **base** encoder
    $E_b$ says what the face is, the **direction** encoder $E_d$ (which also
    sees $y$ as one-hot planes) says which way this face moves for this
    expression. At every skip level the decoder gets the base code plus $l_t$
    times the direction: an affine path in feature space, hidden inside the
    network, hence the name. $l = 0$ must give back $x_0$, $l = 1$ the apex,
    $l > 1$ exaggerates.

    **Intensities of real frames are not labelled**: CK+ frames come in order,
    but nobody measured how strong the expression is in each. The model infers
    them: project the change of base code onto the direction,
    $l_t = \\langle E_b(x_t) - E_b(x_0), a \\rangle / \\lVert a \\rVert^2$ at the
    bottleneck, and decode the real frame's own intensity.

    **What the decoder outputs** (`model.output`). The paper's decoder draws
    the frame's pixels (`"pixels"`). The kit's default (`"motion"`) makes it
    *move* the photo instead: for each code it outputs a backward displacement
    field $F$, a mask $A \in [0, 1]$ and a residual image $R$, and

    $$\hat x_t = (1 - A) \odot \mathrm{warp}(x_0, F) + A \odot R .$$

    $F = l \cdot F_y + (\text{learned correction})$ starts from $F_y$, the mean
    landmark motion of expression $y$ in the training sequences, made dense
    (`affinekit.models.prior`); $F$ and $A$ vanish at $l = 0$, so $l = 0$ gives
    $x_0$ back exactly. A warp keeps identity, colour and detail, and the field
    computed on the 64 px crop is applied to the full-resolution photo; the
    residual paints only what a warp cannot show (a mouth cavity, teeth).

    **Losses** (logged every step, plotted live below):
    - `G_L1`: mean absolute difference between generated and real frames (the
      paper's Fig. 6 shows it falling);
    - `D_real`, `D_fake`: a conditional PatchGAN judges pairs (neutral, frame,
      expression) real or fake (Fig. 7); `G_GAN` is the generator's side of it;
    - `D_patch`: the local discriminator on the lip patch of notebook 02;
    - `D_lambda`: keeps the inferred intensities spread like uniform samples in
      [0, 1], so they do not collapse to one value;
    - `G_rec`: $l = 0$ reconstructs $x_0$ (zero by construction for the motion head);
    - motion head only: `G_landmark`, the distance (pixels) between where the
      field sends frame $t$'s 68 landmarks and the same landmarks in $x_0$;
      `G_smooth`, the field's roughness; `G_mask`, the mask's mean (paint little).

    We prepare the data, split it **by subject**, look at one training item,
    and train with a `LiveBoard`: one figure that redraws in place, throttled,
    with the loss curves and frames generated from fixed inputs.
    """),
    params("""
    CKPLUS = ""            # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
    PREPARED_DIR = ""      # prepared sequences (empty: prepared/<data>_<crop>px in the repository)
    RUN_DIR = ""           # run folder: log.jsonl, checkpoints/ (empty: runs/notebook03_<data>)
    MAX_SEQUENCES = 0      # 0: every labelled sequence
    CROP_SIZE = 128        # prepared crop size, pixels
    IMAGE_SIZE = 64        # model resolution (crops are resized on the fly)
    BASE_WIDTH = 32        # channels of the first U-Net level
    STEPS = 2000           # training steps
    BATCH_SIZE = 8
    SAMPLE_EVERY = 100     # steps between generated samples on the board
    BOARD_SECONDS = 5.0    # the board redraws at most this often
    SEED = 0
    FIGURES_DIR = ""
    RESULTS_JSON = ""
    """),
    code("""
    import math
    from pathlib import Path

    import torch
    from IPython.display import display

    from affinekit import notebook, plots
    from affinekit.config import DataConfig, ModelConfig, TrainConfig
    from affinekit.data.dataset import SequenceDataset, subject_split
    from affinekit.data.prepare import prepare_records
    from affinekit.expressions import EXPRESSIONS
    from affinekit.models.generator import Generator
    from affinekit.train import Trainer

    S = notebook.sizes(dict(MAX_SEQUENCES=4, CROP_SIZE=64, IMAGE_SIZE=32, BASE_WIDTH=8, STEPS=4, BATCH_SIZE=2,
                            SAMPLE_EVERY=2),
                       MAX_SEQUENCES=MAX_SEQUENCES, CROP_SIZE=CROP_SIZE, IMAGE_SIZE=IMAGE_SIZE,
                       BASE_WIDTH=BASE_WIDTH, STEPS=STEPS, BATCH_SIZE=BATCH_SIZE, SAMPLE_EVERY=SAMPLE_EVERY)
    FIGS = notebook.figure_dir(FIGURES_DIR)
    DATA, records = notebook.read_records(CKPLUS, limit=S["MAX_SEQUENCES"])
    prepared = Path(PREPARED_DIR or notebook.REPO_ROOT / "prepared" / f"{DATA}_{S['CROP_SIZE']}px")
    run_dir = Path(RUN_DIR or notebook.REPO_ROOT / "runs" / f"notebook03_{DATA}")
    print(f"data: {DATA}, {len(records)} sequences; sizes: {S}")
    """),
    md("""
    ## Prepare: align every frame, find landmarks, cut lip masks

    `prepare_records` runs notebook 02's pipeline on every frame and writes one
    compressed `.npz` per sequence plus a `manifest.json`. It is resumable: a
    second run reuses what is done.
    """),
    code("""
    data_cfg = DataConfig(image_size=S["CROP_SIZE"], align_per_frame=DATA != "ckplus")   # clips in the wild move
    report = prepare_records(records, prepared, data_cfg, progress=False)
    print(report.summary())
    keys = report.ok
    """),
    md("""
    ## Split by subject

    A face the model trained on would make testing too easy: the test subjects
    must be people it never saw. `subject_split` keeps each subject on one side.
    """),
    code("""
    from affinekit.data.cache import load_manifest

    entries = [e for e in load_manifest(prepared)["sequences"] if e["key"] in set(keys)]
    train_keys, test_keys = subject_split(entries, test_fraction=0.2, seed=SEED)
    if not train_keys:                     # a tiny run may hold a single subject
        train_keys, test_keys = test_keys, []
    print(f"train: {len(train_keys)} sequences; test: {len(test_keys)} sequences of other subjects")
    """),
    md("""
    ## One training item

    An item is a neutral frame $x_0$, $K$ target frames drawn from the sequence
    (the apex always among them), their positions in the sequence (frame index
    over length, in [0, 1]) and their lip masks. Positions are *not* the
    intensities: the model infers those, as described above.
    """),
    code("""
    data = SequenceDataset(prepared, train_keys, num_targets=5, augment=True, seed=SEED, channels=1)
    item = data[0]
    fig = plots.frame_grid([[item["x0"], *item["targets"]], [None, *(item["masks"] * 2 - 1)]],
                           row_labels=["frames", "lip masks"],
                           col_labels=["x0"] + [f"pos {p:.2f}" for p in item["positions"].tolist()],
                           title=f"{item['key']}: {EXPRESSIONS[int(item['label'])]}")
    display(fig)
    """),
    md("""
    ## The model

    A `ModelConfig` fixes the shapes; the generator has two encoders and one
    decoder. Untrained, its frames are noise around the input.
    """),
    code("""
    model_cfg = ModelConfig(image_size=S["IMAGE_SIZE"], channels=1, base_width=S["BASE_WIDTH"])
    train_cfg = TrainConfig(steps=S["STEPS"], batch_size=S["BATCH_SIZE"], sample_every=S["SAMPLE_EVERY"],
                            checkpoint_every=max(S["STEPS"] // 4, 1), seed=SEED, device="auto")
    n_params = sum(p.numel() for p in Generator(model_cfg).parameters())
    print(model_cfg)
    print(f"generator parameters: {n_params / 1e6:.2f} M")
    """),
    md("""
    ## Train, watching the board

    `LiveBoard` is a `Trainer` callback: `on_step` appends the losses,
    `on_sample` takes frames generated from fixed inputs (rows: sequences,
    columns: intensity 0 to 1), and the figure is redrawn **in place** at most
    every `BOARD_SECONDS`. Stop the cell at any time: the trainer saves a
    checkpoint first.

    What to look for: `G_L1` falls quickly, then slowly (Fig. 6); `D_real` and
    `D_fake` stay near each other (Fig. 7): if `D_fake` ran to 0 the
    discriminator would have won and the generator would learn nothing more.
    """),
    code("""
    board = plots.LiveBoard(every=BOARD_SECONDS, title=f"AffineGAN on {DATA}")
    trainer = Trainer(model_cfg, train_cfg, data, run_dir, callbacks=[board])
    trainer.fit()
    print(f"{trainer.step} steps; checkpoint {trainer.checkpoint_path}")
    """),
    md("""
    ## The loss curves (Figs. 6 and 7)

    The same log, read back from `log.jsonl`: faint lines are every step,
    solid lines a moving average.
    """),
    code("""
    log = plots.read_log(trainer.log_path)
    fig6 = plots.loss_curves(log, panels=[("G_L1",)], titles=["generator L1 loss (Fig. 6)"])
    fig7 = plots.loss_curves(log, panels=[("D_real", "D_fake")], titles=["discriminator losses (Fig. 7)"])
    fig_lambda = plots.loss_curves(log, panels=[("lambda_mean", "lambda_std"), ("lambda_corr",)],
                                   titles=["inferred intensities", "correlation with frame position"])
    for name, fig in (("fig6_g_l1.png", fig6), ("fig7_d_real_fake.png", fig7), ("intensity_stats.png", fig_lambda)):
        notebook.save(fig, FIGS, name)
    display(fig6, fig7, fig_lambda)
    """),
    md("""
    ## Faces the model never saw

    Neutral frames of the held-out subjects, animated from intensity 0 to 1.5:
    past 1 the model extrapolates along the same direction. (With a short run
    or the small demo data, expect blurry frames: the point here is the
    mechanics; the bundled model of notebooks 04 and 05 trained for longer.)
    """),
    code("""
    held_out = SequenceDataset(prepared, test_keys or train_keys, num_targets=1, channels=1)
    batch = [held_out[i] for i in range(min(4, len(held_out)))]
    x0 = torch.nn.functional.interpolate(torch.stack([b["x0"] for b in batch]), size=S["IMAGE_SIZE"],
                                         mode="bilinear", align_corners=False).to(trainer.device)
    labels = torch.stack([b["label"] for b in batch]).to(trainer.device)
    intensities = torch.linspace(0, 1.5, 7)
    with torch.no_grad():
        clips = trainer.generator.eval().generate(x0, labels, intensities).cpu()
    fig = plots.frame_grid(clips, row_labels=[f"{EXPRESSIONS[int(b['label'])]}\\n{b['key']}" for b in batch],
                           col_labels=[f"l={v:.2f}" for v in intensities.tolist()],
                           title="held-out subjects" if test_keys else "training subjects (no held-out subject)")
    notebook.save(fig, FIGS, "training_samples.png", faces_from=DATA)
    display(fig)
    """),
    code("""
    last = log[-1]
    notebook.record(RESULTS_JSON, data=DATA, steps=trainer.step, log_rows=len(log),
                    final={k: last[k] for k in ("G_L1", "D_real", "D_fake", "G_GAN", "D_patch") if k in last},
                    finite=all(math.isfinite(r[k]) for r in log for k in ("G_L1", "D_real", "D_fake")),
                    checkpoint=str(trainer.checkpoint_path), checkpoint_exists=trainer.checkpoint_path.is_file(),
                    board_draws=board.draws, train_sequences=len(train_keys), test_sequences=len(test_keys),
                    sample_shape=list(clips.shape))
    """),
    md("""
    **Next:** `04_evaluation.ipynb` scores a trained model against real videos
    and two baselines that need no training at all.
    """),
]


# --------------------------------------------------------------------------------------------
# 04 evaluation

NB04 = [
    md("""
    # 4. Evaluating honestly: Table 2, against baselines, on unseen subjects

    A generated clip is compared with the **real** clip of the same sequence:
    both start from the same neutral frame, the real one is resampled to the
    same number of frames. The measures (`affinekit.metrics`):

    - **PSNR** and **SSIM** against the real frames, in floating point. (An
      8-bit subtraction wraps around modulo 256 and turns large errors into
      small ones: the original AffineGAN metric script does this, which adds
      several dB even for doing nothing. The table's notes measure the effect
      in this very run.)
    - **ACD** (average content distance) with dlib's 128-d face descriptor:
      ACD-C, the mean distance between frames of one clip (does the identity
      stay?); ACD-I, each frame against the input; ACD-M, each frame against the
      matching real frame.
    - **expression accuracy**: does a small classifier read the last frame as
      the requested expression?

    Numbers alone say little, so every table carries, **measured in the same
    run**: the real videos (the target values), **copy-input** (repeat the
    neutral frame: no model at all) and **landmark-warp** (move the landmarks by
    the mean displacement of that expression and warp the image: no learning
    of appearance). A model earns its place only where it beats these.

    Test sequences come from **subjects the model never saw** (`subject`
    protocol); with `FOLDS` > 1, from k folds over subjects, as mean ± std.
    The published rows are quoted apart, never mixed with measured ones.
    """),
    params("""
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
    """),
    code("""
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
    """),
    md("""
    ## Table 2, regenerated

    `subject_protocol` splits by subject, fits landmark-warp on the training
    subjects, generates a clip from every test sequence's first frame with each
    maker, and scores them all. Each model has one row: its output, exactly
    what `affinekit generate` would show for that face. The paper's pixel head
    (trained by the same recipe) has its own row beside the kit's motion head.
    """),
    code("""
    table = subject_protocol(prepared, checkpoints=checkpoints, folds=FOLDS, frames=S["FRAMES"],
                             train_steps=TRAIN_STEPS, seed=SEED, work_dir=work / "folds",
                             limit=S["LIMIT"] or None, keep_clips=True)
    markdown = f"*Data: {DATA}; model: {model_name}.*\\n\\n" + table.to_markdown()
    if FIGS:
        (FIGS / f"table2_{DATA}.md").write_text(markdown)
        (FIGS / f"table2_{DATA}.json").write_text(table.to_json())
    display(Markdown(markdown))
    """),
    md("""
    ## Per expression

    The same per-sequence scores, averaged per requested expression. With few
    test sequences per expression these bars are noisy: read them next to the
    counts.
    """),
    code("""
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
    """),
    md("""
    ## Best and worst cases

    The model's test clips with the highest and the lowest PSNR: for each, the
    real clip above and the generated one below, neutral to apex.
    """),
    code("""
    scored = sorted((item for item in table.per_sequence if item["row"] == model_row), key=lambda it: it["psnr"])
    worst, best = scored[:S["GALLERY"]], scored[::-1][:S["GALLERY"]]
    for name, cases in (("best", best), ("worst", worst)):
        grid, labels = [], []
        for item in cases:
            clips = table.clips[item["key"]]
            grid += [plots.pick_frames(clips[REAL], 6), plots.pick_frames(clips[model_row], 6)]
            labels += [f"real\\n{item['key']}", f"generated ({item['label']})\\nPSNR {item['psnr']:.1f} dB"]
        fig = plots.frame_grid(grid, row_labels=labels, title=f"{name} {len(cases)} by PSNR: {model_name}")
        notebook.save(fig, FIGS, f"gallery_{name}.png", faces_from=DATA)
        display(fig)
    """),
    code("""
    notebook.record(RESULTS_JSON, data=DATA, model=model_name, rows=[r.name for r in table.rows],
                    kinds=[r.kind for r in table.rows],
                    metrics={r.name: r.metrics for r in table.rows}, videos=table.rows[0].videos,
                    per_expression=means["psnr"], counts=counts, gallery=[len(best), len(worst)],
                    markdown_has_quoted="Quoted, not measured" in markdown,
                    table_file=str(FIGS / f"table2_{DATA}.md") if FIGS else "")
    """),
    md("""
    **Next:** `05_generate_videos.ipynb`, to play with the model on any photo.
    """),
]


# --------------------------------------------------------------------------------------------
# 05 generate videos

NB05 = [
    md("""
    # 5. One photo in, a video out: play with the model

    `affinekit.load_pretrained()` returns an `Animator`, which takes any face
    photo through five stages:

    1. **read** the photo (a path, an array or a PIL image);
    2. **detect** the face and its 68 landmarks (notebook 02);
    3. **align** it: the similarity transform to the model's square crop;
    4. **generate** every frame in one batched pass, at intensities evenly
       spaced from 0 (the photo) to the chosen intensity (1 = apex; above 1 the
       model extrapolates along the same hidden affine direction): the motion
       head's field, mask and residual, computed on the crop, are carried
       through the inverse alignment and applied to the full-resolution photo,
       so the clip keeps the photo's size, colour and detail;
    5. **encode** the clip (mp4 or gif).

    What you see is the network's output: `affinekit.inference` is the one
    path that `generate`, this notebook, the app and evaluation all use.

    First the same thing from code, then an app (ipywidgets): pick a sample or
    upload a photo, choose the expression, the number of frames, the
    intensity and the frame rate; **Generate** plays the clip inline; save it
    as mp4 or gif; the **scrub** slider shows a single frame at any intensity.
    """),
    params("""
    CHECKPOINT = ""        # a checkpoint from `affinekit train`; empty: the bundled model
    PHOTO = ""             # a face photo to add to the samples
    EXPRESSION = "happy"
    FRAMES = 16
    INTENSITY = 1.0        # 1 is the apex, above 1 extrapolates (the app slider goes to 2)
    FPS = 8
    OUT_DIR = ""           # where clips are saved (empty: out/clips in the repository)
    FIGURES_DIR = ""
    RESULTS_JSON = ""
    """),
    code("""
    from pathlib import Path

    import numpy as np
    from IPython.display import HTML, display

    from affinekit import notebook, plots
    from affinekit.expressions import EXPRESSIONS
    from affinekit.video import read_frames
    from affinekit.widgets import GeneratorApp, clip_html

    S = notebook.sizes(dict(FRAMES=4), FRAMES=FRAMES)
    FIGS = notebook.figure_dir(FIGURES_DIR)
    out_dir = Path(OUT_DIR or notebook.REPO_ROOT / "out" / "clips")
    out_dir.mkdir(parents=True, exist_ok=True)
    animator, model_name = notebook.load_animator(CHECKPOINT)
    samples = notebook.sample_photos()
    if PHOTO:
        samples[Path(PHOTO).stem] = PHOTO
    name, photo = next(iter(samples.items()))
    print(f"model: {model_name} ({animator}); samples: {list(samples)}")
    """),
    md("""
    ## From code

    `animate` returns the frames, `(T, H, W, 3)` uint8; `save` writes mp4 or
    gif. `clip_html` is what the app uses to play a clip inline: an HTML5
    `<video>` holding the mp4 itself (base64), looping and muted so browsers
    let it autoplay.
    """),
    code("""
    frames = animator.animate(photo, EXPRESSION, frames=S["FRAMES"], intensity=INTENSITY)
    video_path = animator.save(frames, out_dir / f"{EXPRESSION}.mp4", fps=FPS)
    print(f"{frames.shape[0]} frames of {frames.shape[2]}x{frames.shape[1]}, saved to {video_path}; "
          f"stage times (s): { {k: round(v, 3) for k, v in animator.timings.items()} }")
    player, video_format = clip_html(frames, FPS, width=320)
    display(HTML(player))
    """),
    md("""
    ## Every expression, neutral to apex and beyond

    Aligned close-ups of the face (`crop_only=True`), in the photo's own
    colour, one row per expression, intensity from 0 to 1.5: columns past 1
    extrapolate.
    """),
    code("""
    steps = 4 if notebook.is_tiny() else 7
    rows = [animator.animate(photo, e, frames=steps, intensity=1.5, crop_only=True) for e in EXPRESSIONS]
    fig = plots.frame_grid(rows, row_labels=list(EXPRESSIONS),
                           col_labels=[f"l={v:.2f}" for v in np.linspace(0, 1.5, steps)],
                           title=f"{name}: {model_name}")
    notebook.save(fig, FIGS, "generated_expressions.png", faces_from="demo")
    display(fig)
    """),
    md("""
    ## The app

    Run the cell, then use the controls. The clip shows the full frame with a
    close-up of the face beside it, so a small face's change can be seen. Everything the buttons do is a plain
    method of `GeneratorApp` (`generate`, `save`, `scrub`, `use_upload`), so
    it can also be driven from code, and it is tested that way.
    """),
    code("""
    app = GeneratorApp(animator, samples, expression=EXPRESSION, frames=S["FRAMES"], intensity=INTENSITY,
                       fps=FPS, out_dir=out_dir)
    app
    """),
    code("""
    written = read_frames(video_path)
    notebook.record(RESULTS_JSON, model=model_name, samples=list(samples), video=str(video_path),
                    video_frames=len(written), frames_shape=list(frames.shape), video_format=video_format,
                    player_has_video="<video" in player and "base64," in player,
                    grid_shape=[len(rows), len(rows[0])], app_expressions=list(app.expression.options),
                    intensity_max=app.intensity.max)
    """),
]


NOTEBOOKS = {
    "01_dataset_exploration": NB01,
    "02_lip_patches": NB02,
    "03_training": NB03,
    "04_evaluation": NB04,
    "05_generate_videos": NB05,
}


def build(name: str, cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "affinekit", "display_name": "Python (affinekit)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):     # stable ids: rebuilding gives the same file
        cell["id"] = f"{name[:2]}-{i:02d}"
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed notebook is out of date")
    parser.add_argument("--out", type=Path, default=NOTEBOOK_DIR)
    args = parser.parse_args(argv)
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = args.out / f"{name}.ipynb"
        text = render(build(name, cells))
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python scripts/build_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
