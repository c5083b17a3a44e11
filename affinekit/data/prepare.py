"""`affinekit prepare`: raw sequences, still pairs, clips and apex crops -> aligned crops,
landmarks, lip masks, labels.

One .npz per sequence and manifest.json, both written atomically, the manifest
after every sequence: an interrupted run loses nothing finished, and a rerun
skips what is done. A sequence that fails (no face, unreadable frame, bad
label file) is skipped with its reason; the run goes on.
"""
from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from affinekit.config import DataConfig, to_dict
from affinekit.data.checks import entry_problem, file_problem, listed_frames, sequence_path
from affinekit.data.faces import FaceAligner
from affinekit.data.folders import read_source
from affinekit.data.intensity import item_intensities, summary_lines
from affinekit.data.lips import lip_masks
from affinekit.data.mead import align_clip_pair
from affinekit.data.prepared import MANIFEST, PreparedSequence, entry_kind, read_manifest, write_manifest
from affinekit.data.records import SequenceRecord, looks_gray
from affinekit.data.stills import align_each
from affinekit.errors import AffinekitError
from affinekit.io.images import to_channels
from affinekit.memory import require_memory

# Fields that change the prepared arrays: a folder prepared with other values cannot be resumed.
_SHAPING = ("crop_size", "channels", "lip_dilation", "align_per_frame", "detector")


@dataclass
class PrepareReport:
    """What a prepare run did."""
    out: Path
    prepared: list[str] = field(default_factory=list)   # keys written in this run
    reused: list[str] = field(default_factory=list)     # keys already done by an earlier run
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    damaged: list[str] = field(default_factory=list)    # files of an earlier run found cut short, prepared again
    mismatched: list[str] = field(default_factory=list)  # "<file>: why": not what the manifest says, prepared again
    seconds: float = 0.0
    intensities: list[str] = field(default_factory=list)  # per source: measured intensities (`intensity.summary_lines`)

    @property
    def ok(self) -> list[str]:
        """Every key available in the output folder."""
        return self.reused + self.prepared

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [f"prepared {len(self.prepared)} sequence(s), reused {len(self.reused)}, "
                 f"skipped {len(self.skipped)} in {self.seconds:.1f} s -> {self.out}"]
        lines += [f"  {name}: damaged (truncated or corrupt); prepared it again" for name in self.damaged]
        lines += [f"  {what}; prepared it again" for what in self.mismatched]
        lines += [f"  skipped {key}: {reason}" for key, reason in self.skipped]
        lines += self.intensities
        return "\n".join(lines)


def prepare_sequence(record: SequenceRecord, config: DataConfig, aligner: FaceAligner | None = None) -> PreparedSequence:
    """Align one record's frames and compute its landmarks and lip masks (AffinekitError on failure).

    Sequences follow `config.align_per_frame`; still pairs, MEAD items and apex
    crops are aligned each frame on its own whatever it says, since their
    pictures were taken apart. `gray` records whether the source pixels are grey.
    """
    aligner = aligner or FaceAligner(config.crop_size, config.detector)
    want_gray = config.channels == 1
    info: dict = {}
    if record.error:
        raise AffinekitError(record.error)
    if record.extra.get("neutral_video"):
        crops, points, transforms, gray, info = align_clip_pair(record, aligner, want_gray)
    elif record.kind in ("pair", "apex"):
        images = record.load_images()
        gray = looks_gray(images)
        images = [to_channels(im, want_gray) for im in images]
        crops, points, transforms, fallbacks = align_each(aligner, images, [str(p) for p in record.frames],
                                                          tight=bool(record.extra.get("tight_crop")))
        if record.extra.get("tight_crop"):
            info = {"fallback_boxes": fallbacks}
    else:
        frames = record.load_frames()                # decoded once, in colour: they say if the source is grey
        gray = looks_gray(frames[[0, -1]])
        if want_gray:
            frames = np.stack([to_channels(f, True) for f in frames])
        name = str(record.video or (record.frames[0].parent if record.frames else record.key))
        names = [str(p) for p in record.frames] or None
        crops, points, transforms = aligner.align_sequence(frames, name, per_frame=config.align_per_frame,
                                                           frame_names=names)
    if crops.ndim == 3:
        crops = crops[..., None]
    return PreparedSequence(key=record.key, frames=crops, landmarks=points,
                            lip_masks=lip_masks(points, config.crop_size, config.lip_dilation),
                            transforms=transforms, label=record.label, subject=record.subject,
                            sequence=record.sequence, source=record.source, kind=record.kind,
                            gray=bool(gray), info=info)


def _start_manifest(out: Path, config: DataConfig) -> dict:
    if (out / MANIFEST).is_file():
        manifest = read_manifest(out)       # its entries are judged one by one in `_reusable`
        old = manifest.get("config", {})
        diff = [k for k in _SHAPING if k in old and old[k] != getattr(config, k)]
        if diff:
            raise AffinekitError(f"{out}: prepared earlier with other settings ({', '.join(f'{k}={old[k]}' for k in diff)}); "
                                 "use another --out or delete the folder")
        manifest["config"] = to_dict(config)
        return manifest
    return {"config": to_dict(config), "sequences": [], "skipped": []}


def is_whole(path: Path) -> bool:
    """True for a prepared .npz whose every member reads back with its checksum."""
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def _reusable(out: Path, manifest: dict, config: DataConfig, report: PrepareReport) -> dict[str, dict]:
    """{key: entry} of the earlier run's items that can be kept. The rest are prepared again, each named
    in the report: an entry whose key or file leaves the folder, a file cut short (a full disk, a copy
    interrupted), and one that is not what the manifest says (another size, a link, object arrays,
    NaN landmarks, another frame count: a file copied in from elsewhere)."""
    done: dict[str, dict] = {}
    for entry in manifest["sequences"]:
        problem = entry_problem(entry)
        if problem:
            report.mismatched.append(f"manifest entry {str(entry['key'])[:60]!r}: {problem}")
            continue
        path = sequence_path(out, entry["key"])
        if not path.exists() and not path.is_symlink():
            continue
        if not path.is_symlink() and not is_whole(path):     # a link is not followed, even to test it
            report.damaged.append(path.name)
            continue
        problem = file_problem(path, config.crop_size, frames=listed_frames(entry))
        if problem:
            report.mismatched.append(f"{path.name}: {problem}")
        else:
            done[entry["key"]] = entry
    return done


# bytes per crop pixel of one frame while a sequence is prepared: the uint8 crop and its copy in the
# stacked sequence, the lip mask, and float32 warping and landmark work on the crop
CROP_BYTES_PER_PIXEL = 2 * 3 + 1 + 3 * 4


def sequence_bytes(records: list[SequenceRecord], config: DataConfig) -> int:
    """Memory of the longest sequence's crops (a video's length is not known before it is read: 2 frames)."""
    frames = max([len(r.frames) for r in records if r.frames] + [2])
    return frames * config.crop_size ** 2 * CROP_BYTES_PER_PIXEL


def prepare_records(records: list[SequenceRecord], out: str | Path, config: DataConfig,
                    progress: bool = True) -> PrepareReport:
    """Prepare already-read records into `out` (see module doc)."""
    from tqdm.auto import tqdm
    start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _start_manifest(out, config)
    report = PrepareReport(out=out)
    done = _reusable(out, manifest, config, report)
    manifest["sequences"] = list(done.values())
    for entry in manifest["sequences"]:     # folders prepared before intensities were measured
        if "intensities" not in entry:
            with np.load(sequence_path(out, entry["key"]), allow_pickle=False) as arrays:
                entry["intensities"] = item_intensities(arrays["landmarks"], entry.get("label"), entry_kind(entry))
    require_memory(sequence_bytes(records, config), f"--size {config.crop_size}",
                   f"preparing {config.crop_size} px crops", "use a smaller --size (the default is 128)")
    aligner = FaceAligner(config.crop_size, config.detector)
    keys = [r.key for r in records]
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise AffinekitError(f"sequences share the key(s) {', '.join(dupes[:5])}; rename their folders")
    # disable=None: no bar when stderr is not a terminal (logs, tests), so errors stay one line.
    bar = tqdm(records, desc="prepare", unit="seq", disable=None if progress else True)
    for record in bar:
        bar.set_postfix_str(record.key)
        if record.key in done:
            report.reused.append(record.key)
            continue
        # An earlier failure is retried: the user may have fixed the file.
        manifest["skipped"] = [s for s in manifest["skipped"] if isinstance(s, dict) and s.get("key") != record.key]
        try:
            seq = prepare_sequence(record, config, aligner)
            seq.save(out)
        except AffinekitError as err:
            report.skipped.append((record.key, str(err)))
            manifest["skipped"].append({"key": record.key, "reason": str(err)})
        else:
            report.prepared.append(record.key)
            manifest["sequences"].append({
                "key": seq.key, "file": f"{seq.key}.npz", "subject": seq.subject, "sequence": seq.sequence,
                "label": seq.label, "frames": int(len(seq.frames)), "source": seq.source,
                "kind": seq.kind, "gray": bool(seq.gray), **seq.info,
                "intensities": item_intensities(seq.landmarks, seq.label, seq.kind)})
        write_manifest(out, manifest)
    write_manifest(out, manifest)
    report.seconds = time.perf_counter() - start
    report.intensities = summary_lines(manifest["sequences"])
    return report


def prepare(source: str | Path, out: str | Path, config: DataConfig | None = None,
            labels_csv: str | Path | None = None, labelled_only: bool = False,
            progress: bool = True, verbose: bool = True) -> PrepareReport:
    """Turn any supported source into prepared sequences in `out`; prints a summary if verbose."""
    config = config or DataConfig()
    records = read_source(source, labels_csv)
    if labelled_only:
        records = [r for r in records if r.label is not None or r.error]
        if not records:
            raise AffinekitError(f"{source}: no labelled sequences; drop --labelled-only or pass --labels")
    report = prepare_records(records, out, config, progress=progress)
    if verbose:
        print(report.summary())
    return report
