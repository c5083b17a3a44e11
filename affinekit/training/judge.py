"""Training the multi-source judge: an expression classifier of aligned grey crops from CK+48, JAFFE,
Yale, MEAD, FRLL and the CK+ sample, on people the generator and the apex discriminator never saw
(`training.judge_data`). Its held-out score on real photos is the ceiling for generated clips.

The network and loop are the CK+48 classifier's (`models.classifier.ExpressionNet`,
`training.classifier.fit_classifier`); the input is the generator's own framing (the prepared
aligned crop), grey by luma so that grey and colour sources mix, at `JudgeRecipe.size` px.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from affinekit.models.classifier import JUDGE_LABELS, ClassifierConfig, ExpressionNet
from affinekit.training.classifier import Log, TrainedClassifier, probabilities, fit_classifier, label_accuracy
from affinekit.training.judge_data import JudgeFaces, read_judge_faces


@dataclass
class JudgeRecipe:
    """How the judge is trained (plain values: stored in its checkpoint)."""
    size: int = 48                    # the CK+48 classifier's; cheaper than the generator's 64 (not compared)
    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    # an eighth output for the neutral face (the items' first frames): without it a neutral FRLL photo
    # reads as happy (15 of 16 validation people), so a clip that never moves would pass (JUDGE_CARD.md)
    neutral: bool = True
    test_fraction: float = 0.5        # share of each source's usable people held out as judge-test
    validation_fraction: float = 0.2  # the generator's validation split (`data.validation_fraction`)
    seed: int = 0                     # the generator's split seed, the judge-test draw and the training
    equalize: bool = True             # histogram-equalised input (`models.classifier.grey_faces`)
    # each source's training faces repeated until it holds at least this share of them: CK+48 has most
    # faces, and a judge that learns "a CK+ look means an expression" reads other people as neutral
    source_share: float = 0.1
    # each face's softmax runs over the labels its source holds (FRLL: happy, neutral; CK+48: the seven
    # expressions), so that no source's look can stand for "none of the labels it lacks" (JUDGE_CARD.md)
    source_labels: bool = False
    # grey outside the inner face (`models.classifier.FACE_OVAL`): background and crop padding tell the
    # sources apart, and a judge may learn "FRLL's wall means neutral or happy"
    face_oval: bool = False
    # random blur, resampling and noise in training (`training.classifier.jitter_style`): image quality
    # tells the sources apart as well as their labels do
    style_jitter: bool = False


def held_out_report(probabilities: np.ndarray, faces: JudgeFaces, names: Sequence[str]) -> dict:
    """Accuracy, balanced accuracy and per-expression accuracy of `faces`, overall and per source,
    with how many faces and people each number rests on."""
    def scores(keep: np.ndarray) -> dict:
        out = label_accuracy(probabilities[keep], faces.labels[keep], tuple(names))
        out["people"] = len({faces.people[i] for i in np.flatnonzero(keep)})
        return out
    every = np.ones(len(faces.labels), bool)
    sources = np.array(faces.sources)
    return {"all": scores(every), **{s: scores(sources == s) for s in sorted(set(faces.sources))}}


def scores_table(groups: dict, labels: Sequence[str], head: str = "judge-test") -> str:
    """Scores by group (`held_out_report`'s {group: scores}) as a markdown table: one row per group, a
    column per label."""
    columns = ["faces", "people", "accuracy", "balanced", *labels]
    lines = [f"| {head} | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for group, s in groups.items():
        cells = [str(s["n"]), str(s["people"]), f"{s['accuracy']:.3f}", f"{s['balanced_accuracy']:.3f}"]
        cells += [f"{s['per_class'][name]:.2f}" if name in s["per_class"] else "" for name in labels]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def source_repeats(sources: Sequence[str], share: float) -> np.ndarray:
    """How many times to show each face (N,) so that every source holds at least about `share` of the
    faces shown (a source already above it: once)."""
    names, counts = np.unique(np.asarray(sources), return_counts=True)
    total = len(sources)
    times = {n: max(1, int(np.ceil(share * total / c))) for n, c in zip(names, counts)}
    return np.array([times[s] for s in sources], np.int64)


def source_label_sets(sources: Sequence[str], labels: np.ndarray, num_labels: int) -> np.ndarray:
    """(N, num_labels) bool: for each face, the labels any face of its source carries."""
    sources = np.asarray(sources)
    allowed = np.zeros((len(labels), num_labels), bool)
    for source in np.unique(sources):
        mine = sources == source
        allowed[np.ix_(mine, np.unique(labels[mine]))] = True
    return allowed


def train_judge(folders: Sequence[str | Path], recipe: JudgeRecipe | None = None,
                shape: ClassifierConfig | None = None, log: Log = print,
                faces: JudgeFaces | None = None) -> TrainedClassifier:
    """Train the judge on the judge-train people of `folders` (prepared folders) and score it once on
    its judge-test people's real photos. `faces` replaces the folders' faces (tests, toy data)."""
    recipe = recipe or JudgeRecipe()
    names = JUDGE_LABELS if recipe.neutral else JUDGE_LABELS[:-1]
    shape = replace(shape or ClassifierConfig(), size=recipe.size, num_labels=len(names))
    if faces is None:
        faces = read_judge_faces(folders, recipe.size, recipe.neutral, recipe.test_fraction,
                                 recipe.validation_fraction, recipe.seed, recipe.equalize, recipe.face_oval)
    train, test = faces.pick("train"), faces.pick("test")
    repeats = source_repeats(train.sources, recipe.source_share)
    if log:
        log(f"judge: {len(train.labels)} faces of {len(set(train.people))} people to train on, "
            f"{len(test.labels)} of {len(set(test.people))} to test")
    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    allowed = source_label_sets(train.sources, train.labels, len(names)) if recipe.source_labels else None
    net = fit_classifier(ExpressionNet(shape), np.repeat(train.images, repeats, axis=0),
                         np.repeat(train.labels, repeats), recipe, len(names), rng, log,
                         None if allowed is None else np.repeat(allowed, repeats, axis=0), recipe.style_jitter)
    report = {"labels": list(names),
              "test": held_out_report(probabilities(net, test.images), test, names) if len(test.labels) else {},
              "train": held_out_report(probabilities(net, train.images), train, names),
              "train_people": sorted(set(train.people)), "test_people": sorted(set(test.people)),
              "folders": [str(f) for f in folders],
              "parameters": int(sum(p.numel() for p in net.parameters()))}
    template = np.zeros((68, 2), np.float32)     # the judge reads aligned crops: no landmark framing
    recipe_values = {k: v for k, v in asdict(recipe).items() if k != "size"}      # the size is the shape's
    return TrainedClassifier(net, shape, template, report, recipe_values, tuple(names))
