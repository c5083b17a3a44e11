"""A two-sample test of mouths: can a small classifier tell real apex mouth patches from generated ones?

A tiny CNN learns "real or generated" from mouth patches, cross-validated over people: the folds
are drawn by person, so a person's real and generated patches are always on the same side of a
split and the classifier never meets, at test time, a face it learnt from. Every patch is scored
once, by the fold model that did not see its person; the share classified right is the held-out
accuracy. 0.5 means the two sets cannot be told apart (by this classifier, on this little data);
1.0 means every generated mouth gives itself away.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Hashable, Sequence

import cv2
import numpy as np
import torch

from affinekit.evaluation.metrics import wilson_interval  # noqa: F401 - part of this module's public names
from affinekit.io.images import to_channels

# (height, width): a mouth box of a 128 px crop is about 50 x 20-35 px. A square would stretch it
# 2.5 times upwards and smear the very detail under test: on the validation pairs a 48 px square let
# the bundled model's smeared mouths pass (0.6) where a threshold on sharpness alone caught 0.8 of them
PATCH_SHAPE = (32, 64)
FOLDS = 5
EPOCHS = 80


@dataclass
class TwoSampleResult:
    """Held-out accuracy of real-versus-generated over `n` patches, with its 95% Wilson interval.

    `correct` and `fold` follow the input order (the real patches, then the generated ones):
    whether each patch was classified right, and the fold that held it out.
    """
    accuracy: float
    low: float
    high: float
    n: int
    people: int
    folds: int
    correct: np.ndarray = field(repr=False)
    fold: np.ndarray = field(repr=False)


def mouth_patches(patches: Sequence[np.ndarray], shape: tuple[int, int] = PATCH_SHAPE) -> np.ndarray:
    """Mouth boxes (uint8, any size, grey or colour) as a (N, height, width) float32 stack.

    Each patch is made grey by luma first. Several real sources are grey (JAFFE, Yale) while a
    model answers a colour input in colour, and the real and generated sets do not mix sources in
    equal shares patch by patch: in colour, "has chroma" would tell real from generated without
    looking at the mouth at all. Then each patch is resized to `shape` (real and generated patches
    of one item share their box, so both are stretched alike) and standardised (zero mean, unit
    spread): exposure and contrast follow the photo, not the mouth, and would be a second give-away.
    """
    height, width = shape
    out = np.empty((len(patches), height, width), np.float32)
    for i, patch in enumerate(patches):
        grey = to_channels(np.asarray(patch, np.uint8), gray=True).astype(np.float32)
        shrink = grey.shape[0] > height or grey.shape[1] > width
        grey = cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        out[i] = (grey - grey.mean()) / max(float(grey.std()), 1.0)    # a flat patch stays flat, not noise
    return out


def grouped_folds(people: Sequence[Hashable], folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    """A fold index per sample such that every sample of one person lies in one fold.

    People are shuffled (seeded), then, largest first, each goes to the fold that holds the fewest
    samples so far; `min(folds, people)` folds. Ties keep the shuffled order, so a seed gives one split.
    """
    keys = [str(p) for p in people]
    names = sorted(set(keys))
    if not names:
        return np.zeros(0, np.int64)
    k = max(1, min(folds, len(names)))
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    counts = {name: keys.count(name) for name in names}
    order.sort(key=lambda name: -counts[name])                  # stable: the shuffle breaks ties
    load, of_person = [0] * k, {}
    for name in order:
        f = int(np.argmin(load))
        of_person[name] = f
        load[f] += counts[name]
    return np.asarray([of_person[key] for key in keys], np.int64)


# fit(x (N, 1, H, W), y (N,), epochs, torch.Generator) -> a probe in eval mode giving logits of "generated":
# `affinekit.training.two_sample.fit_mouth_probe`, handed down by the caller (evaluation trains nothing)
MouthFit = Callable[[torch.Tensor, torch.Tensor, int, torch.Generator], Callable[[torch.Tensor], torch.Tensor]]


def two_sample_test(real: Sequence[np.ndarray], generated: Sequence[np.ndarray], real_people: Sequence[Hashable],
                    generated_people: Sequence[Hashable], *, fit: MouthFit | None, folds: int = FOLDS, seed: int = 0,
                    epochs: int = EPOCHS, shape: tuple[int, int] = PATCH_SHAPE) -> TwoSampleResult:
    """Held-out accuracy of a small CNN, trained per fold by `fit`, telling `real` mouth patches from
    `generated` ones (`fit=None`: not measured, accuracy and interval NaN).

    Folds are drawn by person (`grouped_folds` over both sets' person ids), so a person's patches
    of either kind are never on both sides. The interval treats the patches as independent trials
    (they are not quite: two patches of one person share a fold model), so read it as a guide.
    With fewer than two people there is nothing to hold out: accuracy and interval are NaN.
    Deterministic given `seed` (the split, the initial weights and the mirroring all derive from it).
    """
    if len(real) != len(real_people) or len(generated) != len(generated_people):
        raise ValueError(f"{len(real)} real and {len(generated)} generated patches, but {len(real_people)} "
                         f"and {len(generated_people)} person ids")
    people = list(real_people) + list(generated_people)
    n = len(people)
    fold = grouped_folds(people, folds, seed)
    k = int(fold.max()) + 1 if n else 0
    if fit is None or k < 2 or not len(real) or not len(generated):
        return TwoSampleResult(float("nan"), float("nan"), float("nan"), n, len(set(map(str, people))), k,
                               np.zeros(n, bool), fold)
    x = torch.from_numpy(mouth_patches(list(real) + list(generated), shape))[:, None]
    y = torch.cat([torch.zeros(len(real)), torch.ones(len(generated))])
    correct = np.zeros(n, bool)
    threads = torch.get_num_threads()
    # one thread: a net this small gains nothing from more, and on a busy CPU (training beside it)
    # several threads waiting on each other made it five to ten times slower
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):          # seeded weights without touching the caller's stream
            torch.manual_seed(seed)
            generator = torch.Generator().manual_seed(seed)
            for f in range(k):
                held = torch.from_numpy(fold == f)
                net = fit(x[~held], y[~held], epochs, generator)
                with torch.no_grad():
                    guess = (net(x[held]) > 0).float()
                correct[held.numpy()] = (guess == y[held]).numpy()
    finally:
        torch.set_num_threads(threads)
    hits = int(correct.sum())
    low, high = wilson_interval(hits, n)
    return TwoSampleResult(hits / n, low, high, n, len(set(map(str, people))), k, correct, fold)
