"""Running a training run from its spec (`spec.run_spec`): the data sets it reads, the Trainer, the run.

`train_run(spec, out)` is what every run goes through: the command line,
notebook 03, the experiments of notebook 06 and, through a `FoldTrainer` handed
to evaluation from above, the per-fold models of `affinekit evaluate --train-steps`.
`train(prepared, out, ...)` is its short form for callers holding config objects.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

from affinekit.config import DataConfig, ModelConfig, TrainConfig, from_dict
from affinekit.data.apex import ApexPool, discriminator_keys
from affinekit.data.checks import check_prepared_folder
from affinekit.data.dataset import SequenceDataset, validation_split
from affinekit.data.intensity import MIN_TEACHING_INTENSITY
from affinekit.data.prepared import entry_kind, load_manifest
from affinekit.io.run_folder import RunFolder
from affinekit.training.loop import Trainer
from affinekit.training.spec import RunSpec, run_spec


def train(prepared_dir: str | Path, out_dir: str | Path, model_cfg: ModelConfig | None = None,
          train_cfg: TrainConfig | None = None, data_cfg: DataConfig | None = None,
          keys: Sequence[str] | None = None, callbacks: Sequence[Any] = (), resume: bool = False) -> Trainer:
    """Train on a prepared folder with these configs (None: the defaults, with the data's channels) on
    all labelled sequences, or only `keys`; return the Trainer. The spec is `spec.run_spec`'s."""
    spec = run_spec(prepared_dir, model=model_cfg, train=train_cfg, data=data_cfg, keys=keys,
                    resume_from=RunFolder(out_dir) if resume else None)
    return train_run(spec, out_dir, callbacks)


def train_run(spec: RunSpec, out_dir: str | Path, callbacks: Sequence[Any] = ()) -> Trainer:
    """Train `spec` into the run folder `out_dir` (continuing from `spec.resume_state` when it has one);
    return the Trainer.

    Frames are resized on the fly when the prepared size differs from model.image_size. With
    `data.hold_out` each source of `data.sources` keeps its validation people out of training.
    """
    prepared, model_cfg, train_cfg, data_cfg, keys = spec.prepared, spec.model, spec.train, spec.data, spec.keys
    if prepared is None:
        raise ValueError("train_run needs a spec with a prepared folder (run_spec(prepared, ...))")
    manifest = load_manifest(prepared)
    for folder in [prepared, *data_cfg.sources]:   # sizes, dtypes, finite landmarks: before any step
        check_prepared_folder(folder, manifest if folder == prepared else load_manifest(folder))
    sources = [str(s) for s in data_cfg.sources]
    source_keys = {s: validation_split(s, data_cfg.validation_fraction, data_cfg.seed)[0]
                   for s in sources} if data_cfg.hold_out else None
    dataset = SequenceDataset(prepared, keys=keys, num_targets=data_cfg.num_targets, augment=data_cfg.augment,
                              seed=data_cfg.seed, channels=model_cfg.channels, sources=sources, source_keys=source_keys,
                              intensity=data_cfg.intensity)
    for source, n in sorted(dataset.weak.items()):
        print(f"{source or prepared}: {n} item(s) move their landmarks at most {MIN_TEACHING_INTENSITY} along "
              "their expression; left out (data.intensity=position keeps them)")
    apex = ApexPool.from_folders([prepared] + sources, dataset.keys + apex_keys(sources),
                                 model_cfg.channels) if train_cfg.w_apex > 0 else None
    info = {"prepared": str(prepared), "num_targets": data_cfg.num_targets, "augment": data_cfg.augment,
            "seed": data_cfg.seed, "sequences": len(dataset), "keys": keys, "balance": data_cfg.balance,
            "intensity": data_cfg.intensity, "weak_items": dataset.weak}
    if sources:
        info.update(sources=sources, sources_dropped=dataset.dropped,
                    source_keys=[e["key"] for e in dataset.entries if e["dir"] != str(dataset.dir)],
                    validation_fraction=data_cfg.validation_fraction if data_cfg.hold_out else None)
    if apex is not None:
        info.update(apex_faces=len(apex), apex_keys=apex.keys)
    trainer = Trainer(model_cfg, train_cfg, dataset, out_dir, callbacks=callbacks, data_info=info,
                      balance=data_cfg.balance, apex_pool=apex)
    return trainer.fit(resume=spec.resume_state is not None, state=spec.resume_state)


def apex_keys(sources: Sequence[str]) -> list[str]:
    """Keys of the sources' unpaired apex items that the apex discriminator may see: CK+48's
    discriminator people (never the classifier's training or test people)."""
    keys: list[str] = []
    for source in sources:
        # CK+48's people out of the discriminator's role (the classifier's, its test people) stay out
        keys += discriminator_keys([e for e in load_manifest(source)["sequences"] if entry_kind(e) == "apex"])
    return keys


def trainer_from_run(run_dir: str | Path) -> Trainer:
    """A Trainer rebuilt from a run folder (its config.json and checkpoints/last.pt), on the same
    training items and apex faces, for looking at its discriminators; nothing is trained."""
    run = RunFolder(run_dir)
    config = run.read_config()
    model_cfg, train_cfg = from_dict(ModelConfig, config["model"]), from_dict(TrainConfig, config["train"])
    info = config["data"]
    chosen = set(info.get("source_keys") or [])
    sources = list(info.get("sources") or [])
    source_keys = {s: [e["key"] for e in load_manifest(s)["sequences"] if e["key"] in chosen] for s in sources}
    dataset = SequenceDataset(info["prepared"], keys=info.get("keys"), num_targets=info["num_targets"],
                              augment=False, seed=info["seed"], channels=model_cfg.channels,
                              sources=sources, source_keys=source_keys, intensity=info.get("intensity", "position"))
    apex = ApexPool.from_folders([info["prepared"]] + sources, info["apex_keys"], model_cfg.channels) \
        if info.get("apex_keys") else None
    trainer = Trainer(model_cfg, dataclasses.replace(train_cfg, device="cpu", init_from=""), dataset,
                      run.path, data_info=info, balance=bool(info.get("balance")), apex_pool=apex)
    trainer.load_checkpoint(run.checkpoint_path)
    return trainer


@dataclasses.dataclass
class FoldTrainer:
    """A fresh model per fold, trained on that fold's training keys only, configs as `affinekit train`
    takes them (`image_size` unless the configs set model.image_size). Evaluation calls it as
    `train_fold(train_keys, out_dir) -> generator` and never imports training itself: the command
    (or a notebook) builds it and hands it down."""
    prepared_dir: str | Path
    steps: int
    image_size: int = 64
    device: str = "cpu"
    seed: int = 0
    config_file: str | None = None
    overrides: Sequence[str] = ()

    @property
    def description(self) -> str:
        return f"{self.steps} steps"

    def __call__(self, train_keys: Sequence[str], out_dir: Path) -> Any:
        every = max(self.steps, 1)
        spec = run_spec(self.prepared_dir, self.config_file, self.overrides, keys=train_keys,
                        defaults={"model": dict(image_size=self.image_size)},
                        forced={"train": dict(steps=self.steps, device=self.device, seed=self.seed,
                                              checkpoint_every=every, sample_every=every)})
        return train_run(spec, out_dir).generator
