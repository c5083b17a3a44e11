"""The exemplar bank: real open mouths cut from sources the kit may ship, stored small.

Only FRLL (CC BY 4.0; training people only, by `data.dataset.validation_split`) and the open clips
(Pexels, LivePortrait's MIT examples; credited in data/README.md) enter it: the bank ships inside
the generator's file. CK+, JAFFE, Yale and MEAD may be training *targets* of the refiner, never
exemplars.

Each exemplar is the mouth square (`models.mouth.mouth_square`) cut at twice the bank's side
(`MouthConfig.bank_size`, or the refiner's size) from the face aligned at 512 px per 128 px of that
side, and area-halved (the teeth keep their detail), stored as JPEG bytes,
with its 20 lip points in the patch's coordinates and who it is (people are numbered; `names`
keeps their names, so training can leave a target's own mouth out).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from affinekit.config import MouthConfig
from affinekit.data.dataset import validation_split
from affinekit.data.faces import FaceAligner, apply_transform
from affinekit.data.prepared import load_manifest
from affinekit.errors import AffinekitError
from affinekit.data.records import read_image
from affinekit.io.images import as_rgb, to_model, to_uint8
from affinekit.io.video import read_frames
from affinekit.models.exemplars import INNER, LIPS, descriptor, encode_jpeg, to_patch
from affinekit.models.mouth import cut_patches, mouth_square
from affinekit.weights.checkpoint import BANK_FORMAT, atomic_save, safe_load

ALIGN_SIZE = 512          # the face is aligned at this size per 128 px of the bank's side before its mouth
ALIGN_PER = 128           # is cut (IOD about 154 px at 512)
PATCH_UNIT_IODS = 0.75    # one patch-normalised unit, in inter-ocular distances (box_scale 1.5 / 2)
MIN_OPENING = 0.06        # a mouth enters the bank when its lips part by this many IODs: the bank is
                          # for what a warp cannot show (teeth, a cavity); a closed smile adds nothing


@dataclass
class Bank:
    """Exemplars: JPEG bytes (one array each), lip shapes (K, 20, 2), person numbers (K,), names."""
    side: int = 0                    # the stored mouths' side, px (0: not known, an old bank: the refiner's size)
    jpeg: list[np.ndarray] = field(default_factory=list)
    shapes: list[np.ndarray] = field(default_factory=list)
    people: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def add(self, patch: np.ndarray, shape: np.ndarray, person: str, source: str) -> None:
        if self.side and patch.shape[0] != self.side:
            raise ValueError(f"a {patch.shape[0]} px mouth for a bank of {self.side} px mouths")
        self.side = patch.shape[0]
        if person not in self.names:
            self.names.append(person)
        self.jpeg.append(encode_jpeg(patch))
        self.shapes.append(np.asarray(shape, np.float32))
        self.people.append(self.names.index(person))
        self.sources.append(source)

    def tensors(self) -> dict[str, torch.Tensor]:
        """What `ExemplarRefiner.set_bank` takes: jpeg (bytes,), offsets (K + 1,), shapes, people."""
        sizes = [len(j) for j in self.jpeg]
        return {"jpeg": torch.from_numpy(np.concatenate(self.jpeg)),
                "offsets": torch.tensor(np.concatenate([[0], np.cumsum(sizes)]), dtype=torch.int64),
                "shapes": torch.from_numpy(np.stack(self.shapes)), "people": torch.tensor(self.people)}

    def as_saved(self) -> dict:
        """What `save` writes and `load_bank` reads back."""
        return {"format": BANK_FORMAT, **self.tensors(), "names": list(self.names),
                "sources": list(self.sources), "side": self.side}

    def save(self, path: str | Path) -> Path:
        return atomic_save(self.as_saved(), path)


def _kept(data: dict, keep: Callable[[np.ndarray, str, int], bool]) -> Bank:
    """The mouths of a saved bank (`load_bank`) for which keep(lip shape (20, 2), person's name, n) holds
    (n: the mouth's place among that person's mouths in the bank, from 0), their people renumbered in order."""
    bank = Bank(side=int(data.get("side", 0)))
    offsets = data["offsets"].tolist()
    seen: dict[str, int] = {}
    for k, shape in enumerate(data["shapes"].float().numpy()):
        person = data["names"][int(data["people"][k])]
        n = seen[person] = seen.get(person, -1) + 1
        if keep(shape, person, n):
            if person not in bank.names:
                bank.names.append(person)
            bank.jpeg.append(data["jpeg"][offsets[k]:offsets[k + 1]].numpy())
            bank.shapes.append(shape)
            bank.people.append(bank.names.index(person))
            bank.sources.append(data["sources"][k])
    return bank


def open_only(data: dict, min_opening: float = MIN_OPENING) -> Bank:
    """The mouths of a saved bank (`load_bank`) whose lips part by at least min_opening IODs."""
    return _kept(data, lambda shape, person, n: opening(shape) >= min_opening)


def without_people(data: dict, names: Iterable[str], where: str = "the bank") -> Bank:
    """The mouths of a saved bank (`load_bank`) but those `names` names: a person's name takes all of
    theirs (a clip is one person, "clip-<file stem>"; an FRLL person "frll-NNN"), "PERSON:N" only their
    N-th (from 0, in the bank's order: a tongue out or a pout among a talking clip's mouths). A person the
    bank does not hold, or a mouth number they do not have, is an error."""
    people: set[str] = set()
    mouths: set[tuple[str, int]] = set()
    for name in names:
        person, colon, number = str(name).rpartition(":")
        if colon and number.isdigit() and person:
            mouths.add((person, int(number)))
        else:
            people.add(str(name))
    unknown = sorted((people | {p for p, _ in mouths}) - set(data["names"]))
    if unknown:
        raise AffinekitError(f"{where}: holds no mouths of {', '.join(unknown)}; its people are "
                             f"{', '.join(data['names'])}")
    counts = {name: int((data["people"] == i).sum()) for i, name in enumerate(data["names"])}
    missing = sorted((p, n) for p, n in mouths if n >= counts[p])
    if missing:
        have = ", ".join(f"{p} has {counts[p]} (0-{counts[p] - 1})" for p in sorted({p for p, _ in missing}))
        raise AffinekitError(f"{where}: has no mouth {', '.join(f'{p}:{n}' for p, n in missing)}; {have}")
    bank = _kept(data, lambda shape, person, n: person not in people and (person, n) not in mouths)
    if not bank.jpeg:
        raise AffinekitError(f"{where}: leaving out {', '.join(sorted(map(str, names)))} leaves no mouth; "
                             "leave out fewer")
    return bank


def load_bank(path: str | Path) -> dict:
    """A bank file written by `Bank.save` (read safely)."""
    data = safe_load(path)
    if data.get("format") != BANK_FORMAT:
        raise AffinekitError(f"{path}: not a mouth bank; build one with scripts/build_mouth_bank.py")
    return data


def cut_exemplar(image: np.ndarray, points: np.ndarray, cfg: MouthConfig) -> tuple[np.ndarray, np.ndarray]:
    """(the mouth patch (b, b, 3) uint8 (b: `cfg.bank_side`), its lip shape (20, 2) in patch coordinates) of
    a face with 68 landmarks `points` in the pixels of an RGB image."""
    side = cfg.bank_side
    align = ALIGN_SIZE * side // ALIGN_PER
    aligner = FaceAligner(align)
    M = aligner.transform(points)
    crop = aligner.warp(as_rgb(image), M)
    in_crop = torch.from_numpy(apply_transform(M, points)).float()[None]
    theta = mouth_square(in_crop, align, cfg)
    big = cut_patches(to_model(crop[None]), theta, 2 * side)
    patch = F.avg_pool2d(big, 2)[0]
    pixels = to_uint8(patch)
    shape = to_patch(in_crop[:, LIPS], theta, align)[0].numpy()
    return pixels, shape


def opening(shape: np.ndarray) -> float:
    """How far the inner lips part, in IODs: the mean gap between upper (61-63) and lower (67-65)."""
    inner = np.asarray(shape)[INNER]
    return float(np.linalg.norm(inner[1:4] - inner[[7, 6, 5]], axis=1).mean() * PATCH_UNIT_IODS)


def frll_training_people(manifest_folder: str | Path) -> list[str]:
    """FRLL's training people (subjects of `validation_split(manifest, 0.2, seed=0)`'s training side)."""
    manifest = load_manifest(manifest_folder)
    train, _ = validation_split(manifest["sequences"], 0.2, seed=0)
    keep = set(train)
    return sorted({e["subject"] for e in manifest["sequences"] if e["key"] in keep and e.get("source") == "frll"})


def add_frll(bank: Bank, frll: str | Path, people: Iterable[str], cfg: MouthConfig,
             log: Callable[[str], None] = print) -> None:
    """Each training person's smile (smiling_front/NNN_08.jpg) whose lips part (MIN_OPENING) as an exemplar."""
    aligner = FaceAligner(ALIGN_SIZE)
    for person in people:
        number = person.split("-")[-1]
        path = Path(frll) / "smiling_front" / f"{number}_08.jpg"
        try:
            image = as_rgb(read_image(path))
            patch, shape = cut_exemplar(image, aligner.landmarks(image, str(path)), cfg)
        except AffinekitError as err:
            log(f"skipped {path}: {err}")
            continue
        if opening(shape) >= MIN_OPENING:
            bank.add(patch, shape, person, "frll")


def spread(shapes: Sequence[np.ndarray], count: int) -> list[int]:
    """Indices of up to `count` shapes far from each other (greedy farthest points, from the most open)."""
    if not shapes:
        return []
    desc = descriptor(torch.from_numpy(np.stack(shapes))).numpy()
    chosen = [int(np.argmax([opening(s) for s in shapes]))]
    dist = np.linalg.norm(desc - desc[chosen[0]], axis=1)
    while len(chosen) < min(count, len(shapes)):
        k = int(np.argmax(dist))
        if dist[k] <= 1e-6:
            break
        chosen.append(k)
        dist = np.minimum(dist, np.linalg.norm(desc - desc[k], axis=1))
    return chosen


def clip_person(stem: str) -> str:
    """The bank's name for the person of the open clip `stem` (a clip is one person)."""
    return f"clip-{stem}"


def add_clip(bank: Bank, path: str | Path, cfg: MouthConfig, per_clip: int = 12, every: int = 3,
             log: Callable[[str], None] = print) -> None:
    """Up to `per_clip` open mouths of a video (every `every`-th frame, lips parted by MIN_OPENING
    IODs or more), spread over the shapes it shows; the clip is one person."""
    aligner = FaceAligner(ALIGN_SIZE)
    frames = read_frames(path)[::every]
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for i, frame in enumerate(frames):
        try:
            patch, shape = cut_exemplar(frame, aligner.landmarks(frame, f"{path} frame {i * every}"), cfg)
        except AffinekitError:
            continue
        if opening(shape) >= MIN_OPENING:
            found.append((patch, shape))
    picks = spread([s for _, s in found], per_clip)
    for k in picks:
        bank.add(found[k][0], found[k][1], clip_person(Path(path).stem), "clip")
    log(f"{path}: {len(found)} open frames of {len(frames)} read, {len(picks)} kept")
