"""Train the multi-source expression judge on prepared folders and write its weights.

    python scripts/train_judge.py [--prepared prepared] [--sources ck48,ck128,frll,jaffe,yale,mead]
                                  [--out affinekit/weights/expression_judge.pt] [--no-neutral]

Only people the generator never trains on (each source's validation people) and CK+48's classifier
people are used; they are split by person into judge-train and judge-test (`training.judge_data`).
The printed held-out table is on judge-test people's real photos: the ceiling for generated clips.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from affinekit.data.paths import REPO_ROOT
from affinekit.evaluation.classifier import ExpressionClassifier
from affinekit.weights.bundled import JUDGE_WEIGHTS
from affinekit.training.judge import JudgeRecipe, scores_table, train_judge

SOURCES = "ck48,ck128,frll,jaffe,yale,mead"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepared", default=str(REPO_ROOT / "prepared"),
                        help="folder holding the prepared sources (one sub-folder each)")
    parser.add_argument("--sources", default=SOURCES, help="comma-separated sub-folders of --prepared")
    parser.add_argument("--out", default=str(JUDGE_WEIGHTS))
    parser.add_argument("--epochs", type=int, default=JudgeRecipe.epochs)
    parser.add_argument("--no-neutral", action="store_true", help="the seven expressions only, no neutral class")
    parser.add_argument("--size", type=int, default=JudgeRecipe.size, help="input size, pixels")
    parser.add_argument("--no-equalize", action="store_true", help="grey levels as they are")
    parser.add_argument("--source-share", type=float, default=JudgeRecipe.source_share)
    parser.add_argument("--source-labels", action="store_true",
                        help="each face's softmax over the labels its source holds (JudgeRecipe.source_labels)")
    parser.add_argument("--face-oval", action="store_true",
                        help="grey outside the inner face (JudgeRecipe.face_oval)")
    parser.add_argument("--style-jitter", action="store_true",
                        help="random blur, resampling and noise in training (JudgeRecipe.style_jitter)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch")
    args = parser.parse_args()
    folders = [Path(args.prepared) / s for s in args.sources.split(",") if s]
    missing = [str(f) for f in folders if not (f / "manifest.json").is_file()]
    if missing:
        parser.error(f"not prepared (no manifest.json): {', '.join(missing)}")
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    recipe = replace(JudgeRecipe(), epochs=args.epochs, neutral=not args.no_neutral, size=args.size,
                     equalize=not args.no_equalize, source_share=args.source_share,
                     source_labels=args.source_labels, face_oval=args.face_oval,
                     style_jitter=args.style_jitter)
    trained = train_judge(folders, recipe)
    trained.report["train_seconds"] = round(time.perf_counter() - start, 1)
    trained.report["folders"] = [f.name for f in folders]        # where they lie differs per machine
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    ExpressionClassifier(**vars(trained)).save(args.out)
    print(scores_table(trained.report["test"], trained.report["labels"]))
    shown = {k: v for k, v in trained.report.items() if k not in ("test", "train")}
    print(json.dumps(shown, indent=1))
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
