"""Photos in the wild: the open faces times six expressions, scored and drawn.

    python benchmarks/wild_faces.py [--checkpoint PATH] [--figure figures/generated_expressions_wild.png]
                                    [--no-mouth] [--warp-only prior|field] [--faces open|validation]
                                    [--intensity L]

Faces: scikit-image's astronaut, data/demo/photo_neutral.png and the first frame
of every clip in ../shared/data/clips (or, without it, the first frame of each
data/demo sequence). For each face and each of the six CK+ expressions it makes
a 16-frame clip with the model (the same call `affinekit generate` makes) and prints:

- how often the kit's expression classifier reads the requested expression in
  the last frame (on the aligned 128 px close-up, as evaluation does), and how often
  the multi-source judge does (`evaluation.judge`, on the same close-up: the generator's
  framing; its ceiling is its held-out accuracy on real photos, affinekit/weights/JUDGE_CARD.md);
- how much the face box's mean chroma (Cr, Cb of YCrCb) changes between the
  first and the last full-resolution frame (a colour model must not grey a face);
- the mean mask inside the mouth at the apex (how much the residual paints there).

The figure: one row per face, its photo then the six last frames as close-ups.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any, Iterator

import cv2
import numpy as np

from affinekit.commands.script_args import FRAMES, number, run_script

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT.parent / "shared" / "data" / "clips"
SIX = ("anger", "disgust", "fear", "happy", "sadness", "surprise")
MOUTH_VIEWS = ("happy", "surprise")    # the mouth close-ups at the end of each row


def open_faces() -> list[tuple[str, np.ndarray]]:
    """(name, RGB photo) of every open face the kit may show."""
    from affinekit.io.photos import demo_photo, read_photo
    from affinekit.io.video import read_frames

    faces = [("astronaut", demo_photo()), ("photo_neutral", read_photo(ROOT / "data/demo/photo_neutral.png")[0])]
    if CLIPS.is_dir():
        for clip in sorted(CLIPS.glob("*.mp4")):
            faces.append((clip.stem, read_frames(clip, max_frames=1)[0]))
    else:
        from affinekit.data.records import list_images
        for folder in sorted(p for p in (ROOT / "data/demo").iterdir() if p.is_dir() and list_images(p)):
            faces.append((folder.name, read_photo(list_images(folder)[0])[0]))   # demo sequences (not frll/)
    return [(n, np.repeat(f[..., None], 3, -1) if f.ndim == 2 else f) for n, f in faces]


def aligned_faces(animator, faces: list[tuple[str, np.ndarray]], indent: str = "") -> Iterator[tuple[str, Any]]:
    """(name, `AlignedFace`) of each (name, photo) the animator's detector finds; a face it misses is
    named on stderr and skipped, not fatal (one bad photo must not lose the other clips' scores).

    The open faces are the first frames of the open clips, and the model's mouth bank may hold mouths
    of those clips: while the caller works on a face, its own clip's mouths are left out
    (`own_mouths_left_out`), as training leaves out each target's own, so that no face is scored with
    its own mouth pasted in."""
    for name, photo in faces:
        try:
            aligned = animator.align(photo, name)
        except Exception as err:  # noqa: BLE001 - any detector or alignment failure skips this face only
            print(f"{indent}{name}: skipped ({err})", file=sys.stderr)
            continue
        with own_mouths_left_out(animator, name):
            yield name, aligned


def own_mouths_left_out(animator, name: str) -> "contextlib.AbstractContextManager[None]":
    """A block in which the animator's clips never copy the bank mouths of the open clip `name`; any
    other face (or a model whose bank does not name its people): no change."""
    from affinekit.models.mouth_exemplar import leaving_out
    from affinekit.training.mouth_bank import clip_person

    return leaving_out(animator.generator.mouth, clip_person(name))


VALIDATION_FOLDERS = ("frll256", "jaffe256", "yale256", "ck256")


def validation_faces(prepared: Path) -> list[tuple[str, np.ndarray]]:
    """(person, RGB neutral crop) of each judge-test validation person in the prepared folders of
    `VALIDATION_FOLDERS` under `prepared`: the people neither the generator nor the judge learnt
    from (`evaluation.judge.judge_test_people`), one neutral face each (the first frame of their first
    item), so that a setting can be chosen on the open faces' protocol without the open faces."""
    from affinekit.data.dataset import validation_split
    from affinekit.data.prepared import load_manifest, load_sequence
    from affinekit.evaluation.judge import judge_test_people

    people, faces = judge_test_people(), []
    for name in VALIDATION_FOLDERS:
        folder = prepared / name
        if not folder.is_dir():
            print(f"{folder}: not prepared, left out (see the model card's commands)", file=sys.stderr)
            continue
        entries = load_manifest(folder)["sequences"]
        held = set(validation_split(entries, 0.2, seed=0)[1])
        seen = set()
        for entry in sorted(entries, key=lambda e: e["key"]):
            if entry["key"] in held and entry["subject"] in people and entry["subject"] not in seen:
                seen.add(entry["subject"])
                frame = load_sequence(folder, entry["key"]).frames[0]
                faces.append((entry["subject"], np.repeat(frame, 3, -1) if frame.shape[-1] == 1 else frame))
    if not faces:
        raise FileNotFoundError(f"{prepared}: none of {', '.join(VALIDATION_FOLDERS)} holds a judge-test person; "
                                "prepare them as the model card says, or pass --prepared")
    return faces


def add_face_options(parser: argparse.ArgumentParser) -> None:
    """--faces and --prepared, as this script and its siblings take them (`chosen_faces` reads them)."""
    parser.add_argument("--faces", choices=("open", "validation"), default="open",
                        help="open: the open faces (the report); validation: the judge-test validation people's "
                             "neutral faces (`validation_faces`), to choose a setting on")
    parser.add_argument("--prepared", default=str(ROOT / "prepared"), help="where --faces validation's folders are")


def chosen_faces(args: argparse.Namespace) -> list[tuple[str, np.ndarray]]:
    """The (name, photo) list that `add_face_options`' arguments name."""
    return open_faces() if args.faces == "open" else validation_faces(Path(args.prepared))


def face_chroma(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Mean (Cr, Cb) of the box (x0, y0, x1, y1) of an RGB frame."""
    x0, y0, x1, y1 = box
    ycc = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2YCrCb).astype(np.float64)
    return ycc[..., 1:].reshape(-1, 2).mean(0)


REPORT_FIGURE = ROOT / "figures" / "generated_expressions_wild.png"


def default_figure(args: argparse.Namespace) -> Path:
    """The shipped figure only for the report's run (the open faces, the bundled model and judge, its mouth
    stage on, l = 1, the whole model); out/ for any other (`provenance.report_or_probe`)."""
    from affinekit.notebook.provenance import is_bundled, report_or_probe
    report = (args.faces == "open" and is_bundled(args.checkpoint) and not args.judge and not args.no_mouth
              and not args.warp_only and args.intensity == 1.0)
    return report_or_probe(REPORT_FIGURE, report)


def main(argv: list[str] | None = None) -> int:
    import torch

    from affinekit.data.faces import FaceAligner, apply_transform
    from affinekit.evaluation.classifier import load_classifier
    from affinekit.evaluation.judge import load_judge
    from affinekit.expressions import EXPRESSIONS
    from affinekit.generate.animate import load_pretrained
    from affinekit.io.destinations import output_file
    from affinekit.notebook.provenance import script_command, stamp
    from affinekit.weights.bundled import DEFAULT_WEIGHTS
    from affinekit.show.look_inside_mouth import mouth_closeup
    from affinekit.training.mouth_bank import clip_person

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a checkpoint instead of the bundled model")
    parser.add_argument("--figure", help="where to draw the faces (default: the report's figure, "
                        "figures/generated_expressions_wild.png, for the report's own run; the same name under out/ "
                        "for any other)")
    parser.add_argument("--frames", type=FRAMES, default=16)
    parser.add_argument("--intensity", type=number(0, 2, above=True), default=1.0,
                        help="the clips' last intensity (1: a full CK+ apex; the targets are read at 1)")
    parser.add_argument("--no-mouth", action="store_true", help="leave out the mouth refiner (the comparison)")
    parser.add_argument("--judge", help="a judge checkpoint instead of the bundled one (scripts/train_judge.py)")
    add_face_options(parser)
    parser.add_argument("--warp-only", choices=("prior", "field"),
                        help="what the trained parts add: warp by l times the prior alone (prior), or by the whole "
                             "field (field), with the mask shut and no mouth stage (`Generator.prior_alone`)")
    args = parser.parse_args(argv)
    args.figure = args.figure or str(default_figure(args))
    output_file(args.figure, "--figure", {"--checkpoint": args.checkpoint}, (".png",))    # before any work

    photos = chosen_faces(args)          # before the model: a missing folder fails at once
    animator = load_pretrained(args.checkpoint)
    animator.mouth = not args.no_mouth
    if args.warp_only:
        animator.generator = animator.generator.prior_alone(learned=args.warp_only == "field")
    clf, judge = load_classifier(), load_judge(args.judge)
    view = FaceAligner(128)
    correct, judged, floor, chroma, mouth_mask, rows = [], [], [], [], [], []
    for name, aligned in aligned_faces(animator, photos):
        labels = [EXPRESSIONS.index(e) for e in SIX]
        clips = animator.render(aligned, labels, args.frames, args.intensity)      # (6, T, H, W, 3)
        closeups = animator.render(aligned, labels, args.frames, args.intensity, view="closeup", size=128)
        lm_photo = aligned.photo_landmarks()
        points = apply_transform(view.transform(lm_photo), lm_photo)     # in the 128 px close-up
        faces = np.stack([clf.face_crop(c[-1], points) for c in closeups])
        pred = clf.predict(faces).argmax(1)
        correct += [int(p == y) for p, y in zip(pred, labels)]
        judge_names = judge.named(judge.probabilities([c[-1] for c in closeups]))
        judged += [int(n == EXPRESSIONS[y]) for n, y in zip(judge_names, labels)]
        as_is = judge.named(judge.probabilities(closeups[:1, 0]))[0]        # the input: a clip that never moves
        floor += [int(as_is == EXPRESSIONS[y]) for y in labels]
        x0, y0 = np.floor(lm_photo.min(0)).astype(int).clip(0)
        x1, y1 = np.ceil(lm_photo.max(0)).astype(int)
        box = (x0, y0, x1, y1)
        chroma += [float(np.abs(face_chroma(c[-1], box) - face_chroma(c[0], box)).max()) for c in clips]
        if animator.generator.moves:
            crop = torch.from_numpy(aligned.crop.transpose(2, 0, 1).copy()).float()[None] / 127.5 - 1
            from affinekit.io.images import tensor_channels as to_channels
            motion = animator.generator.motion(to_channels(crop, animator.channels).expand(len(labels), -1, -1, -1),
                                               torch.tensor(labels), torch.tensor([0.0, args.intensity]))
            mouth = np.zeros((animator.image_size,) * 2, np.uint8)
            cv2.fillConvexPoly(mouth, np.round(aligned.landmarks[48:60]).astype(np.int32), 1)
            m = motion.mask[:, -1, 0].detach().numpy()
            mouth_mask += [float(m[i][mouth > 0].mean()) for i in range(len(labels))]
        marks = " ".join(EXPRESSIONS[p][:4] + ("+" if p == y else "-") for p, y in zip(pred, labels))
        print(f"{name:28s} read as: {marks}   judge: " + " ".join(n[:4] + ("+" if n == EXPRESSIONS[y] else "-")
                                                                for n, y in zip(judge_names, labels)))
        mouths = [mouth_closeup(clips[SIX.index(e)][-1], lm_photo) for e in MOUTH_VIEWS]
        rows.append((name, closeups[0, 0], [c[-1] for c in closeups] + mouths))

    n = len(correct)
    bank = None if args.no_mouth else getattr(animator.generator.mouth, "bank_names", None)   # None: no bank
    own = sorted(name for name, _, _ in rows if clip_person(name) in (bank or []))
    print(f"\nfaces: {len(rows)}, clips: {n}; " + (
        "no bank of real mouths in use" if bank is None else
        "the model does not name its bank's people: a face's own mouths may be copied" if not bank else
        f"each face's own mouths left out of the bank: {', '.join(own)}" if own else
        "no face's own mouths are in the bank"))
    for who, hits, target in (("classifier", correct, True), ("judge", judged, True),
                              ("judge on the unchanged input (floor)", floor, False)):
        print(f"{who}: expression read as requested: {np.mean(hits):.0%} of last frames"
              + (" (target >= 60%)" if target else ""))
        per = np.array(hits).reshape(-1, len(SIX)).mean(0)       # faces x six expressions, in order
        print("  per expression" + (" (target >= 30% each)" if target else "") + ": "
              + ", ".join(f"{e} {v:.0%}" for e, v in zip(SIX, per)))
    print(f"face-box chroma change first->last: mean {np.mean(chroma):.2f}, max {np.max(chroma):.2f} levels (target <= 2)")
    if mouth_mask:
        print(f"mean mask inside the mouth at the apex: {np.mean(mouth_mask):.3f}")
    write_figure(rows, Path(args.figure))
    stamp(Path(args.figure).parent, [Path(args.figure).name], [args.checkpoint or DEFAULT_WEIGHTS], script_command(__file__, argv))   # figures/made_with.json
    print(f"figure: {args.figure}")
    return 0


def write_figure(rows: list[tuple[str, np.ndarray, list[np.ndarray]]], path: Path) -> None:
    """One row per face: the input close-up, the six last frames, then the happy and surprise mouths
    cut from the full-resolution frames (where the mouth refiner paints)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from affinekit.show.plots import save

    titles = ["input", *SIX, *(f"{e} mouth" for e in MOUTH_VIEWS)]
    cols = len(titles)
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.6 * cols, 1.7 * len(rows)), squeeze=False)
    for r, (name, first, lasts) in enumerate(rows):
        for c, img in enumerate([first] + lasts):
            ax = axes[r, c]
            ax.imshow(img)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=9)
        axes[r, 0].set_ylabel(name[:16], fontsize=7)
    fig.tight_layout(pad=0.3)
    save(fig, path, dpi=70)        # atomic: a link at the path is replaced, never written through
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(run_script(main))
