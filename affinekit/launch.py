"""Starting a training run: configs from a JSON file and `--set`, the sequences to train on, the run itself.

`train(prepared, out, ...)` is the one entry every run goes through: the
command line, notebook 03 and evaluation's per-fold models.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

from affinekit.config_check import check_mapping, check_values
from affinekit.config import DataConfig, ModelConfig, TrainConfig, from_dict, load_json_config, override_values
from affinekit.data.apex import ApexPool, discriminator_keys
from affinekit.data.checks import check_prepared_folder
from affinekit.data.dataset import SequenceDataset, subject_kfold, subject_split, validation_split
from affinekit.data.prepared import entry_kind, load_manifest
from affinekit.errors import AffinekitError
from affinekit.train import Trainer


SECTIONS = {"model": ModelConfig, "train": TrainConfig, "data": DataConfig}


def resolve_configs(config_file: str | None, overrides: Sequence[str]) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """Configs per section from a JSON file and `section.key=value` overrides, plus the keys the user set."""
    try:
        raw = load_json_config(config_file) if config_file else {}
        raw = check_mapping(raw, f"{config_file}: the config")
    except (FileNotFoundError, ValueError) as err:
        raise AffinekitError(str(err)) from None
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise AffinekitError(f"{config_file}: unknown section(s) {', '.join(unknown)}; use model, train, data")
    per_section: dict[str, list[str]] = {name: [] for name in SECTIONS}
    for item in overrides:
        section, _, rest = item.partition(".")
        if section not in SECTIONS or not rest:
            raise AffinekitError(f"--set {item}: expected section.key=value with section one of model, train, data")
        per_section[section].append(rest)
    configs: dict[str, Any] = {}
    user_keys: dict[str, set[str]] = {}
    for name, cls in SECTIONS.items():
        try:
            # the file's values and --set's checked as one config: `{"model": {"image_size": 16}}` with
            # `--set model.depth=2` is valid although 16 px is not at the default depth
            configs[name] = cls(**{**check_values(cls, raw.get(name, {})), **override_values(cls, per_section[name])})
        except (TypeError, ValueError) as err:
            raise AffinekitError(f"{name} config: {err}") from None
        user_keys[name] = set(raw.get(name, {})) | {s.split("=", 1)[0] for s in per_section[name]}
    return configs, user_keys


def train(prepared_dir: str | Path, out_dir: str | Path, model_cfg: ModelConfig | None = None,
          train_cfg: TrainConfig | None = None, data_cfg: DataConfig | None = None,
          keys: Sequence[str] | None = None, callbacks: Sequence[Any] = (), resume: bool = False) -> Trainer:
    """Train on a prepared folder (all labelled sequences, or only `keys`) and `data.sources`; return the Trainer.

    Model channels default to the prepared data's; frames are resized on the
    fly when the prepared size differs from model.image_size. With
    `data.hold_out` each source keeps its validation people out of training.
    """
    manifest = load_manifest(prepared_dir)
    data_cfg = data_cfg or DataConfig()
    for folder in [prepared_dir, *data_cfg.sources]:   # sizes, dtypes, finite landmarks: before any step
        check_prepared_folder(folder, manifest if folder == prepared_dir else load_manifest(folder))
    model_cfg = model_cfg or ModelConfig(channels=int(manifest.get("config", {}).get("channels", 1)))
    train_cfg = train_cfg or TrainConfig()
    sources = [str(s) for s in data_cfg.sources]
    source_keys = {s: validation_split(s, data_cfg.validation_fraction, data_cfg.seed)[0]
                   for s in sources} if data_cfg.hold_out else None
    dataset = SequenceDataset(prepared_dir, keys=list(keys) if keys is not None else None,
                              num_targets=data_cfg.num_targets, augment=data_cfg.augment, seed=data_cfg.seed,
                              channels=model_cfg.channels, sources=sources, source_keys=source_keys)
    apex = ApexPool.from_folders([prepared_dir] + sources, dataset.keys + apex_keys(sources, data_cfg),
                                 model_cfg.channels) if train_cfg.w_apex > 0 else None
    info = {"prepared": str(prepared_dir), "num_targets": data_cfg.num_targets, "augment": data_cfg.augment,
            "seed": data_cfg.seed, "sequences": len(dataset), "keys": list(keys) if keys is not None else None,
            "balance": data_cfg.balance}
    if sources:
        info.update(sources=sources, sources_dropped=dataset.dropped,
                    source_keys=[e["key"] for e in dataset.entries if e["dir"] != str(dataset.dir)],
                    validation_fraction=data_cfg.validation_fraction if data_cfg.hold_out else None)
    if apex is not None:
        info.update(apex_faces=len(apex), apex_keys=apex.keys)
    trainer = Trainer(model_cfg, train_cfg, dataset, out_dir, callbacks=callbacks, data_info=info,
                      balance=data_cfg.balance, apex_pool=apex)
    return trainer.fit(resume=resume)


def apex_keys(sources: Sequence[str], data_cfg: DataConfig) -> list[str]:
    """Keys of the sources' unpaired apex items that the apex discriminator may see: CK+48's
    discriminator people (never the classifier's training or test people)."""
    keys: list[str] = []
    for source in sources:
        # CK+48's people out of the discriminator's role (the classifier's, its test people) stay out
        keys += discriminator_keys([e for e in load_manifest(source)["sequences"] if entry_kind(e) == "apex"])
    return keys


def training_keys(prepared_dir: str | Path, data_cfg: DataConfig) -> list[str] | None:
    """The sequences of the main folder to train on: all (None), or with `data.hold_out` the training
    subjects of the subject split (`data.test_fraction`, `data.seed`) or of fold `data.fold` of
    `data.folds`, the same split `affinekit evaluate --protocol subject` tests on."""
    if not data_cfg.hold_out:
        return None
    if data_cfg.folds > 1:
        if not 0 <= data_cfg.fold < data_cfg.folds:
            raise AffinekitError(f"data.fold must be in 0..{data_cfg.folds - 1}, got {data_cfg.fold}")
        return list(subject_kfold(prepared_dir, data_cfg.folds, data_cfg.seed)[data_cfg.fold][0])
    return list(subject_split(prepared_dir, data_cfg.test_fraction, data_cfg.seed)[0])


def trainer_from_run(run_dir: str | Path) -> Trainer:
    """A Trainer rebuilt from a run folder (its config.json and checkpoints/last.pt), on the same
    training items and apex faces, for looking at its discriminators; nothing is trained."""
    import json

    run_dir = Path(run_dir)
    config = json.loads((run_dir / "config.json").read_text())
    model_cfg, train_cfg = from_dict(ModelConfig, config["model"]), from_dict(TrainConfig, config["train"])
    info = config["data"]
    chosen = set(info.get("source_keys") or [])
    sources = list(info.get("sources") or [])
    source_keys = {s: [e["key"] for e in load_manifest(s)["sequences"] if e["key"] in chosen] for s in sources}
    dataset = SequenceDataset(info["prepared"], keys=info.get("keys"), num_targets=info["num_targets"],
                              augment=False, seed=info["seed"], channels=model_cfg.channels,
                              sources=sources, source_keys=source_keys)
    apex = ApexPool.from_folders([info["prepared"]] + sources, info["apex_keys"], model_cfg.channels) \
        if info.get("apex_keys") else None
    trainer = Trainer(model_cfg, dataclasses.replace(train_cfg, device="cpu", init_from=""), dataset,
                      run_dir, data_info=info, balance=bool(info.get("balance")), apex_pool=apex)
    trainer.load_checkpoint(trainer.checkpoint_path)
    return trainer
