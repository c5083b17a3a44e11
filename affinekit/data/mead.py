"""Reader of MEAD front-view clips, and the choice of the frames an item keeps.

    mead/ID_front_EMOTION_levelN_NNN.mp4    e.g. M030_front_happy_level3_001.mp4

Each actor has one neutral clip and one clip per emotion (angry, contempt,
disgusted, fear, happy, sad, surprised). One record (kind "pair") per emotion
clip: frame 0 is one frame of the actor's neutral clip, then `targets` frames of
the emotion clip, all apex targets of intensity 1. Subject `mead-<ID>`.

Why frames are chosen by the mouth: MEAD's actors talk while holding the
emotion, so a clip is not a neutral-to-apex sequence, and any single frame's
mouth is as much the syllable being spoken as the expression. Taken from the
middle of the clip (where the emotion is held, past its onset and before the
end), the frames whose mouth landmarks (48-67, in the aligned crop) lie closest
to the clip's median mouth shape show the mouth the emotion holds on average,
not a speech extreme (an "o" or a wide "ee") that the generator would otherwise
learn as the expression's mouth. The neutral frame is the neutral clip's frame
whose mouth is most closed at its usual width (lips meeting, neither pursed by an
"oo" nor spread by an "ee": a closed mouth alone also picks pursed lips), so the
pair's mouth motion is the expression's, not speech. Frames are looked at every `step`-th (speech moves slower than 25 fps)
and the chosen ones are kept at least two steps apart, so the targets are not
one moment repeated. Every frame is aligned on its own (the actor's head moves).
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np

from affinekit.data.faces import FaceAligner
from affinekit.data.records import SequenceRecord, looks_gray
from affinekit.errors import AffinekitError
from affinekit.io.images import to_channels
from affinekit.io.video import read_frames

MEAD_NAME = re.compile(r"^([A-Za-z]+\d+)_front_([A-Za-z]+)_level(\d+)_(\d+)\.mp4$", re.IGNORECASE)
MEAD_EMOTIONS = {"angry": "anger", "contempt": "contempt", "disgusted": "disgust", "fear": "fear",
                 "happy": "happy", "sad": "sadness", "surprised": "surprise"}
TARGETS = 4           # apex frames kept per emotion clip
STEP = 3              # look at every 3rd frame
HELD = (0.2, 0.8)     # the part of an emotion clip where the emotion is held
MOUTH = slice(48, 68)
# Inner lip pairs (upper, lower): their vertical gaps measure how open the mouth is.
INNER_LIPS = ((61, 67), (62, 66), (63, 65))


def is_mead_folder(path: Path) -> bool:
    """A folder whose videos are mostly named `ID_front_EMOTION_levelN_NNN.mp4`."""
    files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    hits = sum(1 for p in files if MEAD_NAME.match(p.name))
    return hits >= 2 and 2 * hits >= len(files)


def read_mead(root: str | Path, targets: int = TARGETS, step: int = STEP) -> list[SequenceRecord]:
    """One pair record per emotion clip; the actor's neutral clip rides in `extra["neutral_video"]`."""
    root = Path(root)
    actors: dict[str, dict[str, list]] = {}
    for p in sorted(root.iterdir()):
        m = MEAD_NAME.match(p.name)
        if not m or not p.is_file():
            continue
        actor, emotion = m.group(1).upper(), m.group(2).lower()
        clips = actors.setdefault(actor, {"neutral": [], "emotions": []})
        if emotion == "neutral":
            clips["neutral"].append(p)
        elif emotion in MEAD_EMOTIONS:
            clips["emotions"].append(p)
    records = []
    for actor, clips in sorted(actors.items()):
        neutral = clips["neutral"][0] if clips["neutral"] else None
        for clip in clips["emotions"]:
            m = MEAD_NAME.match(clip.name)
            record = SequenceRecord(subject=f"mead-{actor}", sequence=f"{m.group(2).lower()}_level{m.group(3)}_{m.group(4)}",
                                    label=MEAD_EMOTIONS[m.group(2).lower()], frames=[], source="mead",
                                    video=clip, kind="pair",
                                    extra={"neutral_video": str(neutral) if neutral else None,
                                           "targets": int(targets), "step": int(step)})
            if neutral is None:
                record.error = f"{clip}: no neutral clip {actor}_front_neutral_level1_*.mp4 of actor {actor}; add one"
            records.append(record)
    if not records:
        raise AffinekitError(f"{root}: no MEAD emotion clips (expected ID_front_EMOTION_levelN_NNN.mp4)")
    return records


def mouth_opening(points: np.ndarray) -> float:
    """Mean vertical gap between the inner lips, in the points' pixels."""
    return float(np.mean([points[lo, 1] - points[up, 1] for up, lo in INNER_LIPS]))


def mouth_width(points: np.ndarray) -> float:
    """Distance between the mouth corners (48, 54), in the points' pixels."""
    return float(np.linalg.norm(points[54] - points[48]))


def most_neutral(points: list[np.ndarray]) -> int:
    """Position of the frame whose lips meet (inner gap near 0) at the clip's median mouth width."""
    usual = float(np.median([mouth_width(p) for p in points]))
    return int(np.argmin([abs(mouth_opening(p)) + abs(mouth_width(p) - usual) for p in points]))


def _aligned(aligner: FaceAligner, frames: np.ndarray, indices: list[int], name: str) -> list[tuple]:
    """(index, crop, points, M) of the frames at `indices` where a face is found, each aligned on its own."""
    out = []
    for i in indices:
        try:
            crop, pts, M = aligner.align(frames[i], f"{name} frame {i + 1}")
        except AffinekitError:
            continue            # a blink, a turned head: this frame is simply not a candidate
        out.append((i, crop, pts, M))
    return out


@functools.lru_cache(maxsize=4)
def _neutral(path: str, size: int, detector: str, gray: bool, step: int) -> tuple:
    """The neutral clip's most neutral mouth (`most_neutral`): (index, crop, points, M, source is grey).
    Cached: every emotion clip of the actor shares it."""
    frames = read_frames(path)
    is_gray = looks_gray(frames[::max(1, len(frames) // 4)])
    frames = np.stack([to_channels(f, gray) for f in frames])
    found = _aligned(FaceAligner(size, detector), frames, list(range(0, len(frames), step)), path)
    if not found:
        raise AffinekitError(f"{path}: no face found in the neutral clip; use a frontal clip with one face")
    best = found[most_neutral([f[2] for f in found])]
    return (*best, is_gray)


def pick_targets(points: list[np.ndarray], indices: list[int], k: int, min_gap: int) -> list[int]:
    """Positions (into `points`) of up to k frames whose mouth lies closest to the median mouth,
    at least `min_gap` frame indices apart where possible; in time order."""
    mouths = np.stack([p[MOUTH] for p in points])
    median = np.median(mouths, axis=0)
    distance = np.linalg.norm(mouths - median, axis=2).mean(axis=1)
    order = list(np.argsort(distance, kind="stable"))
    chosen: list[int] = []
    for j in order:
        if all(abs(indices[j] - indices[c]) >= min_gap for c in chosen):
            chosen.append(int(j))
        if len(chosen) == k:
            break
    for j in order:                       # too few spread-out frames: fill with the next closest
        if len(chosen) == k:
            break
        if j not in chosen:
            chosen.append(int(j))
    return sorted(chosen, key=lambda j: indices[j])


def align_clip_pair(record: SequenceRecord, aligner: FaceAligner,
                    gray: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, dict]:
    """A MEAD record's frames, aligned: (crops, landmarks, transforms, source is grey, info for the
    manifest: which frame of which clip each crop is)."""
    if record.error:
        raise AffinekitError(record.error)
    step, k = int(record.extra.get("step", STEP)), int(record.extra.get("targets", TARGETS))
    n_index, n_crop, n_pts, n_M, n_gray = _neutral(record.extra["neutral_video"], aligner.size,
                                                   aligner.detector, gray, step)
    frames = read_frames(record.video)
    clip_gray = looks_gray(frames[::max(1, len(frames) // 4)])
    frames = np.stack([to_channels(f, gray) for f in frames])
    lo, hi = int(HELD[0] * len(frames)), max(int(HELD[0] * len(frames)) + 1, int(HELD[1] * len(frames)))
    found = _aligned(aligner, frames, list(range(lo, hi, step)), str(record.video))
    if not found:
        raise AffinekitError(f"{record.video}: no face found in the middle of the clip; "
                             "use a frontal clip with one face")
    picked = [found[j] for j in pick_targets([f[2] for f in found], [f[0] for f in found], k, 2 * step)]
    crops = np.stack([n_crop] + [f[1] for f in picked])
    points = np.stack([n_pts] + [f[2] for f in picked])
    transforms = np.stack([n_M] + [f[3] for f in picked]).astype(np.float32)
    info = {"neutral_clip": Path(record.extra["neutral_video"]).name, "neutral_frame": int(n_index),
            "target_frames": [int(f[0]) for f in picked]}
    return crops, points, transforms, bool(n_gray and clip_gray), info
