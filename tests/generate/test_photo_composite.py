"""The crop's mask and residual applied to a photo larger than the crop: the residual replaces only
what the crop could hold of the photo, and the photo's finer detail stays (`inference.apply_motion_to_photo`)."""
import numpy as np
import torch

from affinekit.generate.inference import apply_motion_to_photo, at_crop_resolution
from affinekit.models.motion import Motion


def checkerboard(side: int, low: int = 100, high: int = 156) -> np.ndarray:
    """(side, side, 3) uint8: one-pixel squares of `low` and `high`, finer than any smaller crop holds."""
    yy, xx = np.mgrid[:side, :side]
    board = np.where((yy + xx) % 2 == 0, low, high).astype(np.uint8)
    return np.repeat(board[..., None], 3, -1)


def still_motion(size: int, mask: float, residual: float) -> Motion:
    """One frame of a size-px crop: no displacement, a uniform mask and a uniform residual (model scale)."""
    return Motion(torch.zeros(1, 1, 2, size, size), torch.full((1, 1, 1, size, size), mask),
                  torch.full((1, 1, 3, size, size), residual))


def test_at_crop_resolution_keeps_what_a_crop_holds_and_drops_finer_detail():
    board = torch.from_numpy(checkerboard(64)).permute(2, 0, 1)[None].float()
    assert torch.equal(at_crop_resolution(board, 1.0), board)           # the crop is as fine as the photo
    averaged = at_crop_resolution(board, 4.0)
    assert averaged.std() < 1.0 and abs(averaged.mean() - 128) < 1.0      # one-pixel squares average out
    flat = torch.full((1, 3, 64, 64), 77.0)
    assert torch.allclose(at_crop_resolution(flat, 4.0), flat)


def test_a_full_mask_on_a_larger_photo_keeps_the_photos_finer_detail():
    """A 256 px photo under a 64 px crop (4 photo pixels per crop pixel), mask 1, a uniform residual:
    the result's mean is the residual's level, and the checkerboard the crop cannot hold is still there
    (a plain blend would give the flat residual)."""
    photo = checkerboard(256)
    M = np.array([[0.25, 0, 0], [0, 0.25, 0]])
    out = apply_motion_to_photo(still_motion(64, 1.0, 0.0), photo, M, 64)[0, 0].astype(float)
    inner = out[16:-16, 16:-16]
    assert abs(inner.mean() - 127.5) < 2.0
    deviation = inner - inner.mean()
    assert np.corrcoef(deviation[..., 0].ravel(), photo[16:-16, 16:-16, 0].astype(float).ravel())[0, 1] > 0.95
    assert deviation.std() > 20.0                                        # the squares' +-28 survive


def test_a_closed_mask_returns_the_photo_and_a_crop_sized_photo_takes_the_residual_whole():
    photo = checkerboard(64)
    shrink = np.array([[0.25, 0, 0], [0, 0.25, 0]])
    big = checkerboard(256)
    assert np.array_equal(apply_motion_to_photo(still_motion(64, 0.0, 0.5), big, shrink, 64)[0, 0], big)
    same_size = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    out = apply_motion_to_photo(still_motion(64, 1.0, 0.0), photo, same_size, 64)[0, 0]
    assert np.abs(out.astype(float) - 127.5).max() <= 1.0                  # nothing finer than the crop to keep
