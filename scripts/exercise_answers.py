"""Recorded answers to the notebooks' exercises that need a run: small runs, minutes each on a CPU.

    python scripts/exercise_answers.py --only data                           # notebooks 01 and 02's
    python scripts/exercise_answers.py --only toy                            # notebook 07's exercises
    python scripts/exercise_answers.py --only ck --ck prepared/ck128         # notebooks 03 and 03b's (and 06 ex 1)

Each run trains through the notebooks' own functions (`notebook.toy_training.train_toy` as notebook 07,
`notebook.experiments.train_variant` and `score_generator` as notebooks 03, 03b and 06), at the sizes named
in the record, and writes what the exercise asks to check into --out (figures/exercise_answers.json),
keeping the other group's runs. notebooks/ANSWERS.md cites these numbers, and
tests/notebook/test_prose_numbers.py checks that it does.
"""
from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# notebook 07: its defaults, then each exercise's settings
TOY_RUNS = {
    "07 defaults": dict(overrides=[]),
    "07 ex 1: anchor on": dict(overrides=["train.w_lambda_sup=10", "train.lambda_warmup=500"]),
    "07 ex 2: linear schedule": dict(overrides=[], schedule="linear"),
    "07 ex 3: no prior": dict(overrides=["model.prior=off"]),
    "07 ex 3: official projection": dict(overrides=["model.projection=official"]),
    "07 ex 4: the paper's setting": dict(overrides=["train.w_landmark=0", "model.prior=off"]),
    # without the prior nothing fixes the sign of l: a second training seed says whether it is chance
    "07 ex 3: no prior, seed 1": dict(overrides=["model.prior=off"], seed=1),
    "07 ex 4: the paper's setting, seed 1": dict(overrides=["train.w_landmark=0", "model.prior=off"], seed=1),
}
NO_GAN = ["train.w_gan=0", "train.w_lip=0", "train.w_apex=0", "train.w_lambda=0"]
# notebooks 03 and 03b's exercises (06 ex 1 is the second), on the CK+ sample at the anchor comparison's size;
# the defaults are the arm every one of them is compared with
CK_RUNS = {
    "03 defaults": dict(overrides=[]),
    "03 ex 1: no GAN": dict(overrides=NO_GAN),
    "03 ex 2: seed 1": dict(overrides=[], seed=1),
    "03b ex 1: bottleneck mixing": dict(overrides=["model.mixing=bottleneck"]),
    "03b ex 1: official projection": dict(overrides=["model.projection=official"]),
    "03b ex 2: the paper's setting": dict(overrides=["train.w_lambda_sup=0", "train.lambda_warmup=0", "model.prior=off",
                                                     "train.w_landmark=0"]),
}


def data_answers() -> dict[str, dict]:
    """Notebooks 01 and 02's exercises: counts, crops and masks, measured with the notebooks' own calls
    on the open demo data (and on the CK+ sample beside a checkout, when it is there)."""
    from collections import Counter

    from affinekit.data.faces import FaceAligner, apply_transform
    from affinekit.data.lips import lip_mask
    from affinekit.data.paths import shared_data_root
    from affinekit.notebook.inputs import batch_shares, read_records, source_records

    out = {}
    ck = shared_data_root() / "ckplus-sample" if shared_data_root() else None
    for data, root in (("demo", None), ("ckplus-sample", ck)):
        if data == "demo" or (root and root.is_dir()):
            full, four = read_records(root)[1], read_records(root, limit=4)[1]
            out[f"01 ex 1: MAX_SEQUENCES=4 ({data})"] = dict(
                notebook="01", all=dict(Counter(r.label for r in full)), four=dict(Counter(r.label for r in four)))
    records = read_records(None)[1]
    counts, _ = batch_shares(source_records(None, records))
    by_expression = Counter(e for source in counts.values() for e, n in source.items() if n)
    out["01 ex 3: SOURCES=demo"] = dict(notebook="01", sources_per_expression=dict(by_expression),
                                        items=counts)
    record = records[0]
    image = record.load_frames()[-1]
    areas, points = {}, {}
    for size in (128, 64):
        aligner = FaceAligner(size=size)
        landmarks = aligner.landmarks(image, record.key, box=aligner.detect(image, record.key))
        points[size] = apply_transform(aligner.transform(landmarks), landmarks)
        for dilation in (0, 3, 8):
            areas[f"{size}px dilation {dilation}"] = int(lip_mask(points[size], size, dilation).sum())
    out["01 ex 2: CROP_SIZE=64"] = dict(notebook="01", key=record.key,
                                        landmark_scale=float(np.median(points[64] / np.maximum(points[128], 1e-6))))
    polygon = areas["128px dilation 0"]
    out["02 ex 1-3: mask areas"] = dict(notebook="02", key=record.key, areas=areas,
                                        lips_share={d: polygon / areas[f"128px dilation {d}"] for d in (0, 3, 8)},
                                        shrink_64=areas["128px dilation 3"] / areas["64px dilation 3"])
    for name, values in out.items():
        print(f"{name}: {values}", flush=True)
    return out


def slug(group: str, name: str) -> str:
    """A run's folder name from its record name: "ck_03_ex_1_no_GAN"."""
    return group + "_" + re.sub(r"\W+", "_", name).strip("_")


def toy_runs(work: Path, steps: int, chosen: set[str] | None = None) -> Iterator[tuple[str, dict]]:
    from affinekit.data.dataset import subject_split
    from affinekit.data.toy import write_toy
    from affinekit.notebook.toy_training import TOY_OVERRIDES, score_toy, train_toy

    for name, run in TOY_RUNS.items():
        if chosen and name not in chosen:
            continue
        schedule = run.get("schedule", "shuffled")
        prepared = write_toy(work / f"toy_{schedule}", people=16, frames=9, size=64, schedule=schedule, seed=0)
        train_keys, test_keys = subject_split(prepared, 0.25, 0)
        start = time.perf_counter()
        trainer = train_toy(prepared, work / slug("toy", name), steps, 32, 8, run["overrides"], run.get("seed", 0),
                            keys=train_keys)
        score = score_toy(trainer.generator, prepared, test_keys)
        out = dict(notebook="07", steps=steps, schedule=schedule, settings=[*TOY_OVERRIDES, *run["overrides"]],
                         seed=run.get("seed", 0),
                         per_sequence=score.per_sequence, pooled=score.pooled, position=score.position,
                         apex=score.apex, lambda_min=float(min(v.min() for v in score.inferred.values())),
                         seconds=round(time.perf_counter() - start, 1))
        print(f"{name}: r along each clip {score.per_sequence:.3f}, pooled {score.pooled:.3f}, "
              f"position {score.position:.2f}", flush=True)
        yield name, out


def ck_runs(prepared: Path, work: Path, steps: int, size: int, chosen: Sequence[str] = ()
            ) -> Iterator[tuple[str, dict]]:
    from affinekit.data.dataset import subject_split
    from affinekit.data.prepared import load_sequence
    from affinekit.expressions import EXPRESSIONS
    from affinekit.io.runlog import read_log
    from affinekit.notebook.experiments import prior_only, score_generator, train_variant
    from affinekit.show.look_inside import intensity_on_sequence
    from affinekit.show.run_summary import curve_summary
    from affinekit.training.losses import GAN_CHANCE

    train_keys, test_keys = subject_split(prepared, 0.2, 0)
    if not chosen or "03 step 0 (prior only)" in chosen:
        yield "03 step 0 (prior only)", dict(notebook="03", steps=0, image_size=size, **score_generator(
            prior_only(prepared, train_keys, size, 32, 0), prepared, train_keys, test_keys)["model"])
    for name in [n for n in chosen if n in CK_RUNS] if chosen else CK_RUNS:   # in the order asked
        run = CK_RUNS[name]
        start = time.perf_counter()
        trainer = train_variant(prepared, work / slug("ck", name), train_keys, run["overrides"] + ["train.batch_size=8"],
                                steps, image_size=size, base_width=32, seed=run.get("seed", 0))
        curves = curve_summary(read_log(trainer.log_path), GAN_CHANCE["lsgan"])
        scores = score_generator(trainer.generator, prepared, train_keys, test_keys)
        lam = [intensity_on_sequence(trainer.generator.eval().cpu(), s.frames, EXPRESSIONS.index(s.label))[0]
               for s in (load_sequence(prepared, k) for k in test_keys)]
        out = dict(notebook=name.split()[0], steps=steps, image_size=size, settings=run["overrides"],
                         seed=run.get("seed", 0), G_L1_last=curves["G_L1"]["last"], gan_share=curves.get("gan_share"),
                         **scores["model"], lambda_apex=float(np.mean([v[-1] for v in lam])),
                         lambda_min=float(min(v.min() for v in lam)),
                         lambda_position_corr=float(np.mean([np.corrcoef(np.linspace(0, 1, len(v)), v)[0, 1]
                                                             if v.std() > 0 else 0.0 for v in lam])),
                         seconds=round(time.perf_counter() - start, 1))
        print(f"{name}: PSNR {scores['model']['psnr']:.2f} dB, G_L1 {curves['G_L1']['last']:.4f}, "
              f"l at the apex {out['lambda_apex']:.2f}", flush=True)
        yield "03 baselines", {row: scores[row] for row in ("copy-input", "landmark-warp")}
        yield name, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=("data", "toy", "ck"), default=["data", "toy", "ck"])
    parser.add_argument("--ck", help="CK+ sample prepared at 128 px (affinekit prepare ... --labelled-only)")
    parser.add_argument("--work", default=str(ROOT / "runs" / "exercises"))
    parser.add_argument("--out", default=str(ROOT / "figures" / "exercise_answers.json"))
    parser.add_argument("--toy-steps", type=int, default=100)
    parser.add_argument("--ck-steps", type=int, default=150)
    parser.add_argument("--ck-size", type=int, default=32)
    parser.add_argument("--runs", nargs="*", help="only these runs (names as in the record); default: all")
    args = parser.parse_args(argv)
    if "ck" in args.only and not args.ck:
        print("exercise_answers: --only ck needs --ck, the CK+ sample prepared at 128 px", file=sys.stderr)
        return 2
    from affinekit.io.atomic import atomic_write_text
    from affinekit.io.json_values import plain

    out, work = Path(args.out), Path(args.work)
    record = json.loads(out.read_text()) if out.is_file() else {}
    chosen = set(args.runs or ())
    runs = [data_answers().items() if "data" in args.only else (),
            toy_runs(work, args.toy_steps, chosen) if "toy" in args.only else (),
            ck_runs(Path(args.ck), work, args.ck_steps, args.ck_size, args.runs or ()) if "ck" in args.only else ()]
    for name, result in itertools.chain(*runs):      # written after each run: a stopped job keeps what it did
        record[name] = result
        atomic_write_text(out, json.dumps(plain(record), indent=1, sort_keys=True) + "\n")
    if "ck" in args.only:             # expression accuracy: the bundled classifier graded these runs
        from affinekit.notebook.provenance import script_command, stamp
        from affinekit.weights.bundled import CLASSIFIER_WEIGHTS
        stamp(out.parent, [out.name], [CLASSIFIER_WEIGHTS], script_command(__file__, argv))
    print(f"{out}: {len(record)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
