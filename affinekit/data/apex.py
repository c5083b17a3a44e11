"""Real apex faces for the apex discriminator, and who of CK+48 may be one.

The apex discriminator judges generated apex faces against real ones of the
requested expression: CK+48's unpaired apex crops and the apex frames of the
paired sets (a still pair's expression photo, a sequence's last frame).

CK+48 also trains the expression classifier that grades generated clips. If the
generator were taught to imitate the very faces the classifier learned from, the
grade would reward copying, not expression. So CK+48's people are split once, by
`ck48_roles`, into the classifier's test people, the classifier's training people
and the discriminator's people, and no person has two roles.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import torch

from affinekit.data.prepared import entry_kind, load_manifest, load_sequence
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import to_model, to_network_size
from affinekit.seeds import step_seed

# The people of the development CK+ sample: their real videos are what evaluation scores, so
# neither the classifier nor the apex discriminator may learn from their CK+48 crops.
CKPLUS_SAMPLE_SUBJECTS = ("S052", "S055", "S074", "S106", "S111", "S113", "S124", "S125", "S130", "S132")
ROLES = ("test", "classifier", "discriminator")


def ck48_roles(subjects: Iterable[str], test_fraction: float = 0.2, discriminator_fraction: float = 0.33,
               seed: int = 0, held_out: Sequence[str] = CKPLUS_SAMPLE_SUBJECTS) -> dict[str, str]:
    """{CK+ subject id (S010): "test" | "classifier" | "discriminator"}, one role per person.

    The classifier's test people: the CK+ sample's subjects, then people drawn at random
    until `test_fraction` of all. Of the others, `discriminator_fraction` teach the apex
    discriminator and the rest train the classifier (a third: with half of them the
    classifier's balanced test accuracy fell from 0.91 to 0.76; the discriminator also
    has every paired set's apex photos).
    """
    everyone = sorted(set(subjects))
    people = sorted(set(everyone) - set(held_out))
    rng = np.random.default_rng(seed)
    rng.shuffle(people)
    forced = sorted(set(held_out) & set(everyone))
    n_test = max(0, max(1, int(round(test_fraction * len(everyone)))) - len(forced))
    test = set(forced) | set(people[:n_test])
    rest = people[n_test:]
    n_disc = int(round(discriminator_fraction * len(rest)))
    roles = {p: "test" for p in test}
    roles.update({p: "discriminator" for p in rest[:n_disc]})
    roles.update({p: "classifier" for p in rest[n_disc:]})
    return roles


def ck_subject(subject: str) -> str:
    """The CK+ id inside a prepared subject name: "ck48-S010" -> "S010"."""
    return subject.split("-", 1)[1] if subject.startswith("ck48-") else subject


def discriminator_keys(entries: Sequence[dict[str, Any]]) -> list[str]:
    """Keys of unpaired apex items the discriminator may learn from (CK+48: its people only)."""
    apex = [e for e in entries if entry_kind(e) == "apex"]
    ck48 = [e for e in apex if e.get("source") == "ck48"]
    roles = ck48_roles(ck_subject(e["subject"]) for e in ck48)
    return [e["key"] for e in apex
            if e.get("source") != "ck48" or roles.get(ck_subject(e["subject"])) == "discriminator"]


class ApexPool:
    """Real apex faces in memory, drawn per step with the labels the fakes were asked for."""

    def __init__(self, frames: np.ndarray, labels: np.ndarray, keys: list[str], channels: int) -> None:
        if len(frames) == 0:
            raise AffinekitError("no real apex faces for the apex discriminator; prepare an apex set "
                                 "(e.g. `affinekit prepare ../shared/data/ck48`) or set train.w_apex=0")
        self.frames, self.labels, self.keys, self.channels = frames, labels, keys, channels
        self.by_label = {y: np.flatnonzero(labels == y) for y in np.unique(labels)}

    def __len__(self) -> int:
        return len(self.frames)

    @classmethod
    def from_folders(cls, folders: Sequence[str | Path], keys: Iterable[str], channels: int) -> "ApexPool":
        """The apex frames of `keys` in `folders`: every frame of an unpaired item, the frames after
        the neutral one of a pair, the last frame of a sequence."""
        wanted = set(keys)
        frames, labels, used = [], [], []
        size = None
        for folder in dict.fromkeys(str(f) for f in folders):
            for e in load_manifest(folder)["sequences"]:
                if e["key"] not in wanted or e.get("label") not in EXPRESSIONS:
                    continue
                seq = load_sequence(folder, e["key"])
                kind = entry_kind(e)
                apex = seq.frames if kind == "apex" else seq.frames[1:] if kind == "pair" else seq.frames[-1:]
                if size is None:
                    size = apex.shape[1]
                if apex.shape[1] != size:     # one size per pool: resize on the way in
                    apex = _resize_uint8(apex, size)
                if apex.shape[-1] != 3:
                    apex = np.repeat(apex, 3, -1)
                frames.append(apex)
                labels += [EXPRESSIONS.index(e["label"])] * len(apex)
                used.append(e["key"])
        stacked = np.concatenate(frames) if frames else np.zeros((0, 1, 1, 3), np.uint8)
        return cls(stacked, np.array(labels, np.int64), used, channels)

    def draw(self, labels: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
        """One real apex face per requested label (N,) -> (N, C, size, size) in [-1, 1]
        (a label without real faces takes any face)."""
        picks = []
        for y in labels.tolist():
            choices = self.by_label.get(y, np.arange(len(self.frames)))
            picks.append(int(choices[int(torch.randint(len(choices), (1,), generator=generator))]))
        return to_network_size(to_model(self.frames[picks], self.channels), size)


    def for_step(self, labels: torch.Tensor, size: int, seed: int, step: int, rank: int = 0) -> torch.Tensor:
        """`draw` for training step `step`: a pure function of (seed, step, rank), like the step's batch."""
        return self.draw(labels.cpu(), size, torch.Generator().manual_seed(step_seed(seed, step, 2000 + rank)))


def _resize_uint8(frames: np.ndarray, size: int) -> np.ndarray:
    x = to_network_size(torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2), size)
    return x.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
