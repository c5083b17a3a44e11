"""Small controlled experiments: change one thing, train the same way, score on the same held-out subjects.

Each experiment is a question and the `--set` overrides of its variants; every
variant trains through `launch.train` (the entry of `affinekit train`) from the
same seed on the same training subjects, and is scored by `evaluate` on the
same test subjects, beside copy-input from the same run. Notebook 06 runs them
and draws one figure per question.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

from affinekit.config import DataConfig, ModelConfig, TrainConfig
from affinekit.evaluation.makers import GeneratorMaker
from affinekit.evaluation.scoring import evaluate
from affinekit.launch import resolve_configs, train

EXPERIMENTS: dict[str, list[tuple[str, list[str]]]] = {
    "Does the least-squares GAN loss train better than BCE?": [
        ("LSGAN", ["train.gan_loss=lsgan"]), ("BCE", ["train.gan_loss=bce"])],
    "What does the lip discriminator add?": [
        ("with lip D", []), ("without lip D", ["train.w_patch=0"])],
    "Motion head or the paper's pixel head?": [
        ("motion head", ["model.output=motion"]), ("pixel head", ["model.output=pixels"])],
}
METRICS = ("psnr", "ssim", "expr_acc", "acd_i")


def run_variant(prepared: str | Path, out_dir: str | Path, train_keys: Sequence[str], test_keys: Sequence[str],
                overrides: Sequence[str], steps: int, image_size: int = 64, base_width: int = 32,
                frames: int = 16, seed: int = 0) -> dict[str, dict[str, float]]:
    """Train one variant and score it: {"model": metrics, "copy-input": metrics}."""
    configs, _ = resolve_configs(None, list(overrides))
    model_cfg: ModelConfig = dataclasses.replace(configs["model"], image_size=image_size, base_width=base_width)
    train_cfg: TrainConfig = dataclasses.replace(configs["train"], steps=steps, seed=seed, sample_every=0,
                                                 checkpoint_every=steps, log_every=1)
    data_cfg: DataConfig = dataclasses.replace(configs["data"], seed=seed)
    trainer = train(prepared, out_dir, model_cfg, train_cfg, data_cfg, keys=list(train_keys))
    table = evaluate({"model": GeneratorMaker(trainer.generator)}, prepared, list(test_keys), frames)
    return {row: {m: table.row(row).metrics[m] for m in METRICS} for row in ("model", "copy-input")}


def run_experiments(prepared: str | Path, work_dir: str | Path, train_keys: Sequence[str],
                    test_keys: Sequence[str], steps: int, **options: Any) -> dict[str, dict[str, Any]]:
    """Every experiment's variants: {question: {variant: run_variant(...)}}; runs are kept in work_dir."""
    results: dict[str, dict[str, Any]] = {}
    for q, (question, variants) in enumerate(EXPERIMENTS.items()):
        results[question] = {}
        for name, overrides in variants:
            folder = Path(work_dir) / f"q{q}_{name.replace(' ', '_')}"
            results[question][name] = run_variant(prepared, folder, train_keys, test_keys, overrides, steps, **options)
    return results


def plot_experiment(question: str, variants: dict[str, dict[str, dict[str, float]]]) -> Any:
    """One question, one figure: each metric as bars per variant, copy-input's value dashed."""
    import matplotlib.pyplot as plt

    labels = {"psnr": "PSNR (dB)", "ssim": "SSIM", "expr_acc": "expression accuracy", "acd_i": "ACD-I"}
    fig, axes = plt.subplots(1, len(METRICS), figsize=(3.0 * len(METRICS), 2.8))
    names = list(variants)
    for ax, metric in zip(axes, METRICS):
        ax.bar(names, [variants[n]["model"][metric] for n in names], color=["tab:blue", "tab:orange"][:len(names)])
        ax.axhline(variants[names[0]]["copy-input"][metric], color="0.3", ls="--", lw=1, label="copy-input")
        ax.set_title(labels[metric], fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    axes[0].legend(fontsize=7)
    fig.suptitle(question, fontsize=10)
    fig.tight_layout()
    return fig
