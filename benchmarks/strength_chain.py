"""Where a generated expression's strength goes, step by step: figures/strength_chain.md + .json.

    python benchmarks/strength_chain.py [--checkpoint PATH] [--people N] [--data prepared/ck128 ...]

Issue 28's Strength target reads the apex made at l = 1 on dlib's landmarks of the generated crop
(`evaluation.strength`, 1 = a CK+ apex). This script measures, on the same validation people and with
the same meter, each stage between a true CK+ apex and the model's output:

- "CK+ apex motion, warped": the neutral crop's landmarks moved by the mean apex motion of the CK+
  training people's sequences (the motion that defines 1) and the crop warped piecewise-affinely to
  them. What this reads is what the meter can read of a full CK+ apex on these faces: its ceiling.
- "prior alone": the model's own prior field at l = 1 and nothing learned (`Generator.prior_alone`).
- "field alone (mask shut)": the model's whole field, prior and learned part, with the mask shut
  (`Generator.prior_alone(learned=True)`): against the next row, what the mask and residual paint over the warp.
- "model, mouth stage off" and "model": the generator's field, mask and residual, then its mouth stage.
- "learned along prior": how much of the prior the learned field keeps at l = 1 (`learned_along_prior`;
  -1 cancels it, 0 adds nothing along it), averaged over the same neutral faces; then inside the convex
  hull of each face's 68 landmarks and outside it (forehead, cheeks, jaw: where the thin-plate prior
  carries the landmarks' motion on, and only the pixel and smoothness terms see it).
- "real apex": the people's own expression photos through the same meter.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))      # the sibling benchmark full_strength
from full_strength import PREPARED, STRENGTH_DATA, landmark_warp, strength_rows  # noqa: E402

ROWS = ("real apex (same detector)", "CK+ apex motion, warped", "prior alone", "field alone (mask shut)",
        "model, mouth stage off", "model")


def chain(checkpoint: str | None, folders: list[Path], people: int | None) -> dict:
    """{row: {expression: [mean, n]}} for ROWS, plus "learned along prior"."""
    from affinekit.data.dataset import validation_split
    from affinekit.evaluation.makers import GeneratorMaker
    from affinekit.evaluation.strength import hull_mask, learned_along_prior, strength_items
    from affinekit.expressions import EXPRESSIONS
    from affinekit.generate.animate import load_pretrained
    from affinekit.io.images import to_model

    generator = load_pretrained(checkpoint).generator
    ck = [f for f in folders if f.name.startswith("ck")][:1]
    makers = {"CK+ apex motion, warped": landmark_warp(ck), "prior alone": GeneratorMaker(generator.prior_alone()),
              "field alone (mask shut)": GeneratorMaker(generator.prior_alone(learned=True)),
              "model, mouth stage off": GeneratorMaker(generator, mouth=False), "model": GeneratorMaker(generator)}
    rows = strength_rows(makers, folders, people)      # full_strength's: the same items, meter and real row
    along: dict[str, dict[str, list[float]]] = {}     # {"" | inside | outside: {expression: shares}}
    for folder in folders:
        for _, seq in strength_items(folder, validation_split(folder)[1], people):    # strength_rows' items
            x0 = to_model(np.asarray(seq.frames[0]), generator.cfg.channels)[None]
            y, hull = EXPRESSIONS.index(seq.label), hull_mask(seq.landmarks[0], seq.frames.shape[1], generator.cfg.image_size)
            for part, region in (("", None), (", inside the landmarks' hull", hull), (", outside it", ~hull)):
                along.setdefault(part, {}).setdefault(seq.label, []).append(
                    learned_along_prior(generator, x0, y, region=region))
    for part, values in along.items():
        rows["learned along prior" + part] = {e: (float(np.mean(v)), len(v)) for e, v in values.items()}
    return {name: rows[name] for name in (*ROWS, *(f"learned along prior{part}" for part in along))}


def report(record: dict) -> list[str]:
    """Markdown: one row per stage, one column per expression, then the model against the ceiling."""
    from affinekit.evaluation.strength import SIX

    rows = record["rows"]
    lines = [f"## {record['checkpoint']}", "", "| stage | " + " | ".join(SIX) + " |", "|---|" + "---|" * len(SIX)]
    for name, values in rows.items():
        cells = [f"{values[e][0]:+.2f}" if e in values else "-" for e in SIX]
        count = max((v[1] for v in values.values()), default=0)
        lines.append(f"| {name} (up to n={count}) | " + " | ".join(cells) + " |")
    ceiling, model = rows["CK+ apex motion, warped"], rows["model"]
    share = [f"{model[e][0] / ceiling[e][0]:.0%}" if e in model and e in ceiling and ceiling[e][0] > 0 else "-"
             for e in SIX]
    lines.append("| model / CK+ apex motion, warped | " + " | ".join(share) + " |")
    return lines + ["", f"({record['seconds']} s)", ""]


def main(argv: list[str] | None = None) -> int:
    from affinekit.errors import AffinekitError
    from affinekit.io.atomic import atomic_write_text
    from affinekit.notebook.provenance import is_bundled, report_or_probe, script_command, stamp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="the model (default: the bundled one)")
    parser.add_argument("--data", action="append", help=f"prepared folders (default {PREPARED}/"
                                                        f"{{{','.join(STRENGTH_DATA)}}}; the first CK+ one sets 1)")
    parser.add_argument("--people", type=int, default=0, help="validation items per folder (0: all)")
    parser.add_argument("--out", help="default: figures/strength_chain.md (the bundled model), else under out/")
    args = parser.parse_args(argv)
    args.out = args.out or str(report_or_probe(ROOT / "figures" / "strength_chain.md", is_bundled(args.checkpoint)))
    folders = [Path(d) for d in (args.data or [PREPARED / n for n in STRENGTH_DATA])]
    missing = [str(f) for f in folders if not (f / "manifest.json").is_file()]
    if missing:
        raise AffinekitError(f"{', '.join(missing)}: not prepared (affinekit prepare SOURCE --out DIR)")
    if not any(f.name.startswith("ck") for f in folders):
        raise AffinekitError("a prepared CK+ folder (e.g. prepared/ck128) is needed among --data: its training "
                             "people's apex motion is what 1 means")
    start = time.perf_counter()
    from affinekit.weights.bundled import DEFAULT_WEIGHTS
    record = {"checkpoint": args.checkpoint or f"affinekit/weights/{DEFAULT_WEIGHTS.name}",
              "rows": chain(args.checkpoint, folders, args.people or None)}
    record["seconds"] = round(time.perf_counter() - start, 1)
    text = "\n".join(["# Where the strength goes (benchmarks/strength_chain.py)", "", *report(record)])
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, text + "\n")
    atomic_write_text(out.with_suffix(".json"), json.dumps(record, indent=1) + "\n")
    stamp(out.parent, [out.name, out.with_suffix(".json").name], [args.checkpoint or DEFAULT_WEIGHTS],
          script_command(__file__, argv))      # figures/made_with.json
    print(f"written: {out} (+ {out.with_suffix('.json').name})")
    return 0


if __name__ == "__main__":
    from affinekit.commands.script_args import run_script

    sys.exit(run_script(main))
