"""Fit each expression's direction of landmark motion on prepared CK+ sequences (training people only).

    python scripts/fit_directions.py /work/prepared/ck128 /work/prepared/affinegan128

writes affinekit/data/expression_directions.json (`--out` elsewhere): the mean neutral-to-apex landmark
motion of each expression over the sequences of the folders' training people (each folder's
validation people, `validation_split(fraction=0.2, seed=0)`, are left out), in inter-ocular
distances. 1 on the kit's intensity scale is then the mean CK+ apex (`affinekit.data.intensity`).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from affinekit.commands.script_args import run_script
from affinekit.data.dataset import validation_split
from affinekit.data.intensity import REFERENCE_FILE, ExpressionDirections
from affinekit.data.prepared import entry_kind, load_manifest, load_sequence
from affinekit.errors import AffinekitError
from affinekit.io.atomic import atomic_write_text


def training_sequences(folder: Path):
    """(neutral landmarks, apex landmarks, label) of the labelled sequences of the folder's training people."""
    manifest = load_manifest(folder)
    train, _ = validation_split(manifest["sequences"], 0.2, seed=0)
    keep = set(train)
    for entry in manifest["sequences"]:
        if entry["key"] in keep and entry.get("label") and entry_kind(entry) == "sequence":
            seq = load_sequence(folder, entry["key"])
            yield seq.landmarks[0], seq.landmarks[-1], entry["label"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="prepared folders holding CK+ sequences")
    parser.add_argument("--out", type=Path, default=REFERENCE_FILE, help="where the JSON goes")
    args = parser.parse_args(argv)
    items = [item for folder in args.folders for item in training_sequences(folder)]
    if not items:
        raise AffinekitError(f"{', '.join(map(str, args.folders))}: no labelled sequences of training people; "
                             "prepare CK+ with --labelled-only first")
    directions = ExpressionDirections.fit(items)
    atomic_write_text(args.out, json.dumps(directions.to_json()) + "\n")
    for label, n in sorted(directions.counts.items()):
        print(f"{label:9s} {n:3d} sequences  |direction| {float((directions.directions[label] ** 2).sum() ** 0.5):.3f} IOD")
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
