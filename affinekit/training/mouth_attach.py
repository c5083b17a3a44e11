"""A trained mouth stage put inside a copy of its generator's file, and where such a file may be written
(never over an input: a manifest, a photo, a run's checkpoint, a read-only file)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

from affinekit.config import MouthConfig, from_dict
from affinekit.errors import AffinekitError
from affinekit.io.atomic import atomic_write_text
from affinekit.io.clashes import same_file
from affinekit.io.destinations import writable_file
from affinekit.io.json_values import read_json
from affinekit.models.mouth_exemplar import ExemplarRefiner, make_refiner
from affinekit.training.mouth_bank import load_bank, without_people
from affinekit.training.mouth_exemplar import banked_config
from affinekit.weights.checkpoint import FORMAT, load_generator, safe_load, save_generator_only, training_data


def attach_mouth(generator_path: str | Path, mouth_checkpoint: str | Path, out: str | Path,
                 bank_path: str | Path | None = None) -> Path:
    """A generator export with the trained refiner inside (float16, like the bundled files); with
    `bank_path` (the bank the refiner was trained with), the names of the bank's people go in too."""
    generator, model_cfg = load_generator(generator_path)
    state = safe_load(mouth_checkpoint)
    refiner = make_refiner(from_dict(MouthConfig, state["mouth_config"]), model_cfg.num_labels)
    refiner.load_state_dict(state["refiner"])
    if bank_path is not None:
        refiner.bank_names = [str(n) for n in load_bank(bank_path)["names"]]
    generator.mouth = refiner
    return save_generator_only(generator, model_cfg, out, half=True, data=training_data(generator_path))


def move_mouth(generator_path: str | Path, donor_path: str | Path) -> Path:
    """Put the mouth stage of the generator export `donor_path` into the export `generator_path` (in
    place, float16), and the donor's JSON record of that stage into `generator_path`'s JSON, marked as
    moved. The stage is trained behind a frozen generator, so it can serve another one with the same
    crop and labels; how well is for the teeth benchmark to say (`benchmarks/teeth.py`)."""
    generator, model_cfg = load_generator(generator_path)
    donor, donor_cfg = load_generator(donor_path)
    if donor.mouth is None:
        raise AffinekitError(f"--mouth-from {donor_path}: has no mouth stage; name a generator that has one "
                             "(the bundled affinekit_default.pt has)")
    if (donor_cfg.image_size, donor_cfg.num_labels) != (model_cfg.image_size, model_cfg.num_labels):
        raise AffinekitError(f"--mouth-from {donor_path}: its crop ({donor_cfg.image_size} px) or labels "
                             f"({donor_cfg.num_labels}) differ from the export's; name a generator made like it")
    generator.mouth = donor.mouth                   # its bank's people's names travel with it
    out = save_generator_only(generator, model_cfg, generator_path, half=True, data=training_data(generator_path))
    record_path, donor_record = Path(generator_path).with_suffix(".json"), Path(donor_path).with_suffix(".json")
    if record_path.is_file() and donor_record.is_file():
        record = read_json(record_path, "export the generator again with scripts/export_model.py")
        mouth = read_json(donor_record, "name a donor whose .json is its export's").get("mouth")
        if mouth is not None:
            record["mouth"] = dict(mouth, moved_from=str(donor_path))
            atomic_write_text(record_path, json.dumps(record, indent=1) + "\n")
    return out


def replace_bank(generator_path: str | Path, bank_path: str | Path, out: str | Path,
                 leave_out: Sequence[str] = ()) -> Path:
    """A copy of the generator export at `out` whose exemplar mouth stage holds the bank at bank_path
    (`scripts/build_mouth_bank.py`) instead of its own, without the mouths of the people `leave_out`
    (`mouth_bank.without_people`); the refiner's weights are unchanged. The refiner was trained on other
    people's exemplars than each target's, so any bank of real open mouths serves it; one built from the
    same mouths at a larger size (`--size`) changes only the detail it shows. The bank's people's names
    go into the file with it (`ExemplarRefiner.bank_names`), so that an evaluation can tell a face whose
    own mouths the bank holds."""
    generator, model_cfg = load_generator(generator_path)
    if not isinstance(generator.mouth, ExemplarRefiner):
        raise AffinekitError(f"{generator_path}: has no exemplar mouth stage to give a bank; name a generator "
                             "that has one (the bundled affinekit_default.pt has)")
    bank = load_bank(bank_path)
    if leave_out:
        bank = without_people(bank, leave_out, str(bank_path)).as_saved()
    old = generator.mouth
    refiner = ExemplarRefiner(banked_config(old.cfg, bank, bank_path), model_cfg.num_labels)
    refiner.set_bank(bank["jpeg"], bank["offsets"], bank["shapes"].to(refiner.bank_shapes), bank["people"])
    # every weight of the old stage, the new bank's buffers (only they may differ in size)
    refiner.load_state_dict({**old.state_dict(), **{k: v for k, v in refiner.state_dict().items()
                                                     if k.startswith("bank_")}})
    refiner.bank_names = [str(n) for n in bank["names"]]
    generator.mouth = refiner
    return save_generator_only(generator, model_cfg, out, half=True, data=training_data(generator_path))


def attach_destination(attach: str | Path, generator_path: str | Path, folders: Sequence[str | Path],
                       out: str | Path) -> Path:
    """`--attach` checked before training: a new .pt file, or the --generator export itself (that is what
    it is for); never another existing file (a run's last.pt, a photo, a manifest), a read-only one, a
    training checkpoint, or a file inside the refiner's run or the data folders."""
    path = writable_file(attach, "--attach", (".pt",))
    for what, folder in [("the refiner's run --out", out)] + [("--data folder", f) for f in folders]:
        if same_file(path, folder) or Path(os.path.realpath(folder)) in Path(os.path.realpath(path)).parents:
            raise AffinekitError(f"--attach {path}: lies in {what} {folder}; choose a file outside it")
    if not path.exists():
        return path
    if not same_file(path, generator_path):
        raise AffinekitError(f"--attach {path}: exists and is not --generator; attaching would replace it; "
                             "choose a new file (or --generator itself)")
    if not os.access(path, os.W_OK):
        raise AffinekitError(f"--attach {path}: is read-only; choose a new file")
    if safe_load(path).get("format") == FORMAT:
        raise AffinekitError(f"--attach {path}: is a training checkpoint (what --resume continues); export it "
                             "first (scripts/export_model.py) and attach to the export")
    return path
