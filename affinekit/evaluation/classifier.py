"""A small expression classifier that scores whether a clip ends on the requested expression.

Trained on CK+48-style crops (48x48 gray apex faces, `<emotion>/S010_006_00000013.png`)
with a split by subject, so its test accuracy is measured on people it never saw.
At evaluation time a frame's face is brought to the training crops' framing by a
similarity transform that maps its eye and nose landmarks onto the mean position
of those landmarks in the training crops (the "template", stored with the weights).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from affinekit.data.apex import CKPLUS_SAMPLE_SUBJECTS, ck48_roles
from affinekit.data.faces import robust_similarity
from affinekit.errors import AffinekitError
from affinekit.evaluation.descriptors import FaceDescriber
from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import as_gray, to_model
from affinekit.weights.bundled import CLASSIFIER_WEIGHTS
from affinekit.weights.checkpoint import atomic_save

WEIGHTS = CLASSIFIER_WEIGHTS
# eyebrows move with expressions, mouth and jaw too: fit the framing on eyes and nose only
RIGID_POINTS = list(range(27, 48))
_SUBJECT = re.compile(r"(S\d+)_\d+_\d+")


@dataclass
class ClassifierConfig:
    """Shape of the classifier and how it was trained (plain values: stored in the checkpoint)."""
    size: int = 48
    widths: tuple[int, ...] = (16, 32, 64)
    num_labels: int = len(EXPRESSIONS)
    dropout: float = 0.3
    epochs: int = 40
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    test_fraction: float = 0.2
    seed: int = 0
    # the subjects of the development CK+ sample: kept out of training so that the
    # classifier never saw the real videos the evaluation scores
    held_out: tuple[str, ...] = CKPLUS_SAMPLE_SUBJECTS
    # share of the other people whose crops teach the generator's apex discriminator instead
    discriminator_fraction: float = 0.33


class ExpressionNet(nn.Module):
    """Three conv blocks (two 3x3 convs, batch norm, max pool), global average pool, linear."""
    def __init__(self, cfg: ClassifierConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for w in cfg.widths:
            layers += [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                       nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(cfg.dropout),
                                  nn.Linear(cin, cfg.num_labels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, num_labels) of faces (B, 1, 48, 48) in [-1, 1]."""
        return self.head(self.features(x))


# -- data --------------------------------------------------------------------------
@dataclass
class Ck48:
    """CK+48 crops in memory: images (N, 48, 48) uint8, labels (N,), subjects, file names."""
    images: np.ndarray
    labels: np.ndarray
    subjects: list[str]
    names: list[str]


def load_ck48(root: str | Path) -> Ck48:
    """Read `<root>/<emotion>/<S###_###_########>.png`; emotions named as in EXPRESSIONS."""
    root = Path(root)
    if not root.is_dir():
        raise AffinekitError(f"{root}: CK+48 folder not found; pass the folder holding anger/ ... surprise/")
    images, labels, subjects, names = [], [], [], []
    for label, name in enumerate(EXPRESSIONS):
        for path in sorted((root / name).glob("*.png")):
            m = _SUBJECT.match(path.stem)
            if m is None:
                raise AffinekitError(f"{path}: expected a name like S010_006_00000013.png (subject first)")
            img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise AffinekitError(f"{path}: not a readable image")
            images.append(cv2.resize(img, (48, 48), interpolation=cv2.INTER_AREA))
            labels.append(label)
            subjects.append(m.group(1))
            names.append(path.name)
    if not images:
        raise AffinekitError(f"{root}: no PNG files under {', '.join(EXPRESSIONS)}/")
    return Ck48(np.stack(images), np.array(labels, dtype=np.int64), subjects, names)


def split_by_subject(subjects: list[str], cfg: "ClassifierConfig") -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) of CK+48 crops by their people's roles (`data.apex.ck48_roles`).

    The test people are the CK+ sample's subjects and random others; the apex
    discriminator's people are on neither side, so the classifier never grades a
    generator against faces the generator was taught to imitate.
    """
    roles = ck48_roles(subjects, cfg.test_fraction, cfg.discriminator_fraction, cfg.seed, cfg.held_out)
    role = np.array([roles[s] for s in subjects])
    return np.flatnonzero(role == "classifier"), np.flatnonzero(role == "test")


def _augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random flip, small rotation/scale/shift and contrast changes of (B, 48, 48) uint8 faces.

    Its own, not `data.augment.Augmentation`: with the kit's augmentation (same draws, contrast about
    the mean, replicated borders) a retrain scored 0.900 (balanced 0.830) on its test people against
    this recipe's 0.931 (0.882), and ran 4x slower; the bundled weights were trained with this one.
    """
    out = np.empty_like(batch)
    for i, img in enumerate(batch):
        if rng.random() < 0.5:
            img = img[:, ::-1]
        angle, scale = rng.uniform(-10, 10), rng.uniform(0.9, 1.1)
        m = cv2.getRotationMatrix2D((23.5, 23.5), angle, scale)
        m[:, 2] += rng.uniform(-3, 3, size=2)
        img = cv2.warpAffine(np.ascontiguousarray(img), m, (48, 48), borderMode=cv2.BORDER_REFLECT)
        img = np.clip(img.astype(np.float32) * rng.uniform(0.8, 1.2) + rng.uniform(-20, 20), 0, 255)
        out[i] = img.astype(np.uint8)
    return out


def _faces_to_model(faces: np.ndarray) -> torch.Tensor:
    """(N, 48, 48) uint8 gray faces -> (N, 1, 48, 48) in [-1, 1], what ExpressionNet reads."""
    return to_model(np.asarray(faces)[..., None])


# -- the classifier as the evaluation uses it ----------------------------------------
@dataclass
class ExpressionClassifier:
    """A trained ExpressionNet plus the framing template of its training crops."""
    net: ExpressionNet
    config: ClassifierConfig
    template: np.ndarray                      # (68, 2) mean landmarks in 48 px crops
    report: dict = field(default_factory=dict)

    @torch.no_grad()
    def predict(self, faces: np.ndarray) -> np.ndarray:
        """Class probabilities (N, 7) of (N, 48, 48) uint8 gray faces."""
        self.net.eval()
        if len(faces) == 0:
            return np.zeros((0, self.config.num_labels), dtype=np.float32)
        return torch.softmax(self.net(_faces_to_model(faces)), dim=1).numpy()

    def face_crop(self, frame: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
        """The face of a uint8 frame (H, W[, C]) as a 48x48 gray crop in the training framing.

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
        """Write state dict, config, template and report (readable with weights_only=True), atomically:
        a failed save leaves the previous file whole."""
        atomic_save({"config": asdict(self.config), "state_dict": self.net.state_dict(),
                     "template": torch.from_numpy(self.template.astype(np.float32)),
                     "report": self.report}, path)


def load_classifier(path: str | Path | None = None) -> ExpressionClassifier:
    """Load a classifier checkpoint (default: the bundled weights)."""
    path = Path(path) if path is not None else WEIGHTS
    if not path.is_file():
        raise AffinekitError(f"{path}: classifier weights not found; run scripts/train_classifier.py")
    ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
    values = dict(ckpt["config"])
    values["widths"] = tuple(values["widths"])
    values["held_out"] = tuple(values.get("held_out", ()))
    cfg = ClassifierConfig(**values)
    net = ExpressionNet(cfg)
    net.load_state_dict(ckpt["state_dict"])
    net.eval()
    return ExpressionClassifier(net, cfg, ckpt["template"].numpy(), dict(ckpt.get("report", {})))


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


# -- training ------------------------------------------------------------------------
def ck48_template(data: Ck48, describer=None) -> tuple[np.ndarray, int]:
    """Mean 68 landmarks (68, 2) of the crops in 48 px coordinates, and how many crops had a face."""
    describer = describer or FaceDescriber(box="crop")
    points = []
    for img in data.images:
        big = cv2.resize(img, (144, 144), interpolation=cv2.INTER_CUBIC)   # the predictor likes more pixels
        lm = describer.landmarks(big)
        if lm is not None:
            points.append(lm * (48.0 / 144.0))
    if not points:
        raise AffinekitError("no face found in any CK+48 crop: cannot build the framing template")
    return np.mean(points, axis=0).astype(np.float32), len(points)


def evaluate_accuracy(clf: ExpressionClassifier, images: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, class-balanced accuracy and per-class accuracy of (N, 48, 48) uint8 faces."""
    pred = clf.predict(images).argmax(axis=1)
    per_class = {EXPRESSIONS[c]: float(np.mean(pred[labels == c] == c)) for c in np.unique(labels)}
    return {"accuracy": float(np.mean(pred == labels)),
            "balanced_accuracy": float(np.mean(list(per_class.values()))),
            "per_class": per_class, "n": int(len(labels))}


def train_classifier(root: str | Path, cfg: ClassifierConfig | None = None, log=print) -> ExpressionClassifier:
    """Train on CK+48 crops with a subject split; the report holds the test accuracy.

    The test subjects are used once, after the last epoch: no model selection on them.
    """
    cfg = cfg or ClassifierConfig()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    data = load_ck48(root)
    train_idx, test_idx = split_by_subject(data.subjects, cfg)
    x_train, y_train = data.images[train_idx], data.labels[train_idx]
    net = ExpressionNet(cfg)
    # classes are unbalanced (contempt 54 crops, surprise 249): weight the loss by inverse frequency
    counts = np.bincount(y_train, minlength=cfg.num_labels).astype(np.float32)
    weights = torch.from_numpy(counts.sum() / np.maximum(counts, 1) / cfg.num_labels)
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = int(np.ceil(len(train_idx) / cfg.batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
    for epoch in range(cfg.epochs):
        net.train()
        order = rng.permutation(len(train_idx))
        total = 0.0
        for s in range(steps_per_epoch):
            idx = order[s * cfg.batch_size:(s + 1) * cfg.batch_size]
            x = _faces_to_model(_augment(x_train[idx], rng))
            loss = loss_fn(net(x), torch.from_numpy(y_train[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if log and (epoch % 5 == 4 or epoch == cfg.epochs - 1):
            log(f"epoch {epoch + 1}/{cfg.epochs} loss {total / len(train_idx):.3f}")
    net.eval()
    template, n_faces = ck48_template(data)
    clf = ExpressionClassifier(net, cfg, template)
    test = evaluate_accuracy(clf, data.images[test_idx], data.labels[test_idx])
    train = evaluate_accuracy(clf, x_train, y_train)
    clf.report = {
        "test_accuracy": test["accuracy"], "test_balanced_accuracy": test["balanced_accuracy"],
        "test_per_class": test["per_class"], "train_accuracy": train["accuracy"],
        "n_train": int(len(train_idx)), "n_test": int(len(test_idx)),
        "train_subjects": sorted({data.subjects[i] for i in train_idx}),
        "test_subjects": sorted({data.subjects[i] for i in test_idx}),
        "parameters": int(sum(p.numel() for p in net.parameters())),
        "template_faces": f"{n_faces}/{len(data.images)}",
    }
    return clf
