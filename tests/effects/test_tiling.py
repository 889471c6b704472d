import cv2
import numpy as np
import pytest

from effects.tiling import tiled_probability


def red_channel_at_256(tile: np.ndarray) -> np.ndarray:
    """Stands in for a model with a fixed 256x256 output: the tile's red channel, 0..1."""
    small = cv2.resize(tile[..., 0], (256, 256), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255


def horizontal_ramp(height: int, width: int) -> np.ndarray:
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = np.linspace(0, 255, width).round().astype(np.uint8)[None, :]
    return image


@pytest.mark.parametrize("shape", [(300, 200), (257, 511), (7, 5)])
def test_tiles_cover_the_image_and_blend_without_seams(shape):
    image = horizontal_ramp(*shape)
    blended = tiled_probability(image, red_channel_at_256)
    assert blended.shape == shape and blended.dtype == np.float32
    expected = image[..., 0].astype(np.float32) / 255
    assert np.abs(blended - expected).max() < 0.02  # no tile edge and no hole shows


def test_each_tile_is_two_thirds_of_the_image_with_two_tiles_half_overlapping():
    sizes = []

    def record(tile: np.ndarray) -> np.ndarray:
        sizes.append(tile.shape[:2])
        return np.ones((256, 256), np.float32)

    blended = tiled_probability(np.zeros((300, 600, 3), np.uint8), record, tiles=2, overlap=0.5)
    assert sizes == [(200, 400)] * 4
    assert np.allclose(blended, 1)
