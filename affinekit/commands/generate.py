"""`affinekit generate`: a photo in, a clip out; or many photos, one clip each (see `affinekit.generate.animate`).

The command parses; the library checks (`generate.checks`, `io.destinations`) and works. A photo
is read once (before the model loads, so a bad file fails fast), aligned once, rendered once.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from affinekit.commands.control import like_expression, read_control, write_clip_layers
from affinekit.devices import resolve_device
from affinekit.errors import AffinekitError
from affinekit.generate.aligned import read_face_photo
from affinekit.generate.animate import STAGES, load_pretrained
from affinekit.generate.checks import check_clip_memory, check_clip_settings, clip_destination
from affinekit.generate.many_photos import expand_photos, generate_batch
from affinekit.io.destinations import writable_folder
from affinekit.io.photos import DEMO_FACE, demo_face


def main(args: Any) -> int:
    """`affinekit generate`: photo -> clip.mp4 / .gif, or photos -> one clip each in --out-dir."""
    start = time.perf_counter()
    photos = list(args.photo or [])
    batch = len(photos) > 1 or bool(args.out_dir) or any(Path(p).is_dir() or any(c in p for c in "*?[")
                                                          for p in photos)
    expression = str(args.expression or "happy").strip().lower()
    check_clip_settings(expression, args.frames, args.intensity, args.fps, args.max_size)
    if args.demo and photos:
        raise AffinekitError(f"{photos[0]}: pass either photos or --demo, not both")
    if not args.demo and not photos:
        raise AffinekitError("no photo given; pass a face photo (affinekit generate photo.jpg) or use --demo")
    control = read_control(args, expression, batch, args.max_size)
    device = str(resolve_device(args.device))
    if batch:
        return _main_batch(args, photos, expression, device, control.curve)
    out = clip_destination(args.out, photos, args.checkpoint)
    # read the photo first: a missing or unreadable file fails before the model loads
    photo = read_face_photo(demo_face() if args.demo else photos[0],
                            f"demo photo ({DEMO_FACE.name})" if args.demo else photos[0], args.max_size)
    check_clip_memory(args.frames, *photo.image.shape[:2], expression)
    read_time = time.perf_counter() - start

    start = time.perf_counter()
    animator = load_pretrained(args.checkpoint, device=device, max_side=args.max_size)
    animator.mouth = not args.no_mouth
    load_time = time.perf_counter() - start

    face = animator.align(photo)
    wanted: Any = control.mix or expression
    intensity = args.intensity
    if control.like is not None:
        wanted, intensity = like_expression(animator, face, control, intensity)
    if expression == "all":
        frames = animator.animate_all(face, args.frames, intensity, args.crop_only, curve=control.curve)
    else:
        frames = animator.animate(face, wanted, args.frames, intensity, args.crop_only, curve=control.curve)
    if face.faces > 1:
        print(f"note: {face.faces} faces found in {photo.name}; animated the most confident one", file=sys.stderr)
    animator.save(frames, out, args.fps)
    t, h, w = frames.shape[:3]
    shown = "like " + str(control.like) if control.like else args.mix if control.mix else expression
    print(f"wrote {out}: {t} frames, {w}x{h}, {args.fps} fps, {shown}, {control.curve}")
    if control.layers is not None:
        write_clip_layers(animator, control, wanted, frames, intensity)
    if args.timing:
        timings = {"load": load_time, **animator.timings}
        timings["read"] = timings.get("read", 0.0) + read_time
        print(format_timings(timings))
    return 0


def _main_batch(args: Any, photos: list[str], expression: str, device: str, curve: str = "linear") -> int:
    """`affinekit generate a.jpg b.jpg folder/ 'glob*' --out-dir clips/`: one clip per photo."""
    if args.demo:
        raise AffinekitError("--demo makes one clip; drop it to generate a batch of photos")
    if not args.out_dir:
        raise AffinekitError("several photos make several clips: give them a folder with --out-dir DIR")
    paths = expand_photos(photos)
    check_clip_memory(args.frames, args.max_size, args.max_size, expression)
    out = writable_folder(args.out_dir, "--out-dir", create=True)
    animator = load_pretrained(args.checkpoint, device=device, max_side=args.max_size)
    animator.mouth = not args.no_mouth
    report = generate_batch(animator, paths, out, expression, args.frames, args.intensity, args.fps,
                            args.format, args.crop_only, curve=curve)
    print(report.summary())
    return 1 if report.failed else 0


def format_timings(timings: dict[str, float]) -> str:
    """Stage times as aligned lines, then the clip's total (load excluded) and the total with load."""
    lines = [f"  {stage:<9}{timings[stage] * 1000:8.1f} ms" for stage in STAGES if stage in timings]
    clip = sum(v for k, v in timings.items() if k != "load")
    lines.append(f"  {'clip':<9}{clip * 1000:8.1f} ms  (read to encode)")
    if "load" in timings:
        lines.append(f"  {'total':<9}{(clip + timings['load']) * 1000:8.1f} ms  (with load)")
    return "\n".join(lines)
