"""The paired protocol: where a person's real expression photo exists (still pairs: a neutral and an
expression photo of one person), score each maker's apex against it.

For each pair item of a prepared folder (`kind == "pair"` in its manifest entry): the input is frame
0 (the neutral photo's aligned crop), the requested label the item's, the generated apex the maker's
frame at intensity 1, and the references frames 1..K (one expression photo; several apex frames of
a MEAD clip), each aligned on its own. Every score is averaged over an item's K references.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from affinekit.data.dataset import validation_split
from affinekit.data.faces import FaceAligner
from affinekit.data.prepared import load_manifest, load_sequence
from affinekit.errors import AffinekitError
from affinekit.evaluation import metrics
from affinekit.evaluation.baselines import LandmarkWarp, copy_input
from affinekit.evaluation.classifier import load_classifier, predict_last_frames
from affinekit.evaluation.descriptors import FaceDescriber
from affinekit.evaluation.judge import Judge
from affinekit.evaluation.makers import add_model_rows, learned_pair, load_model_maker, training_overlap
from affinekit.evaluation.mouth import LandmarkFinder, cut, face_box, mouth_box, mouth_error
from affinekit.evaluation.paired_table import REAL_PHOTO, PairedTable, paired_notes
from affinekit.evaluation.protocols import _model_name
from affinekit.evaluation.table import ClipMaker
from affinekit.evaluation.two_sample import MouthFit, two_sample_test
from affinekit.expressions import EXPRESSIONS, expression_index
from affinekit.io.clashes import distinct_folders
from affinekit.io.images import to_model, to_uint8

PAIR_HINT = "prepare a still-pair set, e.g. `affinekit prepare ../shared/data/frll --out prepared/frll`"


@dataclass
class PairItem:
    """One still pair as the protocol scores it (uint8 crops, landmarks in crop pixels)."""
    key: str
    folder: str
    subject: str
    source: str
    label: int
    x0: np.ndarray                    # (H, W, C) the neutral photo's crop
    x0_landmarks: np.ndarray          # (68, 2)
    references: np.ndarray            # (K, H, W, C) the expression photo(s)
    reference_landmarks: np.ndarray   # (K, 68, 2) as prepared (found on the full photo)


def pair_keys(folder: str | Path) -> list[str]:
    """Keys of the labelled still pairs of a prepared folder; AffinekitError when it has none."""
    entries = load_manifest(folder)["sequences"]
    keys = [e["key"] for e in entries if e.get("kind", "sequence") == "pair" and e.get("label") in EXPRESSIONS
            and e.get("frames", 2) >= 2]
    if not keys:
        raise AffinekitError(f"{folder}: no labelled still pairs (kind \"pair\") in its manifest; {PAIR_HINT}")
    return keys


def load_pair(folder: str | Path, key: str) -> PairItem:
    """A prepared pair item by key."""
    seq = load_sequence(folder, key)
    return PairItem(key, str(folder), seq.subject, seq.source, expression_index(seq.label), seq.frames[0],
                    np.asarray(seq.landmarks[0], np.float32), seq.frames[1:], np.asarray(seq.landmarks[1:]))


def fit_landmark_warp(train: Sequence[tuple[str | Path, str]]) -> LandmarkWarp:
    """Landmark-warp learnt from (folder, key) training items: each labelled item's first and last
    frame (sequences, pairs and clips alike; unpaired apex faces teach no motion)."""
    first, last, labels = [], [], []
    for folder, key in train:
        seq = load_sequence(folder, key)
        if seq.label in EXPRESSIONS and len(seq.landmarks) >= 2:
            first.append(seq.landmarks[0])
            last.append(seq.landmarks[-1])
            labels.append(expression_index(seq.label))
    if not labels:
        raise AffinekitError(f"{', '.join(sorted({str(f) for f, _ in train}))}: no labelled training item "
                             "with two frames to fit landmark-warp on; prepare more people")
    return LandmarkWarp().fit_landmarks(np.stack(first), np.stack(last), labels)


def _apexes(name: str, maker: ClipMaker, items: Sequence[PairItem], batch_size: int) -> np.ndarray:
    """The maker's uint8 apex (N, H, W, C) for each item's input, at intensity 1."""
    out, intensities = [], torch.tensor([0.0, 1.0])
    for i in range(0, len(items), batch_size):
        chunk = items[i:i + batch_size]
        x0 = to_model(np.stack([it.x0 for it in chunk]))
        labels = torch.tensor([it.label for it in chunk]).long()
        clips = maker(x0, labels, intensities, torch.from_numpy(np.stack([it.x0_landmarks for it in chunk])))
        expected = (x0.shape[0], 2) + tuple(x0.shape[1:])
        if tuple(clips.shape) != expected:
            raise AffinekitError(f"clip maker {name!r} returned shape {tuple(clips.shape)}, expected {expected}")
        out.append(to_uint8(clips[:, 1]))
    return np.concatenate(out)


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two uint8 boxes (H, W, C) in float on the 0-255 scale, channels averaged; NaN when the
    box is smaller than SSIM's 7x7 window."""
    if min(a.shape[:2]) < 7:
        return float("nan")
    return float(metrics.ssim(np.moveaxis(a, -1, 0), np.moveaxis(b, -1, 0), 255.0))


def _against_references(apex: np.ndarray, points: np.ndarray, item: PairItem,
                        ref_points: np.ndarray) -> dict[str, float]:
    """Mouth error, face and mouth SSIM and sharpness of one apex, averaged over the item's references
    (the sharpness ratio geometrically)."""
    scores: dict[str, list[float]] = {"mouth_error": [], "face_ssim": [], "mouth_ssim": [], "sharpness": []}
    for ref, lm in zip(item.references, ref_points):
        face, mouth = face_box(lm, ref.shape), mouth_box(lm, ref.shape)
        scores["mouth_error"].append(mouth_error(points, lm))
        scores["face_ssim"].append(_ssim(cut(apex, face), cut(ref, face)))
        scores["mouth_ssim"].append(_ssim(cut(apex, mouth), cut(ref, mouth)))
        scores["sharpness"].append(metrics.sharpness_ratio(cut(apex, mouth), cut(ref, mouth)))
    ratios = scores.pop("sharpness")
    means = {k: metrics.mean_skipping_nan(np.asarray(v, np.float64)) for k, v in scores.items()}
    means["sharpness"] = metrics.geometric_mean_ratio(ratios)
    return means


def _first_mouths(images: Sequence[np.ndarray], ref_points: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Each item's mouth box cut from its image (a reference or a generated apex), the box of the item's
    first reference: one patch per item, so a MEAD clip's several apex frames do not count as several
    people's mouths in the two-sample test."""
    return [cut(image, mouth_box(points[0], image.shape)) for image, points in zip(images, ref_points)]


def score_pairs(makers: dict[str, ClipMaker], items: Sequence[PairItem], *, batch_size: int = 16,
                classifier=None, describer: FaceDescriber | None = None, aligner: FaceAligner | None = None,
                seed: int = 0, log: Callable[[str], None] = print, judge: Judge | None = None,
                mouth_fit: MouthFit | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-item records of every maker (copy-input first, added when missing) and of the real photo,
    and what the run measured about its own landmarks. `seed` seeds the mouth two-sample test, whose
    per-fold probe `mouth_fit` trains (`training.two_sample.fit_mouth_probe`, handed down by the caller;
    None: not measured). `judge` (`evaluation.judge.load_judge()`) reads each apex; None: no judge column."""
    if not items:
        raise AffinekitError("no still pair to score")
    makers = {"copy-input": copy_input, **makers}
    classifier = classifier or load_classifier()
    finder = LandmarkFinder(aligner or FaceAligner())
    if describer is None:
        describer = FaceDescriber(box="crop")
        describer.calibrate(np.stack([it.x0 for it in items]))
    x0_desc, _ = describer.describe(np.stack([it.x0 for it in items]))
    # the references go through the same detector as the generated frames, so a bias of detecting on
    # a small crop falls on both sides; the prepared landmarks (full photo) only give the fallback box
    refs = [[finder.find(r, lm, f"{it.key} frame {k + 1}") for k, (r, lm) in
             enumerate(zip(it.references, it.reference_landmarks))] for it in items]
    ref_points = [np.stack([p for p, _ in found]) for found in refs]
    floor = [mouth_error(p, lm) for pts, it in zip(ref_points, items) for p, lm in zip(pts, it.reference_landmarks)]
    info = {"reference_fallbacks": sum(f for found in refs for _, f in found),
            "references": sum(len(it.references) for it in items),
            "detector_floor": float(np.mean(floor))}

    real_mouths = _first_mouths([it.references[0] for it in items], ref_points)
    people = [f"{it.source}/{it.subject}" for it in items]

    records: list[dict[str, Any]] = []
    copy_error: dict[int, float] = {}             # by position: keys of two folders may coincide
    for name, maker in makers.items():
        log(f"paired: {name} on {len(items)} pairs")
        apex = _apexes(name, maker, items, batch_size)
        predicted = predict_last_frames(apex[:, None], np.stack([it.x0_landmarks for it in items]), classifier)
        desc, found = describer.describe(apex)
        acd = metrics.acd_i(desc[:, None], x0_desc, skip_first=False)
        realism = two_sample_test(real_mouths, _first_mouths(apex, ref_points), people, people, seed=seed,
                                  fit=mouth_fit)
        judged = _judged(judge, apex, items)
        # per item: how many of its two patches (the real mouth, the generated one) the fold model got
        # right; none scored when there were too few people to hold any out
        told = realism.correct[:len(items)].astype(int) + realism.correct[len(items):]
        scored = 2 if np.isfinite(realism.accuracy) else 0
        for i, it in enumerate(items):
            points, fell_back = finder.find(apex[i], it.x0_landmarks, f"{name}: {it.key}")
            s = _against_references(apex[i], points, it, ref_points[i])
            if name == "copy-input":
                copy_error[i] = s["mouth_error"]
            records.append(dict(_identity(it), row=name, **s, closer=float(s["mouth_error"] < copy_error[i]),
                                predicted=EXPRESSIONS[int(predicted[i])], correct=float(predicted[i] == it.label),
                                judge_correct=judged[i], acd_i=float(acd[i]), face_found=bool(found[i]),
                                fallback=fell_back,
                                two_sample_correct=int(told[i]), two_sample_patches=scored))
    records += _real_records(items, describer, x0_desc, classifier, judge)
    return records, info


def _judged(judge: Judge | None, crops: np.ndarray, items: Sequence[PairItem]) -> np.ndarray:
    """1.0 where the judge reads a crop as its item's requested expression, else 0.0; NaN without a judge."""
    if judge is None:
        return np.full(len(items), np.nan)
    return judge.reads(crops, [it.label for it in items]).astype(np.float64)


def _identity(item: PairItem) -> dict[str, Any]:
    return {"key": item.key, "folder": item.folder, "subject": item.subject, "source": item.source,
            "label": EXPRESSIONS[item.label]}


def _real_records(items: Sequence[PairItem], describer: FaceDescriber, x0_desc: np.ndarray,
                  classifier, judge: Judge | None) -> list[dict[str, Any]]:
    """The real expression photo's own expression accuracy and ACD-I (the targets), mean over its K."""
    out = []
    for i, it in enumerate(items):
        predicted = predict_last_frames(it.references[:, None], it.reference_landmarks, classifier)
        desc, found = describer.describe(it.references)
        acd = metrics.acd_i(desc[None], x0_desc[i:i + 1], skip_first=False)[0]
        out.append(dict(_identity(it), row=REAL_PHOTO, mouth_error=0.0, face_ssim=1.0, mouth_ssim=1.0,
                        sharpness=1.0, closer=float("nan"), predicted=EXPRESSIONS[int(predicted[0])],
                        correct=float(np.mean(predicted == it.label)),
                        judge_correct=float(np.mean(_judged(judge, it.references, [it] * len(it.references)))),
                        acd_i=float(acd),
                        face_found=bool(found.any()), fallback=False, two_sample_correct=0, two_sample_patches=0))
    return out


def paired_protocol(folders: Sequence[str | Path], checkpoints: Sequence[str | Path] = (), all_keys: bool = False,
                    fraction: float = 0.2, seed: int = 0, device: str = "cpu", limit: int | None = None,
                    log: Callable[[str], None] = print, **score_options: Any) -> PairedTable:
    """Score copy-input, landmark-warp and each checkpoint on the still pairs of prepared folders.

    By default the pairs of each folder's validation people (`validation_split(folder, fraction,
    seed)`: per source, over every item of the folder) are scored; `all_keys` scores every pair.
    Landmark-warp is fitted on the training people's items of the same folders. `limit` keeps the
    first pairs of each folder (quick runs).
    """
    folders = distinct_folders(folders, log)
    test: list[tuple[str, str]] = []
    train: list[tuple[str, str]] = []
    for folder in folders:
        pairs = pair_keys(folder)
        train_keys, validation_keys = validation_split(folder, fraction, seed)
        held = set(validation_keys)
        chosen = [k for k in pairs if all_keys or k in held][:limit]
        if not chosen:
            raise AffinekitError(f"{folder}: no still pair among its validation people; add --all-keys to "
                                 "score every pair")
        test += [(str(folder), k) for k in chosen]
        train += [(str(folder), k) for k in train_keys]
    loaded = [(path, *load_model_maker(path, device)) for path in checkpoints]
    seen = {pair for pair in test if any(learned_pair(info, *pair) for _, _, info in loaded)}
    left_out = []
    if seen and not all_keys:          # "validation people" must be people no scored model learned from
        left_out = [pair for pair in test if pair in seen]
        test = [pair for pair in test if pair not in seen]
        log(f"paired: left out {len(left_out)} pair(s) the checkpoint(s) trained on (the pair or its person)")
        if not test:
            raise AffinekitError(f"{', '.join(map(str, checkpoints))}: trained on every validation pair of "
                                 f"{', '.join(map(str, folders))} (the pairs or their people); score other people, "
                                 "or add --all-keys to score them marked as seen")
    log(f"paired: {len(test)} pairs to score; landmark-warp fitted on {len(train)} training items")
    makers: dict[str, ClipMaker] = {"landmark-warp": fit_landmark_warp(train)}
    warnings: dict[str, str] = {}
    for path, maker, info in loaded:
        # a model with a mouth refiner also gets its row without it (add_model_rows)
        add_model_rows(makers, warnings, _model_name(path, info), maker, training_overlap(info, [k for _, k in test]))
    notes = [f"{name}: {warning}" for name, warning in warnings.items()]
    if left_out:
        notes.append(f"Left out: {len(left_out)} validation pair(s) a scored checkpoint trained on (the pair, or "
                     f"another item of its person, in any of its sources): {', '.join(k for _, k in left_out[:8])}"
                     f"{', ...' if len(left_out) > 8 else ''}.")
    elif seen:
        notes.append(f"Seen in training: {len(seen)} scored pair(s) a checkpoint trained on (column seen_in_training).")
    items = [load_pair(f, k) for f, k in test]
    records, info = score_pairs(makers, items, log=log, seed=seed, **score_options)
    for record in records:
        record["seen_in_training"] = (record["folder"], record["key"]) in seen
    people = len({(it.source, it.subject) for it in items})
    scope = "every pair" if all_keys else (f"the validation people ({fraction:.0%} of each source's people, seed {seed})"
                                           + (f", less {len(left_out)} pairs a checkpoint trained on" if left_out else ""))
    title = (f"Paired protocol: {len(items)} still pairs of {people} people ({scope}); the generated apex "
             f"against the person's real expression photo")
    table = PairedTable(title, ["copy-input", *makers, REAL_PHOTO], records,
                        config={"folders": [str(f) for f in folders], "all_keys": all_keys, "fraction": fraction,
                                "seed": seed, "keys": [k for _, k in test], **info})
    table.notes = notes + paired_notes(info, all_keys, score_options.get("judge") is not None,
                                       score_options.get("mouth_fit") is not None)
    return table

