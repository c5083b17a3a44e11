"""Training the exemplar mouth refiner behind a frozen generator, against real mouths.

Like `training.mouth` (same items: the generator's own training people, prepared at 256 px; every
source may be a *target*), but each target mouth also gets a real mouth from the bank, chosen as
at generate time (`ExemplarRefiner.choose`: the nearest lip shape at the item's strongest frame,
the shapes being the neutral face's points carried by the generator's field) **with the target's
own person left out**, and warped into each frame's lips. The second nearest is kept too and
drawn a third of the time: at generate time the bank never holds the user's own mouth either.

Losses: L1 to the real mouth (luma for grey sources) at the patch's size, weighted less, and at a
quarter of it, weighted more (the light and dark of the opening matter; two people's teeth never
line up pixel for pixel); the luma mouth discriminator of `training.mouth`; mask sparsity.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from affinekit.config import MouthConfig, from_dict, to_dict
from affinekit.data.dataset import SequenceDataset
from affinekit.errors import AffinekitError
from affinekit.io.images import tensor_channels, to_model, to_model_scale, to_pixel_scale
from affinekit.io.run_folder import RunFolder
from affinekit.models.exemplars import descriptor, nearest
from affinekit.models.motion import compose
from affinekit.models.mouth import cut_patches, mouth_square, paint
from affinekit.models.mouth_exemplar import ExemplarRefiner, exemplar_inputs, patch_shapes
from affinekit.training.losses import l1_luma_where_gray
from affinekit.training.mouth import MouthTrainer, generator_items, load_cuts
from affinekit.training.mouth_bank import load_bank
from affinekit.weights.checkpoint import CUTS_FORMAT, MOUTH_FORMAT, atomic_save, load_generator, safe_load

SECOND_CHOICE = 1 / 3     # how often a draw shows the second-nearest exemplar


@dataclass
class TargetSet:
    """Every training target, cut once (uint8 (N, 5, 3, s, s): composite, neutral, real mouth, the
    nearest and second-nearest exemplars warped into the frame's lips), the polygons (N, 3, s, s):
    the two exemplars' openings and the frame's inner lips, label, l, greyness and sampling weight."""
    patches: torch.Tensor
    polygons: torch.Tensor
    labels: torch.Tensor
    levels: torch.Tensor
    gray: torch.Tensor
    weights: torch.Tensor

    def draw(self, size: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
        picks = torch.multinomial(self.weights, size, replacement=True, generator=generator)
        p = to_model_scale(self.patches[picks].float())
        second = (torch.rand(size, generator=generator) < SECOND_CHOICE).view(-1, 1, 1, 1)
        exemplar = torch.where(second, p[:, 4], p[:, 3])
        both = self.polygons[picks].float()
        poly = torch.cat([torch.where(second, both[:, 1:2], both[:, :1]), both[:, 2:]], 1)
        flip = torch.rand(size, generator=generator) < 0.5
        p[flip], poly[flip], exemplar[flip] = p[flip].flip(-1), poly[flip].flip(-1), exemplar[flip].flip(-1)
        return {"now": p[:, 0], "neutral": p[:, 1], "real": p[:, 2], "exemplar": exemplar, "polygon": poly,
                "labels": self.labels[picks], "levels": self.levels[picks], "gray": self.gray[picks]}


def bank_refiner(cfg: MouthConfig, num_labels: int, bank_path: str | Path) -> tuple[ExemplarRefiner, list[str]]:
    """(a fresh ExemplarRefiner holding the bank at bank_path, the bank's people's names)."""
    bank = load_bank(bank_path)
    refiner = ExemplarRefiner(banked_config(cfg, bank, bank_path), num_labels)
    refiner.set_bank(bank["jpeg"], bank["offsets"], bank["shapes"], bank["people"])
    return refiner, list(bank["names"])


def banked_config(cfg: MouthConfig, bank: dict, bank_path: str | Path) -> MouthConfig:
    """cfg sized for the bank read from bank_path (`load_bank`): its exemplars, bytes and side."""
    side = int(bank.get("side", 0)) or cfg.size
    try:
        return from_dict(MouthConfig, {**to_dict(cfg), "exemplars": int(bank["shapes"].shape[0]),
                                       "bank_bytes": int(bank["jpeg"].shape[0]),
                                       "bank_size": 0 if side == cfg.size else side})
    except ValueError as err:
        raise AffinekitError(f"{bank_path}: holds {side} px mouths, which the refiner's {cfg.size} px patch cannot "
                             f"use ({err}); build the bank again with scripts/build_mouth_bank.py --size") from None


@torch.no_grad()
def cut_targets(generator: torch.nn.Module, dataset: SequenceDataset, refiner: ExemplarRefiner,
                names: list[str], log: Callable[[str], None] = print) -> TargetSet:
    """The targets of every item (a sequence's frames after the first, a pair's expression photos)."""
    cfg = refiner.cfg
    out: dict[str, list[torch.Tensor]] = {k: [] for k in ("patches", "polygons", "labels", "levels", "gray", "weights")}
    item_weights = torch.as_tensor(dataset.sampling_weights(), dtype=torch.float64)
    bank_desc = descriptor(refiner.bank_shapes.float())
    for i, entry in enumerate(dataset.entries):
        seq, item = dataset.sequence(entry["key"]), dataset[i]
        frames = tensor_channels(to_model(seq.frames), 3)
        T, size = frames.shape[0], frames.shape[-1]
        levels = torch.ones(T - 1) if entry.get("kind") == "pair" else torch.arange(1, T) / (T - 1)
        label = item["label"].view(1)
        x0 = frames[:1]
        motion = generator.motion(x0, label, levels[None])
        made = compose(x0, motion)[0]                                                   # (T-1, 3, S, S)
        landmarks = torch.from_numpy(seq.landmarks[:1]).float()
        theta = mouth_square(landmarks, size, cfg)
        shapes = patch_shapes(landmarks, size, motion.flow, theta)[0]                   # (T-1, 20, 2)
        own = names.index(seq.subject) if seq.subject in names else -1
        ranked = nearest(bank_desc, descriptor(shapes[-1:]), refiner.bank_people, torch.tensor([own]), count=2,
                         allowed=refiner.allowed(label))[0]          # what generation would copy (smile_teeth)
        cut = lambda images: cut_patches(images, theta.expand(images.shape[0], -1, -1), cfg.size)
        warped = [exemplar_inputs(refiner, shapes, ranked[k].expand(T - 1)) for k in range(2)]
        stacked = torch.stack([cut(made), cut(x0).expand(T - 1, -1, -1, -1), cut(frames[1:]),
                               warped[0][0], warped[1][0]], 1)
        out["patches"].append(to_pixel_scale(stacked).round().clamp(0, 255).byte())
        out["polygons"].append(torch.cat([warped[0][1][:, :1], warped[1][1]], 1).byte())
        out["labels"].append(label.expand(T - 1))
        out["levels"].append(levels)
        out["gray"].append(torch.full((T - 1,), bool(item["gray"])))
        out["weights"].append(torch.full((T - 1,), float(item_weights[i]) / (T - 1), dtype=torch.float64))
        if (i + 1) % 50 == 0:
            log(f"targets cut: {i + 1}/{len(dataset)} items")
    return TargetSet(*(torch.cat(out[k]) for k in ("patches", "polygons", "labels", "levels", "gray", "weights")))


class ExemplarTrainer(MouthTrainer):
    """`MouthTrainer` whose refiner reads a warped exemplar and shows it in colour."""

    def __init__(self, refiner: ExemplarRefiner, seed: int = 0) -> None:
        super().__init__(refiner.cfg, refiner.num_labels, seed)
        self.refiner.load_state_dict(refiner.state_dict())
        self.refiner.set_bank(refiner.bank_jpeg, refiner.bank_offsets, refiner.bank_shapes, refiner.bank_people)
        self.opt_g = torch.optim.Adam(self.refiner.parameters(), self.cfg.lr, betas=(0.5, 0.999))

    def train_step(self, p: dict[str, torch.Tensor]) -> dict[str, float]:
        mask, image = self.refiner(p["now"], p["neutral"], p["exemplar"], p["polygon"], p["labels"], p["levels"])
        fake = paint(p["now"], mask, image)
        d_real, d_fake, g_gan, g_l1, g_coarse = self.adversarial(p, fake)
        cfg = self.cfg
        g_mask = mask.mean()
        loss = cfg.w_l1 * g_l1 + cfg.w_l1_coarse * g_coarse + cfg.w_gan * g_gan + cfg.w_mask * g_mask
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self.step += 1
        warp_l1 = l1_luma_where_gray(p["now"], p["real"], p["gray"])
        values = {"M_L1": g_l1, "M_L1_coarse": g_coarse, "M_GAN": g_gan, "M_mask": g_mask, "D_real": d_real,
                  "D_fake": d_fake, "warp_L1": warp_l1}
        return {"step": self.step, **{k: round(float(v.detach()), 5) for k, v in values.items()}}


def train_exemplar_mouth(generator_path: str | Path, folders: Sequence[str | Path], bank_path: str | Path,
                         out: str | Path, cfg: MouthConfig | None = None, seed: int = 0, checkpoint_every: int = 50,
                         snapshot_every: int = 0, progress: Callable[[dict[str, Any]], None] | None = None,
                         log: Callable[[str], None] = print) -> ExemplarTrainer:
    """Train (or resume: a rerun with the same `out`) an exemplar refiner for the generator at
    generator_path, on its training items read from `folders`, with the bank at bank_path; logs to
    out/log.jsonl, checkpoints to out/checkpoints/last.pt (+ step<N>.pt every `snapshot_every`)."""
    run = RunFolder(out)
    generator, _ = load_generator(generator_path)
    last = run.checkpoint_path
    state = safe_load(last) if last.is_file() else None
    if state and cfg is None:
        cfg = from_dict(MouthConfig, state["mouth_config"])
    refiner, names = bank_refiner(cfg or MouthConfig(), generator.cfg.num_labels, bank_path)
    trainer = ExemplarTrainer(refiner, seed)
    if state:
        trainer.load(state)
    run.path.mkdir(parents=True, exist_ok=True)
    targets_path = run.path / "targets.pt"          # cut once: a resumed run does not cut again
    side = trainer.cfg.size
    targets = load_cuts(targets_path, TargetSet, {"patches": (5, 3, side, side), "polygons": (3, side, side)},
                        generator.cfg.num_labels)      # the safe loader; cut again when foreign or damaged
    if targets is None:
        dataset = generator_items(generator_path, folders)
        targets = cut_targets(generator, dataset, trainer.refiner, names, log)
        atomic_save({"format": CUTS_FORMAT, **vars(targets)}, targets_path)
    run.write_config({"mouth": to_dict(trainer.cfg), "generator": str(generator_path), "bank": str(bank_path),
                      "folders": [str(f) for f in folders], "targets": int(targets.labels.shape[0]), "seed": seed})
    draws = torch.Generator().manual_seed(seed * 100003 + trainer.step)
    run.start_log(resumed_at=trainer.step if state else None)     # a kill -9 logged steps it now redoes
    with run.open_log() as logfile:
        while trainer.step < trainer.cfg.steps:
            start = time.perf_counter()
            record = trainer.train_step(targets.draw(trainer.cfg.batch_size, draws))
            record["seconds"] = round(time.perf_counter() - start, 3)
            run.write_row(logfile, record)
            if progress:
                progress(record)
            if trainer.step % checkpoint_every == 0 or trainer.step == trainer.cfg.steps:
                atomic_save(trainer.state(), last)
            if snapshot_every and trainer.step % snapshot_every == 0:
                atomic_save({"format": MOUTH_FORMAT, "mouth_config": to_dict(trainer.cfg), "step": trainer.step,
                             "refiner": trainer.refiner.state_dict()}, last.with_name(f"step{trainer.step}.pt"))
    return trainer
