"""Decode time and peak memory of 10000x10000, 108 MP and 200 MP JPEGs, and the clip each animates into.

    python benchmarks/bench_big_photo.py [--frames 4] [--checkpoint PATH] [--skip-generate]

The photos are made on the fly: scikit-image's astronaut (NASA, public domain) scaled up to
10000 x 10000 (issue 23's reference case), 12000 x 9000 (108 MP) and 16330 x 12247 (200 MP) and saved as JPEG. Pillow's guard refuses
pictures above 89 MP; the kit decodes a JPEG at 1/2, 1/4 or 1/8 scale instead
(`affinekit.io.photo_limits`), so such photos animate. Each measurement runs in a fresh process:
the peak memory is that process's maximum resident size (`wait4`), shown beside a process that
only imports the same modules. Issue 23 gave 3.6 s and 475 MB for a 10000 x 10000 photo before.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from affinekit.commands.script_args import FRAMES, run_script

SIZES = {"100 MP (10000x10000)": (10000, 10000), "108 MP": (12000, 9000), "200 MP": (16330, 12247)}
DECODE = ("import sys, time; from affinekit.io.photos import read_photo; t = time.perf_counter(); "
          "img, _ = read_photo(sys.argv[1], max_side=1024); print(f'{time.perf_counter() - t:.3f} {img.shape}')")
IMPORT_ONLY = "import affinekit.io.photos"


def jpeg_path(folder: Path, name: str) -> Path:
    return folder / f"astronaut_{name.split()[0]}{name.split()[1]}.jpg"


def make_jpeg(folder: Path, name: str, size: tuple[int, int]) -> Path:
    """The astronaut scaled up to `size`'s height (not stretched: the detector must still see a face),
    widened with her picture's edge to `size` (width, height), saved as a quality-90 JPEG."""
    import cv2
    from skimage import data

    path = jpeg_path(folder, name)
    width, height = size
    square = cv2.resize(data.astronaut()[:, :, ::-1], (height, height), interpolation=cv2.INTER_LINEAR)
    left = (width - height) // 2
    big = cv2.copyMakeBorder(square, 0, 0, left, width - height - left, cv2.BORDER_REPLICATE)
    cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def run_measured(argv: list[str]) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak resident MB) of a fresh process running argv; `wait4` gives that
    process's own maximum resident size."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        last = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {proc.returncode}"
        raise SystemExit(f"{' '.join(argv[:4])} failed: {last}")
    return stdout.strip(), wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=FRAMES, default=4, help="frames of the clip made from each photo")
    parser.add_argument("--checkpoint", help="a checkpoint instead of the bundled model")
    parser.add_argument("--skip-generate", action="store_true", help="measure decoding only")
    parser.add_argument("--make-in", help=argparse.SUPPRESS)       # the child that writes the photos
    args = parser.parse_args()
    if args.make_in:
        for name, size in SIZES.items():
            make_jpeg(Path(args.make_in), name, size)
        return
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-big-photo-") as tmp:
        folder = Path(tmp)
        _, _, base_mb = run_measured([python, "-c", IMPORT_ONLY])
        print(f"import affinekit.io.photos alone: peak {base_mb:.0f} MB")
        # made in a child process: a forked child's peak counts the parent's memory at the fork
        subprocess.run([python, __file__, "--make-in", str(folder)], check=True)
        for name, size in SIZES.items():
            path = jpeg_path(folder, name)
            out, _, peak = run_measured([python, "-c", DECODE, str(path)])
            seconds, shape = out.split(" ", 1)
            print(f"{name} ({size[0]}x{size[1]}, {path.stat().st_size / 1e6:.1f} MB file): decode {float(seconds):.2f} s "
                  f"to {shape}, peak {peak:.0f} MB (+{peak - base_mb:.0f} MB over the imports)")
            if args.skip_generate:
                continue
            clip = folder / f"{path.stem}.mp4"
            cmd = [python, "-m", "affinekit", "generate", str(path), "--frames", str(args.frames), "--out", str(clip),
                   "--device", "cpu", "--timing"] + (["--checkpoint", args.checkpoint] if args.checkpoint else [])
            out, wall, peak = run_measured(cmd)
            wrote = next((line for line in out.splitlines() if line.startswith("wrote")), out.splitlines()[0])
            print(f"  generate: {wall:.1f} s in all (model load included), peak {peak:.0f} MB; {wrote}")


if __name__ == "__main__":
    sys.exit(run_script(main))
