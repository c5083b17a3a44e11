"""The toy with known truth: drawn faces that move as told, read by the ordinary data set, and a
short training whose inferred intensity must follow the truth on people it never saw."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from affinekit.config import ModelConfig
from affinekit.data.dataset import SequenceDataset, subject_split
from affinekit.data.toy import ToyPerson, draw_toy_face, toy_intensities, true_intensities, write_toy
from affinekit.errors import AffinekitError
from affinekit.models.generator import Generator
from affinekit.notebook.toy_training import score_toy, train_toy


def _person() -> ToyPerson:
    return ToyPerson.draw(np.random.default_rng(1))


def test_the_drawn_face_moves_by_the_intensity_asked():
    person = _person()
    _, rest = draw_toy_face(person, "surprise", 0.0, 64)
    _, half = draw_toy_face(person, "surprise", 0.5, 64)
    image, full = draw_toy_face(person, "surprise", 1.0, 64)
    gap = lambda p: p[66, 1] - p[62, 1]            # inner lips, bottom middle minus top middle
    brow = lambda p: p[17:27, 1].mean()
    assert gap(rest) == pytest.approx(0, abs=1e-4) and gap(full) > 3
    assert gap(half) == pytest.approx(gap(full) / 2, rel=1e-3)        # linear in the intensity
    assert brow(full) < brow(rest) - 1                                  # brows rise (y points down)
    # dlib's layout: the jaw runs left to right through the chin, the right eye (image left) comes first
    assert rest[0, 0] < rest[8, 0] < rest[16, 0] and rest[8, 1] == rest[:17, 1].max()
    assert rest[36:42, 0].mean() < rest[42:48, 0].mean() and rest[48, 0] < rest[54, 0]
    # the picture follows the landmarks: the open mouth is dark
    y, x = np.round(full[[62, 66]].mean(0)).astype(int)[::-1]
    assert image.shape == (64, 64, 3) and image[y, x].mean() < 80


def test_schedules_and_bad_arguments():
    rng = np.random.default_rng(0)
    shuffled = toy_intensities(9, "shuffled", rng)
    assert shuffled[0] == 0 and shuffled[-1] == 1 and not np.all(np.diff(shuffled) >= 0)
    assert np.allclose(toy_intensities(5, "linear", rng), np.linspace(0, 1, 5))
    with pytest.raises(AffinekitError, match="schedule"):
        toy_intensities(5, "wobbly", rng)
    with pytest.raises(AffinekitError, match="anger"):
        write_toy("/nonexistent-never-written", labels=("anger",))


def test_toy_folders_are_prepared_data_the_data_set_reads(tmp_path):
    prepared = write_toy(tmp_path / "toy", people=3, frames=5, size=32)
    truth = true_intensities(prepared)
    assert len(truth) == 6 and all(len(v) == 5 and v[0] == 0 and v[-1] == 1 for v in truth.values())
    item = SequenceDataset(prepared, num_targets=3, channels=3)[0]
    assert item["targets"].shape == (3, 3, 32, 32) and item["landmarks"].shape == (3, 68, 2)
    assert item["masks"].sum() > 0                    # lip masks cut from landmarks 48-67
    with pytest.raises(AffinekitError, match="not a toy folder"):
        (tmp_path / "plain").mkdir()
        (tmp_path / "plain" / "manifest.json").write_text('{"sequences": [{"key": "a"}]}')
        true_intensities(tmp_path / "plain")


def test_a_short_training_learns_to_read_the_intensity_from_the_face(tmp_path):
    """20 steps in the paper's setting (no anchor): the inferred l must order each held-out
    clip's frames as their true, shuffled intensities; an untrained model does not."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)          # tiny convolutions: one thread is fastest on a shared CPU
    try:
        prepared = write_toy(tmp_path / "toy", people=4, frames=7, size=32)
        train_keys, test_keys = subject_split(prepared, 0.25, 0)
        torch.manual_seed(0)
        untrained = score_toy(Generator(ModelConfig(image_size=32, base_width=8)), prepared, test_keys)
        trainer = train_toy(prepared, tmp_path / "run", 20, 32, 8, ["train.batch_size=4"], keys=train_keys)
        trained = score_toy(trainer.generator, prepared, test_keys)
    finally:
        torch.set_num_threads(threads)
    assert trained.position < 0.8                     # position alone cannot give the answer
    assert untrained.per_sequence < 0.8
    assert trained.per_sequence > 0.9
    assert trained.field_error_px < trained.no_motion_px
