"""`evaluate(makers, data, keys)`: every clip maker's clips from the same first frames, scored against
the real sequences resampled to the same length, into one `ResultTable`."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from affinekit.errors import AffinekitError
from affinekit.evaluation import metrics
from affinekit.evaluation.baselines import copy_input
from affinekit.evaluation.classifier import load_classifier, predict_last_frames
from affinekit.evaluation.descriptors import FaceDescriber
from affinekit.evaluation.sources import EvalSequence, prepared_source
from affinekit.evaluation.table import METRIC_KEYS, REAL, ClipMaker, ResultTable, RowResult, fmt
from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import to_model, to_uint8


# -- evaluate ------------------------------------------------------------------------------
def _score(gen: np.ndarray, real: np.ndarray, desc: tuple[np.ndarray, np.ndarray],
           real_desc: tuple[np.ndarray, np.ndarray], labels: np.ndarray, landmarks: np.ndarray | None,
           classifier) -> dict[str, np.ndarray]:
    """Per-video metric arrays of generated uint8 clips (B, T, H, W, C) against the real ones."""
    g = np.moveaxis(gen, -1, 2).astype(np.float64)           # (B, T, C, H, W) on the 0-255 scale
    r = np.moveaxis(real, -1, 2).astype(np.float64)
    pred = predict_last_frames(gen, landmarks, classifier)
    return {"psnr": metrics.video_psnr(g, r, 255.0), "ssim": metrics.video_ssim(g, r, 255.0),
            "acd_c": metrics.acd_c(desc[0]), "acd_i": metrics.acd_i(desc[0], real_desc[0][:, 0]),
            "acd_m": metrics.acd_m(desc[0], real_desc[0]), "predicted": pred,
            "correct": (pred == labels).astype(np.float64), "no_face": (~desc[1]).sum(axis=1)}


def _wraparound(gen: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """Mean video PSNR of uint8 clips in float and with 8-bit wrap-around (for the note)."""
    g8, r8 = np.moveaxis(gen, -1, 2), np.moveaxis(real, -1, 2)
    return {"psnr_float": metrics.mean_skipping_nan(metrics.video_psnr(g8.astype(np.float64), r8.astype(np.float64), 255.0)),
            "psnr_uint8_wraparound": metrics.mean_skipping_nan(metrics.video_psnr_wraparound(g8, r8)),
            "psnr_uint8_wraparound_subtraction_only": metrics.mean_skipping_nan(
                metrics.video_psnr_wraparound(g8, r8, square_wraps=False))}


def _generate(name: str, maker: ClipMaker, real: np.ndarray, labels: np.ndarray, landmarks: np.ndarray,
              frames: int, batch_size: int) -> tuple[np.ndarray, float]:
    """A maker's uint8 clips (B, T, H, W, C) from the real first frames, and its frames per second."""
    parts, seconds = [], 0.0
    intensities = torch.linspace(0.0, 1.0, frames)
    for i in range(0, len(real), batch_size):
        x0 = to_model(real[i:i + batch_size, 0])
        lab = torch.from_numpy(labels[i:i + batch_size]).long()
        lm = torch.from_numpy(landmarks[i:i + batch_size])
        start = time.perf_counter()
        out = maker(x0, lab, intensities, lm)
        seconds += time.perf_counter() - start
        expected = (x0.shape[0], frames) + tuple(x0.shape[1:])
        if tuple(out.shape) != expected:
            raise AffinekitError(f"clip maker {name!r} returned shape {tuple(out.shape)}, expected {expected}")
        parts.append(to_uint8(out))
    # frames per second: frames the maker returned over the time spent inside its calls (no metrics)
    return np.concatenate(parts), len(real) * frames / max(seconds, 1e-9)


def evaluate(makers: dict[str, ClipMaker], data: str | Path | Callable[[str], EvalSequence],
             keys: Sequence[str], frames: int = 16, *, batch_size: int = 8, describer=None,
             classifier=None, keep_clips: bool = False, title: str | None = None,
             model_notes: dict[str, str] | None = None, calibrate: bool = True) -> ResultTable:
    """Score clip makers on the sequences `keys` of `data` (a prepared folder or a source).

    copy-input is always added (doing nothing is the first thing to beat); pass the
    landmark-warp baseline and the models in `makers`. Rows: real videos first,
    then the makers in order. `describer` defaults to a fixed-box FaceDescriber
    calibrated on the real first frames (aligned crops). Sequences without a face
    in their first frame are skipped and listed in `config["skipped_no_face"]`.
    """
    if not keys:
        raise AffinekitError("no test sequences to evaluate")
    source = prepared_source(data) if isinstance(data, (str, Path)) else data
    makers = {"copy-input": copy_input, **makers}
    classifier = classifier or load_classifier()
    seqs = [source(k) for k in keys]
    skipped = [s.key for s in seqs if s.landmarks0 is None]
    seqs = [s for s in seqs if s.landmarks0 is not None]
    if not seqs:
        raise AffinekitError("no test sequence has a face in its first frame")
    real = np.stack([s.frames[metrics.resample_indices(len(s.frames), frames)] for s in seqs])  # (B,T,H,W,C)
    labels = np.array([s.label for s in seqs])
    landmarks = np.stack([s.landmarks0 for s in seqs]).astype(np.float32)
    if describer is None:
        describer = FaceDescriber(box="crop")
        if calibrate:
            describer.calibrate(real[:, 0])
    real_desc = describer.describe_clips(real)

    outputs: list[tuple[str, str, np.ndarray, float | None]] = [(REAL, "reference", real, None)]
    for name, maker in makers.items():
        kind = "baseline" if name in ("copy-input", "landmark-warp") else "model"
        outputs.append((name, kind) + _generate(name, maker, real, labels, landmarks, frames, batch_size))

    rows: list[RowResult] = []
    per_seq: list[dict[str, Any]] = []
    clips: dict[str, dict[str, np.ndarray]] = {s.key: {} for s in seqs} if keep_clips else {}
    for name, kind, gen, fps in outputs:
        desc = real_desc if kind == "reference" else describer.describe_clips(gen)
        s = _score(gen, real, desc, real_desc, labels, landmarks, classifier)
        means = {k: metrics.mean_skipping_nan(s[k]) for k in ("psnr", "ssim", "acd_c", "acd_i", "acd_m")}
        means["expr_acc"] = float(np.mean(s["correct"]))
        rows.append(RowResult(name, kind, means, fps=fps, faces_not_found=int(s["no_face"].sum()),
                              frames_described=int(gen.shape[0] * gen.shape[1]), videos=len(seqs),
                              note=(model_notes or {}).get(name)))
        for i, seq in enumerate(seqs):
            per_seq.append({"row": name, "key": seq.key, "subject": seq.subject, "label": EXPRESSIONS[seq.label],
                            **{k: float(s[k][i]) for k in ("psnr", "ssim", "acd_c", "acd_i", "acd_m")},
                            "predicted": EXPRESSIONS[int(s["predicted"][i])], "correct": bool(s["correct"][i]),
                            "faces_not_found": int(s["no_face"][i])})
            if keep_clips:
                clips[seq.key][name] = gen[i]
    rep = classifier.report
    seen = sorted({s.subject for s in seqs} & set(rep.get("train_subjects", [])))
    table = ResultTable(title or f"{len(seqs)} test sequences, {frames} frames", rows,
                        wraparound=_wraparound(outputs[1][2], real), per_sequence=per_seq, clips=clips,
                        config={"frames": frames, "keys": [s.key for s in seqs], "skipped_no_face": skipped,
                                "descriptor_box": describer.box, "crop_box": list(describer.crop_box),
                                "size": int(real.shape[2]),
                                "classifier": {"test_accuracy": rep.get("test_accuracy"),
                                               "test_subjects": len(rep.get("test_subjects", [])),
                                               "saw_test_subjects": seen}})
    table.notes = standard_notes(table)
    return table


def standard_notes(table: ResultTable) -> list[str]:
    """The notes printed under every table: the wrap-around effect measured in this run, and conventions."""
    w = table.wraparound
    notes = []
    if w:
        gain = w["psnr_uint8_wraparound"] - w["psnr_float"]
        notes.append(
            f"Wrap-around: copy-input (the input frame repeated, no model at all) scores {w['psnr_float']:.2f} dB "
            f"PSNR computed in floating point in this run. The same uint8 frames scored the way the original "
            f"AffineGAN metric script does (`np.mean((a - b) ** 2)` on 8-bit arrays, so the difference and its "
            f"square wrap modulo 256 and large errors turn into small ones) score "
            f"{w['psnr_uint8_wraparound']:.2f} dB ({gain:+.2f} dB for doing nothing). The published AffineGAN "
            f"code computes PSNR this way, so set the quoted 35.50 dB (its own data and split) beside the "
            f"wrap-around number, not beside the float PSNR of the rows above. (Wrapping only the subtraction gives "
            f"{w['psnr_uint8_wraparound_subtraction_only']:.2f} dB.)")
    crop = table.config.get("crop_box")
    box = (f"a fixed box for every frame, the median dlib detector box over the real first frames "
           f"({', '.join(f'{v:.2f}' for v in crop)} of the crop), since crops are aligned"
           if table.config.get("descriptor_box") == "crop" else "the dlib HOG detector's box on each frame")
    notes += [
        "PSNR, SSIM, ACD-I and ACD-M skip frame 0 (it is the input given to every maker); clips are "
        "quantised to uint8 as a saved video would be, and scored in float64 with data range 255. A video's "
        "PSNR comes from its squared error pooled over its frames; the row is the mean over videos. SSIM: "
        "scikit-image defaults (7x7 uniform window).",
        f"ACD: dlib's 128-d face descriptor (dlib_face_recognition_resnet_model_v1), L2-normalised; the "
        f"68-landmark shape predictor starts from {box}. A frame where the HOG detector finds no face (over "
        f"that box) is counted in 'faces not found' and left out of the means, never given a made-up vector. "
        f"Lower is not better by itself: copy-input has ACD-C = ACD-I = 0; read the real-videos row as the "
        f"target.",
        "Real videos: the real clip scored against itself, so PSNR is inf, SSIM 1 (shown —) and ACD-M 0 by "
        "definition; its ACD-C, ACD-I and expression accuracy are the reference values.",
    ]
    rep = table.config.get("classifier")
    if rep:
        notes.append(
            f"Expression accuracy: share of clips whose last frame a small CNN reads as the requested expression "
            f"(trained on CK+48 apex crops, {fmt(rep.get('test_accuracy'), 3)} accuracy on "
            f"{rep.get('test_subjects')} held-out subjects, which include the CK+ sample's; the face "
            f"is framed with the input frame's landmarks). Chance is about 1/7."
            + (f" Careful: the classifier was trained on test subject(s) {', '.join(rep['saw_test_subjects'])}."
               if rep.get("saw_test_subjects") else " None of the test subjects was in its training set."))
    notes.append("frames/s: frames returned per second of time spent inside the clip maker (CPU here unless "
                 "stated), metrics excluded.")
    return notes


def merge_folds(tables: Sequence[ResultTable], title: str) -> ResultTable:
    """One table from per-fold tables: mean over folds and their std (ddof=1) per row."""
    if len(tables) == 1:
        tables[0].title = title
        return tables[0]
    rows = []
    for first in tables[0].rows:
        per_fold = [t.row(first.name) for t in tables]
        values = {k: np.array([r.metrics[k] for r in per_fold], dtype=np.float64) for k in METRIC_KEYS}
        means = {k: (float("inf") if np.isinf(v).all() else metrics.mean_skipping_nan(v)) for k, v in values.items()}
        # std over folds needs two finite fold values; inf (real PSNR) has no spread
        spread = {k: (float(np.std(v[np.isfinite(v)], ddof=1)) if np.isfinite(v).sum() >= 2 else float("nan"))
                  for k, v in values.items()}
        fps = [r.fps for r in per_fold if r.fps is not None]
        # a warning from any fold (e.g. test subjects seen in training) must survive the merge
        notes = [f"fold {i + 1}: {r.note}" for i, r in enumerate(per_fold) if r.note]
        rows.append(RowResult(first.name, first.kind, means, spread, float(np.mean(fps)) if fps else None,
                              sum(r.faces_not_found for r in per_fold), sum(r.frames_described for r in per_fold),
                              sum(r.videos for r in per_fold), "; ".join(notes) or None))
    per_seq = [dict(item, fold=i) for i, t in enumerate(tables) for item in t.per_sequence]
    clips = {k: v for t in tables for k, v in t.clips.items()}
    wrap = {k: float(np.mean([t.wraparound[k] for t in tables])) for k in tables[0].wraparound}
    config = dict(tables[0].config, folds=[t.config for t in tables])
    config["classifier"] = dict(config.get("classifier", {}), saw_test_subjects=sorted(
        {s for t in tables for s in t.config.get("classifier", {}).get("saw_test_subjects", [])}))
    merged = ResultTable(title, rows, wraparound=wrap, per_sequence=per_seq, clips=clips, config=config)
    merged.notes = [n.replace("in this run", "in this run (mean over folds)") for n in standard_notes(merged)]
    return merged
