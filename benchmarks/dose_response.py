"""A measured dose-response: does the expression grow with the intensity, and does the face stay a face?

    python benchmarks/dose_response.py [--checkpoint PATH] [--figure figures/dose_response.png]

Faces: the open ones only, the FRLL demo people (data/demo/frll/neutral_front, CC BY 4.0)
and the faces `wild_faces.py` reads (the astronaut, data/demo/photo_neutral.png, the
first frame of each open clip in ../shared/data/clips). For each face and each of the
six CK+ expressions the model makes the frames at intensities 0, 0.25, ..., 2 (the same
call `affinekit generate` makes) and measures, per frame:

- the kit's classifier's probability of the requested expression (on the 128 px
  aligned close-up, framed by the input's landmarks, as evaluation does);
- where dlib's detector finds the face in the full frame, its 68 landmarks, brought
  onto the input's by a similarity fit on the eyes and nose; the mean displacement of
  the mouth (48-67) and brow (17-26) landmarks from the input's, in inter-ocular
  distances (IOD);
- whether the detector still finds the face at all (at l = 2 above all).

It prints, per expression, Spearman's correlation of each measure with the intensity,
both over the mean curve (the mean over faces at each of the nine intensities) and
over all (face, intensity) points pooled, and draws figures/dose_response.png.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from affinekit.commands.script_args import run_script

ROOT = Path(__file__).resolve().parents[1]
FRLL = ROOT / "data" / "demo" / "frll" / "neutral_front"
INTENSITIES = np.arange(0.0, 2.0001, 0.25)
MOUTH, BROWS, RIGID = list(range(48, 68)), list(range(17, 27)), list(range(27, 48))
TARGET = 0.9


def faces() -> list[tuple[str, np.ndarray]]:
    """(name, RGB photo) of the open faces: FRLL demo people, then `wild_faces.open_faces`."""
    from wild_faces import open_faces

    from affinekit.io.photos import read_photo

    frll = [(f"frll {p.stem}", read_photo(p)[0]) for p in sorted(FRLL.glob("*.jpg"))]
    return frll + open_faces()


def displacement(points: np.ndarray, neutral: np.ndarray) -> tuple[float, float]:
    """Mean displacement (IOD) of the mouth and of the brow landmarks of `points` from `neutral`, after a
    similarity fit of the rigid points (eyes, nose) onto the neutral's."""
    from affinekit.data.faces import apply_transform, eye_centres, similarity_fit

    M = similarity_fit(points[RIGID], neutral[RIGID])
    moved = apply_transform(M, points)
    iod = float(np.linalg.norm(np.subtract(*eye_centres(neutral))))
    step = np.linalg.norm(moved - neutral, axis=1) / iod
    return float(step[MOUTH].mean()), float(step[BROWS].mean())


def measure(animator, clf, name: str, photo: np.ndarray, labels: list[int]) -> dict[str, np.ndarray] | None:
    """(labels, intensities) arrays of probability, mouth and brow displacement (NaN: no face), found;
    an open clip's face is made without its own mouths in the bank."""
    from wild_faces import own_mouths_left_out
    from affinekit.data.faces import FaceAligner, apply_transform, find_faces

    try:
        aligned = animator.align(photo, name)
    except Exception as err:  # a face the detector misses is reported, not fatal
        print(f"{name}: skipped ({err})", file=sys.stderr)
        return None
    frames, top = len(INTENSITIES), float(INTENSITIES[-1])
    with own_mouths_left_out(animator, name):
        closeups = animator.render(aligned, labels, frames, top, view="closeup", size=128)  # (6, 9, 128, 128, 3)
        clips = animator.render(aligned, labels, frames, top)                         # (6, 9, H, W, 3)
    lm_photo = aligned.photo_landmarks()
    view = FaceAligner(128)
    points = apply_transform(view.transform(lm_photo), lm_photo)
    crops = np.stack([clf.face_crop(f, points) for c in closeups for f in c])
    prob = clf.predict(crops).reshape(len(labels), frames, -1)
    prob = np.stack([prob[i, :, y] for i, y in enumerate(labels)])
    mouth = np.full((len(labels), frames), np.nan)
    brow = np.full((len(labels), frames), np.nan)
    found = np.zeros((len(labels), frames), bool)
    for i in range(len(labels)):
        for t in range(frames):
            boxes = find_faces(clips[i, t], max_side=animator.detect_side)
            if not boxes:
                continue
            found[i, t] = True
            mouth[i, t], brow[i, t] = displacement(view.landmarks(clips[i, t], box=boxes[0]), lm_photo)
    return {"prob": prob, "mouth": mouth, "brow": brow, "found": found, "strip": closeups[:, [0, 4, 8]]}


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import spearmanr

    keep = np.isfinite(y)
    return float(spearmanr(x[keep], y[keep]).statistic) if keep.sum() > 2 else float("nan")


def main(argv: list[str] | None = None) -> int:
    from wild_faces import SIX

    from affinekit.evaluation.classifier import load_classifier
    from affinekit.expressions import EXPRESSIONS
    from affinekit.generate.animate import load_pretrained
    from affinekit.io.destinations import output_file
    from affinekit.notebook.provenance import is_bundled, report_or_probe, script_command, stamp
    from affinekit.weights.bundled import CLASSIFIER_WEIGHTS, DEFAULT_WEIGHTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a checkpoint instead of the bundled model")
    parser.add_argument("--figure", help="default: figures/dose_response.png (the bundled model), else under out/")
    args = parser.parse_args(argv)
    args.figure = args.figure or str(report_or_probe(ROOT / "figures" / "dose_response.png", is_bundled(args.checkpoint)))
    output_file(args.figure, "--figure", {"--checkpoint": args.checkpoint}, (".png",))    # before any work

    animator, clf = load_pretrained(args.checkpoint), load_classifier()
    labels = [EXPRESSIONS.index(e) for e in SIX]
    results, names = [], []
    for name, photo in faces():
        r = measure(animator, clf, name, photo, labels)
        if r is not None:
            results.append(r)
            names.append(name)
            print(f"{name:28s} face found at l=2: {int(r['found'][:, -1].sum())}/{len(SIX)}", flush=True)
    stack = {k: np.stack([r[k] for r in results]) for k in ("prob", "mouth", "brow", "found")}   # (F, 6, 9)
    stack["landmarks"] = (stack["mouth"] + stack["brow"]) / 2
    pooled_x = np.broadcast_to(INTENSITIES, stack["prob"].shape[:1] + INTENSITIES.shape)
    print(f"\nfaces: {len(results)}, intensities {INTENSITIES[0]:.2f}..{INTENSITIES[-1]:.2f} step 0.25")
    print(f"dlib finds the face at l=2 in {stack['found'][:, :, -1].mean():.0%} of the clips "
          f"({int(stack['found'][:, :, -1].sum())}/{stack['found'][:, :, -1].size}); "
          f"over all intensities {int(stack['found'].sum())}/{stack['found'].size} frames")
    print("\nSpearman with the intensity: mean curve over faces (pooled over every face and intensity)")
    print(f"  {'expression':<10} {'probability':>20} {'mouth+brow':>20} {'mouth':>20} {'brow':>20}")
    met = {"prob": 0, "landmarks": 0}
    for i, e in enumerate(SIX):
        cells = []
        for key in ("prob", "landmarks", "mouth", "brow"):
            values = stack[key][:, i]
            curve = spearman(INTENSITIES, np.nanmean(values, 0))
            pooled = spearman(pooled_x.ravel(), values.ravel())
            cells.append(f"{curve:+.2f} ({pooled:+.2f})")
            if key in met:
                met[key] += curve >= TARGET
        print(f"  {e:<10} " + " ".join(f"{c:>20}" for c in cells))
    print(f"\nmean-curve Spearman >= {TARGET}: probability {met['prob']}/6 (target >= 5), "
          f"mouth+brow displacement {met['landmarks']}/6 (target 6)")
    print("mean probability of the requested expression at l = 0, 1, 2: " + ", ".join(
        f"{e} {np.mean(stack['prob'][:, i, 0]):.2f}/{np.mean(stack['prob'][:, i, 4]):.2f}/"
        f"{np.mean(stack['prob'][:, i, 8]):.2f}" for i, e in enumerate(SIX)))
    write_figure(stack, results[0]["strip"], names[0], Path(args.figure))
    stamp(Path(args.figure).parent, [Path(args.figure).name], [args.checkpoint or DEFAULT_WEIGHTS, CLASSIFIER_WEIGHTS], script_command(__file__, argv))   # figures/made_with.json
    print(f"figure: {args.figure}")
    return 0


def write_figure(stack: dict[str, np.ndarray], strip: np.ndarray, name: str, path: Path) -> None:
    """Three curves (probability, mouth, brow; mean over faces, 25-75% band), then one face at l = 0, 1, 2."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from affinekit.show.plots import save
    from wild_faces import SIX

    fig = plt.figure(figsize=(12, 7.2))
    grid = fig.add_gridspec(2, 6, height_ratios=[1.25, 1])
    titles = {"prob": "classifier P(requested expression)", "mouth": "mouth landmarks moved (IOD)",
              "brow": "brow landmarks moved (IOD)"}
    colours = plt.get_cmap("tab10").colors
    for k, (key, title) in enumerate(titles.items()):
        ax = fig.add_subplot(grid[0, 2 * k:2 * k + 2])
        for i, e in enumerate(SIX):
            values = stack[key][:, i]
            ax.plot(INTENSITIES, np.nanmean(values, 0), "-o", ms=3, color=colours[i], label=e)
            low, high = np.nanpercentile(values, 25, 0), np.nanpercentile(values, 75, 0)
            ax.fill_between(INTENSITIES, low, high, color=colours[i], alpha=0.08)
        ax.axvline(1.0, color="0.6", lw=0.8, ls="--")
        ax.set_xlabel("intensity l (1 = apex, > 1 extrapolates)")
        ax.set_title(title, fontsize=10)
        if k == 0:
            ax.legend(fontsize=7, ncol=2)
    for i, e in enumerate(SIX):
        ax = fig.add_subplot(grid[1, i])
        ax.imshow(np.concatenate(list(strip[i]), axis=0))
        ax.set_xticks([])
        ax.set_yticks([64, 192, 320], ["l=0", "l=1", "l=2"], fontsize=8)
        ax.set_title(e, fontsize=9)
    fig.suptitle(f"dose-response on {stack['prob'].shape[0]} open faces (bottom: {name})", fontsize=11)
    fig.tight_layout()
    save(fig, path, dpi=80)        # atomic: a link at the path is replaced, never written through
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(run_script(main))
