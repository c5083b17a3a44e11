"""Small controlled experiments: change one thing, train the same way, score on the same held-out subjects.

Each experiment is a question and its variants; a variant is `--set` overrides,
and for the split question, which sequences it trains on. Every variant trains
through `training.run.train` (the entry of `affinekit train`) from the same seed, and
is scored by `evaluate` on the same test subjects, beside copy-input and
landmark-warp (fitted on the same training subjects) from the same run. Variants that come out the same configuration on the same sequences
(e.g. "LSGAN" and "with lip D", both the defaults) are trained once and shared.
Notebook 06 runs them and draws one figure per question (`show.experiment_view`).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Sequence

import torch

from affinekit.config import DataConfig, ModelConfig, TrainConfig
from affinekit.data.dataset import SequenceDataset
from affinekit.evaluation.baselines import LandmarkWarp
from affinekit.evaluation.makers import GeneratorMaker
from affinekit.evaluation.scoring import evaluate
from affinekit.generate.inference import render_crops
from affinekit.models.generator import Generator
from affinekit.models.prior import dataset_fields
from affinekit.training.loop import Trainer
from affinekit.training.run import train
from affinekit.training.spec import run_spec


@dataclasses.dataclass(frozen=True)
class Variant:
    """One arm of an experiment: a name, its `section.key=value` overrides, and whether its
    training also sees the test sequences (the paper's split: see `SPLIT_QUESTION`)."""

    name: str
    overrides: tuple[str, ...] = ()
    trains_on_test_sequences: bool = False


SPLIT_QUESTION = "How much does the paper's split flatter a model?"
EXPERIMENTS: dict[str, list[Variant]] = {
    "Does the least-squares GAN loss train better than BCE?": [
        Variant("LSGAN", ("train.gan_loss=lsgan",)), Variant("BCE", ("train.gan_loss=bce",))],
    "What does the lip discriminator add?": [
        Variant("with lip D"), Variant("without lip D", ("train.w_lip=0",))],
    "Motion head or the paper's pixel head?": [
        Variant("motion head", ("model.output=motion",)), Variant("pixel head", ("model.output=pixels",))],
    # The paper splits frames at random, so most frames of every test sequence are also training
    # frames. Training takes whole sequences, so here the test sequences join training whole:
    # the same leak in kind (neighbouring frames are near-duplicates), slightly larger in degree.
    SPLIT_QUESTION: [
        Variant("subject split"), Variant("paper split", trains_on_test_sequences=True)],
}
METRICS = ("psnr", "ssim", "expr_acc", "acd_i")
ROWS = ("model", "copy-input", "landmark-warp")
METRIC_LABELS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "expr_acc": "expression accuracy", "acd_i": "ACD-I"}


def variant_configs(overrides: Sequence[str], steps: int, image_size: int = 64, base_width: int = 32,
                    seed: int = 0) -> tuple[ModelConfig, TrainConfig, DataConfig]:
    """The configs a variant trains with: the defaults, its overrides, then the experiment's sizes."""
    spec = run_spec(None, overrides=overrides, forced={
        "model": dict(image_size=image_size, base_width=base_width),
        "train": dict(steps=steps, seed=seed, sample_every=0, checkpoint_every=steps, log_every=1),
        "data": dict(seed=seed)})
    return spec.model, spec.train, spec.data


def train_variant(prepared: str | Path, out_dir: str | Path, train_keys: Sequence[str], overrides: Sequence[str],
                  steps: int, image_size: int = 64, base_width: int = 32, seed: int = 0) -> Trainer:
    """Train one variant on `train_keys` through `training.run.train`; returns the trainer (its generator, log)."""
    model_cfg, train_cfg, data_cfg = variant_configs(overrides, steps, image_size, base_width, seed)
    return train(prepared, out_dir, model_cfg, train_cfg, data_cfg, keys=list(train_keys))


def score_generator(generator: torch.nn.Module, prepared: str | Path, train_keys: Sequence[str],
                    test_keys: Sequence[str], frames: int = 16) -> dict[str, dict[str, float]]:
    """{row: metrics} for the generator ("model"), copy-input and landmark-warp (fitted on `train_keys`);
    each row also holds `clips` and `correct`, the clips its expression accuracy counts, and the model's
    row `frame0_error`: the largest difference of its frame at l = 0 from x0 over the test items (on
    [-1, 1]; 0 for the motion head, which returns x0 itself)."""
    makers = {"landmark-warp": LandmarkWarp().fit(prepared, list(train_keys)), "model": GeneratorMaker(generator)}
    table = evaluate(makers, prepared, list(test_keys), frames)
    out = {}
    for row in ROWS:
        clips = [r for r in table.per_sequence if r["row"] == row]
        out[row] = {m: table.row(row).metrics[m] for m in METRICS}
        out[row].update(clips=len(clips), correct=sum(bool(r["correct"]) for r in clips))
    x0 = torch.stack([item["x0"] for item in SequenceDataset(prepared, list(test_keys))]).float()
    first = render_crops(generator, x0, torch.zeros(len(x0), dtype=torch.long), torch.zeros(1))[:, 0]
    out["model"]["frame0_error"] = float((first - x0).abs().max())
    return out


def run_variant(prepared: str | Path, out_dir: str | Path, train_keys: Sequence[str], test_keys: Sequence[str],
                overrides: Sequence[str], steps: int, image_size: int = 64, base_width: int = 32,
                frames: int = 16, seed: int = 0) -> dict[str, dict[str, float]]:
    """Train one variant on `train_keys` and score it on `test_keys` (`score_generator`'s rows)."""
    trainer = train_variant(prepared, out_dir, train_keys, overrides, steps, image_size, base_width, seed)
    return score_generator(trainer.generator, prepared, train_keys, test_keys, frames)


def prior_only(prepared: str | Path, train_keys: Sequence[str], image_size: int = 64, base_width: int = 32,
               seed: int = 0) -> Generator:
    """The motion head before its first step: each label's mean landmark motion, nothing learned."""
    model_cfg, _, _ = variant_configs((), 1, image_size, base_width, seed)
    data = SequenceDataset(prepared, list(train_keys))
    model_cfg = dataclasses.replace(model_cfg, channels=int(data[0]["x0"].shape[0]))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generator = Generator(model_cfg)
    prior = dataset_fields(data, model_cfg.num_labels, model_cfg.image_size)
    if prior is not None:
        generator.prior.copy_(prior)
    return generator.eval()


def run_experiments(prepared: str | Path, work_dir: str | Path, train_keys: Sequence[str],
                    test_keys: Sequence[str], steps: int, image_size: int = 64, base_width: int = 32,
                    frames: int = 16, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Every experiment's variants: {question: {variant: run_variant(...)}}; runs are kept in work_dir."""
    sizes = dict(image_size=image_size, base_width=base_width, seed=seed)
    done: dict[str, dict[str, Any]] = {}       # identical trainings (configs and sequences) run once
    results: dict[str, dict[str, Any]] = {}
    for q, (question, variants) in enumerate(EXPERIMENTS.items()):
        results[question] = {}
        for variant in variants:
            keys = list(train_keys) + (list(test_keys) if variant.trains_on_test_sequences else [])
            configs = variant_configs(variant.overrides, steps, **sizes)
            same = json.dumps([dataclasses.asdict(c) for c in configs] + [sorted(keys)], sort_keys=True)
            if same not in done:
                folder = Path(work_dir) / f"q{q}_{variant.name.replace(' ', '_')}"
                done[same] = run_variant(prepared, folder, keys, test_keys, variant.overrides, steps,
                                         frames=frames, **sizes)
            results[question][variant.name] = done[same]
    return results


def results_markdown(results: dict[str, dict[str, Any]], reference: dict[str, dict[str, float]]) -> str:
    """Notebook 06's table: one row per question and variant (`run_experiments`' scores of the model),
    then the rows every model is measured against (`reference`: {row: metrics}), expression accuracy
    as clips read right of clips scored."""
    def cells(m: dict[str, float]) -> str:
        acd = f"{m['acd_i']:.3f}" if "acd_i" in m else "-"
        return f"{m['psnr']:.2f} | {m['ssim']:.3f} | {m['correct']}/{m['clips']} | {acd}"

    lines = ["| question | variant | PSNR (dB) | SSIM | expression accuracy (clips) | ACD-I |",
             "|---|---|---|---|---|---|"]
    for question, variants in results.items():
        for i, (name, scores) in enumerate(variants.items()):
            lines.append(f"| {question if i == 0 else ''} | {name} | {cells(scores['model'])} |")
    for i, (name, m) in enumerate(reference.items()):
        lines.append(f"| {'measured against' if i == 0 else ''} | {name} | {cells(m)} |")
    return "\n".join(lines) + "\n"
