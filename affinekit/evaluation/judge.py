"""The multi-source judge as evaluation uses it: per-label probabilities of faces in the generator's
framing, beside the CK+48 classifier (`evaluation.classifier`).

The judge learnt from aligned grey crops of CK+48, JAFFE, Yale, MEAD, FRLL and the CK+ sample, on
people the generator and the apex discriminator never saw (`training.judge_data`; trained by
`scripts/train_judge.py`, card in affinekit/weights/JUDGE_CARD.md). It reads a face as the generator
sees it: the aligned crop (`data.faces.FaceAligner`'s framing, any size), grey by luma, resized to its
size. Generated crops in [-1, 1], saved uint8 frames and close-ups in that framing go straight in; a
photo in the wild is aligned first. Nothing here trains.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from affinekit.data.faces import FaceAligner
from affinekit.expressions import EXPRESSIONS
from affinekit.evaluation.classifier import read_classifier
from affinekit.models.classifier import ClassifierConfig, ExpressionNet, faces_to_model, grey_faces
from affinekit.weights.bundled import JUDGE_WEIGHTS


@dataclass
class Judge:
    """A trained judge: its network, the names of its outputs (the expressions, then "neutral" when it
    has that class), and the report of its training (held-out scores, people)."""
    net: ExpressionNet
    config: ClassifierConfig
    labels: tuple[str, ...]
    report: dict = field(default_factory=dict)
    equalize: bool = False            # histogram-equalised input, as it was trained (its recipe)
    oval: bool = False                # grey outside the inner face, as it was trained (`face_oval`)

    @torch.no_grad()
    def probabilities(self, crops: Any) -> np.ndarray:
        """Per-label probabilities (N, len(labels)) of aligned face crops: uint8 (N, H, W[, C]) or a
        list of them, or float (N, C, H, W) in [-1, 1] (a generator's output)."""
        faces = grey_faces(crops, self.config.size, self.equalize, self.oval)
        if len(faces) == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        return torch.softmax(self.net.eval()(faces_to_model(faces)), dim=1).numpy()

    def probabilities_of_photos(self, photos: Sequence[np.ndarray], aligner: FaceAligner | None = None) -> np.ndarray:
        """Per-label probabilities of uint8 photos (each with one face): aligned first, as `generate` does."""
        aligner = aligner or FaceAligner(128)
        return self.probabilities([aligner.align(np.asarray(p), f"photo {i}")[0] for i, p in enumerate(photos)])

    def reads(self, crops: Any, requested: Sequence[int]) -> np.ndarray:
        """Whether each crop is read as its requested expression (an index into EXPRESSIONS): (N,) bool."""
        predicted = self.probabilities(crops).argmax(1)
        wanted = np.array([self.labels.index(EXPRESSIONS[int(r)]) for r in requested])
        return predicted == wanted

    def named(self, probabilities: np.ndarray) -> list[str]:
        """The label each row of probabilities names."""
        return [self.labels[int(i)] for i in np.asarray(probabilities).argmax(1)]


def load_judge(path: str | Path | None = None) -> Judge:
    """Load a judge checkpoint (default: the bundled affinekit/weights/expression_judge.pt)."""
    net, cfg, ckpt = read_classifier(path if path is not None else JUDGE_WEIGHTS, "run scripts/train_judge.py")
    return Judge(net, cfg, tuple(ckpt.get("labels", EXPRESSIONS)), dict(ckpt.get("report", {})),
                 bool(ckpt["config"].get("equalize", False)), bool(ckpt["config"].get("face_oval", False)))


def bundled_judge() -> Judge | None:
    """The bundled judge, or None where the kit ships none (an older checkout): tables then leave its
    column empty rather than fail."""
    return load_judge() if JUDGE_WEIGHTS.is_file() else None


def judge_test_people(judge: Judge | None = None) -> set[str]:
    """The people `judge` (default: the bundled one) never trained on ("frll-007", "jaffe-KM", ...), from
    the report its checkpoint carries."""
    return {person.split("/", 1)[1] for person in (judge or load_judge()).report["test_people"]}


def accuracy_against_real(items: Sequence[dict[str, Any]], model_row: str, people: set[str],
                          real_row: str = "real expression photo") -> dict[str, dict[str, float]]:
    """Per expression (and "all"), the judge's accuracy on `model_row`'s generated apexes and on the
    people's real expression photos, over the paired items of `people` only: {label: {"n", "real",
    "generated", "ratio"}}; ratio is NaN where the judge reads none of the real photos right."""
    kept = [it for it in items if it["subject"] in people]
    out = {}
    for label in sorted({it["label"] for it in kept}) + ["all"]:
        def share(row: str) -> tuple[int, float]:
            hits = [it["judge_correct"] for it in kept if it["row"] == row and label in ("all", it["label"])]
            return len(hits), float(np.mean(hits)) if hits else float("nan")
        n, real = share(real_row)
        _, generated = share(model_row)
        out[label] = {"n": n, "real": real, "generated": generated,
                      "ratio": generated / real if real > 0 else float("nan")}
    return out
