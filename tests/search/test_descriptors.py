"""Properties of the colour descriptor (search/descriptors.py); no Django, no database."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from search.descriptors import (
    DESCRIPTOR_DIM,
    DESCRIPTOR_VERSION,
    colour_descriptor,
    colour_query_descriptor,
    score_from_similarity,
)
from tests import images


def thumbnail(rgb: np.ndarray, side: int = 320) -> np.ndarray:
    """What the worker feeds the descriptor: long side `side`, INTER_AREA."""
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgb, size, interpolation=interp)


def score(a: np.ndarray, b: np.ndarray) -> float:
    return float(score_from_similarity(float(colour_descriptor(a) @ colour_descriptor(b))))


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert ok and decoded is not None
    return decoded[:, :, ::-1].copy()


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    """Eight real photos (scikit-image's public-domain samples) as 320 px thumbnails."""
    return [thumbnail(images.sample(name)) for name in images.SAMPLES]


def dominated(colour: tuple[int, int, int], other: tuple[int, int, int], seed: int) -> np.ndarray:
    """A 240x320 image: 75% `colour` (with texture noise), a band of `other`."""
    rng = np.random.default_rng(seed)
    img = np.empty((240, 320, 3), dtype=np.float32)
    img[:] = colour
    img[180:] = other
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- the vector


def test_constants() -> None:
    assert isinstance(DESCRIPTOR_VERSION, int) and DESCRIPTOR_VERSION >= 1
    assert isinstance(DESCRIPTOR_DIM, int) and 0 < DESCRIPTOR_DIM <= 512


def test_vector_shape_dtype_norm(photos: list[np.ndarray]) -> None:
    for img in photos:
        vec = colour_descriptor(img)
        assert vec.dtype == np.float32
        assert vec.shape == (DESCRIPTOR_DIM,)
        assert np.all(np.isfinite(vec)) and np.all(vec >= 0)
        assert abs(float(np.linalg.norm(vec)) - 1) < 1e-5


def test_deterministic_and_identical_scores_one(photos: list[np.ndarray]) -> None:
    for img in photos:
        np.testing.assert_array_equal(colour_descriptor(img), colour_descriptor(img.copy()))
        assert score(img, img) == pytest.approx(1.0, abs=1e-5)


def test_non_contiguous_input(photos: list[np.ndarray]) -> None:
    img = photos[0]
    flipped = img[:, ::-1]  # a view with negative strides
    assert score(np.ascontiguousarray(flipped), flipped) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    "shape",
    [(1, 1), (1, 2000), (2000, 1), (2, 3), (7, 5), (13, 900)],
)
def test_any_size(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    img = rng.integers(0, 256, size=(*shape, 3), dtype=np.uint8)
    vec = colour_descriptor(img)
    assert vec.shape == (DESCRIPTOR_DIM,) and np.all(np.isfinite(vec))
    assert abs(float(np.linalg.norm(vec)) - 1) < 1e-5


def test_grayscale_looking_and_flat_images(photos: list[np.ndarray]) -> None:
    grey = np.repeat(cv2.cvtColor(photos[0], cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2)
    flat = [np.full((40, 60, 3), v, dtype=np.uint8) for v in (0, 128, 255)]
    for img in [grey, *flat]:
        vec = colour_descriptor(img)
        assert np.all(np.isfinite(vec)) and abs(float(np.linalg.norm(vec)) - 1) < 1e-5
    # Exposure compensation is capped: black and white stay distinguishable.
    assert score(flat[0], flat[2]) < 0.5


# --------------------------------------------------------------------------- similarity


def test_colour_shift_lowers_score_monotonically(photos: list[np.ndarray]) -> None:
    for img in photos[:4]:
        scores = []
        for shift in (0, 8, 16, 32, 64):
            warm = img.astype(np.int16)
            warm[:, :, 0] += shift  # more red
            warm[:, :, 2] -= shift  # less blue
            scores.append(score(img, np.clip(warm, 0, 255).astype(np.uint8)))
        assert scores[0] == pytest.approx(1.0, abs=1e-5)
        assert all(a > b for a, b in zip(scores, scores[1:], strict=False)), scores


def test_size_invariance(photos: list[np.ndarray]) -> None:
    for img in photos:
        half = thumbnail(img, 160)
        assert score(img, half) > 0.95


def test_near_copies_beat_other_photos(photos: list[np.ndarray]) -> None:
    for i, img in enumerate(photos):
        h, w = img.shape[:2]
        copies = {
            "jpeg q25": jpeg(img, 25),
            "crop 5%": img[h // 40 : h - h // 40, w // 40 : w - w // 40],
            "crop + jpeg q25": jpeg(img[h // 20 :, : w - w // 20], 25),
        }
        best_other = max(score(img, other) for j, other in enumerate(photos) if j != i)
        for name, copy in copies.items():
            assert score(img, copy) > best_other, (i, name)
            assert score(img, copy) > 0.9, (i, name)


def test_score_from_similarity_clips() -> None:
    assert score_from_similarity(1.0000004) == 1.0
    assert score_from_similarity(-0.2) == 0.0
    assert score_from_similarity(0.5) == 0.5
    arr = score_from_similarity(np.array([-1.0, 0.25, 2.0]))
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, [0.0, 0.25, 1.0])


# --------------------------------------------------------------------------- colour search


def test_colour_query_vector() -> None:
    vec = colour_query_descriptor([(30, 60, 200)])
    assert vec.dtype == np.float32 and vec.shape == (DESCRIPTOR_DIM,)
    assert abs(float(np.linalg.norm(vec)) - 1) < 1e-5 and np.all(vec >= 0)


def test_blue_query_ranks_blue_image_above_red() -> None:
    blue = dominated((40, 80, 200), (200, 200, 190), seed=1)
    red = dominated((200, 40, 40), (200, 200, 190), seed=2)
    green = dominated((50, 160, 60), (40, 40, 40), seed=3)
    images = {"blue": blue, "red": red, "green": green}
    for query in ([(0, 0, 255)], [(40, 90, 210)], [(70, 130, 230)]):
        q = colour_query_descriptor(query)
        sims = {k: float(q @ colour_descriptor(v)) for k, v in images.items()}
        assert sims["blue"] > sims["red"] and sims["blue"] > sims["green"], (query, sims)
    # A near shade ranks the same way (soft assignment to neighbouring bins).
    q = colour_query_descriptor([(190, 50, 60)])
    assert float(q @ colour_descriptor(red)) > float(q @ colour_descriptor(blue))


def test_palette_weights_matter() -> None:
    blue = dominated((40, 80, 200), (200, 200, 190), seed=1)
    red = dominated((200, 40, 40), (200, 200, 190), seed=2)
    palette = [(40, 80, 200), (200, 40, 40)]
    mostly_blue = colour_query_descriptor(palette, [0.9, 0.1])
    mostly_red = colour_query_descriptor(palette, [0.1, 0.9])
    assert float(mostly_blue @ colour_descriptor(blue)) > float(
        mostly_blue @ colour_descriptor(red)
    )
    assert float(mostly_red @ colour_descriptor(red)) > float(mostly_red @ colour_descriptor(blue))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((10, 10, 3), dtype=np.float32),
        np.zeros((10, 10, 3), dtype=np.uint16),
        np.zeros((10, 10), dtype=np.uint8),
        np.zeros((10, 10, 4), dtype=np.uint8),
        np.zeros((10, 10, 1), dtype=np.uint8),
        np.zeros((0, 10, 3), dtype=np.uint8),
        np.zeros((10, 10, 3, 1), dtype=np.uint8),
        [[[0, 0, 0]]],
        None,
    ],
)
def test_bad_image_raises(bad: object) -> None:
    with pytest.raises(ValueError):
        colour_descriptor(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("colours", "weights"),
    [
        ([], None),
        ([(0, 0, 0)] * 4, None),
        ([(0, 0, 256)], None),
        ([(-1, 0, 0)], None),
        ([(0, 0)], None),
        ([(0, 0, 0.5)], None),
        ([(0, 0, 0), (1, 2)], None),
        ([("red", 0, 0)], None),
        ([(0, 0, 0), (255, 0, 0)], [1.0]),
        ([(0, 0, 0), (255, 0, 0)], [0.0, 0.0]),
        ([(0, 0, 0), (255, 0, 0)], [1.0, -0.5]),
    ],
)
def test_bad_colour_query_raises(colours: list, weights: list | None) -> None:
    with pytest.raises(ValueError):
        colour_query_descriptor(colours, weights)
