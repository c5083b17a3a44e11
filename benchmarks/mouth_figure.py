"""The mouth refiner on people it never saw, beside their real smile: figures/mouth_refiner.png.

    python benchmarks/mouth_figure.py [--checkpoint PATH] [--figure figures/mouth_refiner.png]

Faces: the FRLL validation people shipped in data/demo/frll (CC BY 4.0, DeBruine & Jones 2017;
never in the bundled model's training). Per person, mouth close-ups cut from the full-resolution
frames (the same call `affinekit generate` makes): the neutral photo; happy and surprise at
intensity 1 without the refiner and with it; the person's real smile (aligned on its own).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from affinekit.commands.script_args import run_script

ROOT = Path(__file__).resolve().parents[1]
FRLL = ROOT / "data" / "demo" / "frll"


def main(argv: list[str] | None = None) -> int:
    from matplotlib.figure import Figure

    from affinekit.expressions import EXPRESSIONS
    from affinekit.generate.animate import load_pretrained
    from affinekit.io.destinations import output_file
    from affinekit.notebook.provenance import is_bundled, report_or_probe, script_command, stamp
    from affinekit.weights.bundled import DEFAULT_WEIGHTS
    from affinekit.show.look_inside_mouth import mouth_closeup
    from affinekit.show.plots import save

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a checkpoint instead of the bundled model")
    parser.add_argument("--figure", help="default: figures/mouth_refiner.png (the bundled model), else under out/")
    args = parser.parse_args(argv)
    args.figure = args.figure or str(report_or_probe(ROOT / "figures" / "mouth_refiner.png", is_bundled(args.checkpoint)))
    output_file(args.figure, "--figure", {"--checkpoint": args.checkpoint}, (".png",))    # before any work
    animator = load_pretrained(args.checkpoint)
    if getattr(animator.generator, "mouth", None) is None:
        print("this model has no mouth refiner; the 'on' columns repeat the 'off' ones", file=sys.stderr)
    titles = ["neutral photo", "happy, refiner off", "happy, refiner on", "real smile",
              "surprise, refiner off", "surprise, refiner on"]
    rows = []
    for neutral in sorted((FRLL / "neutral_front").glob("*.jpg")):
        smile = FRLL / "smiling_front" / neutral.name.replace("_03", "_08")
        aligned = animator.align(str(neutral))
        points = aligned.photo_landmarks()
        tiles = [mouth_closeup(aligned.photo, points)]
        for label, real in ((EXPRESSIONS.index("happy"), smile), (EXPRESSIONS.index("surprise"), None)):
            for on in (False, True):
                animator.mouth = on
                tiles.append(mouth_closeup(animator.render(aligned, [label], 2, 1.0)[0, -1], points))
            if real is not None:
                other = animator.align(str(real))
                tiles.append(mouth_closeup(other.photo, other.photo_landmarks()))
        rows.append((neutral.stem.split("_")[0], tiles))
    fig = Figure(figsize=(1.7 * len(titles), 1.75 * len(rows)))
    axes = fig.subplots(len(rows), len(titles), squeeze=False)
    for r, (person, tiles) in enumerate(rows):
        for c, tile in enumerate(tiles):
            axes[r, c].imshow(tile)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if r == 0:
                axes[r, c].set_title(titles[c], fontsize=8)
        axes[r, 0].set_ylabel(f"FRLL {person}", fontsize=8)
    fig.suptitle("Mouths of FRLL validation people (CC BY 4.0, DeBruine & Jones 2017)", fontsize=9)
    fig.tight_layout()
    save(fig, args.figure, dpi=80)        # atomic: a link at the path is replaced, never written through
    stamp(Path(args.figure).parent, [Path(args.figure).name], [args.checkpoint or DEFAULT_WEIGHTS], script_command(__file__, argv))   # figures/made_with.json
    print(f"figure: {args.figure}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
