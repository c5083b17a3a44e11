"""The widget app's callbacks, driven without a browser through a stub animator."""
from __future__ import annotations

import base64
import datetime
import re

import imageio.v3 as iio
import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from helpers import StubAnimator, face  # noqa: E402

from affinekit.io.video import read_frames  # noqa: E402
from affinekit.show.widgets import UPLOADED, GeneratorApp, encode_png  # noqa: E402


@pytest.fixture
def app(tmp_path):
    return GeneratorApp(StubAnimator(), {"one": face(), "two": face(40)}, out_dir=tmp_path / "clips")


def video_payload(markup):
    m = re.search(r'<video[^>]*src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"', markup)
    assert m, markup[:200]
    assert all(flag in markup for flag in ("autoplay", "loop", "muted"))
    return base64.b64decode(m.group(1))


def test_generate_click_shows_an_inline_video(app, tmp_path):
    app.expression.value = "surprise"
    app.n_frames.value = 6
    app.intensity.value = 1.5          # past the apex: the slider allows extrapolation
    app.fps.value = 12
    app.generate_button.click()        # the real click path: on_click -> on_generate
    assert app.animator.calls == [("surprise", 6, 1.5)]
    assert app.frames_out.shape == (6, 32, 32, 3)
    clip = tmp_path / "inline.mp4"
    clip.write_bytes(video_payload(app.player.value))
    shown = read_frames(clip)          # the inline video decodes to the clip made, brightening frame by frame
    assert shown.shape[0] == 6 and np.all(np.diff(shown.mean(axis=(1, 2, 3))) > 0)
    assert app.video_format == "mp4"
    assert "surprise" in app.status.value and not app.generate_button.disabled


def test_scrubbing_past_one_goes_further_the_same_way(app):
    """Past the apex the scrubber extrapolates: at 1.5 the frame is further from the neutral than at 1,
    along the same change (a slider that stopped at 1 would clamp 1.5 to 1 and fail this)."""
    frames = {}
    for value in (0.0, 1.0, 1.5):
        app.scrubber.value = value
        frames[value] = app.frame_out.astype(np.float64)
    at_one, past = frames[1.0] - frames[0.0], frames[1.5] - frames[0.0]
    assert np.abs(past).mean() > np.abs(at_one).mean() > 0
    assert (past * at_one).sum() / (np.linalg.norm(past) * np.linalg.norm(at_one)) > 0.9
    app.intensity.value = 1.5                        # the generate slider takes it too
    assert app.intensity.value == 1.5


def test_save_writes_mp4_and_gif(app, tmp_path):
    assert app.save("mp4") is None and "Generate" in app.status.value   # nothing made yet
    app.n_frames.value = 4
    app.on_generate()
    app.save_name.value = "my clip"
    app.save_mp4_button.click()
    app.save_gif_button.click()
    mp4, gif = app.saved
    assert mp4 == tmp_path / "clips" / "my clip.mp4" and mp4.stat().st_size > 0
    assert gif.read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    assert len(iio.imread(gif, index=None)) == 4
    with pytest.raises(ValueError):
        app.save("avi")


def test_scrubber_shows_one_frame_at_the_chosen_intensity(app):
    app.scrubber.value = 0.0                         # observer fires -> scrub
    neutral = app.frame_out.copy()
    assert np.array_equal(neutral, face())           # intensity 0 reproduces the photo
    app.scrubber.value = 2.0
    assert app.frame_out.mean() > neutral.mean()
    assert app.frame_view.layout.display is None and "2.00" in app.frame_caption.value
    assert np.array_equal(iio.imread(app.frame_view.value), app.frame_out)    # the frame shown is the frame made


def test_a_face_is_aligned_once_for_every_clip_and_scrub(app):
    """Generate and every scrubber move render from the face aligned when it was chosen; picking
    another face (or uploading one) aligns that one, once."""
    app.n_frames.value = 3
    app.on_generate()
    for value in (0.5, 1.0, 1.5):
        app.scrubber.value = value
    assert len(app.animator.aligned) == 1 and len(app.animator.calls) == 4
    assert [frames for _, frames, _ in app.animator.calls[1:]] == [1, 1, 1]     # one frame a scrub, not a clip
    app.sample.value = "two"
    app.on_generate()
    app.on_generate()
    assert len(app.animator.aligned) == 2 and np.array_equal(app.animator.aligned[-1], face(40))
    app.use_upload(encode_png(face(10)), "me.png")
    app.scrub(0.3)
    assert len(app.animator.aligned) == 3


def test_upload_becomes_the_face(app):
    photo = face(10, size=20)
    # ipywidgets 8 stores uploads as a tuple of dicts with the bytes under "content"
    app.upload.value = ({"name": "me.png", "type": "image/png", "size": 1, "content": memoryview(encode_png(photo)),
                         "last_modified": datetime.datetime(2024, 1, 1)},)
    assert app.sample.value == UPLOADED
    assert np.array_equal(app.photo(), photo[..., 0])   # a gray picture stored as RGB decodes as gray, as a file would
    app.on_generate()
    assert app.frames_out.shape[1:3] == (20, 20)


def test_bad_upload_and_failing_model_are_reported_not_raised(app):
    app.upload.value = ({"name": "x.png", "type": "image/png", "size": 3, "content": memoryview(b"not"),
                         "last_modified": datetime.datetime(2024, 1, 1)},)
    assert "not an image" in app.status.value

    class Broken:
        def animate(self, *a, **k):
            raise RuntimeError("no face found in the photo")

    app.animator = Broken()
    app.on_generate()
    assert "no face found" in app.status.value and not app.generate_button.disabled


def test_samples_can_be_paths(tmp_path):
    p = tmp_path / "face.png"
    iio.imwrite(p, face())
    app = GeneratorApp(StubAnimator(), [p], out_dir=tmp_path)
    assert list(app.samples) == ["face"] and np.array_equal(iio.imread(app.photo_view.value), face())


def test_error_messages_are_shown_as_text_not_html():
    app = GeneratorApp(StubAnimator(), {"face": face()})
    app._say("<img src=x onerror=alert(1)> failed", error=True)
    assert "<img" not in app.status.value and "&lt;img" in app.status.value


def test_uploads_decode_like_files_16_bit_cmyk_and_rotated(tmp_path):
    import io as _io

    from PIL import Image

    from affinekit.io.photos import read_photo
    from affinekit.show.widgets import decode_upload
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:, :30] = (200, 120, 90)
    cases = {}
    buf = _io.BytesIO()
    Image.fromarray(rgb).convert("CMYK").save(buf, format="JPEG", quality=95)
    cases["cmyk"] = buf.getvalue()
    buf = _io.BytesIO()
    Image.fromarray((np.arange(40 * 60).reshape(40, 60) * 20).astype(np.uint16)).save(buf, format="PNG")
    cases["16bit"] = buf.getvalue()
    buf = _io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb).save(buf, format="PNG", exif=exif)
    cases["rotated"] = buf.getvalue()
    for name, data in cases.items():
        path = tmp_path / f"{name}.img"
        path.write_bytes(data)
        assert np.array_equal(decode_upload(data), read_photo(path)[0]), name
    assert decode_upload(cases["rotated"]).shape[:2] == (60, 40)          # EXIF applied
    with pytest.raises(ValueError, match="not an image"):
        decode_upload(b"not a picture")
    with pytest.raises(ValueError, match="cannot read"):
        decode_upload(cases["cmyk"][: len(cases["cmyk"]) // 2])          # truncated
