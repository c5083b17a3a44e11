"""Is training helping? The generator scored on held-out subjects while it trains, against step 0.

Step 0 is the motion head before its first update: each label's prior field and nothing
learned (`experiments.prior_only`). A run that ends below it has made things worse; notebook 03
plots the held-out PSNR every few steps with step 0 as a dashed line, so the learner sees it.
Scoring is `evaluate` on the model row alone (copy-input comes with it), the same numbers as
notebook 04's table for these subjects.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
from matplotlib.figure import Figure

from affinekit.evaluation.makers import GeneratorMaker
from affinekit.evaluation.scoring import evaluate
from affinekit.show.plots import new_figure


def held_out_scores(generator: torch.nn.Module, prepared: str | Path, test_keys: Sequence[str],
                    frames: int = 16) -> dict[str, float]:
    """PSNR, SSIM and expression accuracy of `generator` on `test_keys` (a copy, on the CPU, in eval mode:
    the training run's own model is left as it was), and copy-input's PSNR for scale."""
    model = copy.deepcopy(generator).cpu().eval()
    table = evaluate({"model": GeneratorMaker(model)}, prepared, list(test_keys), frames)
    row = table.row("model").metrics
    return {"psnr": row["psnr"], "ssim": row["ssim"], "expr_acc": row["expr_acc"],
            "copy_psnr": table.row("copy-input").metrics["psnr"]}


@dataclass
class HeldOutCurve:
    """A Trainer callback: every `every` steps (and at the last), the generator's held-out scores.

    Step 0 is scored when the run starts (`on_start`: the run's own generator after its prior is
    fitted, before any update). A run that continues from a checkpoint has no step 0 of its own:
    pass `step0`, e.g. `held_out_scores(experiments.prior_only(...), ...)`. `rows` gets one
    {"step", "psnr", "ssim", "expr_acc", "copy_psnr"} per scoring."""

    prepared: str | Path
    test_keys: Sequence[str]
    every: int
    last_step: int = 0
    step0: dict[str, float] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = [{"step": 0, **self.step0}] if self.step0 else []

    def on_start(self, trainer: Any) -> None:
        if not self.rows:
            self.rows.append({"step": 0, **held_out_scores(trainer.generator, self.prepared, self.test_keys)})

    def on_step(self, trainer: Any, step: int, logs: dict[str, float]) -> None:
        if step % self.every == 0 or step == self.last_step:
            self.rows.append({"step": step, **held_out_scores(trainer.generator, self.prepared, self.test_keys)})

    @property
    def last(self) -> dict[str, Any]:
        """The latest scoring (step 0's until the first)."""
        return self.rows[-1]


def plot_held_out(rows: Sequence[dict[str, Any]], title: str = "held-out subjects") -> Figure:
    """Held-out PSNR against training step, with step 0 (the prior alone) as a dashed line and
    each point's value written beside it."""
    fig = new_figure(5.0, 3.2)
    ax = fig.subplots()
    steps = [r["step"] for r in rows]
    psnr = [r["psnr"] for r in rows]
    ax.plot(steps, psnr, "o-", color="tab:blue", label="the model being trained")
    ax.axhline(rows[0]["psnr"], color="0.3", ls="--", lw=1.0, label=f"step 0: the prior alone ({rows[0]['psnr']:.2f} dB)")
    for s, p in zip(steps, psnr):
        ax.annotate(f"{p:.2f}", (s, p), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    span = max(psnr) - min(psnr) or 0.5
    ax.set_ylim(min(psnr) - 0.5 * span, max(psnr) + 0.6 * span)
    ax.set_xlabel("training step")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return fig
