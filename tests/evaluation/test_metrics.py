"""Metrics against values computed by hand; the wrap-around PSNR against the float one."""
from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from affinekit.evaluation import metrics


# -- PSNR ----------------------------------------------------------------------------
def test_psnr_by_hand():
    a = np.zeros((2, 2))
    b = np.array([[1.0, 0.0], [0.0, 0.0]])       # mse = 1/4
    # 10 log10(2^2 / 0.25) = 10 log10(16)
    assert metrics.psnr(a, b, data_range=2.0, image_ndim=2) == pytest.approx(10 * math.log10(16))
    c = np.array([[0, 2]], dtype=np.uint8)        # uint8 input is still computed in float
    d = np.array([[0, 0]], dtype=np.uint8)        # mse = 2
    assert metrics.psnr(c, d, 255.0, image_ndim=2) == pytest.approx(10 * math.log10(255 ** 2 / 2))


def test_psnr_identical_is_inf_and_batched():
    a = np.random.default_rng(0).random((3, 1, 4, 4))
    b = a.copy()
    b[1] += 0.5                                   # mse 0.25 on the second image only
    out = metrics.psnr(a, b, data_range=1.0)
    assert out.shape == (3,)
    assert math.isinf(out[0]) and math.isinf(out[2])
    assert out[1] == pytest.approx(10 * math.log10(1 / 0.25))


def test_video_psnr_pools_error_and_skips_input_frame():
    real = np.zeros((1, 3, 1, 2, 2))
    gen = real.copy()
    gen[0, 0] = 100.0                             # frame 0 is the input: ignored
    gen[0, 2] = 2.0                               # frame 1 exact, frame 2 mse 4 -> pooled mse 2
    assert metrics.video_psnr(gen, real, 255.0)[0] == pytest.approx(10 * math.log10(255 ** 2 / 2))
    assert math.isinf(metrics.video_psnr(real, real, 255.0)[0])


def test_wraparound_difference_wraps_to_16_not_240():
    a = np.array([[10]], dtype=np.uint8)
    b = np.array([[250]], dtype=np.uint8)
    # subtraction alone wraps: 10 - 250 = -240 = 16 (mod 256)
    assert metrics.wraparound_mse(a, b, image_ndim=2, square_wraps=False) == pytest.approx(16 ** 2)
    wrapped = metrics.psnr_uint8_wraparound(a, b, image_ndim=2, square_wraps=False)
    honest = metrics.psnr(a, b, 255.0, image_ndim=2)
    assert wrapped == pytest.approx(10 * math.log10(255 ** 2 / 256))   # 24.05 dB
    assert honest == pytest.approx(10 * math.log10(255 ** 2 / 240 ** 2))  # 0.53 dB
    # numpy uint8 also wraps the square: 16 * 16 = 256 = 0 (mod 256) -> a "perfect" frame
    assert metrics.wraparound_mse(a, b, image_ndim=2) == 0
    assert math.isinf(metrics.psnr_uint8_wraparound(a, b, image_ndim=2))


def test_wraparound_agrees_where_nothing_wraps():
    rng = np.random.default_rng(1)
    b = rng.integers(0, 200, size=(4, 1, 8, 8)).astype(np.uint8)
    a = (b + rng.integers(0, 50, size=b.shape)).astype(np.uint8)     # a >= b everywhere
    np.testing.assert_allclose(metrics.psnr_uint8_wraparound(a, b, square_wraps=False),
                               metrics.psnr(a, b, 255.0))
    small = (b.astype(int) + rng.integers(-15, 16, size=b.shape)).clip(0, 255).astype(np.uint8)
    # |a - b| < 16: the squares stay below 256, so even the double wrap is harmless
    np.testing.assert_allclose(metrics.psnr_uint8_wraparound(small, b), metrics.psnr(small, b, 255.0))


def test_wraparound_squares_shrink_large_errors():
    a = np.array([[30]], dtype=np.uint8)
    b = np.array([[10]], dtype=np.uint8)
    assert metrics.wraparound_mse(a, b, image_ndim=2) == 400 % 256   # 144, not 400
    assert metrics.psnr_uint8_wraparound(a, b, image_ndim=2) > metrics.psnr(a, b, 255.0, image_ndim=2)


def test_wraparound_refuses_float():
    with pytest.raises(TypeError):
        metrics.wraparound_mse(np.zeros((2, 2)), np.zeros((2, 2)), image_ndim=2)


# -- SSIM ----------------------------------------------------------------------------
def test_ssim_of_image_with_itself_is_one():
    a = np.random.default_rng(2).random((2, 1, 16, 16))
    np.testing.assert_allclose(metrics.ssim(a, a, data_range=1.0), 1.0)


def test_ssim_matches_skimage_gray_and_rgb():
    rng = np.random.default_rng(3)
    a = rng.random((1, 16, 16))
    b = np.clip(a + 0.1 * rng.standard_normal(a.shape), 0, 1)
    ref = structural_similarity(a[0], b[0], data_range=1.0)
    assert metrics.ssim(a[None], b[None], 1.0)[0] == pytest.approx(ref, abs=1e-12)
    assert ref < 0.99
    a3 = rng.random((3, 16, 16))
    b3 = np.clip(a3 + 0.1 * rng.standard_normal(a3.shape), 0, 1)
    ref3 = structural_similarity(a3, b3, data_range=1.0, channel_axis=0)
    assert metrics.ssim(a3, b3, 1.0) == pytest.approx(ref3, abs=1e-12)


def test_video_ssim_skips_input_frame():
    real = np.random.default_rng(4).random((1, 3, 1, 16, 16))
    gen = real.copy()
    gen[0, 0] = 0.0                               # a wrong first frame does not count
    assert metrics.video_ssim(gen, real, 1.0)[0] == pytest.approx(1.0)


# -- ACD -----------------------------------------------------------------------------
def test_acd_of_identical_frames_is_zero():
    d = np.tile(np.random.default_rng(5).random(128), (2, 5, 1))
    assert np.all(metrics.acd_c(d) == 0)
    assert np.all(metrics.acd_i(d, d[:, 0]) == 0)
    assert np.all(metrics.acd_m(d, d) == 0)


def test_acd_by_hand_and_nan_frames_left_out():
    # three frames at (0,0), (3,4), (0,0): pairwise distances 5, 0, 5
    d = np.array([[[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]]])
    assert metrics.acd_c(d)[0] == pytest.approx(10 / 3)
    # ACD-I skips frame 0: distances of frames 1, 2 to the input (0, 0) are 5 and 0
    assert metrics.acd_i(d, np.array([[0.0, 0.0]]))[0] == pytest.approx(2.5)
    real = np.array([[[9.0, 9.0], [0.0, 0.0], [0.0, 0.0]]])
    assert metrics.acd_m(d, real)[0] == pytest.approx(2.5)
    # a frame without a face is left out, not replaced
    d_nan = d.copy()
    d_nan[0, 2] = np.nan
    assert metrics.acd_c(d_nan)[0] == pytest.approx(5.0)
    assert metrics.acd_i(d_nan, np.array([[0.0, 0.0]]))[0] == pytest.approx(5.0)
    only_one = np.full((1, 3, 2), np.nan)
    only_one[0, 0] = 1.0
    assert math.isnan(metrics.acd_c(only_one)[0])


def test_resample_indices_and_mean_finite():
    np.testing.assert_array_equal(metrics.resample_indices(10, 4), [0, 3, 6, 9])
    np.testing.assert_array_equal(metrics.resample_indices(3, 5), [0, 0, 1, 2, 2])
    assert math.isinf(metrics.mean_skipping_nan(np.array([np.inf, np.inf])))
    assert metrics.mean_skipping_nan(np.array([1.0, np.nan, 3.0])) == 2.0


# -- dlib descriptors ----------------------------------------------------------------
@pytest.fixture(scope="module")
def ck48_face(shared_data):
    cv2 = pytest.importorskip("cv2")
    files = sorted((shared_data / "ck48" / "happy").glob("*.png"))
    if not files:
        pytest.skip("no CK+48 crops in ../shared/data/ck48")
    return cv2.resize(cv2.imread(str(files[0]), cv2.IMREAD_GRAYSCALE), (128, 128))


def test_descriptor_found_normalised_and_cached(ck48_face):
    from affinekit.evaluation.descriptors import FaceDescriber
    describer = FaceDescriber(box="crop")
    frames = np.stack([ck48_face] * 3 + [np.full_like(ck48_face, 128)])
    desc, found = describer.describe(frames)
    assert found.tolist() == [True, True, True, False]
    assert np.linalg.norm(desc[0]) == pytest.approx(1.0, abs=1e-5)
    assert np.isnan(desc[3]).all()                      # no made-up vector for a blank frame
    assert describer.stats.computed == 2                # one face + one blank: the repeats were cached
    assert describer.stats.no_face == 1
    assert metrics.acd_c(desc[None, :3])[0] == 0.0


def test_descriptor_same_for_gray_layouts(ck48_face):
    from affinekit.evaluation.descriptors import FaceDescriber
    describer = FaceDescriber(box="crop")
    rgb = np.repeat(ck48_face[..., None], 3, axis=-1)
    d1, _ = describer.describe(ck48_face[None])
    d2, _ = describer.describe(ck48_face[None, ..., None])
    d3, _ = describer.describe(rgb[None])
    np.testing.assert_array_equal(d1, d2)
    np.testing.assert_array_equal(d1, d3)
    assert describer.stats.computed == 1
