"""The cases of `hostile_round2.py`: issue 23's list, class by class, with the inputs each needs and the
check of each success. B is the shared inputs folder (made once by `make_base`), W the case's own."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from hostile_harness import CAP, TINY, Case, Result, run_process
from PIL import Image

OLD = b"the user's precious old file\n"
LABELS = ["happy", "surprise", "sadness", "anger", "happy", "surprise"]


# ------------------------------------------------------------------------------------------------ inputs

def astronaut() -> np.ndarray:
    from skimage import data
    return data.astronaut()


def face_clips(folder: Path, names: list[str], frames: int = 2) -> None:
    """Frame folders of a still face (200 x 256 px gray frames, shifted by a pixel each)."""
    small = np.asarray(Image.fromarray(astronaut()).convert("L").resize((200, 256)))
    for name in names:
        (folder / name).mkdir(parents=True)
        for i in range(frames):
            cv2.imwrite(str(folder / name / f"{i:04d}.png"), np.roll(small, i, axis=1))


def make_base(base: Path) -> None:
    """Photos, six labelled clips of three people, a folder prepared from them and a 2-step model."""
    base.mkdir(parents=True)
    Image.fromarray(astronaut()).save(base / "photo.png")
    Image.fromarray(astronaut()).save(base / "photo.gif")
    names = [f"p{i % 3}_{LABELS[i]}_{i}" for i in range(6)]
    face_clips(base / "src", names)
    rows = ["path,label,subject"] + [f"{n},{LABELS[i]},p{i % 3}" for i, n in enumerate(names)]
    (base / "src" / "labels.csv").write_text("\n".join(rows) + "\n")
    for argv in (["prepare", base / "src", "--labels", base / "src" / "labels.csv", "--out", base / "P", "--size",
                  "16", "--gray"], ["train", "--data", base / "P", "--out", base / "run", *TINY, "--set", "train.steps=2"]):
        res = run_process([str(a) for a in argv], 300)
        if res.rc != 0:
            raise SystemExit(f"making the inputs failed: affinekit {argv[0]}: {res.stderr.strip()[-400:]}")
    shutil.copy(base / "run" / "checkpoints" / "last.pt", base / "ck.pt")


def copy_prepared(base: Path, work: Path) -> None:
    shutil.copytree(base / "P", work / "P")


def copy_run(base: Path, work: Path) -> None:
    shutil.copytree(base / "run", work / "run")


def rewrite_npz(change):
    """A setup: W/P, a copy of B/P whose first sequence file has its arrays changed by `change(arrays)`."""
    def setup(base: Path, work: Path) -> None:
        copy_prepared(base, work)
        path = sorted((work / "P").glob("*.npz"))[0]
        with np.load(path) as z:
            arrays = dict(z)
        change(arrays)
        np.savez_compressed(path, **arrays)
    return setup


def bigger_frames(arrays: dict) -> None:
    t = arrays["frames"].shape[0]
    arrays["frames"] = np.zeros((t, 32, 32, 1), np.uint8)
    arrays["lip_masks"] = np.zeros((t, 32, 32), np.uint8)


def float_frames(arrays: dict) -> None:
    arrays["frames"] = arrays["frames"].astype(np.float64) * 3


def nan_landmarks(arrays: dict) -> None:
    arrays["landmarks"][0, 36] = np.nan


def write(name: str, content: str | bytes):
    def setup(base: Path, work: Path) -> None:
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return setup


def both(*setups):
    def setup(base: Path, work: Path) -> None:
        for step in setups:
            step(base, work)
    return setup


# ------------------------------------------------------------------------------------------------ checks

def clip_frames(path: Path) -> np.ndarray:
    import imageio.v3 as iio
    return np.asarray(iio.imread(path, index=None))[..., :3].astype(np.float32)


def made(*names: str):
    def check(base: Path, work: Path, res: Result) -> str | None:
        missing = [n for n in names if not (work / n).is_file() or (work / n).stat().st_size == 0]
        return f"{', '.join(missing)} not written" if missing else None
    return check


def apex_check(base: Path, work: Path, res: Result) -> str | None:
    """--frames 1 must be the apex: the last frame of a 2-frame clip, not the photo (its first frame)."""
    two = run_process(["generate", "--demo", "--frames", "2", "--expression", "surprise", "--out",
                       str(work / "two.gif")], 240)
    if two.rc != 0:
        return "the 2-frame clip failed"
    one, pair = clip_frames(work / "one.gif")[0], clip_frames(work / "two.gif")
    to_apex, to_photo = np.abs(one - pair[1]).mean(), np.abs(one - pair[0]).mean()
    return None if to_apex < to_photo / 3 else f"its frame is {to_photo:.2f} from the photo, {to_apex:.2f} from the apex"


def not_black(base: Path, work: Path, res: Result) -> str | None:
    mean = clip_frames(work / "f.gif").mean()
    return None if mean > 60 else f"the clip's mean brightness is {mean:.0f}"


def two_clips(base: Path, work: Path, res: Result) -> str | None:
    clips = sorted(p.name for p in (work / "clips").glob("*"))
    return None if len(clips) == 2 else f"{len(clips)} clip(s) in --out-dir: {clips}"


def config_taken(base: Path, work: Path, res: Result) -> str | None:
    size = json.loads((work / "run" / "config.json").read_text())["model"]["image_size"]
    return None if size == 16 and isinstance(size, int) else f"the run's model.image_size is {size!r}"


def re_prepared(base: Path, work: Path, res: Result) -> str | None:
    path = sorted((work / "P").glob("*.npz"))[0]
    with np.load(path) as z:
        side = z["frames"].shape[1]
    said = "manifest says 16 px" in res.stdout
    return None if side == 16 and said else f"the file is {side} px after, said so: {said}"


def labels_read(base: Path, work: Path, res: Result) -> str | None:
    entries = json.loads((work / "out" / "manifest.json").read_text())["sequences"]
    got = {e["key"].split("_")[1] for e in entries if e.get("label")}
    return None if got == {"happy"} and len(entries) == 6 else f"labels read: {got}"


def four_keys(base: Path, work: Path, res: Result) -> str | None:
    keys = [e["key"] for e in json.loads((work / "out" / "manifest.json").read_text())["sequences"]]
    npz = list((work / "out").glob("*.npz"))
    return None if len(set(keys)) == 4 == len(npz) else f"keys {keys}, {len(npz)} files"


# ------------------------------------------------------------------------- cases that drive processes

def in_namespace(mount: str, then: str, argv: list[str], after: str = "true", python: bool = False,
                 timeout: int = 240) -> Result:
    """Run argv in a private mount namespace after `mount` (a tmpfs or a read-only bind) and `then`, then
    `after` (shell lines; what they write outside the mount is what the caller sees of the inside)."""
    inner = f'{mount} && {then} && {{ "$@"; rc=$?; {after}; exit $rc; }}'
    return run_process(argv, timeout, wrap=["unshare", "-m", "sh", "-c", inner, "sh"], python=python)


WIDGET = """
import html, re, sys
from pathlib import Path
from affinekit.generate.animate import load_pretrained
from affinekit.io.photos import demo_photo
from affinekit.show.widgets import GeneratorApp
out, fill = Path(sys.argv[1]), sys.argv[2] == "fill"
app = GeneratorApp(load_pretrained(max_side=256), {"demo": demo_photo()}, out_dir=out)
app.n_frames.value = 3
if fill:
    app.on_generate(); app.save("mp4"); old = (out / "clip.mp4").read_bytes()
    try:
        with open(out / "filler", "wb") as f:
            while True:
                f.write(b"\\0" * 65536); f.flush()
    except OSError:
        pass
    app.n_frames.value = 12
app.on_generate()
saved = app.save("mp4")
said = html.unescape(re.sub("<[^>]+>", "", app.status.value))
kept = (not fill) or (out / "clip.mp4").read_bytes() == old
leftovers = [p.name for p in out.glob(".*")] if out.is_dir() else []
print(said, file=sys.stderr if saved is None else sys.stdout)
sys.exit(0 if saved and kept else 2 if kept and not leftovers else 3)
"""


def widget_full_disk(case: Case, base: Path, work: Path) -> Result:
    (work / "disk").mkdir()
    return in_namespace(f"mount -t tmpfs -o size=400k tmpfs {work / 'disk'}", "true",
                        ["-c", WIDGET, str(work / "disk"), "fill"], python=True)


def widget_read_only(sub: str):
    def run(case: Case, base: Path, work: Path) -> Result:
        (work / "ro").mkdir()
        return in_namespace(f"mount --bind -o ro {work / 'ro'} {work / 'ro'}", "true",
                            ["-c", WIDGET, str(work / "ro" / sub), "no"], python=True)
    return run


def train_on_full_disk(case: Case, base: Path, work: Path) -> Result:
    """The run's checkpoint is written to a disk with 8 KB left: one line, the old checkpoint whole."""
    disk, ckpt = work / "disk", work / "disk" / "run" / "checkpoints" / "last.pt"
    disk.mkdir()
    then = (f"cp -r {base / 'run'} {disk} && sha256sum {ckpt} > {work / 'before'} && "
            f"{{ cat /dev/zero > {disk / 'filler'} 2>/dev/null; truncate -s -8K {disk / 'filler'}; }}")
    after = f"sha256sum {ckpt} > {work / 'after'}; ls -A {ckpt.parent} > {work / 'listing'}"
    res = in_namespace(f"mount -t tmpfs -o size=2m tmpfs {disk}", then,
                       ["train", "--data", str(base / "P"), "--out", str(disk / "run"), *TINY, "--resume",
                        "--set", "train.steps=4"], after)
    same = (work / "before").read_text().split()[0] == (work / "after").read_text().split()[0]
    listing = (work / "listing").read_text().split()
    for name in ("before", "after", "listing"):
        (work / name).unlink()
    disk.rmdir()
    if not same or listing != ["last.pt"]:
        res.stderr += f"\nFILES: the old checkpoint kept: {same}; the folder holds {listing}"
        res.rc = 3
    return res


def encode_on_full_disk(case: Case, base: Path, work: Path) -> Result:
    """A clip encoded onto a 48 KB disk: one line naming the file asked for, no temporary left behind."""
    disk = work / "disk"
    disk.mkdir()
    res = in_namespace(f"mount -t tmpfs -o size=48k tmpfs {disk}", "true",
                       ["generate", "--demo", "--frames", "16", "--out", str(disk / "c.mp4")],
                       after=f"ls -A {disk} > {work / 'listing'}")
    left = (work / "listing").read_text().split()
    (work / "listing").unlink()
    disk.rmdir()
    if left:
        res.rc, res.stderr = 3, res.stderr + f"\nleft on the disk: {left}"
    return res


def two_trains(case: Case, base: Path, work: Path) -> Result:
    """A second train into a folder a first one is writing to is refused; the first finishes whole."""
    first = start(["train", "--data", base / "P", "--out", work / "run", *TINY, "--set", "train.steps=400"])
    wait_for(lambda: (work / "run" / "log.jsonl").is_file(), first)
    second = run_process(["train", "--data", str(base / "P"), "--out", str(work / "run"), *TINY,
                          "--set", "train.steps=3"], 120)
    first.wait(timeout=600)
    output(first)
    steps = [json.loads(line)["step"] for line in (work / "run" / "log.jsonl").read_text().splitlines()]
    if first.returncode != 0 or steps != list(range(1, 401)):
        second.rc, second.stderr = 3, second.stderr + f"\nthe first run: exit {first.returncode}, steps {steps[:6]}..."
    return second


def two_prepares(case: Case, base: Path, work: Path) -> Result:
    """A second prepare into a folder a first one is filling is refused; the manifest lists every file."""
    face_clips(work / "long", [f"c{i}" for i in range(6)], frames=20)
    argv = ["prepare", work / "long", "--out", work / "out", "--size", "16", "--gray", "--per-frame"]
    first = start(argv)
    wait_for(lambda: (work / "out").is_dir(), first)
    time.sleep(1.0)
    second = run_process([str(a) for a in argv], 120)
    first.wait(timeout=600)
    output(first)
    listed = len(json.loads((work / "out" / "manifest.json").read_text())["sequences"])
    files = len(list((work / "out").glob("*.npz")))
    if first.returncode != 0 or listed != files or files != 6:
        second.rc, second.stderr = 3, second.stderr + f"\nthe first run: exit {first.returncode}; {files} files, {listed} listed"
    return second


def sigterm_train(case: Case, base: Path, work: Path) -> Result:
    """SIGTERM mid-train: saved, said, and a resume that continues the log without a gap."""
    proc = start(["train", "--data", base / "P", "--out", work / "run", *TINY, "--set", "train.steps=100000"])
    log = work / "run" / "log.jsonl"
    wait_for(lambda: log.is_file() and len(log.read_text().splitlines()) >= 5, proc)
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=120)
    out, err = output(proc)
    said = [line for line in (out + err).splitlines() if "interrupt" in line or "SIGTERM" in line]
    done = len(log.read_text().splitlines())
    again = run_process(["train", "--data", str(base / "P"), "--out", str(work / "run"), *TINY, "--resume",
                         "--set", f"train.steps={done + 3}"], 240)
    steps = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    whole = again.rc == 0 and steps == list(range(1, done + 4))
    line = f"exit {proc.returncode}: {said[-1] if said else '(nothing said)'} -> --resume: exit {again.rc}, " \
           f"log steps 1..{steps[-1]} {'without a gap' if whole else 'NOT continuous'}"
    return Result(0 if whole and said else 3, line, "" if whole and said else line, 0.0)


def start(argv: list) -> subprocess.Popen:
    """A run in the background; its output goes to temporary files (`output(proc)` reads them), so a long
    run never blocks on a full pipe."""
    from hostile_harness import PYTHON, REPO
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([PYTHON, "-m", "affinekit", *map(str, argv)], stdout=out, stderr=err, text=True, env=env)
    proc.files = (out, err)
    return proc


def output(proc: subprocess.Popen) -> tuple[str, str]:
    """(stdout, stderr) of a finished `start`ed run."""
    texts = []
    for f in proc.files:
        f.seek(0)
        texts.append(f.read())
        f.close()
    return texts[0], texts[1]


def wait_for(condition, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.time() + timeout
    while not condition():
        if proc.poll() is not None or time.time() > end:
            raise SystemExit(f"the first run ended or stalled before the case could start: {output(proc)[1][-300:]}")
        time.sleep(0.05)


# ------------------------------------------------------------------------------------------------ photos

def photo_as(name: str, fmt_array=None):
    """A setup: the demo face saved as W/`name` (after `fmt_array`, when given, turns it into a PIL image)."""
    def setup(base: Path, work: Path) -> None:
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (fmt_array(astronaut()) if fmt_array else Image.fromarray(astronaut())).save(path)
    return setup


def float_tiff(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray((np.asarray(Image.fromarray(rgb).convert("L")) / 255.0).astype(np.float32), mode="F")


def small_face_photo(base: Path, work: Path) -> None:
    """The 512 px demo photo (its face 87 px wide) in the middle of a grey 6000 x 4000 JPEG."""
    canvas = np.full((4000, 6000, 3), 120, np.uint8)
    canvas[1700:2212, 2700:3212] = astronaut()[:, :, ::-1]
    cv2.imwrite(str(work / "wide.jpg"), canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])


def big_jpeg(name: str):
    def setup(base: Path, work: Path) -> None:
        from bench_big_photo import SIZES, make_jpeg
        make_jpeg(work, name, SIZES[name]).rename(work / "big.jpg")
    return setup


def fifo(base: Path, work: Path) -> None:
    os.mkfifo(work / "photo.jpg")


def generator_export(base: Path, work: Path) -> None:
    import torch

    from affinekit.config import ModelConfig
    from affinekit.models.generator import Generator
    from affinekit.weights.checkpoint import save_generator_only

    copy_run(base, work)
    config = ModelConfig(**json.loads((work / "run" / "config.json").read_text())["model"])
    torch.manual_seed(0)
    save_generator_only(Generator(config), config, work / "run" / "checkpoints" / "last.pt")


def bom_labels(base: Path, work: Path) -> None:
    """Excel's "CSV UTF-8": a BOM, then two of the six clips labelled happy (by absolute path)."""
    rows = "".join(f"{base}/src/p{i % 3}_{LABELS[i]}_{i},happy\n" for i in (0, 4))
    (work / "labels.csv").write_bytes(("\ufeffpath,label\n" + rows).encode("utf-8"))


def prepared_128(base: Path, work: Path) -> None:
    """W/P128: the six clips prepared at 128 px."""
    res = run_process(["prepare", str(base / "src"), "--labels", str(base / "src" / "labels.csv"), "--out",
                       str(work / "P128"), "--size", "128", "--gray"], 300)
    if res.rc != 0:
        raise SystemExit(f"preparing at 128 px failed: {res.stderr.strip()[-300:]}")


def named_folders(base: Path, work: Path) -> None:
    face_clips(work / "src", ["张三", "李四", "cafe", "caf\u00e9"])


# ------------------------------------------------------------------------------------------------ cases

LOST, WRONG, UNBOUNDED = "A file lost or replaced", "Wrong clips with exit 0", "Unbounded values and inputs"
CONFIG, OTHER, PREPARED = "--config JSON", "Other tracebacks", "Prepared folders valid but wrong"
TWO, SIGNALS, LABELS_CSV = "Two runs at once", "Signals", "Labels CSV"
REFUSALS = "Refusals naming the wrong cause or refusing a valid input"
EVAL = ["evaluate", "--data", "{B}/P", "--checkpoint", "{B}/ck.pt"]
TRAIN = ["train", "--data", "{B}/P", "--out", "{W}/run", *TINY]
PREP = ["prepare", "{B}/src", "--out", "{W}/out", "--size", "16", "--gray"]
GEN = ["generate", "--demo", "--frames", "2"]

CASES = [
    Case(LOST, "generate photo.gif --out photo.gif", ["generate", "{W}/photo.gif", "--out", "{W}/photo.gif"],
         words=("--out", "photo.gif"), setup=photo_as("photo.gif")),
    Case(LOST, "evaluate --json P/manifest.json", ["evaluate", "--data", "{W}/P", "--checkpoint", "{B}/ck.pt",
         "--json", "{W}/P/manifest.json"], words=("--json", "manifest.json"), setup=copy_prepared),
    Case(LOST, "evaluate --checkpoint m.pt --markdown m.pt", ["evaluate", "--data", "{B}/P", "--checkpoint",
         "{W}/m.pt", "--markdown", "{W}/m.pt"], words=("--markdown", "m.pt"),
         setup=lambda b, w: shutil.copy(b / "ck.pt", w / "m.pt")),
    Case(LOST, "widget Save on a full disk over a clip", [], words=("could not save", "clip.mp4"),
         run=widget_full_disk, outputs=("disk",),
         shown="app.save('mp4') over clip.mp4 on a full 400 KB tmpfs"),
    Case(LOST, "batch x/a.jpg y/a.png into one --out-dir", ["generate", "{W}/x/a.jpg", "{W}/y/a.png", "--out-dir",
         "{W}/clips", "--frames", "2"], "works", setup=both(photo_as("x/a.jpg"), photo_as("y/a.png")),
         check=two_clips, outputs=("clips",)),
    Case(LOST, "--json t.txt --markdown t.txt", EVAL + ["--json", "{W}/t.txt", "--markdown", "{W}/t.txt"],
         words=("--json and --markdown", "t.txt"), setup=write("t.txt", OLD)),

    Case(WRONG, "--frames 1 --expression surprise", ["generate", "--demo", "--frames", "1", "--expression",
         "surprise", "--out", "{W}/one.gif"], "works", check=apex_check, outputs=("one.gif", "two.gif")),
    Case(WRONG, "--intensity 3", GEN + ["--intensity", "3", "--out", "{W}/c.mp4"], words=("intensity", "2.0")),
    Case(WRONG, "a float TIFF with values 0-1", ["generate", "{W}/face.tif", "--frames", "2", "--out", "{W}/f.gif"],
         "works", setup=photo_as("face.tif", float_tiff), check=not_black, outputs=("f.gif",)),
    Case(WRONG, "train --resume --set model.image_size=32 --set model.output=pixels",
         ["train", "--data", "{B}/P", "--out", "{W}/run", *TINY, "--resume", "--set", "model.image_size=32",
          "--set", "model.output=pixels"], words=("model.image_size=32", "resumed run keeps its model"),
         setup=copy_run),

    Case(UNBOUNDED, "generate /dev/zero", ["generate", "/dev/zero", "--out", "{W}/c.mp4"],
         words=("/dev/zero", "not a regular file")),
    Case(UNBOUNDED, "generate /dev/urandom", ["generate", "/dev/urandom", "--out", "{W}/c.mp4"],
         words=("/dev/urandom", "not a regular file")),
    Case(UNBOUNDED, "a FIFO named photo.jpg", ["generate", "{W}/photo.jpg", "--out", "{W}/c.mp4"],
         words=("photo.jpg", "not a regular file"), setup=fifo, timeout=60),
]
for capped in (False, True):
    where = " (4 GB cap)" if capped else ""
    wrap = CAP if capped else []
    CASES += [
        Case(UNBOUNDED, "prepare --size 20000" + where, PREP[:-3] + ["--size", "20000"], "either",
             ("--size 20000", "memory"), wrap=wrap, check=made("out/manifest.json"), outputs=("out",)),
        Case(UNBOUNDED, "evaluate --frames 5000" + where, EVAL + ["--frames", "5000", "--json", "{W}/t.json"],
             "either", ("--frames 5000", "memory"), wrap=wrap, check=made("t.json"), outputs=("t.json",),
             timeout=150, slow_ok=True),
        Case(UNBOUNDED, "train.batch_size=100000" + where, TRAIN + ["--set", "train.batch_size=100000"], "either",
             ("train.batch_size=100000", "memory"), wrap=wrap, check=made("run/checkpoints/last.pt"),
             outputs=("run",)),
        Case(UNBOUNDED, "generate --expression all --frames 1000" + where, ["generate", "--demo", "--expression",
             "all", "--frames", "1000", "--out", "{W}/c.mp4"], "either", ("--frames 1000", "memory"), wrap=wrap,
             check=made("c.mp4"), outputs=("c.mp4",), timeout=600),
    ]
CASES += [
    Case(UNBOUNDED, "prepare --size 4096, one clip (4 GB cap)", ["prepare", "{W}/src", "--out", "{W}/out", "--size",
         "4096", "--gray"], "either", ("--size 4096", "memory"), wrap=CAP, check=made("out/manifest.json"),
         setup=lambda b, w: face_clips(w / "src", ["one"]), outputs=("out",), timeout=400),
    Case(UNBOUNDED, "evaluate --frames 5000 on 128 px crops (4 GB cap)", ["evaluate", "--data", "{W}/P128",
         "--checkpoint", "{B}/ck.pt", "--frames", "5000", "--json", "{W}/t.json"], "either", ("--frames 5000", "memory"),
         wrap=CAP, setup=prepared_128, check=made("t.json"), outputs=("t.json",), timeout=150, slow_ok=True),
]
CASES += [
    Case(CONFIG, "[]", TRAIN + ["--config", "{W}/c.json"], words=("c.json", "JSON object"), setup=write("c.json", "[]")),
    Case(CONFIG, '{"train": {"steps": 2.5}}', TRAIN + ["--config", "{W}/c.json"], words=("train.steps=2.5",),
         setup=write("c.json", '{"train": {"steps": 2.5}}')),
    Case(CONFIG, '{"model": {"image_size": 16.0}} (a whole float)',
         TRAIN[:5] + TINY[2:] + ["--config", "{W}/c.json", "--set", "train.steps=1"], "works",
         setup=write("c.json", '{"model": {"image_size": 16.0}}'), check=config_taken, outputs=("run",)),
    Case(CONFIG, '{"train": {"steps": true}}', TRAIN + ["--config", "{W}/c.json"], words=("train.steps=True",),
         setup=write("c.json", '{"train": {"steps": true}}')),
    Case(CONFIG, 'a bare string "train"', TRAIN + ["--config", "{W}/c.json"], words=("c.json", "not a string"),
         setup=write("c.json", '"train"')),

    Case(OTHER, "evaluate --seed -1", EVAL + ["--seed", "-1"], words=("--seed",)),
    Case(OTHER, "--set train.seed=-1", TRAIN + ["--set", "train.seed=-1"], words=("train.seed=-1",)),
    Case(OTHER, "--set data.seed=-1", TRAIN + ["--set", "data.seed=-1"], words=("data.seed=-1",)),
    Case(OTHER, "evaluate --protocol paper --size 0", EVAL + ["--protocol", "paper", "--size", "0"], words=("--size 0",)),
    Case(OTHER, "evaluate --protocol paper --size -5", EVAL + ["--protocol", "paper", "--size", "-5"],
         words=("--size -5",)),
    Case(OTHER, "evaluate --folds 2 --train-steps 1 --train-size 60", ["evaluate", "--data", "{B}/P", "--folds", "2",
         "--train-steps", "1", "--train-size", "60", "--work-dir", "{W}/folds"], words=("--train-size 60",)),
    Case(OTHER, "train --resume from a generator export", TRAIN + ["--resume"], words=("last.pt", "generator"),
         setup=generator_export),
    Case(OTHER, "a disk that fills while train writes a checkpoint", [], words=("last.pt", "space"),
         run=train_on_full_disk,
         shown="affinekit train --resume --set train.steps=4 into a run on a tmpfs with 8 KB free"),
    Case(OTHER, "widget save() creating its folder on a read-only mount", [], words=("could not save", "Read-only"),
         run=widget_read_only("new/clips"), outputs=("ro",),
         shown="GeneratorApp(out_dir=RO/new/clips).save('mp4'), RO a read-only bind mount"),

    Case(PREPARED, "manifest.json holding [] (train)", ["train", "--data", "{W}/P", "--out", "{W}/run", *TINY],
         words=("manifest.json",), setup=both(copy_prepared, write("P/manifest.json", "[]"))),
    Case(PREPARED, "manifest.json holding [] (evaluate)", ["evaluate", "--data", "{W}/P", "--checkpoint", "{B}/ck.pt"],
         words=("manifest.json",), setup=both(copy_prepared, write("P/manifest.json", "[]"))),
    Case(PREPARED, "manifest.json holding [] (prepare)", ["prepare", "{B}/src", "--out", "{W}/P"],
         words=("manifest.json",), setup=both(copy_prepared, write("P/manifest.json", "[]"))),
    Case(PREPARED, "a 32 px .npz among 16 px ones (train)", ["train", "--data", "{W}/P", "--out", "{W}/run", *TINY],
         words=("32x32 px", "16 px"), setup=rewrite_npz(bigger_frames)),
    Case(PREPARED, "a 32 px .npz among 16 px ones (evaluate)", ["evaluate", "--data", "{W}/P", "--checkpoint",
         "{B}/ck.pt"], words=("32x32 px", "16 px"), setup=rewrite_npz(bigger_frames)),
    Case(PREPARED, "a 32 px .npz among 16 px ones (prepare)", ["prepare", "{B}/src", "--labels", "{B}/src/labels.csv",
         "--out", "{W}/P", "--size", "16", "--gray"], "works", setup=rewrite_npz(bigger_frames), check=re_prepared,
         outputs=("P/manifest.json", "P/p0_p0_anger_3.npz")),    # the file rewritten above; the others stay
    Case(PREPARED, "frames float64 at three times the range", ["train", "--data", "{W}/P", "--out", "{W}/run", *TINY],
         words=("float64",), setup=rewrite_npz(float_frames)),
    Case(PREPARED, "NaN landmarks", ["train", "--data", "{W}/P", "--out", "{W}/run", *TINY], words=("NaN",),
         setup=rewrite_npz(nan_landmarks)),

    Case(TWO, "a second train into a run being written", [], words=("--out", "another affinekit run"),
         run=two_trains, outputs=("run",), timeout=600,
         shown="affinekit train --out W/run (400 steps) & affinekit train --out W/run"),
    Case(TWO, "a second prepare into a folder being filled", [], words=("--out", "another affinekit run"),
         run=two_prepares, outputs=("out", "long"), timeout=600,
         shown="affinekit prepare W/long --out W/out --per-frame & the same again"),
    Case(SIGNALS, "SIGTERM mid-train, then --resume", [], "works", run=sigterm_train, outputs=("run",),
         shown="affinekit train --out W/run; kill -TERM after 5 steps; affinekit train --resume"),

    Case(LABELS_CSV, "a UTF-8 BOM (Excel's CSV UTF-8)", PREP + ["--labels", "{W}/labels.csv"], "works",
         setup=bom_labels,
         check=labels_read, outputs=("out",)),
    Case(LABELS_CSV, "a header-only file", PREP + ["--labels", "{W}/labels.csv"], words=("labels.csv", "no rows"),
         setup=write("labels.csv", "path,label\n")),
    Case(LABELS_CSV, "conflicting duplicate rows", PREP + ["--labels", "{W}/labels.csv"], words=("labels.csv:3",),
         setup=write("labels.csv", "path,label\nx,happy\nx,sadness\n")),
    Case(LABELS_CSV, "a row naming no sequence", PREP + ["--labels", "{W}/labels.csv"],
         words=("labels.csv", "nowhere"), setup=write("labels.csv", "path,label\nnowhere,happy\n")),
    Case(LABELS_CSV, "a row with an empty label (x,)", PREP + ["--labels", "{W}/labels.csv"],
         words=("labels.csv:2", "empty"), setup=write("labels.csv", "path,label\nx,\n")),
    Case(LABELS_CSV, "a row without a label column (x)", PREP + ["--labels", "{W}/labels.csv"],
         words=("labels.csv:2", "no label column"), setup=write("labels.csv", "path,label\nx\n")),

    Case(REFUSALS, "a 108 MP phone JPEG", ["generate", "{W}/big.jpg", "--frames", "2", "--out", "{W}/b.mp4"],
         "works", setup=big_jpeg("108 MP"), check=made("b.mp4"), outputs=("b.mp4",), big=True),
    Case(REFUSALS, "a 200 MP phone JPEG", ["generate", "{W}/big.jpg", "--frames", "2", "--out", "{W}/b.mp4"],
         "works", setup=big_jpeg("200 MP"), check=made("b.mp4"), outputs=("b.mp4",), big=True),
    Case(REFUSALS, "an 87 px face in a 6000x4000 photo", ["generate", "{W}/wide.jpg", "--frames", "2", "--out",
         "{W}/c.mp4"], words=("the face is only", "--max-size"), setup=small_face_photo),
    Case(REFUSALS, "--max-size 128 on a 512 px portrait", ["generate", "{B}/photo.png", "--max-size", "128",
         "--frames", "2", "--out", "{W}/c.mp4"], words=("the face is only", "--max-size")),
    Case(REFUSALS, "--max-size 234 on it, as that line advises", ["generate", "{B}/photo.png", "--max-size", "234",
         "--frames", "2", "--out", "{W}/c.mp4"], "works", check=made("c.mp4"), outputs=("c.mp4",)),
    Case(REFUSALS, "a legal 244-character output name", GEN + ["--out", "{W}/" + "n" * 240 + ".gif"], "works",
         check=made("n" * 240 + ".gif"), outputs=("n" * 240,)),
    Case(REFUSALS, "frame folders in Chinese or differing by an accent", ["prepare", "{W}/src", "--out", "{W}/out",
         "--size", "16", "--gray"], "works", setup=named_folders, check=four_keys, outputs=("out",)),
    Case(REFUSALS, "prepare /dev/zero", ["prepare", "/dev/zero", "--out", "{W}/out"], words=("/dev/zero", "not a file")),
    Case(REFUSALS, "widget save into a read-only folder", [], words=("could not save", "Read-only"),
         run=widget_read_only("."), outputs=("ro",),
         shown="GeneratorApp(out_dir=RO).save('mp4'), RO a read-only bind mount"),
    Case(REFUSALS, "a full disk while encoding", [], words=("c.mp4", "space"), run=encode_on_full_disk,
         shown="affinekit generate --demo --frames 16 --out DISK/c.mp4, DISK a 48 KB tmpfs"),
]
