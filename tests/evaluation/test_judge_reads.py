"""The bundled judge as evaluation uses it: a small safe file, its held-out report, and what it reads on
the shipped FRLL photos (people the generator never trained on)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from affinekit.data.paths import REPO_ROOT
from affinekit.evaluation.judge import bundled_judge, load_judge
from affinekit.io.photos import read_photo
from affinekit.expressions import EXPRESSIONS
from affinekit.weights.bundled import JUDGE_WEIGHTS
from affinekit.weights.checkpoint import CLASSIFIER_FORMAT

FRLL = REPO_ROOT / "data" / "demo" / "frll"


def test_bundled_judge_is_small_safe_and_reports_its_held_out_people():
    assert JUDGE_WEIGHTS.stat().st_size < 2_000_000
    assert torch.load(JUDGE_WEIGHTS, map_location="cpu", weights_only=True)["format"] == CLASSIFIER_FORMAT
    judge = bundled_judge()
    assert judge is not None and judge.labels == EXPRESSIONS + ("neutral",)
    assert judge.equalize and judge.config.size == 48
    report = judge.report
    assert not set(report["test_people"]) & set(report["train_people"])
    assert 0.5 < report["test"]["all"]["accuracy"] <= 1.0
    assert report["test"]["all"]["n"] == sum(s["n"] for k, s in report["test"].items() if k != "all")


def test_judge_reads_generated_crops_and_saved_frames_alike():
    judge = load_judge()
    rng = np.random.default_rng(0)
    crops = torch.rand(3, 3, 128, 128, generator=torch.Generator().manual_seed(0)) * 2 - 1
    saved = np.round((crops.numpy().transpose(0, 2, 3, 1) + 1) * 127.5).clip(0, 255).astype(np.uint8)
    assert np.array_equal(judge.probabilities(crops), judge.probabilities(saved))
    p = judge.probabilities(rng.integers(0, 256, (2, 64, 64), dtype=np.uint8))
    assert p.shape == (2, len(judge.labels)) and np.allclose(p.sum(1), 1, atol=1e-5)
    assert judge.probabilities(np.zeros((0, 64, 64), np.uint8)).shape == (0, len(judge.labels))


@pytest.mark.skipif(not FRLL.is_dir(), reason="data/demo/frll not in this checkout")
def test_judge_reads_the_shipped_frll_smiles_as_happier_than_their_neutral_photos():
    """The six shipped FRLL people are validation people of the generator; the judge puts more weight
    on happy for each one's smile than for the same person's neutral photo, names most smiles happy and
    most neutral photos neutral (without that class it read 15 of 16 FRLL neutral photos as happy)."""
    judge = load_judge()
    smiles = sorted((FRLL / "smiling_front").glob("*.jpg"))
    neutrals = [FRLL / "neutral_front" / p.name.replace("_08", "_03") for p in smiles]
    happy = judge.labels.index("happy")
    smiling = judge.probabilities_of_photos([read_photo(p)[0] for p in smiles])
    still = judge.probabilities_of_photos([read_photo(p)[0] for p in neutrals])
    assert len(smiles) == 6 and (smiling[:, happy] > still[:, happy]).all()
    assert (smiling.argmax(1) == happy).mean() >= 0.5
    assert (np.array(judge.named(still)) == "neutral").mean() >= 0.5
