"""Edited copies and other views of the sample photos, made in memory for the duplicate tests."""

from __future__ import annotations

import cv2
import numpy as np

from tests import images


def edited_copy(rgb: np.ndarray) -> np.ndarray:
    """Cropped by 10%, brighter, a caption, resized to 70% and saved at JPEG quality 40."""
    h, w = rgb.shape[:2]
    img = rgb[h // 20 : h - h // 20, w // 20 : w - w // 20]
    img = np.clip(img.astype(np.float32) * 1.15 + 10, 0, 255).astype(np.uint8)
    img = np.ascontiguousarray(img)
    cv2.putText(img, "Summer 2024", (20, img.shape[0] - 30), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                (255, 255, 255), 2, cv2.LINE_AA)  # fmt: skip
    img = cv2.resize(img, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    return jpeg_round_trip(img, 40)


def other_view(rgb: np.ndarray) -> np.ndarray:
    """The same subject from another angle: a strong perspective tilt, as a second photo of
    the same painting or box would be."""
    h, w = rgb.shape[:2]
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    target = np.array([[w * 0.12, h * 0.05], [w * 0.92, h * 0.16], [w * 0.86, h * 0.88],
                         [w * 0.05, h * 0.97]], dtype=np.float32)  # fmt: skip
    warp = cv2.getPerspectiveTransform(source, target)
    turned = cv2.warpPerspective(rgb, warp, (w, h), borderMode=cv2.BORDER_CONSTANT,
                                 borderValue=(90, 80, 70))  # fmt: skip
    return jpeg_round_trip(turned, 85)


def look_alike(rgb: np.ndarray, seed: int = 3) -> np.ndarray:
    """Another picture with the same colours: the photo's pixels shuffled in blocks."""
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    block = 32
    tiles = [rgb[y : y + block, x : x + block] for y in range(0, h - block + 1, block)
             for x in range(0, w - block + 1, block)]  # fmt: skip
    order = rng.permutation(len(tiles))
    columns = w // block
    rows = [np.concatenate([tiles[order[r * columns + c]] for c in range(columns)], axis=1)
            for r in range(len(tiles) // columns)]  # fmt: skip
    return np.ascontiguousarray(np.concatenate(rows, axis=0))


def jpeg_round_trip(rgb: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else None
    assert decoded is not None
    return np.ascontiguousarray(decoded[..., ::-1])


def as_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    return images.encode(rgb, "JPEG", quality=quality)
