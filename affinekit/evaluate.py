"""Protocols -> one table: real videos, copy-input, landmark-warp and the model(s), from one run.

`evaluate(makers, data, keys)` generates T frames from each test sequence's first
frame with every clip maker, compares them with the real sequence resampled to T
frames (evenly spaced from first to last), and returns a `ResultTable`.
`subject_protocol` and `paper_protocol` choose the test sequences (and fit the
landmark-warp baseline, and optionally train a model, on the training side only);
`main(args)` is `affinekit evaluate`.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import cv2
import numpy as np
import torch

from affinekit import metrics
from affinekit.baselines import LandmarkWarp, copy_input
from affinekit.images import to_model, to_uint8
from affinekit.inference import render_crops
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS, expression_index

ClipMaker = Callable[..., torch.Tensor]
METRIC_KEYS = ("psnr", "ssim", "acd_c", "acd_i", "acd_m", "expr_acc")
REAL = "real videos"

# Published numbers, quoted (never measured here): the seed paper's Table 2, whose
# columns are PSNR, SSIM, ACD (the mean pairwise distance within a video, our ACD-C)
# and ACD-I; it reports no ACD-M.
QUOTED_SOURCE = ("Hung, Duy, Huy, \"Creating a Video from Facial Image Using Conditional Generative "
                 "Adversarial Network\", Table 2, CK+; its ACD is the ACD-C column here")
QUOTED_ROWS: list[dict[str, Any]] = [
    {"name": "VGAN", "psnr": 16.32, "ssim": 0.41, "acd_c": 0.14, "acd_i": 1.55, "acd_m": None},
    {"name": "MoCoGAN", "psnr": 18.16, "ssim": 0.58, "acd_c": 0.15, "acd_i": 0.90, "acd_m": None},
    {"name": "ImaGINator", "psnr": 20.29, "ssim": 0.85, "acd_c": 0.08, "acd_i": 0.29, "acd_m": None},
    {"name": "AffineGAN", "psnr": 35.50, "ssim": 0.91, "acd_c": 0.06, "acd_i": 0.16, "acd_m": None},
]


# -- test data ------------------------------------------------------------------------
@dataclass
class EvalSequence:
    """One real sequence as evaluation sees it."""
    key: str
    subject: str
    label: int
    frames: np.ndarray                 # (N, H, W, C) uint8
    landmarks0: np.ndarray | None      # (68, 2) of frames[0], in its pixels


def prepared_source(prepared_dir: str | Path) -> Callable[[str], EvalSequence]:
    """Sequences of a prepared folder (aligned crops), by key."""
    from affinekit.data.cache import load_sequence

    def load(key: str) -> EvalSequence:
        seq = load_sequence(prepared_dir, key)
        if not seq.label:
            raise AffinekitError(f"{prepared_dir}/{key}.npz: no expression label; evaluate labelled sequences only")
        return EvalSequence(key, seq.subject, expression_index(seq.label), seq.frames,
                            np.asarray(seq.landmarks[0], np.float32))
    return load


class RawCkplusSource:
    """Raw CK+ frames resized to size x size without alignment (the paper protocol).

    Landmarks (for the warp baseline and the classifier's framing) are found on
    the full-resolution frame and scaled to the resized one.
    """

    def __init__(self, root: str | Path, size: int = 128) -> None:
        from affinekit.data.ckplus import read_ckplus
        from affinekit.data.paths import require_ckplus
        self.root = require_ckplus(root)
        self.size = size
        self.records = {r.key: r for r in read_ckplus(self.root, labelled_only=True)}
        if not self.records:
            raise AffinekitError(f"{self.root}: no labelled CK+ sequence (Emotion/ files) found")
        self._aligner = None

    def entries(self) -> list[dict[str, Any]]:
        """Manifest-like entries (key, subject, label, frames) for the splits."""
        return [{"key": r.key, "subject": r.subject, "label": r.label, "frames": len(r.frames)}
                for r in self.records.values()]

    def landmarks(self, key: str, index: int) -> np.ndarray | None:
        """68 landmarks of frame `index`, in resized pixels; None when no face is found."""
        from affinekit.data.faces import FaceAligner
        from affinekit.data.records import read_image
        self._aligner = self._aligner or FaceAligner()
        path = self.records[key].frames[index]
        image = read_image(path, gray=True)
        try:
            pts = self._aligner.landmarks(image, name=str(path))
        except AffinekitError:
            return None
        h, w = image.shape[:2]
        return (pts * np.array([self.size / w, self.size / h])).astype(np.float32)

    def __call__(self, key: str) -> EvalSequence:
        rec = self.records[key]
        frames = rec.load_frames(gray=True)
        resized = np.stack([cv2.resize(f, (self.size, self.size), interpolation=cv2.INTER_AREA) for f in frames])
        return EvalSequence(key, rec.subject, expression_index(rec.label), resized[..., None],
                            self.landmarks(key, 0))


# -- the model as a clip maker ---------------------------------------------------------
class GeneratorMaker:
    """A trained Generator as a clip maker: exactly what `affinekit generate` shows, on aligned crops.

    It calls the one inference path (`affinekit.inference.render_crops`): the
    motion head warps the test crop at its own size, the pixel head's frames
    are resized to it. Nothing is added or tuned after the network.
    """

    def __init__(self, generator: torch.nn.Module, device: str = "cpu") -> None:
        self.generator = generator.to(device).eval()

    def __call__(self, x0: torch.Tensor, labels: torch.Tensor, intensities: torch.Tensor,
                 landmarks: torch.Tensor | None = None) -> torch.Tensor:
        return render_crops(self.generator, x0, labels, intensities)


def add_model_rows(makers: dict[str, Any], notes: dict[str, str], name: str, maker: "GeneratorMaker",
                   note: str | None = None) -> None:
    """Put a model's row into `makers`, with `note` when there is one."""
    makers[name] = maker
    if note:
        notes[name] = note


def load_model_maker(path: str | Path, device: str = "cpu") -> tuple[GeneratorMaker, dict[str, Any]]:
    """A checkpoint as a clip maker, plus what is known of its training data (run config.json)."""
    from affinekit.checkpoint import load_generator, run_config
    generator, cfg = load_generator(path, device=device)
    info: dict[str, Any] = {"checkpoint": str(path), "image_size": cfg.image_size, "output": cfg.output}
    run = run_config(path)
    if run is not None:
        data = run.get("data", {}) or {}
        info.update(train_keys=data.get("keys"), prepared=data.get("prepared"),
                    steps=(run.get("train") or {}).get("steps"))
    return GeneratorMaker(generator, device), info


def training_overlap(info: dict[str, Any], test_keys: Sequence[str]) -> str | None:
    """A warning when a checkpoint's training data included test sequences (or is unknown)."""
    if "train_keys" not in info:
        return "training data unknown (no run config.json beside the checkpoint)"
    keys = info["train_keys"]
    if keys is None:
        return "trained on every sequence of its data folder: the test sequences were seen in training"
    seen = sorted(set(keys) & set(test_keys))
    if seen:
        return f"{len(seen)} of {len(test_keys)} test sequences were seen in training"
    subjects = {k.split("_")[0] for k in keys} & {k.split("_")[0] for k in test_keys}
    if subjects:
        return f"test subjects seen in training: {', '.join(sorted(subjects))}"
    return None


# -- the table ---------------------------------------------------------------------------
@dataclass
class RowResult:
    """One row: metric means (over videos, then folds), their spread over folds, speed, faces lost."""
    name: str
    kind: str                                      # "reference", "baseline" or "model"
    metrics: dict[str, float]
    spread: dict[str, float] | None = None         # std over folds
    fps: float | None = None
    faces_not_found: int = 0
    frames_described: int = 0
    videos: int = 0
    note: str | None = None


def _fmt(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}f}"


DIGITS = {"psnr": 2, "ssim": 3, "acd_c": 3, "acd_i": 3, "acd_m": 3, "expr_acc": 3}
HEADERS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "acd_c": "ACD-C", "acd_i": "ACD-I", "acd_m": "ACD-M",
           "expr_acc": "expr. acc."}


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return _jsonable(value.item())
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@dataclass
class ResultTable:
    """Rows measured in one run, the quoted published rows apart, notes, per-sequence results."""
    title: str
    rows: list[RowResult]
    notes: list[str] = field(default_factory=list)
    wraparound: dict[str, float] = field(default_factory=dict)
    per_sequence: list[dict[str, Any]] = field(default_factory=list)
    clips: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)   # key -> row -> (T,H,W,C) uint8
    config: dict[str, Any] = field(default_factory=dict)
    quoted: list[dict[str, Any]] = field(default_factory=lambda: [dict(r) for r in QUOTED_ROWS])

    def row(self, name: str) -> RowResult:
        """The row called `name`."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no row {name!r}; rows are {', '.join(r.name for r in self.rows)}")

    def _cell(self, r: RowResult, key: str) -> str:
        value = r.metrics.get(key)
        if r.kind == "reference" and key == "ssim":
            return "—"                              # real vs itself: 1 by definition, not a score
        text = _fmt(value, DIGITS[key])
        if r.spread is not None and value is not None and not math.isinf(value) and text != "n/a":
            text += f" ± {_fmt(r.spread.get(key), DIGITS[key])}"
        return text

    def to_markdown(self) -> str:
        """The table, the quoted rows apart, and the notes, as markdown."""
        keys = list(METRIC_KEYS)
        head = ["row"] + [HEADERS[k] for k in keys] + ["frames/s", "faces not found"]
        lines = [f"### {self.title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in self.rows:
            fps = "—" if r.fps is None else f"{r.fps:.1f}"
            lost = f"{r.faces_not_found}/{r.frames_described}"
            name = r.name + (" †" if r.note else "")
            lines.append("| " + " | ".join([name] + [self._cell(r, k) for k in keys] + [fps, lost]) + " |")
        for r in self.rows:
            if r.note:
                lines.append(f"\n† {r.name}: {r.note}")
        lines += ["", f"**Quoted, not measured** ({QUOTED_SOURCE}; other data, split and metric code: "
                      "not comparable with the rows above):", "",
                  "| method (quoted) | PSNR (dB) | SSIM | ACD-C | ACD-I | ACD-M |", "|---|---|---|---|---|---|"]
        for q in self.quoted:
            cells = [_fmt(q.get(k), DIGITS[k]) for k in ("psnr", "ssim", "acd_c", "acd_i", "acd_m")]
            lines.append("| " + " | ".join([q["name"]] + cells) + " |")
        lines += ["", "Notes:"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def to_dict(self, include_clips: bool = False) -> dict[str, Any]:
        """Everything but the clips (unless asked), JSON-ready (inf as "inf", NaN as null)."""
        out = {"title": self.title, "config": self.config,
               "rows": [r.__dict__ for r in self.rows], "quoted": {"source": QUOTED_SOURCE, "rows": self.quoted},
               "wraparound": self.wraparound, "notes": self.notes, "per_sequence": self.per_sequence}
        if include_clips:
            out["clips"] = {k: {n: c.tolist() for n, c in v.items()} for k, v in self.clips.items()}
        return _jsonable(out)

    def to_json(self) -> str:
        """`to_dict()` as indented JSON."""
        return json.dumps(self.to_dict(), indent=1)


# -- evaluate ------------------------------------------------------------------------------
def _score(gen: np.ndarray, real: np.ndarray, desc: tuple[np.ndarray, np.ndarray],
           real_desc: tuple[np.ndarray, np.ndarray], labels: np.ndarray, landmarks: np.ndarray | None,
           classifier) -> dict[str, np.ndarray]:
    """Per-video metric arrays of generated uint8 clips (B, T, H, W, C) against the real ones."""
    from affinekit.classifier import predict_last_frames
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
    return {"psnr_float": metrics.mean_finite(metrics.video_psnr(g8.astype(np.float64), r8.astype(np.float64), 255.0)),
            "psnr_uint8_wraparound": metrics.mean_finite(metrics.video_psnr_wraparound(g8, r8)),
            "psnr_uint8_wraparound_subtraction_only": metrics.mean_finite(
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
    from affinekit.classifier import load_classifier
    from affinekit.descriptors import FaceDescriber
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
        means = {k: metrics.mean_finite(s[k]) for k in ("psnr", "ssim", "acd_c", "acd_i", "acd_m")}
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
            f"(trained on CK+48 apex crops, {_fmt(rep.get('test_accuracy'), 3)} accuracy on "
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
        means = {k: (float("inf") if np.isinf(v).all() else metrics.mean_finite(v)) for k, v in values.items()}
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


# -- protocols --------------------------------------------------------------------------------
def _model_name(path: str | Path, info: dict[str, Any]) -> str:
    """A model row's name: its run folder and file, and its output head."""
    p = Path(path)
    run = p.parent.parent if p.parent.name == "checkpoints" else p.parent
    return f"model: {run.name}/{p.name} [{info.get('output', '?')} head]"


def _train_fold_model(prepared_dir: str | Path, train_keys: Sequence[str], steps: int, out_dir: Path,
                      image_size: int, device: str, seed: int, config_file: str | None = None,
                      overrides: Sequence[str] = ()) -> GeneratorMaker:
    """A fresh model trained on this fold's training keys only (configs as `affinekit train` takes them)."""
    import dataclasses

    from affinekit.data.cache import load_manifest
    from affinekit.launch import resolve_configs, train
    configs, user_keys = resolve_configs(config_file, list(overrides))
    channels = int(load_manifest(prepared_dir).get("config", {}).get("channels", 1))
    model_cfg = dataclasses.replace(configs["model"], channels=channels,
                                    image_size=configs["model"].image_size if "image_size" in user_keys["model"]
                                    else image_size)
    train_cfg = dataclasses.replace(configs["train"], steps=steps, device=device, seed=seed,
                                    checkpoint_every=max(steps, 1), sample_every=max(steps, 1))
    trainer = train(prepared_dir, out_dir, model_cfg, train_cfg, configs["data"], keys=list(train_keys))
    return GeneratorMaker(trainer.generator, device)


def subject_protocol(prepared_dir: str | Path, checkpoints: Sequence[str | Path] = (), folds: int = 0,
                     frames: int = 16, train_steps: int = 0, train_size: int = 64, seed: int = 0,
                     test_fraction: float = 0.2, work_dir: str | Path | None = None, device: str = "cpu",
                     limit: int | None = None, keep_clips: bool = False, log: Callable[[str], None] = print,
                     train_config: str | None = None, train_overrides: Sequence[str] = (),
                     fold_checkpoint: str | None = None) -> ResultTable:
    """Subject-disjoint evaluation: one split, or k folds over subjects (mean ± std over folds).

    Landmark-warp is fitted on each fold's training keys; with `train_steps` a fresh
    model is trained per fold on those keys (the honest cross-validated number).
    `fold_checkpoint`, a path with `{fold}` in it (0-based, as `data.fold`), names
    models trained per fold elsewhere (`scripts/train_folds.py`): fold f tests
    the file it names for f. Checkpoints are evaluated as given, with a note when
    their training data is known to include test sequences.
    """
    from affinekit.data.cache import load_manifest
    from affinekit.data.dataset import subject_kfold, subject_split
    manifest = load_manifest(prepared_dir)
    entries = [e for e in manifest["sequences"] if e.get("label")]
    splits = subject_kfold(entries, folds, seed) if folds > 1 else [subject_split(entries, test_fraction, seed)]
    models = {str(c): load_model_maker(c, device) for c in checkpoints}
    work = Path(work_dir) if work_dir else Path("runs") / "eval-folds"
    tables, n_test = [], 0
    for f, (train_keys, test_keys) in enumerate(splits):
        test_keys = list(test_keys)[:limit] if limit else list(test_keys)
        log(f"fold {f + 1}/{len(splits)}: {len(train_keys)} training, {len(test_keys)} test sequences")
        makers: dict[str, ClipMaker] = {"landmark-warp": LandmarkWarp().fit(prepared_dir, train_keys)}
        notes: dict[str, str] = {}
        for path, (maker, info) in models.items():
            add_model_rows(makers, notes, _model_name(path, info), maker, training_overlap(info, test_keys))
        if fold_checkpoint:
            path = fold_checkpoint.format(fold=f)
            if not Path(path).is_file():
                raise AffinekitError(f"{path}: no model for fold {f}; train it with scripts/train_folds.py "
                                     f"(--folds {len(splits)} --seed {seed}) or fix --fold-checkpoint")
            maker, info = load_model_maker(path, device)
            add_model_rows(makers, notes, f"fold models: {Path(fold_checkpoint).name}", maker,
                           training_overlap(info, test_keys))
        if train_steps > 0:
            name = f"AffineGAN (this kit, {train_steps} steps on the fold's training subjects)"
            log(f"fold {f + 1}: training a fresh model for {train_steps} steps")
            add_model_rows(makers, notes, name, _train_fold_model(prepared_dir, train_keys, train_steps,
                                                                  work / f"fold{f}", train_size, device, seed,
                                                                  train_config, train_overrides))
        tables.append(evaluate(makers, prepared_dir, test_keys, frames, keep_clips=keep_clips, model_notes=notes))
        n_test += len(test_keys)
    subjects = sorted({k.split("_")[0] for _, test in splits for k in test})
    size = manifest.get("config", {}).get("image_size", "?")
    how = (f"{len(splits)}-fold cross-validation over subjects, mean ± std over folds" if len(splits) > 1
           else f"one subject-disjoint split, test subjects {', '.join(subjects)}")
    title = f"Subject protocol ({how}; {n_test} test sequences; {frames} frames; aligned crops at {size} px)"
    return merge_folds(tables, title)


def paper_protocol(ckplus_root: str | Path, checkpoints: Sequence[str | Path] = (), frames: int = 16,
                   size: int = 128, seed: int = 0, test_fraction: float = 0.2, device: str = "cpu",
                   limit: int | None = None, keep_clips: bool = False, log: Callable[[str], None] = print,
                   ) -> ResultTable:
    """The paper's random frame split on raw CK+ frames resized to size x size, without alignment.

    Test sequences are those holding a test frame; their other frames (and their
    subjects) are in training, so these numbers are optimistic by construction.
    Landmark-warp learns from each sequence's first and last training frame.
    """
    from affinekit.data.dataset import paper_frame_split
    source = RawCkplusSource(ckplus_root, size)
    entries = source.entries()
    train_frames, test_frames = paper_frame_split(entries, test_fraction, seed)
    log(f"paper split: {sum(map(len, test_frames.values()))} test frames in {len(test_frames)} sequences")
    first, last, labels = [], [], []
    for key, idx in train_frames.items():
        a, b = source.landmarks(key, 0), source.landmarks(key, max(idx))
        if a is not None and b is not None:
            first.append(a)
            last.append(b)
            labels.append(expression_index(source.records[key].label))
    warp = LandmarkWarp().fit_landmarks(np.stack(first), np.stack(last), labels)
    test_keys = sorted(test_frames)[:limit] if limit else sorted(test_frames)
    makers: dict[str, ClipMaker] = {"landmark-warp": warp}
    notes: dict[str, str] = {}
    for path in checkpoints:
        maker, info = load_model_maker(path, device)
        add_model_rows(makers, notes, _model_name(path, info), maker,
                       "fed the resized raw first frame (it was trained on aligned crops)")
    from affinekit.descriptors import FaceDescriber
    table = evaluate(makers, source, test_keys, frames, describer=FaceDescriber(box="detect"),
                     keep_clips=keep_clips, model_notes=notes)
    table.title = (f"Paper protocol (the AffineGAN paper's RANDOM FRAME split: test frames share sequences and "
                   f"subjects with training frames; {len(test_keys)} sequences; raw frames resized to "
                   f"{size}x{size}, no face alignment; {frames} frames)")
    return table


def _check_writable(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    if path.is_dir() or not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise AffinekitError(f"{path}: cannot write here; choose another path")


def main(args: Any) -> int:
    """`affinekit evaluate --data D --protocol subject|paper [--checkpoint C ...] [--folds K] [--json J] [--markdown M]`."""
    from affinekit.animate import DEFAULT_WEIGHTS
    checkpoints = list(args.checkpoint)
    notes = []
    if not checkpoints:
        if DEFAULT_WEIGHTS.is_file():
            checkpoints = [DEFAULT_WEIGHTS]
        else:
            notes.append(f"No model checkpoint given and no bundled model ({DEFAULT_WEIGHTS.name}): baselines only.")
    from affinekit.devices import resolve_device
    if args.folds < 0 or args.folds == 1:
        raise AffinekitError(f"--folds {args.folds}: use 0 (one subject split) or 2 and more (k-fold cross-validation)")
    if args.limit is not None and args.limit < 1:
        raise AffinekitError(f"--limit {args.limit}: give at least 1 test sequence per fold, or drop --limit for all")
    if args.frames < 2 or args.train_steps < 0:
        raise AffinekitError("--frames must be at least 2 and --train-steps 0 or more")
    for target in (args.json, args.markdown):     # a read-only target fails now, not after minutes of work
        if target:
            _check_writable(Path(target))
    device = str(resolve_device(getattr(args, "device", "auto")))
    common = dict(checkpoints=checkpoints, frames=args.frames, seed=args.seed, device=device, limit=args.limit)
    train_overrides, train_config = getattr(args, "set", []), getattr(args, "train_config", None)
    if (train_overrides or train_config) and not args.train_steps:
        raise AffinekitError("--set and --train-config shape the per-fold models: add --train-steps N (and --folds K)")
    fold_checkpoint = getattr(args, "fold_checkpoint", None)
    if fold_checkpoint and ("{fold}" not in fold_checkpoint or args.folds < 2):
        raise AffinekitError(f"--fold-checkpoint {fold_checkpoint}: needs {{fold}} in the path and --folds K "
                             "(e.g. --folds 5 --fold-checkpoint 'runs/cv/fold{fold}.pt')")
    if args.protocol == "subject":
        if not (Path(args.data) / "manifest.json").is_file():
            raise AffinekitError(f"{args.data}: not a prepared folder (no manifest.json); run "
                                 f"`affinekit prepare <CK+ root> --out {args.data}` first, or use --protocol paper "
                                 "with a CK+ root")
        table = subject_protocol(args.data, folds=args.folds, train_steps=args.train_steps,
                                 train_size=args.train_size, work_dir=args.work_dir,
                                 train_config=train_config, train_overrides=train_overrides,
                                 fold_checkpoint=fold_checkpoint, **common)
    else:
        if args.folds or args.train_steps or train_overrides or train_config or fold_checkpoint:
            raise AffinekitError("--folds, --train-steps and --set belong to --protocol subject; the paper protocol "
                                 "has one random frame split")
        table = paper_protocol(args.data, size=args.size, **common)
    table.notes += notes
    text = table.to_markdown()
    print(text)
    for path, content in ((args.json, table.to_json()), (args.markdown, text)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(content)
    return 0
