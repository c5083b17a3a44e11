"""Issue 28's measured targets for one model (and a baseline model beside it): figures/full_strength.md + .json.

    python benchmarks/full_strength.py --checkpoint runs/full/generator.pt [--baseline /work/runs/bundled_before.pt]
        [--data prepared/ck128 --data prepared/jaffe ...] [--people N] [--faces N] [--like-items N]

Each target is printed as target / value / met or missed:

- Prior: the prior's mean motion at l = 1 (`Generator.prior`, mean displacement length over the
  64 px crop) per expression, against 85% of the 10-person model's (happy 0.58, surprise 1.70, fear
  0.68, disgust 0.58, anger 0.53, sadness 0.36 px).
- Strength: on the validation people (`validation_split(manifest, 0.2, seed=0)[1]`) of each prepared
  folder, the apex made at l = 1 from the neutral crop, measured on dlib's landmarks of the generated
  frame (`evaluation.strength`); mean per expression in 0.8-1.2. The landmark-warp baseline (fitted on
  the folders' training people) and the real apexes (measured the same way) are printed beside it.
- Sharpness and specks, at l = 1 and l = 2, on the open faces of `benchmarks/wild_faces.py`
  (`evaluation.faithful`): the face box outside the mouth box keeps >= 90% of the input's sharpness;
  specks (chroma in CIE a*b* more than 15 from the warped photo's) under 0.1% (l = 1) and 0.5% (l = 2)
  of the face box outside the mouth box (the whole face box beside it); the synthesised share outside
  the mouth is reported (no target).
- --like: the astronaut read as happy from data/demo/photo_neutral.png; on held-out CK+, JAFFE and
  Yale apex photos (same person's neutral), the right top weight in >= 60% (`reference_face.py`).

Defaults fit ~8 minutes on a busy 2-core CPU: --people caps the validation items per folder, --faces
the open faces, --like-items the --like items per folder (0: no cap).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))      # the sibling benchmarks (wild_faces, reference_face)
PREPARED = Path("prepared")       # as the README prepares them (affinekit prepare ... --out prepared/NAME)
STRENGTH_DATA = ("ck128", "affinegan128", "frll", "jaffe", "yale", "mead")
LIKE_DATA = ("ck128", "jaffe", "yale")
TEN_PERSON = {"anger": 0.53, "disgust": 0.58, "fear": 0.68, "happy": 0.58, "sadness": 0.36, "surprise": 1.70}
PRIOR_SHARE, STRENGTH_RANGE, SHARP_KEPT, LIKE_TARGET = 0.85, (0.8, 1.2), 0.9, 0.6
SPECKS = {1.0: 0.001, 2.0: 0.005}


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def landmark_warp(folders: list[Path]):
    """The landmark-warp baseline fitted on the folders' training people."""
    from affinekit.data.dataset import validation_split
    from affinekit.data.prepared import load_sequence, manifest_entries
    from affinekit.evaluation.baselines import LandmarkWarp
    from affinekit.expressions import EXPRESSIONS

    first, last, labels = [], [], []
    for folder in folders:
        kinds = {e["key"]: e.get("kind") for e in manifest_entries(folder)}
        for key in validation_split(folder)[0]:
            seq = load_sequence(folder, key)
            if seq.label in EXPRESSIONS and kinds.get(key) != "apex":
                first.append(seq.landmarks[0])
                last.append(seq.landmarks[-1])
                labels.append(EXPRESSIONS.index(seq.label))
    return LandmarkWarp().fit_landmarks(np.stack(first), np.stack(last), labels)


def strength_rows(makers: dict, folders: list[Path], people: int | None) -> dict[str, dict]:
    """{maker name: {expression: [mean, n]}} plus "real (same detector)"."""
    from affinekit.data.dataset import validation_split
    from affinekit.evaluation.strength import StrengthMeter, per_expression

    meter = StrengthMeter()
    rows: dict[str, dict] = {}
    for name, maker in makers.items():
        items = []
        for folder in folders:
            items += meter.folder(maker, folder, validation_split(folder)[1], 1.0, people)
        rows[name] = per_expression(items)
        rows.setdefault("real apex (same detector)", per_expression(items, "real_found"))
    return rows


def faithful_rows(animator, faces: int) -> dict[str, dict[str, float]]:
    """{"l=1" / "l=2": mean of each `apex_measures` value over the open faces x six expressions} (an
    open face's own mouths left out of the bank)."""
    from affinekit.evaluation.faithful import apex_measures
    from affinekit.evaluation.strength import SIX
    from affinekit.expressions import EXPRESSIONS
    from wild_faces import aligned_faces, open_faces

    values: dict[float, list[dict[str, float]]] = {1.0: [], 2.0: []}
    for _, aligned in aligned_faces(animator, open_faces()[:faces], indent="  "):
        for level in values:
            values[level] += [apex_measures(animator.generator, aligned, EXPRESSIONS.index(e), level) for e in SIX]
    out = {f"l={level:g}": {k: float(np.nanmean([v[k] for v in vs])) for k in vs[0]} for level, vs in values.items() if vs}
    for key in out:
        out[key]["clips"] = len(values[float(key[2:])])
    return out


def measure(path: str, folders: list[Path], like_folders: list[Path], args, warp) -> dict:
    """Every measure of one checkpoint."""
    from affinekit.evaluation.makers import GeneratorMaker
    from affinekit.evaluation.strength import prior_motion
    from affinekit.generate.animate import load_pretrained
    from reference_face import astronaut_reads, like_rates

    start = time.perf_counter()
    animator = load_pretrained(path)
    makers = {"model": GeneratorMaker(animator.generator)}
    if warp is not None:
        makers["landmark-warp"] = warp
    record: dict = {"checkpoint": str(path), "prior_px": prior_motion(animator.generator)}
    if "strength" in args.parts:
        record["strength"] = strength_rows(makers, folders, args.people or None)
    if "faithful" in args.parts:
        record["faithful"] = faithful_rows(animator, args.faces)
    if "like" in args.parts:
        record["astronaut"] = astronaut_reads(animator)
        record["like"] = like_rates(animator.generator, like_folders, args.like_items or None, other=False)
    record["seconds"] = round(time.perf_counter() - start, 1)
    return record


MEASURED_PARTS = ("strength", "faithful", "astronaut", "like")


def with_earlier_parts(record: dict, earlier: Path) -> dict:
    """`record` with the parts it lacks taken from `earlier`'s record of the same checkpoint, which are
    listed under "read_back" so the report says which rows were not measured in this run."""
    if not earlier.is_file():
        return record
    same = [r for r in json.loads(earlier.read_text()) if r.get("checkpoint") == record["checkpoint"]]
    if not same:
        return record
    kept = [k for k in MEASURED_PARTS if k not in record and k in same[0]]
    return {**record, **{k: same[0][k] for k in kept}, "read_back": kept} if kept else record


def report(record: dict) -> list[str]:
    """Markdown lines: every target with target / value / verdict."""
    lines = [f"## {record['checkpoint']}", "", "| target | expression / setting | target | value | verdict |",
             "|---|---|---|---|---|"]
    for e, v in record["prior_px"].items():
        goal = PRIOR_SHARE * TEN_PERSON[e]
        lines.append(f"| Prior (px of the crop at l = 1) | {e} | >= {goal:.2f} (85% of {TEN_PERSON[e]:.2f}) | "
                     f"{v:.2f} ({v / TEN_PERSON[e]:.0%}) | {verdict(v >= goal)} |")
    lo, hi = STRENGTH_RANGE
    for e, (mean, n) in record.get("strength", {}).get("model", {}).items():
        real = record["strength"]["real apex (same detector)"].get(e, (float("nan"), 0))[0]
        warp = record["strength"].get("landmark-warp", {}).get(e, (float("nan"), 0))[0]
        lines.append(f"| Strength (generated apex at l = 1) | {e} (n={n}; real {real:.2f}, landmark-warp {warp:.2f}) "
                     f"| {lo}-{hi} | {mean:.2f} | {verdict(lo <= mean <= hi)} |")
    for level, m in record.get("faithful", {}).items():
        goal = SPECKS[float(level[2:])]
        lines += [f"| Sharpness outside the mouth box | {level}, {m['clips']} clips (the warp alone "
                  f"{m['warp_sharpness_kept']:.0%}) | >= {SHARP_KEPT:.0%} | "
                  f"{m['sharpness_kept']:.0%} | {verdict(m['sharpness_kept'] >= SHARP_KEPT)} |",
                  f"| Specks (face box outside the mouth box) | {level} (whole face box {m['specks']:.2%}) | "
                  f"< {goal:.1%} | {m['specks_outside_mouth']:.2%} | {verdict(m['specks_outside_mouth'] < goal)} |",
                  *([f"| Specks (also outside the mouth box where the field carries it) | {level} | < {goal:.1%} | "
                     f"{m['specks_outside_mouths']:.2%} | {verdict(m['specks_outside_mouths'] < goal)} |"]
                    if "specks_outside_mouths" in m else []),
                  f"| Synthesised share outside the mouth (reported) | {level} | - | {m['synthesised_share']:.1%} | - |"]
    timing = f"({record['seconds']} s" + (f"; {', '.join(record['read_back'])} read back from the earlier record, "
                                           f"not measured again)" if record.get("read_back") else ")")
    if "like" not in record:
        return lines + ["", timing, ""]
    reads = dict(record["astronaut"])
    first = next(iter(reads))
    lines.append(f"| --like astronaut | from {first} (happy from {sum(t == 'happy' for t in reads.values())}/"
                 f"{len(reads)} demo neutrals) | happy | {reads[first]} | {verdict(reads[first] == 'happy')} |")
    pooled = record["like"]["pooled"]
    per = ", ".join(f"{k} {v['same']:.0%} of {v['n']}" for k, v in record["like"].items() if k != "pooled")
    lines.append(f"| --like top weight right (same person) | {per} | >= {LIKE_TARGET:.0%} | {pooled['same']:.0%} | "
                 f"{verdict(pooled['same'] >= LIKE_TARGET)} |")
    return lines + ["", timing, ""]


def main(argv: list[str] | None = None) -> int:
    from affinekit.io.atomic import atomic_write_text
    from affinekit.notebook.provenance import is_bundled, report_or_probe

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="the model to measure (a checkpoint or exported .pt)")
    parser.add_argument("--baseline", help="a second model measured the same way (e.g. the bundled model before)")
    parser.add_argument("--data", action="append", help=f"prepared folders for Strength (default {PREPARED}/"
                                                        f"{{{','.join(STRENGTH_DATA)}}})")
    parser.add_argument("--like-data", action="append", help=f"folders for --like (default {', '.join(LIKE_DATA)})")
    parser.add_argument("--people", type=int, default=8, help="validation items per folder for Strength (0: all)")
    parser.add_argument("--faces", type=int, default=4, help="open faces for sharpness and specks")
    parser.add_argument("--like-items", type=int, default=0, help="validation items per folder for --like (0: all)")
    parser.add_argument("--no-warp", action="store_true", help="leave out the landmark-warp baseline")
    parser.add_argument("--parts", default="strength,faithful,like",
                        help="which measures beside the prior (comma-separated: strength, faithful, like)")
    parser.add_argument("--out", help="default: figures/full_strength.md (the bundled model), else under out/")
    parser.add_argument("--keep-other-parts", action="store_true",
                        help="parts not in --parts are read back from --out's .json record of the same checkpoint "
                             "(after a change that touches only the parts measured)")
    args = parser.parse_args(argv)
    args.out = args.out or str(report_or_probe(ROOT / "figures" / "full_strength.md", is_bundled(args.checkpoint)))
    args.parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    unknown = args.parts - {"strength", "faithful", "like"}
    if unknown:
        parser.error(f"argument --parts: unknown {', '.join(sorted(unknown))}; use strength, faithful, like")
    folders = [Path(d) for d in (args.data or [PREPARED / n for n in STRENGTH_DATA])]
    like_folders = [Path(d) for d in (args.like_data or [PREPARED / n for n in LIKE_DATA])]
    needed = (folders if "strength" in args.parts else []) + (like_folders if "like" in args.parts else [])
    missing = [str(f) for f in needed if not (f / "manifest.json").is_file()]
    if missing:
        print(f"not prepared folders: {', '.join(missing)} (affinekit prepare SOURCE --out DIR)", file=sys.stderr)
        return 2
    warp = None if args.no_warp or "strength" not in args.parts else landmark_warp(folders)
    records = [measure(args.checkpoint, folders, like_folders, args, warp)]
    if args.baseline:
        records.append(measure(args.baseline, folders, like_folders, args, warp))
    if args.keep_other_parts:
        records = [with_earlier_parts(r, Path(args.out).with_suffix(".json")) for r in records]
    lines = ["# Issue 28 targets, measured by benchmarks/full_strength.py", ""]
    for record in records:
        lines += report(record)
    text = "\n".join(lines)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, text + "\n")
    atomic_write_text(out.with_suffix(".json"), json.dumps(records, indent=1, default=float) + "\n")
    print(f"written: {out} (+ {out.with_suffix('.json').name})")
    return 0


if __name__ == "__main__":
    from affinekit.commands.script_args import run_script

    sys.exit(run_script(main))
