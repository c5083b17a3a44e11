"""Teeth and mouth interiors against real mouths (issue 28's teeth targets), and a strip of FRLL mouths.

    python benchmarks/teeth.py --checkpoint X [--baseline affinekit/weights/affinekit_default.pt]
        [--frll ../shared/data/frll --split prepared/frll256]
        [--surprise prepared/jaffe256,prepared/yale256,prepared/mead256]
        [--figure figures/teeth_strip.png] [--json out.json]

Rows: X with its mouth stage left out, the baseline (--baseline, named --baseline-name; e.g. the 5 Dec
model, whose refiner paints luma from nothing) and X. Scored on validation people only (`validation_split(manifest, 0.2,
seed=0)` of each prepared folder):

- FRLL validation people whose real smile shows teeth (teeth >= MIN_REAL_TEETH IOD^2): the happy
  apex (l = 1) rendered on the 1024 px neutral photo, its landmarks found by dlib on the frame; inside
  the inner lips, the teeth area and texture (`evaluation.teeth`) over the real smile's; the
  mouth-box sharpness (variance of the Laplacian, at the photo's resolution) over the real smile's.
- JAFFE, Yale and MEAD validation people's surprise: the apex on the 256 px prepared crop; the dark
  cavity's area over the real surprise's.

Targets: teeth area and texture >= 0.70; |cavity ratio - 1| <= 0.30; sharpness >= 0.6.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MIN_REAL_TEETH = 0.01      # IOD^2 of teeth in the real smile for it to count as "shows teeth"


def validation_keys(folder: str) -> list[dict]:
    from affinekit.data.dataset import validation_split
    from affinekit.data.prepared import load_manifest
    entries = load_manifest(folder)["sequences"]
    _, held = validation_split(entries, 0.2, seed=0)
    return [e for e in entries if e["key"] in set(held)]


def find_landmarks(aligner, image: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    from affinekit.evaluation.mouth import LandmarkFinder
    return LandmarkFinder(aligner).find(image, fallback)[0]


def frll_rows(models: dict, frll: Path, split: str, aligner) -> tuple[dict, list]:
    """Per model: lists of (teeth ratio, texture ratio, sharpness ratio); and the strip's tiles."""
    from affinekit.evaluation.metrics import sharpness_ratio
    from affinekit.evaluation.mouth import cut, mouth_box
    from affinekit.evaluation.teeth import mouth_inside, ratio
    from affinekit.expressions import EXPRESSIONS
    from affinekit.show.look_inside_mouth import mouth_closeup
    scores: dict[str, list] = {name: [] for name in models}
    strip = []
    people = sorted({e["subject"] for e in validation_keys(split) if e.get("source") == "frll"})
    for person in people:
        number = person.split("-")[-1]
        neutral, smile = frll / "neutral_front" / f"{number}_03.jpg", frll / "smiling_front" / f"{number}_08.jpg"
        if not (neutral.is_file() and smile.is_file()):
            continue
        any_model = next(iter(models.values()))
        real = any_model.align(str(smile))
        real_points = real.photo_landmarks()
        real_inside = mouth_inside(real.photo, real_points)
        if real_inside.teeth < MIN_REAL_TEETH:
            print(f"  {person}: real smile shows no teeth ({real_inside.teeth:.4f} IOD^2), skipped", file=sys.stderr)
            continue
        tiles = [mouth_closeup(real.photo, real_points)]
        real_sharp = cut(real.photo, mouth_box(real_points, real.photo.shape))
        for name, animator in models.items():
            aligned = animator.align(str(neutral))
            apex = animator.render(aligned, [EXPRESSIONS.index("happy")], 2, 1.0)[0, -1]
            points = find_landmarks(aligner, apex, aligned.photo_landmarks())
            got = mouth_inside(apex, points)
            sharp = sharpness_ratio(cut(apex, mouth_box(points, apex.shape)), real_sharp)
            scores[name].append((ratio(got.teeth, real_inside.teeth), ratio(got.texture, real_inside.texture), sharp))
            tiles.append(mouth_closeup(apex, aligned.photo_landmarks()))
        strip.append((person, tiles))
        print(f"  {person}: " + "  ".join(f"{n} {s[-1][0]:.2f}/{s[-1][1]:.2f}/{s[-1][2]:.2f}"
                                          for n, s in scores.items()), file=sys.stderr)
    return scores, strip


def surprise_rows(models: dict, folders: list[str], aligner) -> dict:
    """Per model: the cavity ratios of JAFFE, Yale and MEAD validation people's surprise."""
    import torch

    from affinekit.data.prepared import load_sequence
    from affinekit.evaluation.teeth import mouth_inside, ratio
    from affinekit.expressions import EXPRESSIONS
    from affinekit.generate.render import render_clips
    from affinekit.generate.aligned import faces_from_crops
    from affinekit.io.images import to_model, to_uint8
    out: dict[str, list] = {name: [] for name in models}
    for folder in folders:
        for entry in validation_keys(folder):
            if entry.get("label") != "surprise":
                continue
            seq = load_sequence(folder, entry["key"])
            real = seq.frames[-1]
            real_inside = mouth_inside(real.squeeze(), find_landmarks(aligner, real, seq.landmarks[-1]))
            if real_inside.cavity <= 0:
                continue
            x0 = to_model(seq.frames[:1])
            face = faces_from_crops(x0, torch.from_numpy(seq.landmarks[:1]))[0]
            for name, animator in models.items():
                clip = render_clips(animator.generator, face, [EXPRESSIONS.index("surprise")], torch.tensor([0.0, 1.0]),
                                    view="crop", mouth=animator.mouth)
                apex = to_uint8(clip[0, -1])
                apex = apex[..., 0] if apex.shape[-1] == 1 else apex
                got = mouth_inside(apex, find_landmarks(aligner, apex, seq.landmarks[0]))
                out[name].append(ratio(got.cavity, real_inside.cavity))
    return out


def draw_strip(strip: list, names: list[str], path: Path) -> None:
    from matplotlib.figure import Figure
    titles = ["real smile"] + names
    fig = Figure(figsize=(1.6 * len(strip), 1.7 * len(titles)))
    axes = fig.subplots(len(titles), len(strip), squeeze=False)
    for c, (person, tiles) in enumerate(strip):
        for r, tile in enumerate(tiles):
            axes[r, c].imshow(tile)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if c == 0:
                axes[r, 0].set_ylabel(titles[r], fontsize=8)
        axes[0, c].set_title(f"FRLL {person.split('-')[-1]}", fontsize=8)
    fig.suptitle("Happy apex mouths of FRLL validation people (CC BY 4.0, DeBruine & Jones 2017)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)


def main(argv: list[str] | None = None) -> int:
    from affinekit.data.faces import FaceAligner
    from affinekit.generate.animate import load_pretrained
    from affinekit.notebook.provenance import is_bundled, report_or_probe, script_command, stamp
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="the model with the exemplar mouth stage")
    parser.add_argument("--baseline", default=str(ROOT / "affinekit" / "weights" / "affinekit_default.pt"),
                        help="a second model to show beside it")
    parser.add_argument("--baseline-name", default="baseline", help="its row's name (e.g. '5 Dec model')")
    parser.add_argument("--frll", default=str(ROOT.parent / "shared" / "data" / "frll"))
    parser.add_argument("--split", default="prepared/frll256", help="prepared FRLL folder: the split")
    parser.add_argument("--surprise", default="prepared/jaffe256,prepared/yale256,prepared/mead256")
    parser.add_argument("--figure", help="default: figures/teeth_strip.png (the bundled model), else under out/")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args(argv)
    args.figure = args.figure or str(report_or_probe(ROOT / "figures" / "teeth_strip.png", is_bundled(args.checkpoint)))
    if args.baseline_name in ("model", "mouth stage off"):
        parser.error(f"argument --baseline-name: {args.baseline_name!r} names another row; choose another name")
    off = load_pretrained(args.checkpoint)
    off.mouth = False
    models = {"mouth stage off": off, args.baseline_name: load_pretrained(args.baseline),
              "model": load_pretrained(args.checkpoint)}
    aligner = FaceAligner(256)
    frll, strip = frll_rows(models, Path(args.frll), args.split, aligner)
    draw_strip(strip, list(models), Path(args.figure))
    cavity = surprise_rows(models, [f for f in args.surprise.split(",") if f], aligner)
    result = {}
    print(f"{'row':18s} {'teeth area':>10s} {'texture':>8s} {'sharpness':>9s} {'cavity':>7s}   "
          f"(FRLL: {len(strip)} people with teeth; surprise: {len(next(iter(cavity.values())))} items)")
    for name in models:
        t = np.array(frll[name], dtype=float).reshape(-1, 3)
        c = np.array(cavity[name], dtype=float)
        row = {"teeth_area": float(np.nanmean(t[:, 0])), "texture": float(np.nanmean(t[:, 1])),
               "sharpness": float(np.nanmean(t[:, 2])), "cavity": float(np.nanmean(c)) if c.size else float("nan")}
        result[name] = row
        print(f"{name:18s} {row['teeth_area']:10.2f} {row['texture']:8.2f} {row['sharpness']:9.2f} {row['cavity']:7.2f}")
    mine = result["model"]
    checks = [("teeth area >= 0.70", mine["teeth_area"] >= 0.7, mine["teeth_area"] - 0.7),
              ("texture >= 0.70", mine["texture"] >= 0.7, mine["texture"] - 0.7),
              ("cavity within 30%", abs(mine["cavity"] - 1) <= 0.3, 0.3 - abs(mine["cavity"] - 1)),
              ("sharpness >= 0.6", mine["sharpness"] >= 0.6, mine["sharpness"] - 0.6)]
    for what, ok, margin in checks:
        print(f"{what:20s} {'met' if ok else 'MISSED'} (by {margin:+.2f})")
    stamp(Path(args.figure).parent, [Path(args.figure).name], [args.checkpoint], script_command(__file__, argv))
    print(f"figure: {args.figure}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
