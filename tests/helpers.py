"""Small made-up data shared by the tests: synthetic landmarks, blob sequences, prepared folders."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from affinekit.config import DataConfig, ModelConfig, to_dict
from affinekit.models.generator import Generator

MOUTH = 66   # the landmark face_points puts on the mouth


def face_points(center=(32.0, 32.0), iod=24.0, angle=0.0) -> np.ndarray:
    """68 synthetic landmarks: eyes 36-47 on the eye line, point 66 below, the rest on an ellipse."""
    pts = np.zeros((68, 2))
    t = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    pts[:] = np.column_stack([np.cos(t) * 0.9, np.sin(t) * 1.1])       # outline, in IOD units
    pts[36:42] = [-0.5, -0.3] + 0.05 * np.column_stack([np.cos(t[:6]), np.sin(t[:6])])
    pts[42:48] = [0.5, -0.3] + 0.05 * np.column_stack([np.cos(t[:6]), np.sin(t[:6])])
    pts[MOUTH] = [0.0, 0.5]
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return pts @ rot.T * iod + np.asarray(center)


def blob_sequence(label: int, subject: int, frames: int = 6, size: int = 32) -> np.ndarray:
    """(T, H, W) uint8: a face-like blob whose bright 'mouth' moves with the label as t grows."""
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    out = []
    for t in range(frames):
        p = t / (frames - 1)
        face = np.exp(-((yy - size / 2) ** 2 + (xx - size / 2) ** 2) / (2 * (size / 3.5 + subject) ** 2))
        angle = 2 * np.pi * label / 7
        my, mx = 0.72 * size + 3 * p * np.sin(angle), size / 2 + 5 * p * np.cos(angle)
        mouth = np.exp(-((yy - my) ** 2 + (xx - mx) ** 2) / (2 * (1.5 + p) ** 2))
        out.append(np.clip(200 * face + 255 * mouth * p, 0, 255))
    return np.stack(out).astype(np.uint8)


def lip_mask(size: int) -> np.ndarray:
    m = np.zeros((size, size), np.uint8)
    m[int(0.6 * size):int(0.85 * size), size // 4: 3 * size // 4] = 1
    return m


def write_prepared(root: Path, n: int = 6, frames: int = 6, size: int = 32) -> Path:
    """A prepared folder in the manifest/npz format of docs/architecture.md."""
    from affinekit.expressions import EXPRESSIONS

    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(n):
        key = f"S{i % 3:03d}_{i:03d}"
        label = EXPRESSIONS[i % 7]
        np.savez_compressed(
            root / f"{key}.npz", frames=blob_sequence(i % 7, i % 3, frames, size)[..., None],
            landmarks=np.zeros((frames, 68, 2), np.float32), lip_masks=np.repeat(lip_mask(size)[None], frames, 0),
            transforms=np.zeros((frames, 2, 3), np.float32), label=np.array(label),
            subject=np.array(f"S{i % 3:03d}"), sequence=np.array(f"{i:03d}"), source=np.array("test"))
        entries.append({"key": key, "file": f"{key}.npz", "subject": f"S{i % 3:03d}", "sequence": f"{i:03d}",
                        "label": label, "frames": frames, "source": "test"})
    config = to_dict(DataConfig(crop_size=size, channels=1))
    (root / "manifest.json").write_text(json.dumps({"config": config, "sequences": entries, "skipped": []}))
    return root


class BlobSequences(torch.utils.data.Dataset):
    """In-memory data set with SequenceDataset's item keys; frame choice uses torch's RNG like it."""

    def __init__(self, n: int = 6, frames: int = 6, k: int = 3, size: int = 32):
        self.seqs = [(blob_sequence(i % 7, i % 3, frames, size), i % 7) for i in range(n)]
        self.k, self.size = k, size

    def __len__(self) -> int:
        return len(self.seqs)

    def __getitem__(self, i: int) -> dict:
        frames, label = self.seqs[i]
        T = len(frames)
        idx = torch.sort(torch.randperm(T - 1)[: self.k] + 1).values
        x = torch.from_numpy(frames).float().div(127.5).sub(1).unsqueeze(1)
        mask = torch.from_numpy(lip_mask(self.size)).float()[None].expand(self.k, 1, -1, -1)
        return {"x0": x[0], "targets": x[idx], "positions": idx.float() / (T - 1),
                "label": torch.tensor(label), "masks": mask.clone(),
                "x0_landmarks": torch.full((68, 2), self.size / 2), "landmarks": torch.full((self.k, 68, 2), self.size / 2),
                "key": f"s{i}"}


TINY_MODEL = ModelConfig(image_size=64, channels=1, base_width=8, depth=3)


def blob_apex_pool(channels: int = 1):
    """Real "apex faces" for the apex discriminator and the expression classifier: the blobs' last
    frames, with their labels."""
    from affinekit.data.apex import ApexPool
    data = BlobSequences()
    frames = np.stack([f[-1] for f, _ in data.seqs])[..., None]
    return ApexPool(frames, np.array([y for _, y in data.seqs]), [f"s{i}" for i in range(len(frames))], channels)


def tiny_checkpoint(folder: Path) -> Path:
    """An untrained, seeded tiny grey generator saved as a checkpoint in `folder` (for the CLI tests)."""
    from affinekit.models.generator import Generator
    from affinekit.weights.checkpoint import save_generator_only

    torch.manual_seed(0)
    return save_generator_only(Generator(TINY_MODEL), TINY_MODEL, folder / "tiny.pt")


class StubAnimator:
    """Brightens the photo with intensity: fast, deterministic, the Animator's signature (a one-frame
    clip is the apex; `align` hands back the photo and counts)."""

    def __init__(self):
        self.calls = []
        self.aligned = []

    def align(self, photo):
        self.aligned.append(photo)
        return np.asarray(photo)

    def animate(self, photo, expression, frames=16, intensity=1.0, crop_only=False, closeup=False):
        self.calls.append((expression, frames, intensity))
        base = np.asarray(photo, np.float32)
        if base.ndim == 2:
            base = np.repeat(base[..., None], 3, axis=-1)
        steps = [intensity] if frames == 1 else np.linspace(0.0, intensity, frames, dtype=np.float32)
        return np.stack([np.clip(base + 60.0 * s, 0, 255) for s in steps]).astype(np.uint8)


def face(value=80, size=32):
    img = np.full((size, size, 3), value, np.uint8)
    img[8:24, 8:24] = 200
    return img


def known_motion(shift: tuple[float, float] = (0.0, 0.0), mask: float | None = None, grey: float = 0.0,
                 size: int = 64) -> Generator:
    """A motion generator whose output is set by hand: a uniform field `shift` (normalised units)
    from the prior, no learned correction, and the mask shut (None) or open with residual `grey`."""
    torch.manual_seed(0)
    gen = Generator(ModelConfig(image_size=size, channels=1, base_width=8, depth=3))
    with torch.no_grad():
        gen.prior[:, 0], gen.prior[:, 1] = shift
        out = gen.decoder.out
        out.weight.zero_()
        out.bias.zero_()
        out.bias[2] = -30.0 if mask is None else 30.0
        out.bias[3] = float(np.arctanh(grey))
    return gen


def load_repo_script(relative: str):
    """A script of the repository (`benchmarks/x.py`, `scripts/y.py`) as a module: they are not a package."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
