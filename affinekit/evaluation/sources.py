"""Test data for evaluation: prepared sequences, or raw CK+ frames for the paper's protocol."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np

from affinekit.data.ckplus import read_ckplus
from affinekit.data.faces import FaceAligner
from affinekit.data.paths import require_ckplus
from affinekit.data.prepared import load_sequence
from affinekit.data.records import read_image
from affinekit.errors import AffinekitError
from affinekit.expressions import expression_index


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
