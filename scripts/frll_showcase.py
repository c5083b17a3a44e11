"""Generated against real on open faces, for GitHub: a strip per FRLL expression and a GIF per kit expression.

    python scripts/frll_showcase.py [--checkpoint PATH] [--person 007] [--out figures]

Faces: the FRLL people shipped in data/demo/frll (Face Research Lab London Set, DeBruine & Jones
2017, CC BY 4.0; validation people, never in the bundled model's training). FRLL has one
expression besides neutral, the smile, so there is one strip, `frll_happy_real_generated.png`:
per person, the neutral photo, the real smile, the bundled model's happy at intensity 1 and
|generated - real|, all as aligned close-ups (each photo aligned on its own face, as the paired
evaluation does), with the mean absolute difference of generated and of neutral against the
real smile. Then one small looping GIF per expression the model knows, of one person
(`gifs/frll<person>_<expression>.gif`, 128 px, 12 frames): made by `Animator.render(..., view="closeup")`,
the call `affinekit generate --crop-only` makes, and nothing after it.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from affinekit.commands.script_args import COUNT, FRAMES, run_script, whole

ROOT = Path(__file__).resolve().parents[1]
FRLL = ROOT / "data" / "demo" / "frll"
CREDIT = "FRLL (Face Research Lab London Set, DeBruine & Jones 2017, CC BY 4.0)"


def closeups(animator, neutral: Path, size: int) -> dict[str, np.ndarray]:
    """{neutral, real smile, generated happy} as aligned (size, size, 3) uint8 close-ups of one person."""
    from affinekit.data.faces import FaceAligner
    from affinekit.expressions import EXPRESSIONS
    from affinekit.io.photos import read_photo

    smile = FRLL / "smiling_front" / neutral.name.replace("_03", "_08")
    aligned = animator.align(str(neutral))
    generated = animator.render(aligned, [EXPRESSIONS.index("happy")], 2, 1.0, view="closeup", size=size)[0, -1]
    real = FaceAligner(size).align(read_photo(str(smile))[0], smile.name)[0]
    neutral_crop = animator.render(aligned, [EXPRESSIONS.index("happy")], 2, 0.0, view="closeup", size=size)[0, 0]
    return {"neutral": neutral_crop, "real smile": real.reshape(size, size, -1), "generated happy": generated}


def strip(rows: list[tuple[str, dict[str, np.ndarray]]], path: Path) -> list[dict[str, float]]:
    """Neutral | real | generated | |generated - real| per person; returns each row's mean differences."""
    from matplotlib.figure import Figure

    from affinekit.show.plots import save

    fig = Figure(figsize=(7.2, 1.9 * len(rows)))
    axes = fig.subplots(len(rows), 4, squeeze=False)
    scores = []
    for r, (person, tiles) in enumerate(rows):
        real, fake, neutral = (tiles[k].astype(np.float32) / 255 for k in ("real smile", "generated happy", "neutral"))
        diff = np.abs(fake - real).mean(-1)
        scores.append({"person": person, "generated": float(diff.mean()),
                       "neutral": float(np.abs(neutral - real).mean())})
        panels = [(tiles["neutral"], "neutral photo"), (tiles["real smile"], "real smile"),
                  (tiles["generated happy"], "generated happy, l = 1"),
                  (diff, f"|generated - real| (mean {scores[-1]['generated']:.3f};\nneutral's {scores[-1]['neutral']:.3f})")]
        for c, (img, title) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(img, cmap="magma" if img.ndim == 2 else None, vmin=0, vmax=0.5 if img.ndim == 2 else None)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize=7)
        axes[r, 0].set_ylabel(f"FRLL {person}", fontsize=8)
    fig.suptitle(f"Real smile against the bundled model's, people it never saw: {CREDIT}", fontsize=7.5)
    fig.tight_layout()
    save(fig, path, dpi=80)        # atomic: a link at the path is replaced, never written through
    return scores


def frll_id(text: str) -> str:
    """An FRLL person id (three digits): it becomes part of a path read and of file names written."""
    if not re.fullmatch(r"\d{3}", text):
        raise argparse.ArgumentTypeError(f"expected an FRLL id of three digits (e.g. 007), got {text!r}")
    return text


def main(argv: list[str] | None = None) -> int:
    from affinekit.expressions import EXPRESSIONS
    from affinekit.generate.animate import load_pretrained
    from affinekit.notebook.provenance import is_bundled, report_or_probe, script_command, stamp
    from affinekit.weights.bundled import DEFAULT_WEIGHTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a checkpoint instead of the bundled model")
    parser.add_argument("--person", default="007", type=frll_id, help="the FRLL id whose GIFs are made (3 digits)")
    parser.add_argument("--people", type=COUNT, default=3, help="rows of the strip (FRLL demo people)")
    parser.add_argument("--size", type=whole(16, 1024), default=128, help="close-up side, pixels")
    parser.add_argument("--frames", type=FRAMES, default=12)
    parser.add_argument("--out", help="default: figures (the bundled model), else under out/")
    args = parser.parse_args(argv)
    args.out = args.out or str(report_or_probe(ROOT / "figures", is_bundled(args.checkpoint)))
    out = Path(args.out)
    (out / "gifs").mkdir(parents=True, exist_ok=True)
    animator = load_pretrained(args.checkpoint)
    neutrals = sorted((FRLL / "neutral_front").glob("*.jpg"))
    rows = [(p.stem.split("_")[0], closeups(animator, p, args.size)) for p in neutrals[:args.people]]
    for score in strip(rows, out / "frll_happy_real_generated.png"):
        print(f"FRLL {score['person']}: mean |generated - real| {score['generated']:.3f}, "
              f"|neutral - real| {score['neutral']:.3f}")
    aligned = animator.align(str(FRLL / "neutral_front" / f"{args.person}_03.jpg"))
    clips = animator.render(aligned, list(range(len(EXPRESSIONS))), args.frames, 1.0, size=args.size,
                            curve="there-and-back", view="closeup")
    for name, clip in zip(EXPRESSIONS, clips):
        path = animator.save(clip, out / "gifs" / f"frll{args.person}_{name}.gif", fps=8)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size / 1024:.0f} KB")
    gifs = [f"gifs/frll{args.person}_{name}.gif" for name in EXPRESSIONS]
    stamp(out, ["frll_happy_real_generated.png", *gifs], [args.checkpoint or DEFAULT_WEIGHTS],
          script_command(__file__, argv))                                   # figures/made_with.json
    print(f"faces: {CREDIT}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
