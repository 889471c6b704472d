"""Local features: the same photo under a rotation, scale, crop, new colours or a perspective
still verifies; an unrelated photo does not; storage round-trips."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from search import local_features as lf
from tests import images


def gray(name: str) -> np.ndarray:
    return cv2.cvtColor(images.sample(name), cv2.COLOR_RGB2GRAY)


def rotated(img: np.ndarray, degrees: float) -> np.ndarray:
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)


def perspective(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = np.array([[0.1 * w, 0.05 * h], [0.95 * w, 0], [w, h], [0.05 * w, 0.9 * h]], np.float32)
    return cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w, h))


def recoloured(img: np.ndarray) -> np.ndarray:
    """Darker, lower contrast, gamma: another light."""
    out = 255.0 * (img / 255.0) ** 1.6 * 0.7 + 20
    return np.clip(out, 0, 255).astype(np.uint8)


TRANSFORMS = {
    "rotated 25 degrees": lambda g: rotated(g, 25),
    "scaled to 55%": lambda g: cv2.resize(g, None, fx=0.55, fy=0.55, interpolation=cv2.INTER_AREA),
    "scaled up 1.8x": lambda g: cv2.resize(g, None, fx=1.8, fy=1.8),
    "cropped to the middle 60%": lambda g: g[
        g.shape[0] // 5 : -g.shape[0] // 5, g.shape[1] // 5 : -g.shape[1] // 5
    ],
    "recoloured": recoloured,
    "in perspective": perspective,
}


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee"])
@pytest.mark.parametrize("change", list(TRANSFORMS))
def test_a_transformed_copy_verifies_and_an_unrelated_photo_does_not(name, change):
    original = lf.extract(gray(name))
    copy = lf.extract(TRANSFORMS[change](gray(name)))
    others = [lf.extract(gray(other)) for other in ("astronaut", "chelsea", "coffee", "rocket")]
    same = lf.verify(copy, original)
    assert same.verified, same
    assert same.homography is not None
    for other_name, other in zip(("astronaut", "chelsea", "coffee", "rocket"), others, strict=True):
        if other_name != name:
            different = lf.verify(copy, other)
            assert not different.verified, (other_name, different)
            assert different.inliers < same.inliers


def test_verify_many_agrees_with_verify_one_by_one():
    query = lf.extract(rotated(gray("coffee"), -10))
    candidates = [lf.extract(gray(n)) for n in ("astronaut", "coffee", "chelsea")]
    many = lf.verify_many(query, candidates)
    # RANSAC is randomised: the inlier counts agree closely, the verdicts exactly.
    for batch, single in zip(many, [lf.verify(query, c) for c in candidates], strict=True):
        assert batch.verified == single.verified
        assert abs(batch.inliers - single.inliers) <= max(3, single.inliers // 10)
    assert [m.verified for m in many] == [False, True, False]


def test_features_are_compact_and_round_trip():
    features = lf.extract(gray("astronaut"))
    assert 100 < len(features) <= lf.MAX_KEYPOINTS
    assert max(features.size) == lf.WORK_SIDE
    data = lf.to_bytes(features)
    assert len(data) < 140 * len(features)
    back = lf.from_bytes(data)
    assert back.size == features.size
    assert np.array_equal(back.descriptors, features.descriptors)
    assert np.abs(back.xy - features.xy).max() <= 1 / 32 + 1e-6
    assert lf.verify(back, features).verified


def test_a_small_image_is_not_enlarged_and_a_flat_one_has_no_features():
    small = cv2.resize(gray("chelsea"), (200, 150), interpolation=cv2.INTER_AREA)
    assert lf.extract(small).size == (200, 150)
    flat = lf.extract(np.full((300, 400), 128, np.uint8))
    assert len(flat) == 0
    assert lf.from_bytes(lf.to_bytes(flat)).descriptors.shape == (0, lf.DESCRIPTOR_SIZE)
    assert lf.verify(flat, lf.extract(gray("chelsea"))) == lf.NO_MATCH


@pytest.mark.parametrize(
    "bad",
    [np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10), np.float32), np.zeros((0, 5), np.uint8)],
)
def test_it_rejects_what_is_not_a_grey_image(bad):
    with pytest.raises(ValueError):
        lf.extract(bad)


def test_it_rejects_bytes_that_are_not_features():
    data = lf.to_bytes(lf.extract(gray("coffee")))
    with pytest.raises(ValueError):
        lf.from_bytes(data[:-1])
    with pytest.raises(ValueError):
        lf.from_bytes(b"JPEG" + data[4:])
