"""Train the expression classifier on CK+48 crops and write its weights.

    python scripts/train_classifier.py [--data ../shared/data/ck48] [--out affinekit/weights/expression_classifier.pt]

The split is by subject; the printed test accuracy is on subjects never seen in
training (the CK+ sample's ten subjects among them).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from affinekit.commands.script_args import COUNT, SEED, run_script, whole
from affinekit.data.paths import shared_data_root
from affinekit.evaluation.classifier import WEIGHTS, ExpressionClassifier
from affinekit.evaluation.descriptors import FaceDescriber
from affinekit.training.classifier import ClassifierRecipe, train_classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = shared_data_root()
    parser.add_argument("--data", default=str(shared / "ck48") if shared else None,
                        help="CK+48 folder (<emotion>/<S###_###_########>.png)")
    parser.add_argument("--out", default=str(WEIGHTS))
    parser.add_argument("--epochs", type=COUNT, default=ClassifierRecipe.epochs)
    parser.add_argument("--seed", type=SEED, default=0)
    parser.add_argument("--threads", type=whole(1, 256), default=2, help="CPU threads for torch")
    args = parser.parse_args()
    if args.data is None:
        parser.error("no CK+48 folder found: pass --data")
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    # the framing template's landmarks come from evaluation's describer (fixed whole-crop box), handed down
    trained = train_classifier(args.data, FaceDescriber(box="crop").landmarks,
                               replace(ClassifierRecipe(), epochs=args.epochs, seed=args.seed))
    clf = ExpressionClassifier(**vars(trained))
    clf.report["train_seconds"] = round(time.perf_counter() - start, 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    clf.save(args.out)
    shown = {k: v for k, v in clf.report.items() if k not in ("train_subjects",)}
    print(json.dumps(shown, indent=1))
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    sys.exit(run_script(main, (ValueError,)))
