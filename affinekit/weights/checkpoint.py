"""Checkpoints: only tensors and plain values, written atomically, read safely.

A checkpoint is a dict of tensors, numbers, strings, lists and dicts. It is read
with `torch.load(..., weights_only=True)`, which refuses anything else, so
opening a checkpoint from elsewhere can never run code hidden in a pickle.
Writes go to a temporary file in the same folder and then `os.replace` it, so a
crash or Ctrl-C mid-write never leaves a truncated checkpoint behind.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import torch

from affinekit.config import ModelConfig, MouthConfig, from_dict, to_dict
from affinekit.errors import AffinekitError
from affinekit.io.atomic import atomic_write
from affinekit.memory import require_memory
from affinekit.models.generator import Generator
from affinekit.models.mouth_exemplar import make_refiner

FORMAT = "affinekit-checkpoint-1"
GENERATOR_FORMAT = "affinekit-generator-1"
MOUTH_FORMAT = "affinekit-mouth-1"          # a mouth refiner's training state (`affinekit.training.mouth`)
BANK_FORMAT = "affinekit-mouth-bank-1"      # real mouths for the exemplar refiner (`affinekit.training.mouth_bank`)
CUTS_FORMAT = "affinekit-mouth-cuts-1"      # the mouths a refiner's training cut once (`training.mouth.MouthBank`)
CLASSIFIER_FORMAT = "affinekit-classifier-1"  # an expression classifier or the judge (`evaluation.classifier`)
BANK_PEOPLE = "mouth_bank_people"   # the training-data key naming whose mouths an exemplar bank holds
MODEL_FORMATS = (FORMAT, GENERATOR_FORMAT, MOUTH_FORMAT, BANK_FORMAT, CUTS_FORMAT)
# the largest side a checkpoint's config may give the network or the mouth refiner: above what any
# affinekit model uses (64-512 px), far below what one buffer of that side would take (65536 px: 17 GB)
MAX_SIDE = 4096


def atomic_save(obj: dict[str, Any], path: str | Path, within: str | Path | None = None) -> Path:
    """`torch.save` to a temporary file next to `path`, then rename it over `path`.

    The checkpoint is serialised in memory first and then written as plain bytes: torch's zip
    writer turns a full disk into "file write failed" and loses the errno, a plain write keeps it.
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return atomic_write(path, lambda f: f.write(buffer.getbuffer()), within)


def training_data(path: str | Path) -> dict[str, Any] | None:
    """What a checkpoint says it was trained on (prepared folder, sequence keys), stored inside it;
    None for a file written before checkpoints carried it."""
    data = safe_load(path).get("data")
    return dict(data) if isinstance(data, dict) else None


def safe_load(path: str | Path, map_location: str | torch.device = "cpu",
              formats: tuple[str, ...] = MODEL_FORMATS) -> dict[str, Any]:
    """Read a checkpoint that may hold only tensors and plain values, of one of `formats` (by default the
    generator's files; the classifiers pass `(CLASSIFIER_FORMAT,)`); AffinekitError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise AffinekitError(f"{path}: no such checkpoint; train one with `affinekit train` or check the path")
    _check_container(path)
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's message is long advice about weights_only=False (exactly what must not
        # be done with an untrusted file); keep only the line naming the offending object.
        lines = [ln for ln in str(err).splitlines() if "GLOBAL" in ln or "Unsupported" in ln]
        what = f" ({_first_sentence(lines[0])})" if lines else ""
        raise AffinekitError(f"{path}: refused to load: it holds objects other than tensors and plain values"
                             f"{what}; only use checkpoints written by affinekit") from None
    except Exception as err:    # truncated, empty, text, a zip of something else: never a traceback
        first = _first_sentence((str(err).splitlines() or [type(err).__name__])[0])
        raise AffinekitError(f"{path}: not a readable checkpoint ({type(err).__name__}: {first}); "
                             "it may be truncated or from another program") from None
    if not isinstance(obj, dict) or obj.get("format") not in formats:
        made_by = "scripts/train_classifier.py or scripts/train_judge.py" if formats == (CLASSIFIER_FORMAT,) \
            else "`affinekit train`"
        raise AffinekitError(f"{path}: not an affinekit checkpoint of this kind; use a file from {made_by}")
    bad = first_nonfinite(obj)
    if bad:
        # a NaN refiner painted a black square over every mouth, exit 0: refuse the file, not the frames
        raise AffinekitError(f"{path}: refused to load: its tensor {bad} holds NaN or infinite values "
                             "(a run that diverged, or a damaged file); use another checkpoint")
    return obj


def first_nonfinite(value: Any, name: str = "") -> str | None:
    """The dotted name of the first floating-point tensor in `value` (nested dicts and lists) holding a NaN
    or an infinity; None when every one is finite."""
    stack = [(name, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, torch.Tensor):
            if item.is_floating_point() and not bool(torch.isfinite(item).all()):
                return where or "(the file itself)"
        elif isinstance(item, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in reversed(list(item.items())))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(item))))
    return None


def _first_sentence(text: str) -> str:
    """torch's first sentence; what follows is advice for the author (e.g. to allow-list a global), not the user."""
    return text.strip().split(". ")[0][:160]


def _check_container(path: Path) -> None:
    """Refuse a file that is not a torch file at all (empty, text, an image) before torch reads it:
    torch would try it as a legacy pickle and report it as holding forbidden objects."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\x80"):     # torch's zip format; legacy pickle
        return
    what = "empty" if not head else f"not a torch file (it starts with {head!r})"
    raise AffinekitError(f"{path}: not a readable checkpoint: the file is {what}; "
                         "pass a checkpoint written by `affinekit train` (it may be truncated or from another program)")


def save_generator_only(generator: torch.nn.Module, model_cfg: ModelConfig, path: str | Path,
                        half: bool = False, data: dict[str, Any] | None = None) -> Path:
    """Export the generator's weights and config alone (a small file to bundle).

    `half=True` stores float16 weights (half the size); `load_generator` turns
    them back to float32. `data` (what it was trained on) travels inside the
    file, so evaluation can tell whether test subjects were seen wherever the file is.
    """
    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().clone()
             for k, v in generator.state_dict().items()}
    mouth = getattr(generator, "mouth", None)
    extra = {"mouth_config": to_dict(mouth.cfg)} if mouth is not None else {}
    # whose mouths the bank holds goes with the bank the file holds, not with the data it was given
    data = {k: v for k, v in (data or {}).items() if k != BANK_PEOPLE}
    if getattr(mouth, "bank_names", None):
        data[BANK_PEOPLE] = [str(n) for n in mouth.bank_names]
    return atomic_save({"format": GENERATOR_FORMAT, "model_config": to_dict(model_cfg), "generator": state,
                        "data": data, **extra}, path)


def load_generator(path: str | Path, device: str | torch.device = "cpu"):
    """(Generator in eval mode, ModelConfig) from a training checkpoint or a generator export."""
    return generator_from(safe_load(path), path, device)


def generator_from(ckpt: dict[str, Any], path: str | Path, device: str | torch.device = "cpu"):
    """(Generator in eval mode, ModelConfig) from a checkpoint already read with `safe_load` (from `path`)."""
    try:
        cfg = from_dict(ModelConfig, ckpt["model_config"])
        mouth_cfg = from_dict(MouthConfig, ckpt["mouth_config"]) if "mouth_config" in ckpt else None
        # a run that averaged its weights (train.average_decay) is used, scored and exported by its average
        state = ckpt.get("generator_average", ckpt["generator"])
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise ValueError("its generator entry is not a dict of tensors")
        check_shapes(cfg, mouth_cfg, state, path)
        generator = _built(cfg, mouth_cfg)
        generator.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        if hasattr(generator.mouth, "bank_names"):
            generator.mouth.bank_names = _bank_names(ckpt.get("data"))
    except (KeyError, ValueError, RuntimeError, TypeError) as err:
        raise AffinekitError(f"{path}: checkpoint does not match this version of affinekit's generator "
                             f"({str(err).splitlines()[0][:160]})") from None
    return generator.to(device).eval(), cfg


def _bank_names(data: Any) -> list[str]:
    """The names of the bank's people a file's training data records ([] where it names none, or not as
    a list of strings: an older or foreign file)."""
    names = data.get(BANK_PEOPLE) if isinstance(data, dict) else None
    return list(names) if isinstance(names, list) and all(isinstance(n, str) for n in names) else []


def _built(cfg: ModelConfig, mouth_cfg: MouthConfig | None) -> Generator:
    """A generator of `cfg` with a mouth refiner of `mouth_cfg` (None: without), on torch's current device."""
    generator = Generator(cfg)
    if mouth_cfg is not None:
        generator.mouth = make_refiner(mouth_cfg, cfg.num_labels)
    return generator


def check_shapes(cfg: ModelConfig, mouth_cfg: MouthConfig | None, state: dict[str, torch.Tensor],
                 path: str | Path) -> None:
    """Refuse a checkpoint whose configs do not describe its own weights, or would need more memory than
    there is, before a generator is built: the configs are read from a file that may come from anywhere
    (`model.image_size` 65536 with a 64 px model's weights tried to allocate 17 GB). The generator is first
    built on torch's "meta" device, which has shapes and no storage."""
    for name, side in (("model.image_size", cfg.image_size), ("mouth.size", mouth_cfg.size if mouth_cfg else 0)):
        if side > MAX_SIDE:
            raise AffinekitError(f"{path}: refused to load: its {name} is {side} px, more than any affinekit model "
                                 f"({MAX_SIDE} px); use a checkpoint written by `affinekit train`")
    with torch.device("meta"):
        probe = _built(cfg, mouth_cfg)
    wanted = {k: tuple(v.shape) for k, v in probe.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    wrong = sorted(k for k in wanted.keys() & found.keys() if wanted[k] != found[k])
    if wrong:
        raise ValueError(f"its config asks {wrong[0]} of shape {wanted[wrong[0]]} but the file holds {found[wrong[0]]}")
    needed = sum(t.numel() * t.element_size() for t in [*probe.parameters(), *probe.buffers()])
    require_memory(needed, str(path), "building this checkpoint's generator", "use a smaller checkpoint")
