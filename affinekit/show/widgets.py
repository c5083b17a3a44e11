"""The ipywidgets app of notebook 05: one face photo in, a playing video out.

`GeneratorApp(animator, samples)` lays out the controls: a sample picker or a
photo upload, the expression, a slider per expression for a mixture (all at 0:
the chosen expression alone; otherwise the clip moves along the weighted sum of
their directions, `affinekit.generate.mixtures`), the number of frames, the intensity (the slider
goes past 1: above 1 the model extrapolates beyond the apex), the frame rate, a
Generate button, the clip playing inline, Save as mp4 / gif, and an intensity
scrubber that shows one frame at a time.

Every control's work is a plain method (`generate`, `save`, `scrub`,
`use_upload`, ...), so tests drive the app by setting widget values and calling
the handlers, without a browser. `animator` is anything with
`animate(photo, expression, frames=, intensity=) -> (T, H, W, 3) uint8`, e.g.
`affinekit.load_pretrained()` (a mixture is passed as `expression`, a {name: weight} dict).
An animator that can `align(photo)` (the kit's does) has each chosen face read and aligned
once: Generate and every move of the scrubber render from that face, and never find it again.
"""
from __future__ import annotations

import base64
import html
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from affinekit.errors import AffinekitError
from affinekit.expressions import EXPRESSIONS
from affinekit.generate.mixtures import describe, mixture_weights
from affinekit.io.destinations import writable_folder
from affinekit.io.photos import read_photo
from affinekit.io.video import save_video

UPLOADED = "(uploaded photo)"


def decode_upload(data: bytes, name: str = "the upload") -> np.ndarray:
    """Image bytes (PNG, JPEG, ...) as (H, W) gray or (H, W, 3) RGB uint8, decoded exactly as
    `affinekit generate` decodes a file (`photos.read_photo`: EXIF, 16-bit, CMYK, palette, alpha)."""

    try:
        return read_photo(bytes(data), name)[0]
    except AffinekitError as err:
        raise ValueError(str(err)) from None


def encode_png(image: np.ndarray) -> bytes:
    """An (H, W) or (H, W, 3) uint8 image as PNG bytes."""
    import imageio.v3 as iio

    return bytes(iio.imwrite("<bytes>", np.ascontiguousarray(image), extension=".png"))


def encode_clip(frames: np.ndarray, fps: int, fmt: str = "mp4") -> bytes:
    """A clip (T, H, W, 3) uint8 encoded as mp4 or gif bytes, through the kit's one checked writer
    (`affinekit.io.video.save_video`)."""
    with tempfile.TemporaryDirectory(prefix="affinekit-clip-") as tmp:
        return save_video(frames, Path(tmp) / f"clip.{fmt}", fps=fps).read_bytes()


def clip_html(frames: np.ndarray, fps: int, width: int = 256) -> tuple[str, str]:
    """An inline player for a clip: an HTML5 <video> (base64 mp4, autoplay, loop,
    muted) or, if mp4 cannot be written here, an animated gif. Returns (html, format)."""
    try:
        data, mime, fmt = encode_clip(frames, fps, "mp4"), "video/mp4", "mp4"
    except Exception:              # noqa: BLE001 - no mp4 encoder: the gif still plays
        data, mime, fmt = encode_clip(frames, fps, "gif"), "image/gif", "gif"
    b64 = base64.b64encode(data).decode("ascii")
    if fmt == "mp4":
        tag = (f'<video class="affinekit-clip" width="{width}" autoplay loop muted playsinline controls '
               f'src="data:{mime};base64,{b64}"></video>')
    else:
        tag = f'<img class="affinekit-clip" width="{width}" src="data:{mime};base64,{b64}"/>'
    return tag, fmt


class GeneratorApp:
    """Widgets around an animator: pick or upload a face, choose, generate, watch, save.

    `samples` maps a name to a photo (a path, an (H, W[, 3]) uint8 array or
    image bytes); a list of paths is named by file name. Display the app by
    leaving it as a cell's last expression or with `display(app)`.
    """

    def __init__(self, animator: Any, samples: Mapping[str, Any] | Sequence[Any], expression: str = "happy",
                 frames: int = 16, intensity: float = 1.0, fps: int = 8, max_intensity: float = 2.0,
                 out_dir: str | Path = "clips", width: int = 256):
        import ipywidgets as w

        self.animator = animator
        if not isinstance(samples, Mapping):
            samples = {Path(str(p)).stem: p for p in samples}
        self.samples: dict[str, Any] = dict(samples)
        self.out_dir = Path(out_dir)
        self.width = width
        self.uploaded: np.ndarray | None = None
        self.frames_out: np.ndarray | None = None   # the last clip made
        self.frame_out: np.ndarray | None = None    # the last scrubbed frame
        self.video_format: str | None = None
        self.saved: list[Path] = []
        self.timings: dict[str, float] = {}
        self._face: tuple[Any, Any] | None = None     # ((animator, sample, upload count), its face)
        self._uploads = 0

        self.sample = w.Dropdown(options=list(self.samples), description="face")
        self.upload = w.FileUpload(accept="image/*", multiple=False, description="upload photo")
        self.expression = w.Dropdown(options=list(EXPRESSIONS), value=expression, description="expression")
        self.mix = {name: w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description=name,
                                        readout_format=".2f", continuous_update=False) for name in EXPRESSIONS}
        self.n_frames = w.IntSlider(value=frames, min=2, max=48, description="frames")
        self.intensity = w.FloatSlider(value=intensity, min=0.0, max=max_intensity, step=0.05,
                                       description="intensity", readout_format=".2f")
        self.fps = w.IntSlider(value=fps, min=1, max=30, description="frame rate")
        self.generate_button = w.Button(description="Generate", button_style="primary", icon="play")
        self.save_name = w.Text(value="clip", description="file name")
        self.save_mp4_button = w.Button(description="Save mp4", icon="download")
        self.save_gif_button = w.Button(description="Save gif", icon="download")
        self.scrubber = w.FloatSlider(value=1.0, min=0.0, max=max_intensity, step=0.05, continuous_update=False,
                                      description="scrub", readout_format=".2f")
        self.photo_view = w.Image(format="png", width=160)
        self.frame_view = w.Image(format="png", width=width)
        self.frame_view.layout.display = "none"           # shown once the scrubber has made a frame
        self.frame_caption = w.HTML(value="<i>move the slider: one frame at that intensity</i>")
        self.player = w.HTML(value="<i>press Generate</i>")
        self.status = w.HTML(value="")

        self.sample.observe(self._on_sample, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.generate_button.on_click(self.on_generate)
        self.save_mp4_button.on_click(lambda _: self.save("mp4"))
        self.save_gif_button.on_click(lambda _: self.save("gif"))
        self.scrubber.observe(self._on_scrub, names="value")

        self.widget = w.VBox([
            w.HBox([w.VBox([self.sample, self.upload, self.photo_view]),
                    w.VBox([self.expression, self.n_frames, self.intensity, self.fps, self.generate_button]),
                    w.VBox([w.HTML("<b>mixture</b> <i>(all at 0: the expression alone)</i>"), *self.mix.values()])]),
            self.status,
            w.HBox([self.player, w.VBox([self.scrubber, self.frame_caption, self.frame_view])]),
            w.HBox([self.save_name, self.save_mp4_button, self.save_gif_button]),
        ])
        if self.samples:
            self._show_photo()

    # -- display -------------------------------------------------------------
    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.widget)

    # -- the photo -----------------------------------------------------------
    def photo(self) -> Any:
        """The face to animate: the upload if one is picked, else the chosen sample."""
        value = self._source()
        return decode_upload(value) if isinstance(value, (bytes, bytearray, memoryview)) else value

    def face(self) -> Any:
        """The chosen photo's face, aligned once per photo when the animator can align (else the photo)."""
        align = getattr(self.animator, "align", None)
        if not callable(align):
            return self.photo()
        choice = (self.animator, self.sample.value, self._uploads)   # another animator may crop another size
        if self._face is None or self._face[0] != choice:
            self._face = (choice, align(self._source()))
        return self._face[1]

    def _source(self) -> Any:
        """The chosen photo as given (a path, image bytes, an array), so that aligning decodes it once."""
        if self.sample.value == UPLOADED and self.uploaded is not None:
            return self.uploaded
        if self.sample.value is None or self.sample.value not in self.samples:
            raise ValueError("no face chosen: pick a sample or upload a photo")
        return self.samples[self.sample.value]

    def use_upload(self, data: bytes, name: str = "upload") -> None:
        """Take an uploaded photo (its bytes) as the face to animate."""
        self.uploaded = decode_upload(data, name)
        self._uploads += 1
        if UPLOADED not in self.sample.options:
            self.sample.options = list(self.sample.options) + [UPLOADED]
        self.sample.value = UPLOADED
        self._show_photo()
        self._say(f"using the uploaded photo {name}")

    def _on_upload(self, change: Mapping[str, Any]) -> None:
        value = change["new"]
        files = list(value.values()) if isinstance(value, Mapping) else list(value)   # ipywidgets 7 | 8
        if not files:
            return
        f = files[-1]
        try:
            self.use_upload(f["content"], f.get("name", "upload"))
        except ValueError as err:
            self._say(str(err), error=True)

    def _on_sample(self, change: Mapping[str, Any]) -> None:
        self._show_photo()

    def _show_photo(self) -> None:
        try:
            photo = self.photo()
        except ValueError:
            return
        if isinstance(photo, (str, Path)):
            try:
                self.photo_view.value = Path(photo).read_bytes()
                self.photo_view.format = Path(photo).suffix.lstrip(".").lower() or "png"
            except OSError:
                pass
            return
        self.photo_view.format = "png"
        self.photo_view.value = encode_png(np.asarray(photo, np.uint8))

    # -- generate --------------------------------------------------------------
    def chosen(self) -> str | dict[str, float]:
        """What to animate: the mixture of the sliders above 0, or the chosen expression when all are at 0."""
        weights = {name: float(slider.value) for name, slider in self.mix.items() if slider.value > 0}
        return weights or self.expression.value

    def chosen_name(self) -> str:
        """The choice as the status line shows it: a name, or the mixture as happy=0.60,surprise=0.40."""
        choice = self.chosen()
        return choice if isinstance(choice, str) else describe(mixture_weights(choice))

    def generate(self) -> np.ndarray:
        """Make the clip with the chosen settings and show it playing. Returns (T, H, W, 3)."""
        t0 = time.perf_counter()
        # the full frame with a close-up of the face beside it: a small face's change shows
        frames = np.asarray(self.animator.animate(self.face(), self.chosen(),
                                                  frames=int(self.n_frames.value),
                                                  intensity=float(self.intensity.value), closeup=True))
        t1 = time.perf_counter()
        self.frames_out = frames
        self.player.value, self.video_format = clip_html(frames, int(self.fps.value), self.width)
        t2 = time.perf_counter()
        self.timings = {"generate_s": t1 - t0, "encode_s": t2 - t1}
        self._say(f"{self.chosen_name()}: {len(frames)} frames to intensity {self.intensity.value:.2f} "
                  f"in {t1 - t0:.1f} s ({self.video_format})")
        return frames

    def on_generate(self, _button: Any = None) -> None:
        """The Generate button: like `generate`, with errors shown in the app, not raised."""
        self.generate_button.disabled = True
        self._say("generating ...")
        try:
            self.generate()
        except Exception as err:   # noqa: BLE001 - a notebook user sees the message in the app
            self._say(f"{type(err).__name__}: {err}", error=True)
        finally:
            self.generate_button.disabled = False

    # -- save ------------------------------------------------------------------
    def save(self, fmt: str = "mp4") -> Path | None:
        """Write the last clip as `<out_dir>/<name>.<fmt>` (mp4 or gif); returns the path."""

        if fmt not in ("mp4", "gif"):
            raise ValueError(f"save as mp4 or gif, not {fmt!r}")
        if self.frames_out is None:
            self._say("nothing to save yet: press Generate first", error=True)
            return None
        name = Path(self.save_name.value.strip() or "clip").stem
        path = self.out_dir / f"{name}.{fmt}"
        try:    # the checked writer: a full disk or a read-only folder leaves the old clip whole
            writable_folder(self.out_dir, "save folder (out_dir)", create=True)
            save_video(self.frames_out, path, fps=int(self.fps.value))
        except AffinekitError as err:
            self._say(f"could not save: {err}", error=True)
            return None
        self.saved.append(path)
        self._say(f"saved {path}")
        return path

    # -- scrub -----------------------------------------------------------------
    def scrub(self, intensity: float | None = None) -> np.ndarray:
        """One frame at the given intensity (default: the scrubber's), shown beside the clip."""
        value = float(self.scrubber.value if intensity is None else intensity)
        # a one-frame clip is its apex: the frame at `value`, from the face aligned once
        frame = np.asarray(self.animator.animate(self.face(), self.chosen(), frames=1, intensity=value))[-1]
        self.frame_out = frame
        self.frame_view.value = encode_png(frame)
        self.frame_view.layout.display = None
        self.frame_caption.value = f"{html.escape(self.chosen_name())} at intensity {value:.2f}"
        return frame

    def _on_scrub(self, change: Mapping[str, Any]) -> None:
        try:
            self.scrub(change["new"])
        except Exception as err:   # noqa: BLE001
            self._say(f"{type(err).__name__}: {err}", error=True)

    def _say(self, message: str, error: bool = False) -> None:
        colour = "#b00020" if error else "#333"
        # messages carry file names and exception text: never let them be read as HTML
        self.status.value = f'<span style="color:{colour}">{html.escape(message)}</span>'
