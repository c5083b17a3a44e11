"""Training the hidden-affine GAN: the loop, checkpoints, resume, DDP.

Around it: `gan_step` (the one object a step changes: G, the discriminators, their
optimizers; `GANStep.step` is one training step), `runtime` (devices, ranks),
`batches` (the batch of a step), `callbacks` (progress, time budget, samples),
`spec` (configs, the sequences to train on: the run spec) and `run` (`train()`,
the one entry).

The batch of step s is a pure function of (seed, s, rank): indices and the
dataset's own randomness (frame choice, augmentation) are drawn under RNGs
seeded from those numbers, so a resumed run sees exactly the batches an
uninterrupted one would, whatever the workers or restarts.

Under `torchrun --nproc_per_node=N` every process trains on its shard of each
step's batch inside DistributedDataParallel; only rank 0 logs, samples, calls
callbacks and writes files.
"""
from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

import torch
import torch.distributed as dist

from affinekit.config import ModelConfig, TrainConfig, to_dict
from affinekit.errors import AffinekitError
from affinekit.io.run_folder import RunFolder
from affinekit.models.prior import dataset_fields
from affinekit.seeds import rng_state, seeded, set_rng_state, step_seed
from affinekit.training.batches import StepBatches, collate, resize_batch
from affinekit.training.gan_step import GANStep
from affinekit.training.runtime import setup_distributed
from affinekit.weights.checkpoint import FORMAT, atomic_save, safe_load, save_generator_only

# ---------------------------------------------------------------------------
# the trainer


class Trainer:
    """Trains a Generator and its discriminators on a SequenceDataset-like data set.

    `train_dataset[i]` gives {"x0", "targets", "positions", "label", "masks", ...}
    as in docs/architecture.md. `out_dir` is a run folder (`io.run_folder.RunFolder`:
    config.json, log.jsonl, checkpoints/last.pt, samples/ with SampleSaver, generator.pt at the end).
    Callbacks implement any of on_step(trainer, step, logs),
    on_sample(trainer, step, frames (B,T,C,H,W) in [-1,1]) and on_end(trainer).
    """

    def __init__(self, model_cfg: ModelConfig, train_cfg: TrainConfig, train_dataset: Any,
                 out_dir: str | Path, callbacks: Sequence[Any] = (), data_info: dict[str, Any] | None = None,
                 balance: bool = False, apex_pool: Any = None):
        self.model_cfg, self.train_cfg = model_cfg, train_cfg
        self.dataset = train_dataset
        self.run = RunFolder(out_dir)
        self.out_dir = self.run.path
        self.callbacks = list(callbacks)
        self.data_info = dict(data_info or {})
        self.dist, self.device = setup_distributed(train_cfg.device)
        if len(train_dataset) == 0:
            raise AffinekitError(f"{self.data_info.get('prepared', 'training data')}: no labelled sequences to train on")
        self._check_data(train_dataset[0])

        # G, the discriminators, their optimizers: one object, seeded from train.seed (the same on every rank)
        self.model = GANStep(model_cfg, train_cfg, self.device, self.dist, apex_pool)
        self.discriminators = self.model.discriminators

        weights = train_dataset.sampling_weights() if balance and hasattr(train_dataset, "sampling_weights") else None
        self.batches = StepBatches(train_dataset, train_cfg.batch_size, model_cfg.image_size, train_cfg.seed,
                                   self.dist.rank, self.dist.world, weights=weights)
        self.step = 0                      # steps completed
        self.last_logs: dict[str, float] = {}
        self._stop = False                 # Ctrl-C: save and raise KeyboardInterrupt
        self._finish = False               # request_stop(): save and return normally

    @property
    def generator(self) -> Any:
        """The generator that is scored, sampled and exported (`GANStep.in_use`: the weight average with
        `train.average_decay` > 0, else the trained one, `self.model.generator`)."""
        return self.model.in_use

    @property
    def checkpoint_path(self) -> Path:
        return self.run.checkpoint_path

    @property
    def log_path(self) -> Path:
        return self.run.log_path

    def _check_data(self, item: dict[str, Any]) -> None:
        c = int(torch.as_tensor(item["x0"]).shape[0])
        if c != self.model_cfg.channels:
            raise AffinekitError(
                f"{self.data_info.get('prepared', 'training data')}: frames have {c} channel(s) but "
                f"model.channels={self.model_cfg.channels}; set model.channels={c} or prepare the data "
                f"{'without' if self.model_cfg.channels == 3 else 'with'} --gray")

    def fit_prior(self) -> None:
        """The motion head's starting field: each label's mean landmark motion over every paired item
        (zero with `model.prior=off`: the field is then the learned part alone)."""
        cfg = self.model_cfg
        prior = dataset_fields(self.dataset, cfg.num_labels, cfg.image_size) if cfg.prior == "on" else None
        self.model.set_prior(prior if prior is not None else torch.zeros_like(self.generator.prior))

    def train_step(self, batch: dict[str, Any], step: int) -> dict[str, float]:
        """One D and one G update on `batch`: `self.model.step` (`gan_step.GANStep`)."""
        return self.model.step(batch, step)

    # -- the loop -------------------------------------------------------------
    def fit(self, resume: bool = False, state: dict[str, Any] | None = None) -> "Trainer":
        """Train up to `train_cfg.steps` (continuing from checkpoints/last.pt with `resume`; `state`:
        that checkpoint already read, so that it is not read twice)."""
        cfg = self.train_cfg
        self._stop = self._finish = False
        if resume:
            self.load_checkpoint(self.checkpoint_path, state)
        elif self.step == 0 and self.generator.moves:
            self.fit_prior()
        if not resume and self.step == 0 and self.model.uses_expression and cfg.expression_warmup > 0:
            accuracy = self.model.warm_expression(cfg.expression_warmup)
            if self.dist.main:
                print(f"expression classifier: {cfg.expression_warmup} steps on the real apex faces, "
                      f"accuracy {accuracy:.2f} over the last tenth", flush=True)
        if self.dist.main and self.step == 0:
            self._call("on_start")        # the model at step 0, before any update (e.g. held-out scoring)
        if self.dist.main:
            self._start_files(resume)
        sample_batch = self._sample_batch() if self.dist.main else None
        log_file = self.run.open_log() if self.dist.main else None
        loader = self._loader(self.step, cfg.steps)
        previous = self._install_sigint()
        try:
            for step in range(self.step + 1, cfg.steps + 1):
                t0 = time.perf_counter()
                logs = self.model.step(next(loader), step)
                logs["step_time"] = time.perf_counter() - t0     # data + one D and one G update
                logs = self._reduce(logs)
                self.step, self.last_logs = step, logs
                if self.dist.main:
                    if step % cfg.log_every == 0 or step == cfg.steps:
                        self.run.write_row(log_file, {"step": step, **logs})
                    self._call("on_step", step, logs)
                    if cfg.sample_every and step % cfg.sample_every == 0:
                        self._call("on_sample", step, self.sample(sample_batch))
                if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.steps:
                    self.save_checkpoint()
                self._sync_flags()
                if self._stop:
                    raise KeyboardInterrupt
                if self._finish:
                    break
            self.save_checkpoint()
            if self.dist.main:
                self.save_generator_only(self.run.generator_path)
        except KeyboardInterrupt:
            # Interrupts land between steps (a flag): the weights match self.step, a resume continues exactly.
            self.save_checkpoint()
            if self.dist.main:
                print(f"\ninterrupted after step {self.step}; checkpoint saved to {self.checkpoint_path}; "
                      "continue with --resume", flush=True)
            raise
        finally:
            for sig, handler in (previous or {}).items():
                signal.signal(sig, handler)
            if log_file is not None:
                log_file.close()
            if self.dist.main:
                self._call("on_end")
        return self

    def request_stop(self) -> None:
        """End `fit` after the current step as if it were the last (e.g. from a callback)."""
        self._finish = True

    def _loader(self, start: int, stop: int) -> Iterator[dict[str, Any]]:
        steps = range(start + 1, stop + 1)
        if self.train_cfg.num_workers > 0:
            return iter(torch.utils.data.DataLoader(self.batches, batch_size=None, sampler=steps,
                                                    num_workers=self.train_cfg.num_workers))
        return (self.batches[s] for s in steps)

    def _reduce(self, logs: dict[str, float]) -> dict[str, float]:
        """Average the step's scalars over ranks, so rank 0 logs the whole batch."""
        if not self.dist.enabled:
            return logs
        keys = sorted(logs)
        t = torch.tensor([logs[k] for k in keys], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return {k: float(v) / self.dist.world for k, v in zip(keys, t.tolist())}

    def _sync_flags(self) -> None:
        """Share Ctrl-C / request_stop between ranks, so all stop after the same step."""
        if self.dist.enabled:
            t = torch.tensor([float(self._stop), float(self._finish)], device=self.device)
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
            self._stop, self._finish = bool(t[0].item()), bool(t[1].item())

    def _install_sigint(self) -> Any:
        """First Ctrl-C (or SIGTERM, as `kill` and job schedulers send): finish the step, save, stop.
        Only the main thread may own signals. Returns the handlers to put back."""
        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum: int, frame: Any) -> None:
            if self._stop:                      # second Ctrl-C: stop right now
                raise KeyboardInterrupt
            self._stop = True

        return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(self, *args)

    # -- samples --------------------------------------------------------------
    def _sample_batch(self, count: int = 4) -> dict[str, Any]:
        """A fixed few sequences to draw samples from during training."""
        with seeded(step_seed(self.train_cfg.seed, 0, 999)):
            items = [self.dataset[i] for i in range(min(count, len(self.dataset)))]
        return resize_batch(collate(items), self.model_cfg.image_size)

    @torch.no_grad()
    def sample(self, batch: dict[str, Any], frames: int = 6) -> torch.Tensor:
        """Clips (B, frames, C, H, W) in [-1, 1] on the CPU, neutral to apex, for `batch`'s x0 and labels."""
        x0 = batch["x0"].to(self.device).float()
        clip = self.generator.generate(x0, batch["label"].to(self.device), torch.linspace(0, 1, frames))
        return clip.cpu()

    # -- files: the run folder (config.json, log.jsonl) and the checkpoint -----------------
    def _start_files(self, resume: bool) -> None:
        self.run.write_config({"model": to_dict(self.model_cfg), "train": to_dict(self.train_cfg),
                               "data": self.data_info, "world_size": self.dist.world})
        self.run.start_log(self.step if resume else None)

    def state_dict(self) -> dict[str, Any]:
        """The whole training state: tensors and plain values only."""
        return {
            "format": FORMAT, "step": self.step,
            "model_config": to_dict(self.model_cfg), "train_config": to_dict(self.train_cfg),
            "data": self.data_info,     # what it trains on, inside the file: exports and evaluation read it here
            **self.model.state_dict(), "rng": rng_state(),     # generator, discriminators, opt_g, opt_d
            # The sampler has no hidden state: step s's batch comes from (seed, s, rank).
            "sampler": {"seed": self.train_cfg.seed, "step": self.step, "batch_size": self.train_cfg.batch_size,
                        "world_size": self.dist.world},
        }

    def save_checkpoint(self, path: str | Path | None = None) -> Path | None:
        """Write the training state atomically (rank 0 only; others return None)."""
        if not self.dist.main:
            return None
        return atomic_save(self.state_dict(), path or self.checkpoint_path, within=None if path else self.run.path)

    def load_checkpoint(self, path: str | Path, state: dict[str, Any] | None = None) -> None:
        """Restore a state written by `save_checkpoint` (for --resume): `state`, or read from `path`."""
        path = Path(path)
        if state is None and not path.is_file():
            raise AffinekitError(f"{path}: no checkpoint to resume from; drop --resume to start a fresh run")
        ckpt = state if state is not None else safe_load(path, map_location=self.device)
        if ckpt.get("format") != FORMAT:
            raise AffinekitError(f"{path}: holds a generator export, not a training state; it cannot be resumed")
        if ckpt["model_config"] != to_dict(self.model_cfg):
            raise AffinekitError(f"{path}: was trained with another model config; resume with the run's own "
                                 "config (drop model.* overrides) or train into a new --out folder")
        self.model.load_state_dict(ckpt)
        set_rng_state(ckpt["rng"])
        self.step = int(ckpt["step"])

    def save_generator_only(self, path: str | Path, half: bool = False) -> Path | None:
        """Export the generator's weights and config (rank 0 only)."""
        if not self.dist.main:
            return None
        return save_generator_only(self.generator, self.model_cfg, path, half=half, data=self.data_info)

