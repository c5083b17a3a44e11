"""Whose faces the multi-source judge may learn from and be tested on, and reading them.

The judge grades generated clips, so it must never have learnt from a person the generator learnt
from, nor from one the apex discriminator showed it. What is left, per prepared folder:

- a paired or sequence set (FRLL, JAFFE, Yale, MEAD, the CK+ sample): its validation people,
  `data.dataset.validation_split(folder, 0.2, seed=0)[1]`, the people the generator never trains on;
- CK+48 (unpaired apex crops): the CK+48 classifier's people, `data.apex.ck48_roles` "classifier"
  (judge-train) and "test" (judge-test); the apex discriminator's third is left out, and so is any
  CK+ person the generator trains on through the CK+ sample (`CKPLUS_SAMPLE_SUBJECTS` on its
  training side).
- The AffineGAN sample's clips are left out: their CK+ people are not named, so they cannot be
  kept apart from CK+48's.

Judge-train and judge-test are drawn by person, per source (`judge_roles`): CK+48 keeps the CK+48
classifier's split; elsewhere the validation people are shuffled with `seed` and `test_fraction` of
them (at least one, when a source has two or more) are tested; a source's single person trains.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from affinekit.data.apex import ck48_roles, ck_subject
from affinekit.data.dataset import validation_split
from affinekit.data.prepared import entry_kind, load_manifest, load_sequence
from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.models.classifier import JUDGE_LABELS, grey_faces

NEUTRAL = JUDGE_LABELS.index("neutral")
LEFT_OUT_SOURCES = ("affinegan",)          # CK+ clips of unnamed people


@dataclass
class JudgeFaces:
    """Faces in memory: (N, S, S) uint8 grey crops, labels (N,) into JUDGE_LABELS, and per face its
    source, person ("source/person") and role ("train" or "test")."""
    images: np.ndarray
    labels: np.ndarray
    sources: list[str]
    people: list[str]
    roles: list[str]

    def pick(self, role: str) -> "JudgeFaces":
        """The faces of one role."""
        return self.subset([i for i, r in enumerate(self.roles) if r == role])

    def subset(self, keep: Sequence[int]) -> "JudgeFaces":
        """The faces at the indices `keep`, in that order."""
        keep = list(keep)
        return JudgeFaces(self.images[keep], self.labels[keep], [self.sources[i] for i in keep],
                          [self.people[i] for i in keep], [self.roles[i] for i in keep])


def _draw(people: Sequence[str], test_fraction: float, seed: int) -> dict[str, str]:
    """{person: "train" | "test"}: shuffled with `seed`, the first round(test_fraction * n) tested
    (at least one of two or more; a single person trains)."""
    people = sorted(set(people))
    np.random.default_rng(seed).shuffle(people)
    n_test = 0 if len(people) < 2 else min(len(people) - 1, max(1, int(round(test_fraction * len(people)))))
    return {p: ("test" if i < n_test else "train") for i, p in enumerate(people)}


def generator_people(folder: str | Path, fraction: float = 0.2, seed: int = 0) -> set[str]:
    """The people of a prepared folder the generator trains on (`validation_split(...)[0]`)."""
    entries = load_manifest(folder)["sequences"]
    train = set(validation_split(entries, fraction, seed)[0])
    return {e["subject"] for e in entries if e["key"] in train}


def judge_roles(folders: Sequence[str | Path], test_fraction: float = 0.5, fraction: float = 0.2,
                seed: int = 0) -> dict[tuple[str, str], dict[str, str]]:
    """{(folder, source): {person: "train" | "test"}} of every person the judge may use.

    `fraction` and `seed` are the generator's validation split (`data.validation_fraction`,
    `data.seed`); `test_fraction` and `seed` draw judge-test among the validation people.
    """
    manifests = {str(f): load_manifest(f)["sequences"] for f in folders}
    # CK+ people the generator trains on through a CK+ sequence set: never the judge's
    ck_taught = set()
    for folder, entries in manifests.items():
        if any(e.get("source") == "ckplus" for e in entries):
            ck_taught |= generator_people(folder, fraction, seed)
    roles: dict[tuple[str, str], dict[str, str]] = {}
    for folder, entries in manifests.items():
        apex = [e for e in entries if entry_kind(e) == "apex" and e.get("source") == "ck48"]
        if apex:
            ck = ck48_roles(ck_subject(e["subject"]) for e in apex)
            side = {"classifier": "train", "test": "test"}           # the discriminator's third: neither
            roles[(folder, "ck48")] = {e["subject"]: side[ck[ck_subject(e["subject"])]] for e in apex
                                       if ck[ck_subject(e["subject"])] in side
                                       and ck_subject(e["subject"]) not in ck_taught}
        held = set(validation_split(entries, fraction, seed)[1])
        by_source: dict[str, set[str]] = {}
        for e in entries:
            if e["key"] in held and entry_kind(e) != "apex" and e.get("source") not in LEFT_OUT_SOURCES:
                by_source.setdefault(str(e.get("source")), set()).add(e["subject"])
        for source, people in sorted(by_source.items()):
            if source == "ckplus":      # the CK+ sample's people keep their CK+48 side (all are CK+48 "test")
                roles[(folder, source)] = {p: "test" for p in people}
            else:
                roles[(folder, source)] = _draw(people, test_fraction, seed)
    return roles


def _item_faces(frames: np.ndarray, kind: str, label: int, neutral: bool) -> list[tuple[np.ndarray, int]]:
    """(frame, label) pairs an item teaches: an apex set's every frame; a pair's or clip's frames after
    the first; a sequence's last frame; and, with `neutral`, the first frame of non-apex items."""
    if kind == "apex":
        return [(f, label) for f in frames]
    out = [(frames[-1], label)] if kind == "sequence" else [(f, label) for f in frames[1:]]
    return out + ([(frames[0], NEUTRAL)] if neutral else [])


def generator_roles(folders: Sequence[str | Path], fraction: float = 0.2, seed: int = 0
                    ) -> dict[tuple[str, str], dict[str, str]]:
    """{(folder, source): {person: "generator"}}: the people the generator trains on in each paired or
    sequence set (never the judge's), for reading the judge on real photos it never saw outside its
    own test people (`benchmarks/judge_ceiling.py`). CK+48's apex crops and the AffineGAN sample are left out."""
    roles: dict[tuple[str, str], dict[str, str]] = {}
    for folder in folders:
        entries = load_manifest(folder)["sequences"]
        taught = set(validation_split(entries, fraction, seed)[0])
        for e in entries:
            if e["key"] in taught and entry_kind(e) != "apex" and e.get("source") not in LEFT_OUT_SOURCES:
                roles.setdefault((str(folder), str(e.get("source"))), {})[e["subject"]] = "generator"
    return roles


def read_judge_faces(folders: Sequence[str | Path], size: int = 48, neutral: bool = True,
                     test_fraction: float = 0.5, fraction: float = 0.2, seed: int = 0,
                     equalize: bool = False, oval: bool = False) -> JudgeFaces:
    """Every face the judge may use, as grey `size` px crops (`models.classifier.grey_faces`: `equalize`,
    `oval`) with labels and roles. A photo that repeats (a still set's one neutral photo in each of a
    person's pairs) is kept once."""
    roles = judge_roles(folders, test_fraction, fraction, seed)
    if not roles:
        raise AffinekitError(f"{', '.join(map(str, folders))}: no face the judge may use; prepare the "
                             "sources first (e.g. `affinekit prepare ../shared/data/ck48 --out prepared/ck48`)")
    return read_faces(roles, size, neutral, equalize, oval)


def read_faces(roles: dict[tuple[str, str], dict[str, str]], size: int = 48, neutral: bool = True,
               equalize: bool = False, oval: bool = False) -> JudgeFaces:
    """The faces of the people `roles` names ({(folder, source): {person: role}}, as `judge_roles` or
    `generator_roles` give), as `read_judge_faces` reads them."""
    images, labels, sources, people, sides, seen = [], [], [], [], [], set()
    for (folder, source), people_roles in sorted(roles.items()):
        for e in load_manifest(folder)["sequences"]:
            if e.get("source") != source or e["subject"] not in people_roles or e.get("label") not in EXPRESSIONS:
                continue
            seq = load_sequence(folder, e["key"])
            for frame, label in _item_faces(seq.frames, entry_kind(e), EXPRESSIONS.index(e["label"]), neutral):
                digest = hashlib.sha1(np.ascontiguousarray(frame).tobytes()).hexdigest()
                if digest in seen:
                    continue
                seen.add(digest)
                images.append(frame)
                labels.append(label)
                sources.append(source)
                people.append(f"{source}/{e['subject']}")
                sides.append(people_roles[e["subject"]])
    if not images:
        raise AffinekitError(f"{', '.join(sorted({f for f, _ in roles}))}: no labelled face of the people asked "
                             "for; prepare the sources first (e.g. `affinekit prepare ../shared/data/ck48 --out "
                             "prepared/ck48`)")
    return JudgeFaces(grey_faces(images, size, equalize, oval), np.array(labels, np.int64), sources, people, sides)
