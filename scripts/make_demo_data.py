"""Make data/demo/: short neutral-to-expression sequences from open-licence clips, and a few
FRLL still pairs.

Reads only open data: ../shared/data/clips (Pexels and MIT clips; never CK+) and
../shared/data/frll (the Face Research Lab London Set, CC BY 4.0).

- Clips: aligns each chosen segment per frame (heads move in these clips), smooths
  the transforms over a few frames so the crops do not jitter, and writes 128 px
  RGB PNG frames in one folder per sequence, labels.csv, and one neutral photo.
  Segments were chosen by looking at the frames (see the `how` column).
- FRLL: copies the neutral and the smiling photo of FRLL_PEOPLE in FRLL's own
  layout (frll/neutral_front/NNN_03.jpg, frll/smiling_front/NNN_08.jpg, and their
  rows of london_info.csv), downscaled to FRLL_SIDE px, JPEG quality FRLL_QUALITY.
  The people are FRLL validation people (`validation_split` of the prepared FRLL
  set, seed 0), so no shipped photo is training data of a model trained with
  data.hold_out=true.

    python scripts/make_demo_data.py [--clips DIR] [--frll DIR] [--only clips|frll] [--out data/demo]
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np

from affinekit.data.faces import FaceAligner
from affinekit.data.paths import REPO_ROOT, shared_data_root
from affinekit.io.video import read_frames

SIZE = 128
# name, clip, first (neutral) frame, last (apex) frame, step, label, how the label was decided
SEGMENTS = [
    ("single_face_happy", "single_face.mp4", 9, 42, 2, "happy",
     "by eye: neutral at frame 9, smile apex at frame 42"),
    ("lp_d0_happy", "liveportrait_d0.mp4", 0, 26, 2, "happy",
     "by eye: neutral at frame 0, broad grin at frame 26"),
    ("lp_d11_surprise", "liveportrait_d11.mp4", 0, 20, 2, "surprise",
     "by eye: neutral at frame 0, wide eyes and open mouth at frame 20"),
    ("lp_d3_surprise", "liveportrait_d3.mp4", 288, 306, 2, "surprise",
     "by eye: neutral at frame 288, raised brows and dropped jaw at frame 306"),
    ("lp_d3_anger", "liveportrait_d3.mp4", 184, 264, 5, "anger",
     "by eye: neutral at frame 184, lowered drawn brows and pressed lips at frame 264 (could also read as disgust)"),
    ("wolfganglanger_happy", "WolfgangLanger_Pexels.mp4", 238, 310, 4, "happy",
     "by eye: near-neutral at frame 238, laughing apex at frame 310"),
]
PHOTO = ("single_face.mp4", 9)  # a neutral frontal frame

# Six of FRLL's 16 validation people (validation_split('prepared/frll128')[1], seed 0: 007 011 012
# 016 018 022 027 029 087 105 112 128 129 132 138 141), three women and three men, varied in age and
# self-reported ethnicity (london_info.csv).
FRLL_PEOPLE = ("007", "012", "022", "087", "105", "129")
FRLL_PHOTOS = (("neutral_front", "03"), ("smiling_front", "08"))   # FRLL's folders and pose numbers
FRLL_SIDE = 512
FRLL_QUALITY = 90
FRLL_CREDIT = ("DeBruine & Jones 2017, Face Research Lab London Set, figshare, "
               "doi:10.6084/m9.figshare.5047666.v5, CC BY 4.0")


def smooth(transforms: np.ndarray, radius: int = 2) -> np.ndarray:
    """Moving average of (T,2,3) similarity matrices (still similarities: [[a,-b],[b,a]] is linear)."""
    out = np.empty_like(transforms)
    for t in range(len(transforms)):
        out[t] = transforms[max(0, t - radius): t + radius + 1].mean(0)
    return out


def make_segment(clip: Path, first: int, last: int, step: int, aligner: FaceAligner) -> np.ndarray:
    """(T, SIZE, SIZE, 3) aligned RGB crops of frames first..last (every `step`-th)."""
    frames = read_frames(clip, max_frames=last + 1)[first:last + 1]
    # Align on every frame of the segment (smoother), keep every step-th.
    _, _, transforms = aligner.align_sequence(frames, clip.name, per_frame=True)
    transforms = smooth(transforms)
    keep = list(range(0, len(frames), step))
    if keep[-1] != len(frames) - 1:
        keep.append(len(frames) - 1)  # always end on the apex
    return np.stack([aligner.warp(frames[i], transforms[i]) for i in keep])


def make_frll(frll: Path, out: Path) -> int:
    """Copy FRLL_PEOPLE's neutral and smiling photos into out/ in FRLL's layout; returns bytes written."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for folder, pose in FRLL_PHOTOS:
        (out / folder).mkdir(exist_ok=True)
        for old in (out / folder).glob("*.jpg"):
            old.unlink()
        for person in FRLL_PEOPLE:
            src = frll / folder / f"{person}_{pose}.jpg"
            image = cv2.imread(str(src), cv2.IMREAD_COLOR)
            if image is None:
                raise SystemExit(f"{src}: missing or unreadable; pass --frll DIR (FRLL's own layout)")
            if max(image.shape[:2]) > FRLL_SIDE:
                scale = FRLL_SIDE / max(image.shape[:2])
                image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            dst = out / folder / src.name
            cv2.imwrite(str(dst), image, [cv2.IMWRITE_JPEG_QUALITY, FRLL_QUALITY])
            written += dst.stat().st_size
    info = frll / "london_info.csv"
    if info.is_file():        # the people's age, gender and ethnicity, as FRLL ships them
        with info.open(newline="") as f:
            rows = list(csv.reader(f))
        keep = [rows[0]] + [r for r in rows[1:] if r and r[0] in FRLL_PEOPLE]
        with (out / "london_info.csv").open("w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(keep)
        written += (out / "london_info.csv").stat().st_size
    (out / "README.md").write_text(
        f"# FRLL: {len(FRLL_PEOPLE)} people of the Face Research Lab London Set\n\n"
        f"Photos by {FRLL_CREDIT}, downscaled to {FRLL_SIDE} px (JPEG quality {FRLL_QUALITY}); "
        "the models consented to the use of their photos in research and to illustrate it. "
        "Made by scripts/make_demo_data.py; see data/README.md.\n")
    print(f"frll: {len(FRLL_PEOPLE)} people x 2 photos, {written / 1e3:.0f} kB -> {out}")
    return written


def main() -> None:
    """Write the demo folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = shared_data_root()
    parser.add_argument("--clips", type=Path, default=shared / "clips" if shared else None)
    parser.add_argument("--frll", type=Path, default=shared / "frll" if shared else None)
    parser.add_argument("--only", choices=("clips", "frll"), help="make one part only")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "demo")
    args = parser.parse_args()
    if args.only != "clips":
        if args.frll is None or not args.frll.is_dir():
            raise SystemExit("FRLL folder not found: pass --frll DIR (e.g. ../shared/data/frll)")
        make_frll(args.frll, args.out / "frll")
    if args.only == "frll":
        return
    if args.clips is None or not args.clips.is_dir():
        raise SystemExit("clips folder not found: pass --clips DIR (the open clips, e.g. ../shared/data/clips)")
    args.out.mkdir(parents=True, exist_ok=True)
    aligner = FaceAligner(SIZE)
    rows = []
    for name, clip, first, last, step, label, how in SEGMENTS:
        crops = make_segment(args.clips / clip, first, last, step, aligner)
        folder = args.out / name
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        for i, crop in enumerate(crops, start=1):
            cv2.imwrite(str(folder / f"{i:04d}.png"), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_PNG_COMPRESSION, 9])
        rows.append({"path": name, "label": label, "subject": Path(clip).stem, "clip": clip, "frames": f"{first}-{last} every {step}",
                     "how": how})
        print(f"{name}: {len(crops)} frames from {clip} {first}-{last}")
    with (args.out / "labels.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "label", "subject", "clip", "frames", "how"])
        writer.writeheader()
        writer.writerows(rows)
    # The demo photo: a square around the face of a neutral frame, at most 384 px.
    clip, index = PHOTO
    frame = read_frames(args.clips / clip, max_frames=index + 1)[index]
    left, top, right, bottom = aligner.detect(frame, clip)
    cx, cy, half = (left + right) // 2, (top + bottom) // 2, int(1.3 * (right - left))
    h, w = frame.shape[:2]
    half = min(half, cx, cy, w - cx, h - cy)
    photo = frame[cy - half:cy + half, cx - half:cx + half]
    if photo.shape[0] > 384:
        photo = cv2.resize(photo, (384, 384), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.out / "photo_neutral.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"photo_neutral.png: {photo.shape[1]}x{photo.shape[0]} from {clip} frame {index}")


if __name__ == "__main__":
    from affinekit.commands.script_args import run_script
    sys.exit(run_script(main))
