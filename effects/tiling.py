"""Running a fixed-input-size model over overlapping tiles of an image, blended without seams.

The selfie model sees its input at 256x256; over a whole person that is coarser than the photo.
Tiles give it more pixels per person; where tiles overlap, their outputs are blended with
weights that fall to zero towards each tile's border (a tent), so no tile edge shows.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Predict = Callable[[np.ndarray], np.ndarray]  # RGB uint8 tile -> float32 map, any size


def tiled_probability(
    image: np.ndarray, predict: Predict, tiles: int = 2, overlap: float = 0.5
) -> np.ndarray:
    """`predict` run on `tiles` x `tiles` overlapping tiles of `image`, blended (float32, h x w).

    Each tile spans 1 / (tiles - (tiles - 1) * overlap) of the image's height and width (2 tiles
    with overlap 0.5: two thirds), so neighbours share `overlap` of a tile.
    """
    height, width = image.shape[:2]
    span = tiles - (tiles - 1) * overlap
    tile_h = min(height, int(np.ceil(height / span)))
    tile_w = min(width, int(np.ceil(width / span)))
    total = np.zeros((height, width), np.float32)
    weights = np.zeros((height, width), np.float32)
    tent = np.outer(_tent(tile_h), _tent(tile_w))
    for top in np.linspace(0, height - tile_h, tiles).round().astype(int):
        for left in np.linspace(0, width - tile_w, tiles).round().astype(int):
            tile = image[top : top + tile_h, left : left + tile_w]
            output = cv2.resize(predict(tile), (tile_w, tile_h), interpolation=cv2.INTER_LINEAR)
            total[top : top + tile_h, left : left + tile_w] += output * tent
            weights[top : top + tile_h, left : left + tile_w] += tent
    return total / weights


def _tent(length: int) -> np.ndarray:
    """1 in the middle, falling linearly to 1/ceil(length/2) at both ends (never 0)."""
    steps = np.arange(length)
    tent = np.minimum(steps + 1, length - steps).astype(np.float32)
    return tent / tent.max()
