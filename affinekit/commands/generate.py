"""`affinekit generate`: a photo in, a clip out; or many photos, one clip each (see `affinekit.animate`)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from affinekit.animate import STAGES, check_frames, load_pretrained
from affinekit.batch import expand_photos, generate_batch
from affinekit.commands.control import like_expression, read_control, write_clip_layers
from affinekit.destinations import writable_file, writable_folder
from affinekit.devices import resolve_device
from affinekit.errors import AffinekitError
from affinekit.face_size import FaceNotFound, full_size_photo, too_small_face
from affinekit.expressions import requested_label
from affinekit.generate_checks import check_clip_memory, refuse_output_clashes
from affinekit.photos import MAX_SIDE, demo_photo, even_size, fit_photo, read_photo
from affinekit.video import VIDEO_SUFFIXES


def main(args: Any) -> int:
    """`affinekit generate`: photo -> clip.mp4 / .gif, or photos -> one clip each in --out-dir."""
    start = time.perf_counter()
    photos = list(args.photo or [])
    out_dir = getattr(args, "out_dir", None)
    batch = len(photos) > 1 or bool(out_dir) or any(Path(p).is_dir() or any(c in p for c in "*?[") for p in photos)
    expression = str(args.expression).strip().lower()
    if expression != "all":
        requested_label(expression)
    check_frames(args.frames, args.intensity)
    if not 1 <= args.fps <= 60:
        raise AffinekitError(f"--fps must be from 1 to 60, got {args.fps}")
    if args.demo and photos:
        raise AffinekitError(f"{photos[0]}: pass either photos or --demo, not both")
    if not args.demo and not photos:
        raise AffinekitError("no photo given; pass a face photo (affinekit generate photo.jpg) or use --demo")
    max_side = getattr(args, "max_size", MAX_SIDE)
    if max_side < 64:
        raise AffinekitError(f"--max-size must be at least 64 pixels, got {max_side}")
    control = read_control(args, expression, batch, max_side)
    device = str(resolve_device(getattr(args, "device", "auto")))
    if batch:
        return _main_batch(args, photos, out_dir, expression, max_side, device, control.curve)
    out = writable_file(args.out, "--out", VIDEO_SUFFIXES)
    refuse_output_clashes(args.out, photos, args.checkpoint)
    # read the photo first: a missing or unreadable file fails before the model loads
    name = "demo photo (astronaut)" if args.demo else photos[0]
    photo, name = read_photo(demo_photo() if args.demo else photos[0], name, max_side=max_side)
    check_clip_memory(args.frames, *even_size(*photo.shape[:2], max_side=max_side), expression)
    read_time = time.perf_counter() - start

    start = time.perf_counter()
    animator = load_pretrained(args.checkpoint, device=device, max_side=max_side)
    animator.mouth = not args.no_mouth
    load_time = time.perf_counter() - start

    wanted: Any = control.mix or expression
    intensity = args.intensity
    try:
        if control.like is not None:
            wanted, intensity = like_expression(animator, photo, name, control, intensity)
        if expression == "all":
            frames = animator.animate_all(photo, args.frames, intensity, args.crop_only, name=name,
                                          curve=control.curve)
        else:
            frames = animator.animate(photo, wanted, args.frames, intensity, args.crop_only, name=name,
                                      curve=control.curve)
    except FaceNotFound as err:     # `photo` may be a reduced-scale decode: look for the face at full size
        source = demo_photo() if args.demo else photos[0]
        raise too_small_face(full_size_photo(source, name, photo), fit_photo(photo, max_side), name,
                             animator.detect_side, max_side) or err from None
    if getattr(animator, "last_faces", 1) > 1:
        print(f"note: {animator.last_faces} faces found in {name}; animated the most confident one", file=sys.stderr)
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


def _main_batch(args: Any, photos: list[str], out_dir: str | None, expression: str, max_side: int,
                device: str, curve: str = "linear") -> int:
    """`affinekit generate a.jpg b.jpg folder/ 'glob*' --out-dir clips/`: one clip per photo."""
    if args.demo:
        raise AffinekitError("--demo makes one clip; drop it to generate a batch of photos")
    if not out_dir:
        raise AffinekitError("several photos make several clips: give them a folder with --out-dir DIR")
    paths = expand_photos(photos)
    check_clip_memory(args.frames, max_side, max_side, expression)
    out = writable_folder(out_dir, "--out-dir", create=True)
    animator = load_pretrained(args.checkpoint, device=device, max_side=max_side)
    animator.mouth = not args.no_mouth
    report = generate_batch(animator, paths, out, expression, args.frames, args.intensity, args.fps,
                            getattr(args, "format", "mp4"), args.crop_only, curve=curve)
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
