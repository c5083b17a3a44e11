"""One run spec: everything a training run is started from, resolved in one place.

`run_spec` takes each source of a value, in this order, later ones winning:
  1. the dataclass defaults with the caller's `defaults`, or the caller's own config objects
     (`model=`, `train=`, `data=`: every field of one counts as set by the user);
  2. a JSON config file (`--config`), with old field names still read (`config_check.RENAMED`);
  3. `--set section.key=value` overrides;
  4. the prepared data's channels, for `model.channels`, unless the user set it or passed a model;
  5. values the caller fixes (`forced`: a fold model's steps, an experiment's sizes) and `--device`;
  6. `--resume`: the run's own model and train configs from its checkpoint, the user's `train.*`
     overrides on top (each said in one line), a differing `model.*` override refused; the
     sequences it started on. The checkpoint is read here once and handed on to the Trainer.
The sequences to train on are the caller's `keys`, else with `data.hold_out` the training side
of the subject split (`data.dataset.subject_splits`), else all.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Sequence

from affinekit.config import DataConfig, ModelConfig, TrainConfig, load_json_config, override_values
from affinekit.config_check import check_mapping, check_values, current_names
from affinekit.data.dataset import subject_splits
from affinekit.data.prepared import load_manifest
from affinekit.errors import AffinekitError
from affinekit.io.run_folder import RunFolder
from affinekit.training.resume import resumed_configs
from affinekit.weights.checkpoint import safe_load

SECTIONS = {"model": ModelConfig, "train": TrainConfig, "data": DataConfig}


@dataclasses.dataclass
class RunSpec:
    """What `training.run.train_run` needs: the data, the three configs, the sequences and, for a resumed
    run, the training state it continues from (read once)."""
    prepared: Path | None                    # None: a spec of configs alone (no data read)
    model: ModelConfig
    train: TrainConfig
    data: DataConfig
    keys: list[str] | None = None             # sequences of `prepared` to train on (None: every labelled one)
    resume_state: dict[str, Any] | None = None


def resolve_configs(config_file: str | None, overrides: Sequence[str],
                    base: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """Configs per section: `base` (or the defaults), then a JSON file, then `section.key=value`
    overrides; plus the keys the user set (in the file or with --set)."""
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
        start = (base or {}).get(name) or cls()
        try:
            from_file = check_values(cls, raw.get(name, {}))
            # the file's values and --set's checked as one config: `{"model": {"image_size": 16}}` with
            # `--set model.depth=2` is valid although 16 px is not at the default depth
            configs[name] = dataclasses.replace(start, **{**from_file, **override_values(cls, per_section[name])})
        except (TypeError, ValueError) as err:
            raise AffinekitError(f"{name} config: {err}") from None
        user_keys[name] = set(from_file) | {key for item in per_section[name]
                                            for key in current_names(name, dict([item.split("=", 1)]))}
    return configs, user_keys


def run_spec(prepared: str | Path | None, config_file: str | None = None, overrides: Sequence[str] = (), *,
             model: ModelConfig | None = None, train: TrainConfig | None = None, data: DataConfig | None = None,
             defaults: dict[str, dict[str, Any]] | None = None, forced: dict[str, dict[str, Any]] | None = None,
             keys: Sequence[str] | None = None, device: str | None = None, resume_from: RunFolder | None = None,
             log: Callable[[str], None] = print) -> RunSpec:
    """The run spec of a training run on `prepared` (None: configs only, no data read); the order in
    which each source of a value applies is the module's docstring."""
    given = {"model": model, "train": train, "data": data}
    base = {name: given[name] or _replaced(cls(), name, (defaults or {}).get(name, {}))
            for name, cls in SECTIONS.items()}
    configs, user_keys = resolve_configs(config_file, overrides, base)
    for name, cfg in given.items():
        if cfg is not None:                   # a config object passed in is the caller's choice, every field
            user_keys[name] |= {f.name for f in dataclasses.fields(cfg)}
    manifest = load_manifest(prepared) if prepared is not None else None
    if manifest is not None and "channels" not in user_keys["model"]:
        channels = int(manifest.get("config", {}).get("channels", configs["model"].channels))
        configs["model"] = dataclasses.replace(configs["model"], channels=channels)
    for name, values in (forced or {}).items():
        configs[name] = _replaced(configs[name], name, values)
    if device:
        configs["train"] = dataclasses.replace(configs["train"], device=device)
    state = None
    if resume_from is not None:
        path = resume_from.checkpoint_path
        if not path.is_file():
            raise AffinekitError(f"{path}: no checkpoint to resume from; drop --resume to start a fresh run")
        state = safe_load(path)
        configs["model"], configs["train"] = resumed_configs(state, path, configs, user_keys, device, log)
    if keys is None and prepared is not None:
        keys = training_keys(prepared, configs["data"])
    if state is not None:       # a resumed run keeps the sequences it started on, as its checkpoint says
        keys = (state.get("data") or {}).get("keys", keys)
    return RunSpec(Path(prepared) if prepared is not None else None, configs["model"], configs["train"],
                   configs["data"], list(keys) if keys is not None else None, state)


def _replaced(cfg: Any, section: str, values: dict[str, Any]) -> Any:
    try:
        return dataclasses.replace(cfg, **values)
    except ValueError as err:
        raise AffinekitError(f"{section} config: {err}") from None


def training_keys(prepared_dir: str | Path, data_cfg: DataConfig) -> list[str] | None:
    """The sequences of the main folder to train on: all (None), or with `data.hold_out` the training
    subjects of the subject split (`data.test_fraction`, `data.seed`) or of fold `data.fold` of
    `data.folds`: the split `affinekit evaluate --protocol subject` tests on."""
    if not data_cfg.hold_out:
        return None
    splits = subject_splits(prepared_dir, data_cfg.test_fraction, data_cfg.seed, data_cfg.folds)
    return list(splits[data_cfg.fold if data_cfg.folds > 1 else 0][0])
