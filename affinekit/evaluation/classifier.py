"""The CK+48 expression classifier as evaluation uses it: load it, frame a face, predict.

It was trained (`affinekit.training.classifier`, `scripts/train_classifier.py`) on CK+48-style
crops (48x48 gray apex faces) with a split by subject, so its test accuracy is measured on people
it never saw. At evaluation time a frame's face is brought to the training crops' framing by a
similarity transform that maps its eye and nose landmarks onto the mean position of those landmarks
in the training crops (the "template", stored with the weights). Nothing here trains.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from affinekit.data.faces import robust_similarity
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import as_gray
from affinekit.models.classifier import ClassifierConfig, ExpressionNet, faces_to_model
from affinekit.weights.bundled import CLASSIFIER_WEIGHTS
from affinekit.weights.checkpoint import CLASSIFIER_FORMAT, atomic_save, safe_load

WEIGHTS = CLASSIFIER_WEIGHTS
# eyebrows move with expressions, mouth and jaw too: fit the framing on eyes and nose only
RIGID_POINTS = list(range(27, 48))


@dataclass
class ExpressionClassifier:
    """A trained ExpressionNet plus the framing template of its training crops.

    `recipe` holds how it was trained (plain values, stored beside the shape in the checkpoint's
    "config"); `labels` names the outputs (the seven expressions for the CK+48 classifier).
    """
    net: ExpressionNet
    config: ClassifierConfig
    template: np.ndarray                      # (68, 2) mean landmarks in `size` px crops
    report: dict = field(default_factory=dict)
    recipe: dict = field(default_factory=dict)
    labels: tuple[str, ...] = EXPRESSIONS

    @torch.no_grad()
    def predict(self, faces: np.ndarray) -> np.ndarray:
        """Class probabilities (N, num_labels) of (N, size, size) uint8 gray faces."""
        self.net.eval()
        if len(faces) == 0:
            return np.zeros((0, self.config.num_labels), dtype=np.float32)
        return torch.softmax(self.net(faces_to_model(faces)), dim=1).numpy()

    def face_crop(self, frame: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
        """The face of a uint8 frame (H, W[, C]) as a size x size gray crop in the training framing.

        With landmarks (68, 2) in the frame's pixels: a similarity transform onto
        the template. Without: the whole frame resized (aligned crops only).

        The fit is `faces.robust_similarity` on the 21 eye and nose points, not the generator's
        crop (`FaceAligner`: another template, a weighted fit on four points): with that fit 7 of
        684 CK+ frames change label, and the scores the evaluation reports were measured with this one.
        """
        gray = as_gray(frame)
        size = self.config.size
        if landmarks is None:
            return cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA)
        m = robust_similarity(np.asarray(landmarks)[RIGID_POINTS], self.template[RIGID_POINTS])
        if m is None:
            return cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA)
        return cv2.warpAffine(gray, m, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)

    def save(self, path: str | Path) -> None:
        """Write state dict, config (shape and recipe), template, labels and report (readable with
        weights_only=True), atomically: a failed save leaves the previous file whole."""
        atomic_save({"format": CLASSIFIER_FORMAT, "config": {**asdict(self.config), **self.recipe},
                     "state_dict": self.net.state_dict(), "labels": list(self.labels),
                     "template": torch.from_numpy(self.template.astype(np.float32)),
                     "report": self.report}, path)


def read_classifier(path: str | Path, fix: str) -> tuple[ExpressionNet, ClassifierConfig, dict[str, Any]]:
    """(net in eval mode, its shape, the checkpoint) of a classifier file; `fix` says how to make one."""
    path = Path(path)
    if not path.is_file():
        raise AffinekitError(f"{path}: classifier weights not found; {fix}")
    ckpt = safe_load(path, formats=(CLASSIFIER_FORMAT,))
    try:
        cfg = ClassifierConfig.from_stored(dict(ckpt["config"]))
        net = ExpressionNet(cfg)
        net.load_state_dict(ckpt["state_dict"])
    except (KeyError, TypeError, RuntimeError) as err:
        raise AffinekitError(f"{path}: classifier file does not match this version of affinekit "
                             f"({str(err).splitlines()[0][:160]}); {fix}") from None
    return net.eval(), cfg, ckpt


def load_classifier(path: str | Path | None = None) -> ExpressionClassifier:
    """Load a classifier checkpoint (default: the bundled weights)."""
    net, cfg, ckpt = read_classifier(path if path is not None else WEIGHTS, "run scripts/train_classifier.py")
    shape = set(asdict(cfg))
    recipe = {k: v for k, v in dict(ckpt["config"]).items() if k not in shape}
    if "held_out" in recipe:
        recipe["held_out"] = tuple(recipe["held_out"])
    return ExpressionClassifier(net, cfg, ckpt["template"].numpy(), dict(ckpt.get("report", {})), recipe,
                                tuple(ckpt.get("labels", EXPRESSIONS)))


def predict_last_frames(clips: np.ndarray, landmarks: np.ndarray | None = None,
                        classifier: ExpressionClassifier | None = None) -> np.ndarray:
    """Predicted label (B,) of the last frame of each uint8 clip (B, T, H, W[, C]).

    landmarks: (B, 68, 2) in the clips' pixels (the input face's: CK+ heads stay
    still, so the input's landmarks frame the last frame too), or None.
    """
    clf = classifier or load_classifier()
    faces = np.stack([clf.face_crop(clip[-1], None if landmarks is None else landmarks[i])
                      for i, clip in enumerate(np.asarray(clips))])
    return clf.predict(faces).argmax(axis=1)
