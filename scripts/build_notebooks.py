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

    This is what the generator must learn: from the first column alone, make
    the rest of the row.
    """),
    code("""
    aligner = FaceAligner(size=S["CROP_SIZE"])
    rows, row_labels = [], []
    for expression in EXPRESSIONS:
        record = next((r for r in records if r.label == expression), None)
        if record is None:
            continue
        frames = plots.pick_frames(record.load_frames(), S["MONTAGE_FRAMES"])
        crops, _, _ = aligner.align_sequence(frames, record.key)
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
    sequence (the head is still), only the lips move between the two masks.
    """),
    code("""
    frames = record.load_frames()
    crops, seq_points, _ = aligner.align_sequence(frames[[0, -1]], record.key)
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


NOTEBOOKS = {
    "01_dataset_exploration": NB01,
    "02_lip_patches": NB02,
}


def build(name: str, cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
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
