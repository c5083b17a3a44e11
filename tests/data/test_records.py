"""Images are read by their bytes, whatever their extension; bad files give one clear line."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from affinekit.data.records import SequenceRecord, list_images, read_image, safe_key
from affinekit.errors import AffinekitError
from affinekit.io.images import to_channels


def _png_bytes(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def test_png_data_in_a_jpg_file_is_decoded_exactly(tmp_path):
    image = np.arange(48 * 64, dtype=np.uint32).reshape(48, 64).astype(np.uint8)
    path = tmp_path / "0001.jpg"
    path.write_bytes(_png_bytes(image))
    assert np.array_equal(read_image(path, gray=True), image)  # lossless: it really was read as PNG
    rgb = read_image(path)
    assert rgb.shape == (48, 64, 3) and np.array_equal(rgb[..., 1], image)


def test_colour_is_returned_as_rgb_and_gray_on_request(tmp_path):
    bgr = np.zeros((10, 12, 3), np.uint8)
    bgr[..., 2] = 200  # red in OpenCV's BGR order
    path = tmp_path / "red.png"
    path.write_bytes(_png_bytes(bgr))
    rgb = read_image(path)
    assert rgb[0, 0].tolist() == [200, 0, 0]
    assert read_image(path, gray=True).shape == (10, 12)


@pytest.mark.parametrize("content", [b"", b"not an image at all"])
def test_empty_or_garbage_file_is_one_clear_line(tmp_path, content):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(AffinekitError) as err:
        read_image(path)
    assert "bad.png" in str(err.value) and "\n" not in str(err.value)


def test_truncated_png_is_reported_not_half_decoded(tmp_path):
    data = _png_bytes(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8))
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AffinekitError, match="cut.png: cannot read the image: the file is truncated"):
        read_image(path)


def test_list_images_sorted_and_ignores_other_files(tmp_path):
    for name in ["0002.png", "0001.jpg", ".hidden.png", "notes.txt"]:
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in list_images(tmp_path)] == ["0001.jpg", "0002.png"]


def test_record_key_and_errors():
    record = SequenceRecord("S 1/x", "002", None, [], "frames")
    assert record.key == "S-1-x_002"
    assert safe_key("a:b") == "a-b"
    with pytest.raises(AffinekitError, match="no frames"):
        record.load_frames()
    record.error = "S1/002/label.txt: broken"
    with pytest.raises(AffinekitError, match="broken"):
        record.load_frames()


def test_record_refuses_frames_of_different_sizes(tmp_path):
    for i, shape in enumerate([(10, 10), (12, 10)]):
        (tmp_path / f"{i}.png").write_bytes(_png_bytes(np.zeros(shape, np.uint8)))
    record = SequenceRecord("s", "q", None, list_images(tmp_path), "frames")
    with pytest.raises(AffinekitError, match="differ in size"):
        record.load_frames()


def test_to_channels_round_trip():
    gray = np.full((4, 5), 77, np.uint8)
    rgb = to_channels(gray, gray=False)
    assert rgb.shape == (4, 5, 3)
    assert np.array_equal(to_channels(rgb, gray=True), gray)


def test_jpeg_with_trailing_bytes_is_accepted_and_cut_jpeg_refused(tmp_path):
    image = np.random.default_rng(2).integers(0, 255, (32, 32), dtype=np.uint8)
    data = cv2.imencode(".jpg", image)[1].tobytes()
    (tmp_path / "phone.jpg").write_bytes(data + b"\x00" * 10000)  # vendor data after the image
    assert read_image(tmp_path / "phone.jpg", gray=True).shape == (32, 32)
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(AffinekitError, match="truncated"):
        read_image(tmp_path / "cut.jpg")
