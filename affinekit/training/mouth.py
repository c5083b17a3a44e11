"""Training the mouth refiner behind a frozen generator, against real mouths.

Read top to bottom: the items (the generator's own training items, prepared at a larger crop so
the mouth has real detail), one step, the loop. Per step, for each item and each real target
frame at intensity l (a pair's expression photo: l = 1; a sequence's frame: its position):

1. the frozen generator's frames at l and at l - 0.1 (its field, mask and residual, composited
   at the prepared crop's resolution, e.g. 256 px);
2. the mouth patch of each (`models.mouth.mouth_square`, fixed by the neutral face) at the
   refiner's size, refined;
3. losses: L1 to the real frame's mouth (at the patch's size and, weighted more, at a quarter of
   it: where the lips are matters more than a texture that two photos never share pixel for
   pixel), luma only for grey sources; a mouth discriminator (LSGAN, conditioned on the neutral
   mouth and the label) against the real mouths of every source; a temporal term (the refiner
   may not change the patch between l - 0.1 and l by more than the warp does: no flicker); mask
   sparsity.

Checkpoints are written atomically every `checkpoint_every` steps and at the end; a rerun with the
same `out` resumes from the last one.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from affinekit.config import MouthConfig, from_dict, to_dict
from affinekit.data.dataset import SequenceDataset
from affinekit.errors import AffinekitError
from affinekit.io.images import tensor_channels, to_model, to_model_scale, to_pixel_scale
from affinekit.io.run_folder import RunFolder
from affinekit.models.discriminators import PatchDiscriminator
from affinekit.models.motion import compose
from affinekit.models.mouth import cut_patches, mouth_square, paint
from affinekit.models.mouth_exemplar import make_refiner
from affinekit.training.losses import GANLoss, l1_luma_where_gray
from affinekit.weights.checkpoint import (
    CUTS_FORMAT,
    MOUTH_FORMAT,
    atomic_save,
    load_generator,
    safe_load,
    training_data,
)

TEMPORAL_STEP = 0.1      # the intensity gap of the temporal term: one frame of a 10-frame clip


def generator_items(generator_path: str | Path, folders: Sequence[str | Path]) -> SequenceDataset:
    """The items the generator trained on, read from `folders` (the same sources prepared at another
    size; matched by folder name, e.g. frll -> frll256): no validation person can enter."""
    data = training_data(generator_path) or {}
    keys = set(data.get("keys") or []) | set(data.get("source_keys") or [])
    if not keys:
        raise AffinekitError(f"{generator_path}: the checkpoint does not list its training items; "
                             "the refiner must train on the same people (export it with scripts/export_model.py)")
    folders = [Path(f) for f in folders]
    # the generator's own intensities: measured for a run that measured them, else positions (older files)
    dataset = SequenceDataset(folders[0], keys=sorted(keys), num_targets=2, channels=3, sources=folders[1:],
                              source_keys={str(f): sorted(keys) for f in folders[1:]},
                              intensity=str(data.get("intensity") or "position"))
    if len(dataset) == 0:
        raise AffinekitError(f"none of {generator_path}'s training items is in {', '.join(map(str, folders))}")
    return dataset


@dataclass
class MouthBank:
    """Every training mouth, cut once: the frozen generator's output never changes, so its patches
    are made before training (uint8, (N, 4, 3, s, s): the composite at l, at l - 0.1, the neutral
    mouth, the real mouth) with each one's label, l, greyness and sampling weight."""
    patches: torch.Tensor
    labels: torch.Tensor
    levels: torch.Tensor
    gray: torch.Tensor
    weights: torch.Tensor

    def draw(self, size: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """`size` mouths in [-1, 1] drawn by weight, half of them mirrored."""
        picks = torch.multinomial(self.weights, size, replacement=True, generator=generator)
        patches = to_model_scale(self.patches[picks].float())
        flip = torch.rand(size, generator=generator) < 0.5
        patches[flip] = patches[flip].flip(-1)
        return {"now": patches[:, 0], "before": patches[:, 1], "neutral": patches[:, 2], "real": patches[:, 3],
                "labels": self.labels[picks], "levels": self.levels[picks],
                "before_levels": (self.levels[picks] - TEMPORAL_STEP).clamp(min=0), "gray": self.gray[picks]}


def load_cuts(path: Path, kind: type, shapes: dict[str, tuple[int, ...]], num_labels: int) -> Any:
    """What an earlier run cut once (a `MouthBank`, an exemplar run's `TargetSet`: dataclasses of tensors
    with one row per mouth), read with the safe loader (`safe_load`: tensors only, all finite); None, so
    that it is cut again, when there is no file or it is not `kind`'s rows of these `shapes` (after the
    row: `{"patches": (4, 3, s, s)}`; a field not named is one value per row): an older run's, another
    config's, a damaged or foreign file."""
    if not path.is_file():
        return None
    try:
        saved = safe_load(path)
    except AffinekitError as err:
        print(f"{path}: not reused ({err}); cutting the mouths again")
        return None
    names = [f.name for f in dataclasses.fields(kind)]
    if saved.get("format") != CUTS_FORMAT or not all(isinstance(saved.get(k), torch.Tensor) for k in names):
        return None
    labels, weights = saved["labels"], saved["weights"]
    n = labels.shape[0] if labels.ndim == 1 else 0
    sound = (n > 0 and saved["patches"].dtype == torch.uint8 and not labels.is_floating_point()
             and all(tuple(saved[k].shape) == (n, *shapes.get(k, ())) for k in names)
             and bool(((labels >= 0) & (labels < num_labels)).all()) and bool((weights >= 0).all())
             and float(weights.sum()) > 0)
    return kind(**{k: saved[k] for k in names}) if sound else None


@torch.no_grad()
def cut_bank(generator: torch.nn.Module, dataset: SequenceDataset, cfg: MouthConfig,
             log: Callable[[str], None] = print) -> MouthBank:
    """The mouths of every target frame of every item (a sequence's frames after the first, a pair's
    expression photos), each item weighted by the dataset's balance and shared among its frames."""
    out: dict[str, list[torch.Tensor]] = {k: [] for k in ("patches", "labels", "levels", "gray", "weights")}
    item_weights = torch.as_tensor(dataset.sampling_weights(), dtype=torch.float64)
    for i, entry in enumerate(dataset.entries):
        seq, item = dataset.sequence(entry["key"]), dataset[i]
        frames = tensor_channels(to_model(seq.frames), 3)
        T, size = frames.shape[0], frames.shape[-1]
        pair = entry.get("kind") == "pair"
        levels = torch.ones(T - 1) if pair else torch.arange(1, T) / (T - 1)
        label = item["label"].view(1)
        x0 = frames[:1]
        steps = torch.cat([torch.zeros(1), levels, (levels - TEMPORAL_STEP).clamp(min=0)])
        made = compose(x0, generator.motion(x0, label, steps[None]))[0, 1:]             # (2(T-1), 3, S, S)
        theta = mouth_square(torch.from_numpy(seq.landmarks[:1]).float(), size, cfg)
        cut = lambda images: cut_patches(images, theta.expand(images.shape[0], -1, -1), cfg.size)
        now, before = cut(made[:T - 1]), cut(made[T - 1:])
        neutral, real = cut(x0).expand(T - 1, -1, -1, -1), cut(frames[1:])
        stacked = torch.stack([now, before, neutral, real], 1)
        out["patches"].append(to_pixel_scale(stacked).round().clamp(0, 255).byte())
        out["labels"].append(label.expand(T - 1))
        out["levels"].append(levels)
        out["gray"].append(torch.full((T - 1,), bool(item["gray"])))
        out["weights"].append(torch.full((T - 1,), float(item_weights[i]) / (T - 1), dtype=torch.float64))
        if (i + 1) % 50 == 0:
            log(f"mouths cut: {i + 1}/{len(dataset)} items")
    return MouthBank(*(torch.cat(out[k]) for k in ("patches", "labels", "levels", "gray", "weights")))


class MouthTrainer:
    """The refiner, its discriminator and their optimisers (the generator's part is in the bank)."""

    def __init__(self, cfg: MouthConfig, num_labels: int, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.cfg = cfg
        self.refiner = make_refiner(cfg, num_labels)
        # the discriminator judges luma (like the apex one): half the real mouths are grey, and a
        # colour critic then rewards colour speckle as "detail" on colour faces
        self.disc = PatchDiscriminator(1, num_labels, 32, cfg.size, max_downs=3, images=2)
        self.opt_g = torch.optim.Adam(self.refiner.parameters(), cfg.lr, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), cfg.lr_d, betas=(0.5, 0.999))
        self.gan = GANLoss("lsgan")
        self.step = 0

    def train_step(self, p: dict[str, torch.Tensor]) -> dict[str, float]:
        """One update of the discriminator, then of the refiner, on a `MouthBank.draw`; the logged values."""
        n = p["now"].shape[0]
        mask, residual = self.refiner(torch.cat([p["now"], p["before"]]), torch.cat([p["neutral"]] * 2),
                                      torch.cat([p["labels"]] * 2), torch.cat([p["levels"], p["before_levels"]]))
        refined = paint(torch.cat([p["now"], p["before"]]), mask, residual)
        fake, fake_before = refined[:n], refined[n:]

        d_real, d_fake, g_gan, g_l1, g_coarse = self.adversarial(p, fake)
        cfg = self.cfg
        g_temporal = ((fake - fake_before) - (p["now"] - p["before"])).abs().mean()
        g_mask = mask.mean()
        loss = (cfg.w_l1 * g_l1 + cfg.w_l1_coarse * g_coarse + cfg.w_gan * g_gan + cfg.w_temporal * g_temporal
                + cfg.w_mask * g_mask)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self.step += 1
        # the warp's own L1 to the real mouth: the refiner's is worth reading only beside it
        warp_l1 = l1_luma_where_gray(p["now"], p["real"], p["gray"])
        values = {"M_L1": g_l1, "M_L1_coarse": g_coarse, "M_GAN": g_gan, "M_temporal": g_temporal,
                  "M_mask": g_mask, "D_real": d_real, "D_fake": d_fake, "warp_L1": warp_l1}
        return {"step": self.step, **{k: round(float(v.detach()), 5) for k, v in values.items()}}

    def adversarial(self, p: dict[str, torch.Tensor], fake: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """One update of the luma mouth discriminator on (real, `fake`) mouths, then the refiner's terms
        against the real mouth: (D_real, D_fake, M_GAN, M_L1, M_L1_coarse), shared by both refiners."""
        luma = lambda x: tensor_channels(x, 1)
        d_real = self.gan(self.disc(luma(p["neutral"]), luma(p["real"]), p["labels"]), True)
        d_fake = self.gan(self.disc(luma(p["neutral"]), luma(fake.detach()), p["labels"]), False)
        self.opt_d.zero_grad(set_to_none=True)
        (0.5 * (d_real + d_fake)).backward()
        self.opt_d.step()
        g_gan = self.gan(self.disc(luma(p["neutral"]), luma(fake), p["labels"]), True)
        g_l1 = l1_luma_where_gray(fake, p["real"], p["gray"])
        g_coarse = l1_luma_where_gray(F.avg_pool2d(fake, 4), F.avg_pool2d(p["real"], 4), p["gray"])
        return d_real, d_fake, g_gan, g_l1, g_coarse

    def state(self) -> dict[str, Any]:
        """Everything a resumed run needs (tensors and plain values only)."""
        return {"format": MOUTH_FORMAT, "mouth_config": to_dict(self.cfg), "step": self.step,
                "refiner": self.refiner.state_dict(), "disc": self.disc.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "rng": torch.get_rng_state()}

    def load(self, state: dict[str, Any]) -> None:
        """Continue from `state()`."""
        self.refiner.load_state_dict(state["refiner"])
        self.disc.load_state_dict(state["disc"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.step = int(state["step"])
        torch.set_rng_state(state["rng"])
        # the learning rates are this run's config, not the saved optimiser's (a resume may change them)
        for opt, lr in ((self.opt_g, self.cfg.lr), (self.opt_d, self.cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr


def train_mouth(generator_path: str | Path, folders: Sequence[str | Path], out: str | Path,
                cfg: MouthConfig | None = None, seed: int = 0, checkpoint_every: int = 100,
                snapshot_every: int = 0, progress: Callable[[dict[str, float]], None] | None = None) -> MouthTrainer:
    """Train (or resume) a refiner for the generator at `generator_path` on its own training items
    read from `folders`; logs to out/log.jsonl, checkpoints to out/checkpoints/last.pt (and the
    refiner alone to out/checkpoints/step<N>.pt every `snapshot_every` steps, when not 0)."""
    run = RunFolder(out)
    generator, _ = load_generator(generator_path)
    if not generator.moves:
        raise AffinekitError(f"{generator_path}: the mouth refiner needs a motion-head generator")
    last = run.checkpoint_path
    state = safe_load(last) if last.is_file() else None
    cfg = from_dict(MouthConfig, state["mouth_config"]) if state and cfg is None else (cfg or MouthConfig())
    dataset = generator_items(generator_path, folders)
    trainer = MouthTrainer(cfg, generator.cfg.num_labels, seed)
    if state:
        trainer.load(state)
    run.path.mkdir(parents=True, exist_ok=True)
    bank_path = run.path / "bank.pt"        # the cut mouths: a resumed run need not cut them again
    bank = load_cuts(bank_path, MouthBank, {"patches": (4, 3, cfg.size, cfg.size)}, generator.cfg.num_labels)
    if bank is None:
        bank = cut_bank(generator, dataset, cfg)
        atomic_save({"format": CUTS_FORMAT, **vars(bank)}, bank_path, within=run.path)
    run.write_config({"mouth": to_dict(cfg), "generator": str(generator_path), "folders": [str(f) for f in folders],
                      "items": len(dataset), "mouths": int(bank.labels.shape[0]), "seed": seed})
    draws = torch.Generator().manual_seed(seed * 100003 + trainer.step)
    # a run killed after its last checkpoint logged steps it now redoes: drop them (and a half-written line)
    run.start_log(resumed_at=trainer.step if state else None)
    with run.open_log() as log:
        while trainer.step < cfg.steps:
            start = time.perf_counter()
            record = trainer.train_step(bank.draw(cfg.batch_size, draws))
            record["seconds"] = round(time.perf_counter() - start, 3)
            run.write_row(log, record)
            if progress:
                progress(record)
            if trainer.step % checkpoint_every == 0 or trainer.step == cfg.steps:
                atomic_save(trainer.state(), last, within=run.path)
            if snapshot_every and trainer.step % snapshot_every == 0:   # to choose a step on validation people
                atomic_save({"format": MOUTH_FORMAT, "mouth_config": to_dict(cfg), "step": trainer.step,
                             "refiner": trainer.refiner.state_dict()}, run.checkpoint_path.with_name(f"step{trainer.step}.pt"),
                            within=run.path)
    return trainer

