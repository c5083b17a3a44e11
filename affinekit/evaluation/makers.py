"""Models as clip makers: a checkpoint wrapped around the one inference path, and what is known of
its training data (to warn when a test sequence was seen in training)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch

from affinekit.generate.aligned import faces_from_crops
from affinekit.generate.inference import refines_mouth
from affinekit.generate.render import render_clips
from affinekit.io.clashes import same_file
from affinekit.weights.checkpoint import generator_from, safe_load


# -- the model as a clip maker ---------------------------------------------------------
class GeneratorMaker:
    """A trained Generator as a clip maker: exactly what `affinekit generate` shows, on aligned crops.

    It calls the one render function (`affinekit.generate.render.render_clips`, the crop view):
    the motion head warps the test crop at its own size, the pixel head's frames
    are resized to it. Nothing is added or tuned after the network.
    """

    def __init__(self, generator: torch.nn.Module, device: str = "cpu", mouth: bool = True) -> None:
        self.generator = generator.to(device).eval()
        self.mouth = mouth      # False: the generator's mouth refiner left out (a comparison row)

    def __call__(self, x0: torch.Tensor, labels: torch.Tensor, intensities: torch.Tensor,
                 landmarks: torch.Tensor | None = None) -> torch.Tensor:
        return render_clips(self.generator, faces_from_crops(x0, landmarks), labels, intensities, view="crop",
                            mouth=self.mouth)


REFINER_OFF = " (refiner off)"     # the suffix of a model's row without its mouth refiner


def add_model_rows(makers: dict[str, Any], notes: dict[str, str], name: str, maker: "GeneratorMaker",
                   note: str | None = None) -> None:
    """Put a model's row into `makers`, with `note` when there is one; a generator with a mouth
    refiner gets a second row without it (`name + REFINER_OFF`), from the same weights."""
    rows = {name: maker}
    if refines_mouth(maker.generator, maker.mouth):
        rows[name + REFINER_OFF] = GeneratorMaker(maker.generator, mouth=False)
    for row, made in rows.items():
        makers[row] = made
        if note:
            notes[row] = note


def load_model_maker(path: str | Path, device: str = "cpu") -> tuple[GeneratorMaker, dict[str, Any]]:
    """A checkpoint as a clip maker, plus what the checkpoint says of its training data (the file is
    read once)."""
    checkpoint = safe_load(path)
    generator, cfg = generator_from(checkpoint, path, device)
    info: dict[str, Any] = {"checkpoint": str(path), "image_size": cfg.image_size, "output": cfg.output}
    data = checkpoint.get("data")
    if isinstance(data, dict) and data:
        # every source it learned from: the prepared folder's keys, the other sources' and the apex faces'
        learned = [k for field in ("source_keys", "apex_keys") for k in (data.get(field) or [])]
        info.update(train_keys=data.get("keys"), prepared=data.get("prepared"), learned_keys=learned)
    return GeneratorMaker(generator, device), info


def _subject(key: str) -> str:
    return key.split("_")[0]


def seen_in_training(info: dict[str, Any], key: str) -> bool | None:
    """Whether a checkpoint learned from `key`, or from another item of its person, in any of its sources
    (`learned_keys`); None when the checkpoint does not say what it trained on, or trained on every
    item of its prepared folder (`keys` None) and `key` is not among its other sources'."""
    if "train_keys" not in info:
        return None
    known = set(info.get("learned_keys") or []) | set(info["train_keys"] or [])
    if key in known or _subject(key) in {_subject(k) for k in known}:
        return True
    return None if info["train_keys"] is None else False


def training_overlap(info: dict[str, Any], test_keys: Sequence[str]) -> str | None:
    """A warning when a checkpoint's training data included test sequences (or is unknown)."""
    if "train_keys" not in info:
        return "training data unknown (the checkpoint does not say what it was trained on)"
    keys = info["train_keys"]
    if keys is None:
        return "trained on every sequence of its data folder: the test sequences were seen in training"
    keys = list(keys) + list(info.get("learned_keys") or [])
    seen = sorted(set(keys) & set(test_keys))
    if seen:
        return f"{len(seen)} of {len(test_keys)} test sequences were seen in training"
    subjects = {_subject(k) for k in keys} & {_subject(k) for k in test_keys}
    if subjects:
        return f"test subjects seen in training: {', '.join(sorted(subjects))}"
    return None


def learned_pair(info: dict[str, Any], folder: str, key: str) -> bool:
    """Whether a checkpoint learned from this pair or its person; a checkpoint trained on every item of
    its prepared folder learned every pair of that folder."""
    seen = seen_in_training(info, key)
    if seen is None and info.get("train_keys", ()) is None and info.get("prepared"):
        return same_file(folder, info["prepared"])
    return bool(seen)
